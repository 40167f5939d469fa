#include "emulator/json_util.h"

#include <cctype>
#include <charconv>

#include "util/strings.h"
#include "util/time_format.h"

namespace hdc::emulator {

const Json* FindMember(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (util::EqualsIgnoreCase(util::Trim(it.key()), key)) return &it.value();
  }
  return nullptr;
}

std::optional<long long> IntMember(const Json& obj, std::string_view key) {
  const Json* v = FindMember(obj, key);
  if (v == nullptr) return std::nullopt;
  if (v->is_number_integer()) return v->get<long long>();
  if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    long long n = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), n);
    if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return n;
  }
  return std::nullopt;
}

Json PascalKeys(const Json& j) {
  if (j.is_array()) {
    Json out = Json::array();
    for (const auto& e : j) out.push_back(PascalKeys(e));
    return out;
  }
  if (!j.is_object()) return j;
  Json out = Json::object();
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string key = it.key();
    if (!key.empty()) key[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(key[0])));
    out[key] = PascalKeys(it.value());
  }
  return out;
}

Json IdsAsStrings(const Json& j) {
  if (j.is_array()) {
    Json out = Json::array();
    for (const auto& e : j) out.push_back(IdsAsStrings(e));
    return out;
  }
  if (!j.is_object()) return j;
  Json out = Json::object();
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool id = util::EqualsIgnoreCase(it.key(), "templateId") ||
              util::EqualsIgnoreCase(it.key(), "reportId");
    if (id && it.value().is_number_integer()) {
      out[it.key()] = std::to_string(it.value().get<long long>());
    } else {
      out[it.key()] = IdsAsStrings(it.value());
    }
  }
  return out;
}

std::string ListingDatetime(std::chrono::sys_time<std::chrono::milliseconds> t) {
  std::string s = util::FormatTimestamp(t, /*with_millis=*/true);  // ...:ss.mmmZ
  s.pop_back();                                                    // no zone
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

}  // namespace hdc::emulator
