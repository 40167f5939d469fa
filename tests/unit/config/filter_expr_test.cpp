#include "config/filter_expr.h"

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "util/result.h"

namespace hdc::config {
namespace {

using Kind = FilterNode::Kind;

// A compact rendering of a tree: "and(a eq <1>, or(b in <2> <3>, c lt <4>))".
std::string Show(const FilterNode& node) {
  if (node.kind == Kind::kCompare) {
    std::string out = node.attribute + " " + node.op;
    for (const std::string& value : node.values) out += " <" + value + ">";
    return out;
  }
  std::string out = node.kind == Kind::kAnd ? "and(" : "or(";
  for (size_t i = 0; i < node.children.size(); ++i) {
    out += (i == 0 ? "" : ", ") + Show(node.children[i]);
  }
  return out + ")";
}

// The tree rendered by Show, or "error: <message>".
std::string Parse(const std::string& text) {
  util::Result<FilterNode> result = ParseFilter(text);
  if (!result.ok()) return "error: " + result.status().message();
  return Show(*result);
}

std::string ErrorOf(const std::string& text) {
  util::Result<FilterNode> result = ParseFilter(text);
  if (result.ok()) return "parsed: " + Show(*result);
  CHECK(result.status().kind() == util::ErrorKind::kConfig);
  return result.status().message();
}

FilterNode Compare(std::string attribute, std::string op, std::vector<std::string> values,
                   int column) {
  FilterNode node;
  node.attribute = std::move(attribute);
  node.op = std::move(op);
  node.values = std::move(values);
  node.column = column;
  return node;
}

FilterNode Group(Kind kind, std::vector<FilterNode> children) {
  FilterNode node;
  node.kind = kind;
  node.children = std::move(children);
  return node;
}

struct Case {
  std::string input;
  std::string expected;
};

void CheckAll(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    CAPTURE(c.input);
    CHECK_EQ(Parse(c.input), c.expected);
  }
}

void CheckErrors(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    CAPTURE(c.input);
    CHECK_EQ(ErrorOf(c.input), c.expected);
  }
}

TEST_CASE("the where example of config/hdc-reportd.ini parses into the documented tree") {
  util::Result<FilterNode> result =
      ParseFilter("EventType eq Kernel and (Market eq US or Market in (DE, FR))");
  REQUIRE(result.ok());
  FilterNode expected =
      Group(Kind::kAnd, {Compare("EventType", "eq", {"Kernel"}, 1),
                         Group(Kind::kOr, {Compare("Market", "eq", {"US"}, 26),
                                           Compare("Market", "in", {"DE", "FR"}, 42)})});
  CHECK(*result == expected);
}

TEST_CASE("or binds looser than and, and parentheses group") {
  CheckAll({
      {"a eq 1 and b eq 2 or c eq 3", "or(and(a eq <1>, b eq <2>), c eq <3>)"},
      {"a eq 1 or b eq 2 and c eq 3", "or(a eq <1>, and(b eq <2>, c eq <3>))"},
      {"(a eq 1 or b eq 2) and c eq 3", "and(or(a eq <1>, b eq <2>), c eq <3>)"},
      {"a eq 1 and (b eq 2 or c eq 3)", "and(a eq <1>, or(b eq <2>, c eq <3>))"},
      {"(a eq 1 and b eq 2) or (c eq 3 and d eq 4)",
       "or(and(a eq <1>, b eq <2>), and(c eq <3>, d eq <4>))"},
      {"(a eq 1)and(b eq 2)", "and(a eq <1>, b eq <2>)"},
  });
}

