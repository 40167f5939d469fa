#include "config/filter_expr.h"

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "util/result.h"

namespace hdc::config {
namespace {

using Kind = FilterNode::Kind;

constexpr int kMaxDepth = 64;
constexpr std::array<std::string_view, 8> kOperators = {"eq",  "neq", "lt",   "gt",
                                                        "lte", "gte", "like", "in"};

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsNameChar(char c) { return IsLetter(c) || (c >= '0' && c <= '9') || c == '_'; }
bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// A letter, then letters, digits and underscores.
bool IsName(std::string_view s) {
  if (s.empty() || !IsLetter(s[0])) return false;
  for (char c : s) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string AtColumn(int column) { return " at column " + std::to_string(column); }

enum class TokenKind { kWord, kString, kLeftParen, kRightParen, kComma, kEnd, kError };

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;  // kWord: as written; kString: unescaped; kError: the whole message
  std::string raw;   // the source text, for messages
  int column = 0;    // 1-based, in characters (UTF-8 code points)
};

// Splits the text into tokens. Stops at the first malformed string, whose
// error becomes the last token, so the parser reports the leftmost error.
class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  std::vector<Token> Run() {
    std::vector<Token> tokens;
    while (true) {
      while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
      if (pos_ == text_.size()) {
        tokens.push_back({TokenKind::kEnd, "", "end of input", Column(pos_)});
        return tokens;
      }
      tokens.push_back(Next());
      if (tokens.back().kind == TokenKind::kError) return tokens;
    }
  }

 private:
  // Positions are asked for in increasing order, so counting is incremental.
  int Column(size_t pos) {
    for (; counted_ < pos; ++counted_) {
      if (!IsContinuationByte(text_[counted_])) ++column_;
    }
    return column_;
  }

  Token Single(TokenKind kind) {
    Token token{kind, std::string(1, text_[pos_]), std::string(1, text_[pos_]), Column(pos_)};
    ++pos_;
    return token;
  }

  Token Next() {
    char c = text_[pos_];
    if (c == '(') return Single(TokenKind::kLeftParen);
    if (c == ')') return Single(TokenKind::kRightParen);
    if (c == ',') return Single(TokenKind::kComma);
    return c == '"' ? QuotedString() : Word();
  }

  Token Word() {
    size_t start = pos_;
    int column = Column(pos_);
    while (pos_ < text_.size() && !IsSpace(text_[pos_]) && text_[pos_] != '"' &&
           text_[pos_] != '(' && text_[pos_] != ')' && text_[pos_] != ',') {
      ++pos_;
    }
    std::string word(text_.substr(start, pos_ - start));
    return {TokenKind::kWord, word, word, column};
  }

  Token QuotedString() {
    size_t start = pos_;
    int column = Column(pos_);
    std::string value;
    for (++pos_; pos_ < text_.size(); ++pos_) {
      char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return {TokenKind::kString, value, std::string(text_.substr(start, pos_ - start)), column};
      }
      if (c != '\\') {
        value += c;
        continue;
      }
      if (pos_ + 1 == text_.size()) break;
      char escaped = text_[++pos_];
      if (escaped != '"' && escaped != '\\') return BadEscape(pos_ - 1);
      value += escaped;
    }
    return {TokenKind::kError, "unterminated string" + AtColumn(column), "", column};
  }

  // The escape at `backslash`, shown with the whole (possibly multi-byte) character.
  Token BadEscape(size_t backslash) {
    size_t end = backslash + 2;
    while (end < text_.size() && IsContinuationByte(text_[end])) ++end;
    int column = Column(backslash);
    std::string escape(text_.substr(backslash, end - backslash));
    return {TokenKind::kError, "bad escape '" + escape + "'" + AtColumn(column), "", column};
  }

  std::string_view text_;
  size_t pos_ = 0;
  size_t counted_ = 0;
  int column_ = 1;
};

