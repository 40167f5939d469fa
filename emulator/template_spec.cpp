#include "emulator/template_spec.h"

#include <array>
#include <charconv>
#include <cstdlib>
#include <set>
#include <utility>

#include "emulator/json_util.h"
#include "util/strings.h"

namespace hdc::emulator {
namespace {

using Json = nlohmann::json;

util::Status Invalid(std::string_view code, std::string message) {
  return util::BadDataError(std::string(code) + ": " + message);
}

constexpr std::array<std::pair<std::string_view, AggFunc>, 6> kFuncs{{{"SUM", AggFunc::kSum},
                                                                      {"AVG", AggFunc::kAvg},
                                                                      {"COUNT", AggFunc::kCount},
                                                                      {"DCOUNT", AggFunc::kDcount},
                                                                      {"MAX", AggFunc::kMax},
                                                                      {"MIN", AggFunc::kMin}}};

constexpr std::array<std::pair<std::string_view, Op>, 8> kOps{{{"in", Op::kIn},
                                                               {"eq", Op::kEq},
                                                               {"neq", Op::kNeq},
                                                               {"lt", Op::kLt},
                                                               {"gt", Op::kGt},
                                                               {"lte", Op::kLte},
                                                               {"gte", Op::kGte},
                                                               {"like", Op::kLike}}};

// What an attribute may be in a given place of the template.
struct AttributeRules {
  View view;
  bool allow_column = true;
  bool allow_aggregate = false;
  const std::vector<int>* columns = nullptr;  // when set, plain columns must be in it
};

util::Result<Attribute> ParseAttribute(const Json* j, const AttributeRules& rules) {
  if (j == nullptr || !j->is_string())
    return Invalid("InvalidAttribute", "attribute must be a string");
  Attribute a;
  a.text = util::Trim(j->get<std::string>());
  std::string column_text = a.text;
  const auto open = a.text.find('(');
  if (open != std::string::npos) {
    if (a.text.back() != ')') return Invalid("InvalidFunction", "bad aggregate '" + a.text + "'");
    const std::string func(util::Trim(a.text.substr(0, open)));
    for (const auto& [name, f] : kFuncs) {
      if (util::EqualsIgnoreCase(name, func)) a.func = f;
    }
    if (a.func == AggFunc::kNone)
      return Invalid("InvalidFunction", "unknown function '" + func + "'");
    column_text = util::Trim(a.text.substr(open + 1, a.text.size() - open - 2));
  }
  auto column = FindColumn(column_text);
  if (!column || !ColumnInView(*column, rules.view)) {
    return Invalid("InvalidColumn", "column '" + column_text + "' is not in view " +
                                        std::string(ViewName(rules.view)));
  }
  a.column = *column;
  if (a.func != AggFunc::kNone) {
    if (!rules.allow_aggregate)
      return Invalid("InvalidAttribute", "aggregate '" + a.text + "' not allowed here");
    if ((a.func == AggFunc::kSum || a.func == AggFunc::kAvg) && !ColumnIsNumeric(a.column))
      return Invalid("InvalidFunction", a.text + ": column is not numeric");
  } else {
    if (!rules.allow_column)
      return Invalid("InvalidAttribute", "'" + a.text + "' must be an aggregate");
    if (rules.columns != nullptr &&
        std::find(rules.columns->begin(), rules.columns->end(), a.column) == rules.columns->end())
      return Invalid("InvalidAttribute", "'" + a.text + "' is not a projected column");
  }
  return a;
}

util::Result<Condition> ParseCondition(const Json& j, const AttributeRules& rules, int depth);

util::Result<ConditionItem> ParseItem(const Json& j, const AttributeRules& rules, int depth) {
  if (!j.is_object()) return Invalid("InvalidCondition", "condition item must be an object");
  ConditionItem item;
  if (const Json* nested = FindMember(j, "condition")) {
    auto c = ParseCondition(*nested, rules, depth + 1);
    if (!c.ok()) return c.status();
    item.group = std::make_shared<Condition>(std::move(*c));
    return item;
  }
  auto attr = ParseAttribute(FindMember(j, "attribute"), rules);
  if (!attr.ok()) return attr.status();
  auto cmp = std::make_shared<Comparison>();
  cmp->attribute = *attr;
  const Json* op = FindMember(j, "operator");
  if (op == nullptr || !op->is_string()) return Invalid("InvalidOperator", "missing operator");
  bool found = false;
  for (const auto& [name, o] : kOps) {
    if (util::EqualsIgnoreCase(name, util::Trim(op->get<std::string>()))) cmp->op = o, found = true;
  }
  if (!found)
    return Invalid("InvalidOperator", "unknown operator '" + op->get<std::string>() + "'");
  const Json* value = FindMember(j, "value");
  if (value == nullptr) return Invalid("InvalidCondition", "missing value");
  auto add = [&](const Json& v) {
    cmp->values.push_back(v.is_string() ? v.get<std::string>() : v.dump());
  };
  if (value->is_array()) {
    for (const auto& v : *value) add(v);
  } else if (cmp->op == Op::kIn && value->is_string()) {
    std::string s = value->get<std::string>();
    for (size_t b = 0;;) {
      size_t e = s.find(',', b);
      cmp->values.emplace_back(util::Trim(s.substr(b, e == std::string::npos ? e : e - b)));
      if (e == std::string::npos) break;
      b = e + 1;
    }
  } else {
    add(*value);
  }
  if (cmp->values.empty()) return Invalid("InvalidCondition", "empty value");
  item.comparison = std::move(cmp);
  return item;
}

util::Result<Condition> ParseCondition(const Json& j, const AttributeRules& rules, int depth) {
  if (depth > 16) return Invalid("InvalidCondition", "conditions nested too deeply");
  Condition c;
  if (j.is_null()) return c;
  if (!j.is_object()) return Invalid("InvalidCondition", "condition must be an object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string key = util::ToLower(util::Trim(it.key()));
    if (key != "and" && key != "or")
      return Invalid("InvalidCondition", "unknown member '" + it.key() + "'");
    if (!it.value().is_array())
      return Invalid("InvalidCondition", "'" + key + "' must be an array");
    for (const auto& e : it.value()) {
      auto item = ParseItem(e, rules, depth);
      if (!item.ok()) return item.status();
      (key == "and" ? c.all : c.any).push_back(std::move(*item));
    }
  }
  return c;
}

util::Status ParseProjection(const Json* j, TemplateSpec& t) {
  if (j == nullptr || !j->is_array() || j->empty())
    return Invalid("InvalidProjection", "projection must be a non-empty array of column names");
  for (const auto& e : *j) {
    auto a = ParseAttribute(&e, {t.view});
    if (!a.ok()) return a.status();
    t.projection.push_back(a->column);
  }
  return {};
}

util::Status ParseAggregation(const Json* j, TemplateSpec& t) {
  if (j == nullptr || j->is_null()) return {};
  if (!j->is_object()) return Invalid("InvalidAggregation", "aggregation must be an object");
  for (auto it = j->begin(); it != j->end(); ++it) {
    const std::string key = util::ToLower(util::Trim(it.key()));
    if (key != "aggregatedcolumns" && key != "condition")
      return Invalid("UnknownProperty", "aggregation." + it.key());
  }
  if (const Json* cols = FindMember(*j, "aggregatedColumns")) {
    if (!cols->is_array())
      return Invalid("InvalidAggregation", "aggregatedColumns must be an array");
    for (const auto& e : *cols) {
      auto a = ParseAttribute(&e, {t.view, false, true});
      if (!a.ok()) return a.status();
      t.aggregates.push_back(*a);
    }
  }
  if (const Json* cond = FindMember(*j, "condition")) {
    auto c = ParseCondition(*cond, {t.view, true, true, &t.projection}, 0);
    if (!c.ok()) return c.status();
    if (!c->empty() && t.aggregates.empty())
      return Invalid("InvalidAggregation", "aggregation.condition without aggregatedColumns");
    t.having = std::move(*c);
  }
  return {};
}

util::Status ParseOrder(const Json* j, TemplateSpec& t) {
  if (j == nullptr || j->is_null()) return {};
  if (!j->is_array()) return Invalid("InvalidOrderBy", "orderby must be an array");
  AttributeRules rules{t.view, true, t.aggregated(), t.aggregated() ? &t.projection : nullptr};
  for (const auto& e : *j) {
    if (!e.is_object()) return Invalid("InvalidOrderBy", "orderby item must be an object");
    auto a = ParseAttribute(FindMember(e, "attribute"), rules);
    if (!a.ok()) return a.status();
    OrderKey key{*a, false};
    if (const Json* sort = FindMember(e, "sort")) {
      const std::string s =
          sort->is_string() ? util::ToLower(util::Trim(sort->get<std::string>())) : "";
      if (s != "asc" && s != "desc") return Invalid("InvalidOrderBy", "sort must be asc or desc");
      key.descending = s == "desc";
    }
    t.order.push_back(key);
  }
  return {};
}

util::Status ParseLimit(const Json* j, TemplateSpec& t) {
  if (j == nullptr || j->is_null()) return {};
  if (j->is_number_unsigned()) {
    t.limit = j->get<std::uint64_t>();
    return {};
  }
  return Invalid("InvalidLimit", "limit must be an integer >= 0");
}

util::Status CheckMembers(const Json& body) {
  static constexpr std::array<std::string_view, 7> kKnown{
      "view", "projection", "daterange", "condition", "aggregation", "orderby", "limit"};
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string key = util::ToLower(util::Trim(it.key()));
    if (std::find(kKnown.begin(), kKnown.end(), key) == kKnown.end())
      return Invalid("UnknownProperty", "unknown template member '" + it.key() + "'");
  }
  return {};
}

}  // namespace