TEST_CASE("groups of the same kind are flattened and single groups unwrapped") {
  CheckAll({
      {"a eq 1 and b eq 2 and c eq 3", "and(a eq <1>, b eq <2>, c eq <3>)"},
      {"a eq 1 and (b eq 2 and c eq 3)", "and(a eq <1>, b eq <2>, c eq <3>)"},
      {"(a eq 1 and b eq 2) and c eq 3", "and(a eq <1>, b eq <2>, c eq <3>)"},
      {"a eq 1 or (b eq 2 or (c eq 3 or d eq 4))", "or(a eq <1>, b eq <2>, c eq <3>, d eq <4>)"},
      {"(a eq 1)", "a eq <1>"},
      {"((((a eq 1))))", "a eq <1>"},
      {"((a eq 1 or b eq 2))", "or(a eq <1>, b eq <2>)"},
  });
}

TEST_CASE("keywords and operators are case-insensitive and operators are stored lower case") {
  CheckAll({
      {"a EQ 1 AND b Neq 2 Or c LIKE x%", "or(and(a eq <1>, b neq <2>), c like <x%>)"},
      {"Market IN (DE)", "Market in <DE>"},
      {"a Gte 1 aNd b LtE 2", "and(a gte <1>, b lte <2>)"},
  });
}

TEST_CASE("every operator is accepted") {
  CheckAll({
      {"EventCount eq 1", "EventCount eq <1>"},
      {"EventCount neq 1", "EventCount neq <1>"},
      {"EventCount lt 1", "EventCount lt <1>"},
      {"EventCount gt 1", "EventCount gt <1>"},
      {"EventCount lte 1", "EventCount lte <1>"},
      {"EventCount gte 1", "EventCount gte <1>"},
      {"DriverName like usb%", "DriverName like <usb%>"},
      {"Market in (DE)", "Market in <DE>"},
  });
}

TEST_CASE("bare values keep punctuation, and a bare word in value position is always a value") {
  CheckAll({
      {"OsVersion gte 10.0.19041.1", "OsVersion gte <10.0.19041.1>"},
      {"DriverName like *usb*.sys", "DriverName like <*usb*.sys>"},
      {"Date gt 2024-01-01T00:00:00Z", "Date gt <2024-01-01T00:00:00Z>"},
      {"Path eq C:\\Windows/x_y", "Path eq <C:\\Windows/x_y>"},
      {"Market eq and", "Market eq <and>"},
      {"Market eq or or Market eq in", "or(Market eq <or>, Market eq <in>)"},
      {"Market eq eq", "Market eq <eq>"},
  });
}

TEST_CASE("quoted values allow spaces, punctuation and the two escapes") {
  CheckAll({
      {"Name eq \"Foo Bar\"", "Name eq <Foo Bar>"},
      {"Name eq \"say \\\"hi\\\"\"", "Name eq <say \"hi\">"},
      {"Path eq \"C:\\\\Windows\"", "Path eq <C:\\Windows>"},
      {"Name eq \"a,b (c) and d\"", "Name eq <a,b (c) and d>"},
      {"Name eq \"\"", "Name eq <>"},
      {"Name eq \"x\"and b eq y", "and(Name eq <x>, b eq <y>)"},
      {"Name eq \"Gerät\"", "Name eq <Gerät>"},
  });
}

TEST_CASE("in lists accept bare and quoted values with any spacing") {
  CheckAll({
      {"Market in (DE, FR)", "Market in <DE> <FR>"},
      {"Market in(DE,FR,US)", "Market in <DE> <FR> <US>"},
      {"Market in ( DE , FR )", "Market in <DE> <FR>"},
      {"Market in (DE)", "Market in <DE>"},
      {"City in (\"New York\", Berlin)", "City in <New York> <Berlin>"},
      {"Name in (\"a,b\")", "Name in <a,b>"},
      {"Market\tin\t(DE,\tFR)", "Market in <DE> <FR>"},
  });
}

TEST_CASE("aggregates are attributes normalised to FUNC(NAME)") {
  CheckAll({
      {"SUM(EventCount) gt 1000", "SUM(EventCount) gt <1000>"},
      {"dcount ( DeviceId ) gte 5", "dcount(DeviceId) gte <5>"},
      {"sum(EventCount)gt 1", "sum(EventCount) gt <1>"},
      {"max(x) lt 3 and EventType eq Kernel", "and(max(x) lt <3>, EventType eq <Kernel>)"},
  });
}

