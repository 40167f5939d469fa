#include "reconcile/normalize.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace hdc::reconcile {
namespace {

using nlohmann::json;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// The canonical spelling of a known key, matched case-insensitively.
std::string CanonicalKey(const std::string& key) {
  static constexpr std::array<const char*, 14> kKeys{
      "view",    "projection", "dateRange", "reportPeriod", "condition",   "and",
      "or",      "attribute",  "operator",  "value",        "aggregation", "aggregatedColumns",
      "orderby", "limit"};
  const std::string lower = Lower(Trim(key));
  for (const char* k : kKeys) {
    if (Lower(k) == lower) return k;
  }
  if (lower == "sort") return "sort";
  return Trim(key);
}

// Keys canonicalised, recursively.
json CanonicalKeys(const json& value) {
  if (value.is_object()) {
    json out = json::object();
    for (auto it = value.begin(); it != value.end(); ++it) {
      out[CanonicalKey(it.key())] = CanonicalKeys(it.value());
    }
    return out;
  }
  if (value.is_array()) {
    json out = json::array();
    for (const json& item : value) out.push_back(CanonicalKeys(item));
    return out;
  }
  return value;
}

// The string member `key` of an object, or "" when absent or not a string.
std::string Str(const json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string ScalarText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  return v.dump();
}

// "sum( EventCount )" -> "SUM(EventCount)"; plain names trimmed.
std::string CanonicalAttribute(const std::string& text) {
  std::string compact;
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) compact += c;
  }
  const size_t open = compact.find('(');
  if (open == std::string::npos || compact.back() != ')') return compact;
  std::string function = compact.substr(0, open);
  for (char& c : function) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return function + compact.substr(open);
}

json NormaliseCondition(const json& condition);

json NormaliseItem(const json& item) {
  if (item.is_object() && item.contains("condition")) {
    json inner = NormaliseCondition(item["condition"]);
    // A nested group of one item is that item.
    for (const char* kind : {"and", "or"}) {
      if (inner.contains(kind) && inner[kind].size() == 1) return inner[kind][0];
    }
    return json{{"condition", inner}};
  }
  json out;
  out["attribute"] = CanonicalAttribute(Str(item, "attribute"));
  const std::string op = Lower(Str(item, "operator"));
  out["operator"] = op;
  const json value = item.is_object() && item.contains("value") ? item["value"] : json("");
  if (op == "in") {
    json values = json::array();
    if (value.is_array()) {
      for (const json& v : value) values.push_back(Trim(ScalarText(v)));
    } else {
      const std::string text = ScalarText(value);
      size_t pos = 0;
      while (pos <= text.size()) {
        size_t end = text.find(',', pos);
        if (end == std::string::npos) end = text.size();
        values.push_back(Trim(text.substr(pos, end - pos)));
        pos = end + 1;
      }
    }
    out["value"] = values;
  } else {
    out["value"] = ScalarText(value);
  }
  return out;
}

json NormaliseCondition(const json& condition) {
  if (!condition.is_object()) return json::object();
  json out = json::object();
  for (const char* kind : {"and", "or"}) {
    if (!condition.contains(kind) || !condition[kind].is_array() || condition[kind].empty()) {
      continue;
    }
    json items = json::array();
    for (const json& item : condition[kind]) items.push_back(NormaliseItem(item));
    out[kind] = items;
  }
  // A group of one means the same under either kind.
  if (out.size() == 1 && out.contains("or") && out["or"].size() == 1) {
    out = json{{"and", out["or"]}};
  }
  return out;
}

json NormaliseChecked(const json& body);

}  // namespace

json NormaliseTemplate(const json& body) {
  // Server data is untrusted: a shape nlohmann_json refuses to convert makes
  // the template simply unequal to ours (it is never adopted).
  try {
    return NormaliseChecked(body);
  } catch (const json::exception&) {
    return json{{"unreadable", body.dump()}};
  }
}

namespace {

json NormaliseChecked(const json& body) {
  json t = CanonicalKeys(body);
  json out = json::object();
  if (t.contains("view") && t["view"].is_string()) out["view"] = Trim(t["view"].get<std::string>());
  if (t.contains("projection")) {
    json projection = json::array();
    for (const json& c : t["projection"]) projection.push_back(Trim(ScalarText(c)));
    out["projection"] = projection;
  }
  if (t.contains("dateRange") && t["dateRange"].contains("reportPeriod")) {
    out["dateRange"] = {{"reportPeriod", Trim(ScalarText(t["dateRange"]["reportPeriod"]))}};
  }
  if (t.contains("condition")) {
    json condition = NormaliseCondition(t["condition"]);
    if (!condition.empty()) out["condition"] = condition;
  }
  if (t.contains("aggregation") && t["aggregation"].is_object()) {
    json aggregation = json::object();
    const json& a = t["aggregation"];
    if (a.contains("aggregatedColumns") && !a["aggregatedColumns"].empty()) {
      json columns = json::array();
      for (const json& c : a["aggregatedColumns"])
        columns.push_back(CanonicalAttribute(ScalarText(c)));
      aggregation["aggregatedColumns"] = columns;
    }
    if (a.contains("condition")) {
      json condition = NormaliseCondition(a["condition"]);
      if (!condition.empty()) aggregation["condition"] = condition;
    }
    if (!aggregation.empty()) out["aggregation"] = aggregation;
  }
  if (t.contains("orderby") && t["orderby"].is_array() && !t["orderby"].empty()) {
    json order = json::array();
    for (const json& o : t["orderby"]) {
      order.push_back({{"attribute", CanonicalAttribute(Str(o, "attribute"))},
                       {"sort", Lower(Str(o, "sort")) == "desc" ? "desc" : "asc"}});
    }
    out["orderby"] = order;
  }
  if (t.contains("limit") && t["limit"].is_number_integer() && t["limit"].get<long long>() > 0) {
    out["limit"] = t["limit"];
  }
  return out;
}

}  // namespace
}  // namespace hdc::reconcile
