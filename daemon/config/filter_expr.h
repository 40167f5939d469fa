// The where/having expression language of job definitions.
//
//   expr    := and_expr { "or" and_expr }          ("or" binds looser than "and")
//   and_expr:= primary { "and" primary }
//   primary := "(" expr ")" | compare
//   compare := attr OP value | attr "in" "(" value { "," value } ")"
//   attr    := NAME | FUNC "(" NAME ")"            e.g. EventType, SUM(EventCount)
//   OP      := eq | neq | lt | gt | lte | gte | like   (keywords case-insensitive)
//   value   := bare word (no whitespace, quotes, parentheses or commas; taken literally)
//            | "double quoted" with \" and \\ escapes
//
// Parsing yields a small syntax tree; the template builder in reconcile/
// turns it into the API's condition JSON, and job validation checks the
// attribute names against the view's columns. Parsing is pure: text in, tree
// or a one-line error naming the 1-based column where it failed out.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace hdc::config {

struct FilterNode {
  enum class Kind { kAnd, kOr, kCompare };
  Kind kind = Kind::kCompare;

  // kAnd / kOr: two or more children. Nested groups of the same kind are
  // flattened ("a and (b and c)" has three children).
  std::vector<FilterNode> children;

  // kCompare:
  std::string attribute;            // "EventType" or "SUM(EventCount)" (spaces removed)
  std::string op;                   // lower case: eq neq lt gt lte gte like in
  std::vector<std::string> values;  // one value, or the list of an "in"
  int column = 0;                   // 1-based column of the attribute in the text

  bool operator==(const FilterNode&) const = default;
};

// Parses an expression. Errors are kConfig with messages like
// "expected a value after 'eq' at column 18".
util::Result<FilterNode> ParseFilter(std::string_view text);

// Splits "SUM(EventCount)" into ("SUM", "EventCount"); returns false for a
// plain column name. The function is returned as written.
bool SplitAggregate(std::string_view attribute, std::string* function, std::string* column);

// Every comparison of the tree, in order (for validation).
std::vector<const FilterNode*> Comparisons(const FilterNode& root);

}  // namespace hdc::config