TEST_CASE("comparisons record the column of their attribute") {
  util::Result<FilterNode> result =
      ParseFilter("EventType eq Kernel and (Market eq US or  dcount ( DeviceId ) gt 5)");
  REQUIRE(result.ok());
  std::vector<const FilterNode*> comparisons = Comparisons(*result);
  REQUIRE_EQ(comparisons.size(), 3);
  CHECK_EQ(comparisons[0]->column, 1);
  CHECK_EQ(comparisons[1]->column, 26);
  CHECK_EQ(comparisons[2]->column, 43);

  // Columns count characters, not bytes: "ü" is one column.
  util::Result<FilterNode> unicode = ParseFilter("Name eq \"ü\" and Other eq x");
  REQUIRE(unicode.ok());
  CHECK_EQ(Comparisons(*unicode)[1]->column, 17);

  util::Result<FilterNode> indented = ParseFilter("   a eq b");
  REQUIRE(indented.ok());
  CHECK_EQ(indented->column, 4);
}

TEST_CASE("every error names what went wrong and its column") {
  CheckErrors({
      // Values.
      {"EventType eq", "expected a value after 'eq' at column 13"},
      {"Market EQ (", "expected a value after 'eq' at column 11"},
      {"Market eq DE or x eq )", "expected a value after 'eq' at column 22"},
      {"Market like ,", "expected a value after 'like' at column 13"},
      // Operators.
      {"EventType", "expected an operator after 'EventType' at column 10"},
      {"EventType \"eq\" x", "expected an operator after 'EventType' at column 11"},
      {"SUM ( EventCount )", "expected an operator after 'SUM(EventCount)' at column 19"},
      {"EventType equals Kernel", "unknown operator 'equals' at column 11"},
      {"EventType = Kernel", "unknown operator '=' at column 11"},
      {"EventType EQUALS Kernel", "unknown operator 'EQUALS' at column 11"},
      // Attributes.
      {"1abc eq x", "expected an attribute at column 1"},
      {"\"EventType\" eq x", "expected an attribute at column 1"},
      {"a eq b and", "expected an attribute at column 11"},
      {"a eq b and or c eq d", "expected an attribute at column 12"},
      {"And eq x", "expected an attribute at column 1"},
      {"()", "expected an attribute at column 2"},
      {", a eq b", "expected an attribute at column 1"},
      // Parentheses.
      {"(a eq b", "expected ')' at column 8"},
      {"((a eq b)", "expected ')' at column 10"},
      {"SUM(EventCount gt 5", "expected ')' at column 16"},
      {"SUM(MAX(x)) gt 5", "expected ')' at column 8"},
      {"a eq b)", "unexpected ')' at column 7"},
      {"(a eq b))", "unexpected ')' at column 9"},
      // In lists.
      {"Market in DE", "expected '(' after 'in' at column 11"},
      {"Market in", "expected '(' after 'in' at column 10"},
      {"Market in (DE FR)", "expected ',' or ')' in the 'in' list at column 15"},
      {"Market in (DE, FR", "expected ',' or ')' in the 'in' list at column 18"},
      {"Market in ()", "empty 'in' list at column 11"},
      {"Market in ( )", "empty 'in' list at column 11"},
      {"Market in (DE,)", "expected a value in the 'in' list at column 15"},
      {"Market in (", "expected a value in the 'in' list at column 12"},
      // Strings.
      {"Name eq \"abc", "unterminated string at column 9"},
      {"Name eq \"abc\\\"", "unterminated string at column 9"},
      {"Name eq \"abc\\", "unterminated string at column 9"},
      {"Name eq \"a\\nb\"", "bad escape '\\n' at column 11"},
      {"Name eq \"a\\'b\"", "bad escape '\\'' at column 11"},
      {"Name eq \"a\\üb\"", "bad escape '\\ü' at column 11"},
      // Trailing garbage.
      {"a eq b xyz", "expected 'and' or 'or' before 'xyz' at column 8"},
      {"(a eq b xyz)", "expected 'and' or 'or' before 'xyz' at column 9"},
      {"a eq b \"c d\"", "expected 'and' or 'or' before '\"c d\"' at column 8"},
      {"a eq b (c eq d)", "expected 'and' or 'or' before '(' at column 8"},
      {"a eq b, c", "expected 'and' or 'or' before ',' at column 7"},
      {"Name eq \"ü\" x", "expected 'and' or 'or' before 'x' at column 13"},
      // Aggregates.
      {"SUM() gt 5", "expected a column name inside 'SUM(' at column 5"},
      {"sum( 1x ) gt 5", "expected a column name inside 'sum(' at column 6"},
      {"SUM(", "expected a column name inside 'SUM(' at column 5"},
      // Empty input: one past the end, like any unexpected end.
      {"", "empty expression at column 1"},
      {"   ", "empty expression at column 4"},
  });
}

