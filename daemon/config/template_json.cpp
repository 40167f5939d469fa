#include "config/template_json.h"

#include <array>

#include <nlohmann/json.hpp>

namespace hdc::config {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 8> kOperators{"in", "eq",  "neq", "lt",
                                                     "gt", "lte", "gte", "like"};

// Member lookup with the key matched trimmed and case-insensitively
// (docs/hdc-api.md §Endpoints: property names are matched case-insensitively).
const json* Member(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  for (auto it = object.begin(); it != object.end(); ++it) {
    std::string_view k = it.key();
    while (!k.empty() && k.front() == ' ') k.remove_prefix(1);
    while (!k.empty() && k.back() == ' ') k.remove_suffix(1);
    if (EqualsIgnoreCase(k, key)) return &it.value();
  }
  return nullptr;
}

std::string Trimmed(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

util::Result<std::string> ScalarText(const json& value, const std::string& where) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<long long>());
  if (value.is_number()) return value.dump();
  return util::ConfigError(where + ": expected a string or a number");
}

util::Result<std::optional<FilterNode>> ParseCondition(const json& condition,
                                                       const std::string& where, int depth);

util::Result<FilterNode> ParseItem(const json& item, const std::string& where, int depth) {
  if (const json* nested = Member(item, "condition")) {
    auto group = ParseCondition(*nested, where, depth + 1);
    if (!group.ok()) return group.status();
    if (!group->has_value()) return util::ConfigError(where + ": empty nested condition");
    return std::move(**group);
  }
  const json* attribute = Member(item, "attribute");
  const json* op = Member(item, "operator");
  const json* value = Member(item, "value");
  if (!attribute || !attribute->is_string() || !op || !op->is_string() || !value) {
    return util::ConfigError(where + ": each item needs attribute, operator and value");
  }
  FilterNode node;
  node.attribute = Trimmed(attribute->get<std::string>());
  for (char c : op->get<std::string>()) {
    node.op += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (std::find(kOperators.begin(), kOperators.end(), node.op) == kOperators.end()) {
    return util::ConfigError(where + ": unknown operator '" + op->get<std::string>() + "'");
  }
  if (value->is_array()) {
    if (node.op != "in") return util::ConfigError(where + ": a list value needs operator in");
    for (const json& v : *value) {
      auto text = ScalarText(v, where);
      if (!text.ok()) return text.status();
      node.values.push_back(*text);
    }
  } else {
    auto text = ScalarText(*value, where);
    if (!text.ok()) return text.status();
    if (node.op == "in") {
      // docs/hdc-api.md §Template body: "in" may also come as one comma-separated string.
      size_t pos = 0;
      while (pos <= text->size()) {
        size_t end = text->find(',', pos);
        if (end == std::string::npos) end = text->size();
        node.values.push_back(Trimmed(text->substr(pos, end - pos)));
        pos = end + 1;
      }
    } else {
      node.values.push_back(*text);
    }
  }
  if (node.values.empty()) return util::ConfigError(where + ": empty 'in' list");
  return node;
}

util::Result<std::optional<FilterNode>> ParseCondition(const json& condition,
                                                       const std::string& where, int depth) {
  if (depth > 32) return util::ConfigError(where + ": nested deeper than 32");
  if (!condition.is_object()) return util::ConfigError(where + ": expected an object");
  const json* all = Member(condition, "and");
  const json* any = Member(condition, "or");
  const bool has_all = all && all->is_array() && !all->empty();
  const bool has_any = any && any->is_array() && !any->empty();
  if (has_all && has_any) {
    return util::ConfigError(where +
                             ": both 'and' and 'or' are non-empty; nest one inside the "
                             "other with {\"condition\": ...}");
  }
  if (!has_all && !has_any) return std::optional<FilterNode>();
  const json& items = has_all ? *all : *any;
  const auto kind = has_all ? FilterNode::Kind::kAnd : FilterNode::Kind::kOr;
  FilterNode group;
  group.kind = kind;
  for (const json& item : items) {
    auto node = ParseItem(item, where, depth);
    if (!node.ok()) return node.status();
    if (node->kind == kind) {  // flatten same-kind groups, as the INI parser does
      for (FilterNode& child : node->children) group.children.push_back(std::move(child));
    } else {
      group.children.push_back(std::move(node).value());
    }
  }
  // A group of one means the same under "and" and "or" (docs/hdc-api.md §Sample templates).
  if (group.children.size() == 1) return std::optional<FilterNode>(std::move(group.children[0]));
  return std::optional<FilterNode>(std::move(group));
}

util::Status ParseStringList(const json* list, const std::string& where,
                             std::vector<std::string>* out) {
  if (!list) return util::Status::Ok();
  if (!list->is_array()) return util::ConfigError(where + ": expected an array of strings");
  for (const json& item : *list) {
    if (!item.is_string()) return util::ConfigError(where + ": expected an array of strings");
    out->push_back(Trimmed(item.get<std::string>()));
  }
  return util::Status::Ok();
}

util::Status ParseOrderBy(const json* list, const std::string& where, std::vector<OrderBy>* out) {
  if (!list) return util::Status::Ok();
  if (!list->is_array()) return util::ConfigError(where + ": expected an array");
  for (const json& item : *list) {
    const json* attribute = Member(item, "attribute");
    if (!attribute || !attribute->is_string()) {
      return util::ConfigError(where + ": each entry needs an attribute");
    }
    OrderBy order{Trimmed(attribute->get<std::string>()), false};
    if (const json* sort = Member(item, "sort"); sort && sort->is_string()) {
      if (EqualsIgnoreCase(sort->get<std::string>(), "desc")) {
        order.descending = true;
      } else if (!EqualsIgnoreCase(sort->get<std::string>(), "asc")) {
        return util::ConfigError(where + ": sort must be asc or desc");
      }
    }
    out->push_back(order);
  }
  return util::Status::Ok();
}

util::Result<TemplateSpec> FromJson(const json& doc, const std::string& source) {
  if (!doc.is_object()) return util::ConfigError(source + ": expected a JSON object");
  TemplateSpec spec;
  const json* view = Member(doc, "view");
  if (!view || !view->is_string()) return util::ConfigError(source + ": view: missing");
  auto parsed_view = ParseView(Trimmed(view->get<std::string>()));
  if (!parsed_view) {
    return util::ConfigError(source + ": view: unknown view '" + view->get<std::string>() +
                             "'; use IHVDriver or OEMDriver");
  }
  spec.view = *parsed_view;
  HDC_RETURN_IF_ERROR(
      ParseStringList(Member(doc, "projection"), source + ": projection", &spec.projection));
  const json* range = Member(doc, "dateRange");
  const json* period = range ? Member(*range, "reportPeriod") : nullptr;
  if (!period || !period->is_string()) {
    return util::ConfigError(source + ": dateRange.reportPeriod: missing");
  }
  spec.period = Trimmed(period->get<std::string>());
  if (const json* condition = Member(doc, "condition")) {
    auto where = ParseCondition(*condition, source + ": condition", 0);
    if (!where.ok()) return where.status();
    spec.where = std::move(where).value();
  }
  if (const json* aggregation = Member(doc, "aggregation")) {
    HDC_RETURN_IF_ERROR(ParseStringList(Member(*aggregation, "aggregatedColumns"),
                                        source + ": aggregation.aggregatedColumns",
                                        &spec.aggregates));
    if (const json* condition = Member(*aggregation, "condition")) {
      auto having = ParseCondition(*condition, source + ": aggregation.condition", 0);
      if (!having.ok()) return having.status();
      spec.having = std::move(having).value();
    }
  }
  HDC_RETURN_IF_ERROR(ParseOrderBy(Member(doc, "orderby"), source + ": orderby", &spec.order_by));
  if (const json* limit = Member(doc, "limit")) {
    if (!limit->is_number_integer() || limit->get<long long>() < 0) {
      return util::ConfigError(source + ": limit: expected a whole number >= 0");
    }
    spec.limit = limit->get<long long>();
  }
  return spec;
}

// nlohmann_json's dump() and destructor recurse; refuse absurd nesting first.
bool NestingWithin(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

}  // namespace

util::Result<TemplateSpec> ParseTemplateJson(std::string_view text, const std::string& source) {
  if (!NestingWithin(text, 64)) return util::ConfigError(source + ": JSON nested deeper than 64");
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return util::ConfigError(source + ": not valid JSON");
  return FromJson(doc, source);
}

}  // namespace hdc::config