// Recursive descent over the tokens; recursion only happens at "(", whose
// depth is bounded by kMaxDepth.
class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  util::Result<FilterNode> ParseAll() {
    if (Peek().kind == TokenKind::kEnd) return Fail(Peek(), "empty expression");
    util::Result<FilterNode> root = ParseJoined(Kind::kOr, 0);
    if (!root.ok()) return root;
    const Token& rest = Peek();
    if (rest.kind == TokenKind::kEnd) return root;
    return Fail(rest, rest.kind == TokenKind::kRightParen ? "unexpected ')'" : Trailing(rest));
  }

 private:
  // Operands joined by "or" (each an "and" group) or by "and" (each a primary).
  util::Result<FilterNode> ParseJoined(Kind kind, int depth) {
    FilterNode node;
    node.kind = kind;
    do {
      util::Result<FilterNode> operand =
          kind == Kind::kOr ? ParseJoined(Kind::kAnd, depth) : ParsePrimary(depth);
      if (!operand.ok()) return operand;
      Append(std::move(operand).value(), &node);
    } while (TakeKeyword(kind == Kind::kOr ? "or" : "and"));
    if (node.children.size() == 1) return std::move(node.children.front());
    return node;
  }

  // Adds an operand, flattening a group of the same kind into its parent.
  static void Append(FilterNode operand, FilterNode* parent) {
    if (operand.kind != parent->kind) {
      parent->children.push_back(std::move(operand));
      return;
    }
    for (FilterNode& child : operand.children) parent->children.push_back(std::move(child));
  }

  util::Result<FilterNode> ParsePrimary(int depth) {
    const Token& open = Peek();
    if (open.kind != TokenKind::kLeftParen) return ParseCompare();
    if (depth == kMaxDepth) {
      return Fail(open, "expression nested deeper than " + std::to_string(kMaxDepth));
    }
    Take();
    util::Result<FilterNode> inner = ParseJoined(Kind::kOr, depth + 1);
    if (!inner.ok()) return inner;
    if (TakeKind(TokenKind::kRightParen)) return inner;
    const Token& close = Peek();
    return Fail(close, close.kind == TokenKind::kEnd ? "expected ')'" : Trailing(close));
  }

  util::Result<FilterNode> ParseCompare() {
    FilterNode node;
    node.column = Peek().column;
    util::Result<std::string> attribute = ParseAttribute();
    if (!attribute.ok()) return attribute.status();
    node.attribute = std::move(attribute).value();
    const Token& op = Peek();
    if (op.kind != TokenKind::kWord) {
      return Fail(op, "expected an operator after '" + node.attribute + "'");
    }
    node.op = Lower(op.text);
    if (!IsOperator(node.op)) return Fail(op, "unknown operator '" + op.text + "'");
    Take();
    util::Status status = node.op == "in"
                              ? ParseInList(&node)
                              : ParseValue("expected a value after '" + node.op + "'", &node);
    if (!status.ok()) return status;
    return node;
  }

  // NAME, or FUNC "(" NAME ")" normalised to "FUNC(NAME)".
  util::Result<std::string> ParseAttribute() {
    const Token& name = Peek();
    if (name.kind != TokenKind::kWord || !IsName(name.text) || IsJoiner(name.text)) {
      return Fail(name, "expected an attribute");
    }
    Take();
    if (!TakeKind(TokenKind::kLeftParen)) return name.text;
    const Token& column = Peek();
    if (column.kind != TokenKind::kWord || !IsName(column.text)) {
      return Fail(column, "expected a column name inside '" + name.text + "('");
    }
    Take();
    if (!TakeKind(TokenKind::kRightParen)) return Fail(Peek(), "expected ')'");
    return name.text + "(" + column.text + ")";
  }

  util::Status ParseInList(FilterNode* node) {
    const Token& open = Peek();
    if (open.kind != TokenKind::kLeftParen) return Fail(open, "expected '(' after 'in'");
    Take();
    if (Peek().kind == TokenKind::kRightParen) return Fail(open, "empty 'in' list");
    do {
      util::Status status = ParseValue("expected a value in the 'in' list", node);
      if (!status.ok()) return status;
    } while (TakeKind(TokenKind::kComma));
    if (TakeKind(TokenKind::kRightParen)) return util::Status::Ok();
    return Fail(Peek(), "expected ',' or ')' in the 'in' list");
  }

  // A bare word (even a keyword) or a quoted string.
  util::Status ParseValue(const std::string& missing, FilterNode* node) {
    const Token& value = Peek();
    if (value.kind != TokenKind::kWord && value.kind != TokenKind::kString) {
      return Fail(value, missing);
    }
    node->values.push_back(Take().text);
    return util::Status::Ok();
  }

  static bool IsOperator(std::string_view op) {
    for (std::string_view known : kOperators) {
      if (op == known) return true;
    }
    return false;
  }
  static bool IsJoiner(std::string_view word) {
    std::string lower = Lower(word);
    return lower == "and" || lower == "or";
  }
  static std::string Trailing(const Token& token) {
    return "expected 'and' or 'or' before '" + token.raw + "'";
  }

  const Token& Peek() const { return tokens_[pos_]; }
  // The last token (end or error) is never consumed.
  const Token& Take() {
    const Token& token = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return token;
  }
  bool TakeKind(TokenKind kind) {
    if (Peek().kind != kind) return false;
    Take();
    return true;
  }
  bool TakeKeyword(std::string_view keyword) {
    if (Peek().kind != TokenKind::kWord || Lower(Peek().text) != keyword) return false;
    Take();
    return true;
  }

  // A lexer error wins over whatever the parser expected at that token.
  static util::Status Fail(const Token& token, const std::string& what) {
    if (token.kind == TokenKind::kError) return util::ConfigError(token.text);
    return util::ConfigError(what + AtColumn(token.column));
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

void Collect(const FilterNode& node, std::vector<const FilterNode*>* out) {
  if (node.kind == Kind::kCompare) {
    out->push_back(&node);
    return;
  }
  for (const FilterNode& child : node.children) Collect(child, out);
}

}  // namespace

util::Result<FilterNode> ParseFilter(std::string_view text) {
  return Parser(Lexer(text).Run()).ParseAll();
}

bool SplitAggregate(std::string_view attribute, std::string* function, std::string* column) {
  size_t open = attribute.find('(');
  if (open == std::string_view::npos || !attribute.ends_with(')')) return false;
  std::string_view name = attribute.substr(0, open);
  std::string_view inner = attribute.substr(open + 1, attribute.size() - open - 2);
  if (!IsName(name) || !IsName(inner)) return false;
  if (function != nullptr) *function = std::string(name);
  if (column != nullptr) *column = std::string(inner);
  return true;
}

std::vector<const FilterNode*> Comparisons(const FilterNode& root) {
  std::vector<const FilterNode*> out;
  Collect(root, &out);
  return out;
}

}  // namespace hdc::config