bool Attribute::IsNumeric() const {
  switch (func) {
    case AggFunc::kCount:
    case AggFunc::kDcount:
    case AggFunc::kSum:
    case AggFunc::kAvg:
      return true;
    default:
      return ColumnIsNumeric(column);
  }
}

util::Result<TemplateSpec> ParseTemplate(const nlohmann::json& body) {
  if (!body.is_object()) return Invalid("MalformedBody", "template must be a JSON object");
  HDC_RETURN_IF_ERROR(CheckMembers(body));
  TemplateSpec t;
  const Json* view = FindMember(body, "view");
  if (view == nullptr || !view->is_string() || !ParseView(view->get<std::string>()))
    return Invalid("InvalidView", "view must be IHVDriver or OEMDriver");
  t.view = *ParseView(view->get<std::string>());
  HDC_RETURN_IF_ERROR(ParseProjection(FindMember(body, "projection"), t));
  const Json* range = FindMember(body, "dateRange");
  const Json* period = range != nullptr ? FindMember(*range, "reportPeriod") : nullptr;
  if (period == nullptr || !period->is_string() || !PeriodDays(period->get<std::string>()))
    return Invalid("InvalidReportPeriod", "dateRange.reportPeriod must be Yesterday or LastNDays");
  t.period_days = *PeriodDays(period->get<std::string>());
  if (const Json* cond = FindMember(body, "condition")) {
    auto c = ParseCondition(*cond, {t.view}, 0);
    if (!c.ok()) return c.status();
    t.condition = std::move(*c);
  }
  HDC_RETURN_IF_ERROR(ParseAggregation(FindMember(body, "aggregation"), t));
  HDC_RETURN_IF_ERROR(ParseOrder(FindMember(body, "orderby"), t));
  HDC_RETURN_IF_ERROR(ParseLimit(FindMember(body, "limit"), t));
  return t;
}