TEST_CASE("the leftmost error wins over a later malformed string") {
  CheckErrors({
      {"a eq b ) \"open", "unexpected ')' at column 8"},
      {"a eq \"open ) b", "unterminated string at column 6"},
      {"a eq b and \"x\\q\"", "bad escape '\\q' at column 14"},
      {"\"", "unterminated string at column 1"},
  });
}

TEST_CASE("nesting is limited to 64 parentheses without exhausting the stack") {
  std::string ok = std::string(64, '(') + "a eq b" + std::string(64, ')');
  CHECK_EQ(Parse(ok), "a eq <b>");
  std::string deep = std::string(65, '(') + "a eq b" + std::string(65, ')');
  CHECK_EQ(ErrorOf(deep), "expression nested deeper than 64 at column 65");
  CHECK_EQ(ErrorOf(std::string(100000, '(')), "expression nested deeper than 64 at column 65");

  std::string long_chain = "a eq b";
  for (int i = 0; i < 5000; ++i) long_chain += " and a eq b";
  util::Result<FilterNode> chain = ParseFilter(long_chain);
  REQUIRE(chain.ok());
  CHECK_EQ(chain->children.size(), 5001);
}

TEST_CASE("SplitAggregate splits FUNC(NAME) and rejects everything else") {
  struct SplitCase {
    std::string attribute;
    bool is_aggregate;
    std::string function;
    std::string column;
  };
  std::vector<SplitCase> cases = {
      {"SUM(EventCount)", true, "SUM", "EventCount"},
      {"dcount(DeviceId)", true, "dcount", "DeviceId"},
      {"EventType", false, "", ""},
      {"SUM()", false, "", ""},
      {"SUM(a b)", false, "", ""},
      {"(x)", false, "", ""},
      {"SUM(x", false, "", ""},
      {"SUM(x))", false, "", ""},
  };
  for (const SplitCase& c : cases) {
    CAPTURE(c.attribute);
    std::string function;
    std::string column;
    CHECK_EQ(SplitAggregate(c.attribute, &function, &column), c.is_aggregate);
    CHECK_EQ(function, c.function);
    CHECK_EQ(column, c.column);
  }
  CHECK(SplitAggregate("SUM(EventCount)", nullptr, nullptr));
}

TEST_CASE("Comparisons lists every comparison in order") {
  util::Result<FilterNode> result =
      ParseFilter("a eq 1 or (b eq 2 and (c eq 3 or d eq 4)) or e eq 5");
  REQUIRE(result.ok());
  std::vector<std::string> attributes;
  for (const FilterNode* node : Comparisons(*result)) attributes.push_back(node->attribute);
  CHECK_EQ(attributes, std::vector<std::string>{"a", "b", "c", "d", "e"});

  util::Result<FilterNode> single = ParseFilter("a eq 1");
  REQUIRE(single.ok());
  std::vector<const FilterNode*> only = Comparisons(*single);
  REQUIRE_EQ(only.size(), 1);
  CHECK_EQ(only[0], &*single);
}

}  // namespace
}  // namespace hdc::config
