// Report templates (docs/hdc-api.md §Template body): validation of the JSON body into a
// TemplateSpec, and evaluation of its condition grammar against rows.
//
// ParseTemplate is the emulator's own reading of the contract: views, columns
// per view, periods, operators and functions (any case), limit >= 0, unknown
// members refused. A refusal's message starts with an error code word
// ("InvalidColumn: ...") that the routes put into the envelope. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "emulator/catalogue.h"
#include "util/result.h"

namespace hdc::emulator {

enum class AggFunc { kNone, kSum, kAvg, kCount, kDcount, kMax, kMin };
enum class Op { kIn, kEq, kNeq, kLt, kGt, kLte, kGte, kLike };

// A column, or an aggregate of one ("SUM(EventCount)").
struct Attribute {
  int column = 0;
  AggFunc func = AggFunc::kNone;
  std::string text;  // as sent, trimmed: the output column name of an aggregate
  bool SameAs(const Attribute& o) const { return column == o.column && func == o.func; }
  bool IsNumeric() const;
};

struct Condition;
struct Comparison {
  Attribute attribute;
  Op op = Op::kEq;
  std::vector<std::string> values;  // one, or several for `in`
};
struct ConditionItem {
  std::shared_ptr<Comparison> comparison;  // exactly one of the two is set
  std::shared_ptr<Condition> group;
};
// All of `all` AND any of `any` (an empty list does not constrain).
struct Condition {
  std::vector<ConditionItem> all;
  std::vector<ConditionItem> any;
  bool empty() const { return all.empty() && any.empty(); }
};

struct OrderKey {
  Attribute attribute;
  bool descending = false;
};

struct TemplateSpec {
  View view = View::kIhvDriver;
  std::vector<int> projection;
  int period_days = 7;
  Condition condition;
  std::vector<Attribute> aggregates;
  Condition having;
  std::vector<OrderKey> order;
  std::uint64_t limit = 0;  // 0: all rows
  bool aggregated() const { return !aggregates.empty(); }
};

util::Result<TemplateSpec> ParseTemplate(const nlohmann::json& body);

// The value of an attribute in the row being tested.
using AttributeValue = std::function<std::string(const Attribute&)>;
bool Evaluate(const Condition& condition, const AttributeValue& value);
bool Compare(const Comparison& c, std::string_view actual);
// Three-way compare of two values of an attribute (numeric when it is numeric).
int CompareValues(const Attribute& a, std::string_view x, std::string_view y);
// SQL LIKE with % and _, case-insensitive.
bool LikeMatch(std::string_view text, std::string_view pattern);

}  // namespace hdc::emulator