namespace {

bool ParseNumber(std::string_view s, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  const std::string copy(s);
  *out = std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size();
}

int CompareText(std::string_view a, std::string_view b) {
  const std::string x = util::ToLower(a), y = util::ToLower(b);
  return x < y ? -1 : (x > y ? 1 : 0);
}

bool ItemHolds(const ConditionItem& item, const AttributeValue& value) {
  if (item.group) return Evaluate(*item.group, value);
  return Compare(*item.comparison, value(item.comparison->attribute));
}

}  // namespace

int CompareValues(const Attribute& a, std::string_view x, std::string_view y) {
  double dx = 0, dy = 0;
  if (a.IsNumeric() && ParseNumber(x, &dx) && ParseNumber(y, &dy))
    return dx < dy ? -1 : (dx > dy ? 1 : 0);
  return CompareText(x, y);
}

bool LikeMatch(std::string_view text, std::string_view pattern) {
  // Iterative wildcard match with backtracking on the last '%'.
  size_t t = 0, p = 0, star = std::string_view::npos, mark = 0;
  auto low = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '_' || low(pattern[p]) == low(text[t]))) {
      ++t, ++p;
    } else if (p < pattern.size() && pattern[p] == '%') {
      star = p++, mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1, t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '%') ++p;
  return p == pattern.size();
}

bool Compare(const Comparison& c, std::string_view actual) {
  const Attribute& a = c.attribute;
  switch (c.op) {
    case Op::kIn:
      for (const auto& v : c.values) {
        if (CompareValues(a, actual, v) == 0) return true;
      }
      return false;
    case Op::kEq:
      return CompareValues(a, actual, c.values[0]) == 0;
    case Op::kNeq:
      return CompareValues(a, actual, c.values[0]) != 0;
    case Op::kLt:
      return CompareValues(a, actual, c.values[0]) < 0;
    case Op::kGt:
      return CompareValues(a, actual, c.values[0]) > 0;
    case Op::kLte:
      return CompareValues(a, actual, c.values[0]) <= 0;
    case Op::kGte:
      return CompareValues(a, actual, c.values[0]) >= 0;
    case Op::kLike:
      return LikeMatch(actual, c.values[0]);
  }
  return false;
}

bool Evaluate(const Condition& condition, const AttributeValue& value) {
  for (const auto& item : condition.all) {
    if (!ItemHolds(item, value)) return false;
  }
  if (condition.any.empty()) return true;
  for (const auto& item : condition.any) {
    if (ItemHolds(item, value)) return true;
  }
  return false;
}

}  // namespace hdc::emulator
