#include "config/ini_parser.h"

#include <cctype>

namespace hdc::config {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Cuts an inline comment: ';' or '#' preceded by whitespace, outside quotes.
std::string_view StripInlineComment(std::string_view value) {
  bool quoted = false;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '\\' && quoted) {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && (c == ';' || c == '#') && (i == 0 || IsSpace(value[i - 1]))) {
      return value.substr(0, i);
    }
  }
  return value;
}

std::string CollapseSpaces(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (IsSpace(c)) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// "<source>:<line>: <problem>"
util::Status LineError(const IniDocument& doc, int line, const std::string& problem) {
  return util::ConfigError(doc.source + ":" + std::to_string(line) + ": " + problem);
}

// An indented line continues the previous value (long column lists).
void AppendContinuation(std::string_view line, IniDocument& doc) {
  std::string& value = doc.sections.back().entries.back().value;
  const std::string_view more = Trim(StripInlineComment(line));
  if (!more.empty()) value += (value.empty() ? "" : " ") + std::string(more);
}

util::Status AddSection(std::string_view line, int line_no, IniDocument& doc) {
  const size_t close = line.find(']');
  if (close == std::string_view::npos) {
    return LineError(doc, line_no, "unclosed '[' in section header");
  }
  if (!Trim(StripInlineComment(line.substr(close + 1))).empty()) {
    return LineError(doc, line_no, "unexpected text after the section header");
  }
  const std::string name = CollapseSpaces(line.substr(1, close - 1));
  if (name.empty()) return LineError(doc, line_no, "empty section name");
  for (const IniSection& s : doc.sections) {
    if (s.name == name) {
      return LineError(
          doc, line_no,
          "section [" + name + "] appears twice (first at line " + std::to_string(s.line) + ")");
    }
  }
  doc.sections.push_back({name, line_no, {}});
  return util::Status::Ok();
}

util::Status AddEntry(std::string_view line, int line_no, IniDocument& doc) {
  const size_t eq = line.find('=');
  if (eq == std::string_view::npos) {
    return LineError(doc, line_no,
                     "expected 'key = value' or '[section]', got '" + std::string(line) + "'");
  }
  const std::string key(Trim(line.substr(0, eq)));
  if (key.empty()) return LineError(doc, line_no, "missing key before '='");
  if (doc.sections.empty()) {
    return LineError(doc, line_no, "key '" + key + "' is outside any section");
  }
  IniSection& section = doc.sections.back();
  for (const IniEntry& e : section.entries) {
    if (e.key == key) {
      return LineError(doc, line_no,
                       "[" + section.name + "] " + key + ": set twice (first at line " +
                           std::to_string(e.line) + ")");
    }
  }
  section.entries.push_back(
      {key, std::string(Trim(StripInlineComment(line.substr(eq + 1)))), line_no});
  return util::Status::Ok();
}

}  // namespace

util::Result<IniDocument> ParseIni(std::string_view text, std::string_view source) {
  IniDocument doc;
  doc.source = std::string(source);
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  int line_no = 0;
  size_t pos = 0;
  bool can_continue = false;  // the previous line was a key or a continuation
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view raw = text.substr(pos, end - pos);
    const std::string_view line = Trim(raw);
    pos = end + 1;
    ++line_no;
    if (line.empty()) {
      can_continue = false;
      continue;
    }
    if (line[0] == ';' || line[0] == '#') continue;
    if (can_continue && IsSpace(raw[0]) && line.find('=') == std::string_view::npos) {
      AppendContinuation(line, doc);
      continue;
    }
    const bool header = line[0] == '[';
    HDC_RETURN_IF_ERROR(header ? AddSection(line, line_no, doc) : AddEntry(line, line_no, doc));
    can_continue = !header;
  }
  return doc;
}

}  // namespace hdc::config
