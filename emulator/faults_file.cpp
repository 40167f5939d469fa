#include "emulator/faults_file.h"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "emulator/ini.h"

namespace hdc::emulator {
namespace {

template <typename Int>
bool ParseInt(std::string_view v, Int* out) {
  auto r = std::from_chars(v.data(), v.data() + v.size(), *out);
  return !v.empty() && r.ec == std::errc() && r.ptr == v.data() + v.size();
}

bool ParseDouble(const std::string& v, double* out) {
  if (v.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(v.c_str(), &end);
  return end == v.c_str() + v.size();
}

using KeyParser = std::function<bool(FaultRule&, const std::string&, std::string* why)>;

template <typename Int>
KeyParser IntKey(Int FaultRule::*field, Int low, Int high) {
  return [=](FaultRule& r, const std::string& v, std::string* why) {
    Int n{};
    if (!ParseInt(v, &n) || n < low || n > high) {
      *why = "expected a whole number from " + std::to_string(low) + " to " + std::to_string(high);
      return false;
    }
    r.*field = n;
    return true;
  };
}

const std::map<std::string, KeyParser, std::less<>>& RuleKeys() {
  static const auto* keys = new std::map<std::string, KeyParser, std::less<>>{
      {"endpoint",
       [](FaultRule& r, const std::string& v, std::string* why) {
         if (v.empty()) return *why = "empty endpoint", false;
         r.endpoint = v;
         return true;
       }},
      {"target",
       [](FaultRule& r, const std::string& v, std::string*) {
         r.target = v;
         return true;
       }},
      {"kind",
       [](FaultRule& r, const std::string& v, std::string* why) {
         auto k = ParseFaultKind(v);
         if (!k.ok()) return *why = k.status().message(), false;
         r.kind = *k;
         return true;
       }},
      {"status", IntKey<int>(&FaultRule::status, 100, 599)},
      {"retry_after", IntKey<int>(&FaultRule::retry_after_seconds, 0, 1 << 30)},
      {"retry_after_form",
       [](FaultRule& r, const std::string& v, std::string* why) {
         if (v != "seconds" && v != "date") return *why = "expected seconds or date", false;
         r.retry_after_date = v == "date";
         return true;
       }},
      {"ms", IntKey<int>(&FaultRule::ms, 0, 1 << 30)},
      {"seconds", IntKey<int>(&FaultRule::seconds, 0, 1 << 30)},
      {"rate", IntKey<int>(&FaultRule::rate, 1, 1 << 30)},
      {"bytes", IntKey<std::uint64_t>(&FaultRule::bytes, 1, kMaxLongField)},
      {"value",
       [](FaultRule& r, const std::string& v, std::string*) {
         r.value = v;
         return true;
       }},
      {"nth", IntKey<std::uint64_t>(&FaultRule::nth, 0, UINT64_MAX)},
      {"count", IntKey<std::uint64_t>(&FaultRule::count, 0, UINT64_MAX)},
      {"probability",
       [](FaultRule& r, const std::string& v, std::string* why) {
         double p = 0;
         if (!ParseDouble(v, &p) || !(p >= 0 && p <= 1))
           return *why = "expected a number from 0 to 1", false;
         r.probability = p;
         return true;
       }},
  };
  return *keys;
}

util::Result<FaultsFile> ParseJson(std::string_view text, const std::string& file,
                                   const Settings& settings) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return util::UsageError(file + ": not valid JSON");
  FaultsFile out{settings, {}};
  if (j.is_object()) {
    if (const auto it = j.find("settings"); it != j.end()) {
      auto st = ApplySettings(out.settings, *it);
      if (!st.ok()) return st.WithContext(file + ": ");
    }
  }
  auto rules = ParseFaultRules(j);
  if (!rules.ok()) return rules.status().WithContext(file + ": ");
  out.rules = std::move(*rules);
  return out;
}

util::Result<FaultsFile> ParseIniFaults(std::string_view text, const std::string& file,
                                        const Settings& settings) {
  auto sections = ParseIni(text, file);
  if (!sections.ok()) return sections.status();
  FaultsFile out{settings, {}};
  bool seen_settings = false;
  std::set<std::string> names;
  for (const IniSection& s : *sections) {
    std::set<std::string> keys;
    for (const IniEntry& e : s.entries) {
      if (!keys.insert(e.key).second)
        return IniError(file, e.line, "duplicate key '" + e.key + "'");
    }
    if (s.type == "settings") {
      if (!s.label.empty()) return IniError(file, s.line, "[settings] takes no name");
      if (seen_settings) return IniError(file, s.line, "a second [settings] section");
      seen_settings = true;
      for (const IniEntry& e : s.entries) {
        auto st = ApplySetting(out.settings, e.key, e.value);
        if (!st.ok()) return IniError(file, e.line, st.message());
      }
    } else if (s.type == "fault") {
      if (s.label.empty())
        return IniError(file, s.line, "a fault section needs a name: [fault NAME]");
      if (!names.insert(s.label).second)
        return IniError(file, s.line, "a second [fault " + s.label + "]");
      FaultRule rule;
      bool has_kind = false;
      for (const IniEntry& e : s.entries) {
        auto it = RuleKeys().find(e.key);
        if (it == RuleKeys().end())
          return IniError(file, e.line, "unknown key '" + e.key + "' in [fault " + s.label + "]");
        std::string why;
        if (!it->second(rule, e.value, &why)) return IniError(file, e.line, e.key + ": " + why);
        has_kind = has_kind || e.key == "kind";
      }
      if (!has_kind) return IniError(file, s.line, "[fault " + s.label + "] has no kind");
      auto checked = CheckValue(rule);
      if (!checked.ok()) return IniError(file, s.line, checked.status().message());
      out.rules.push_back(*checked);
    } else {
      return IniError(file, s.line,
                      "unknown section [" + s.type + (s.label.empty() ? "" : " " + s.label) +
                          "] (expected [settings] or [fault NAME])");
    }
  }
  return out;
}

}  // namespace

bool LooksLikeJson(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return false;
  if (text[first] == '{') return true;
  if (text[first] != '[') return false;
  const size_t next = text.find_first_not_of(" \t\r\n", first + 1);
  return next != std::string_view::npos && (text[next] == '{' || text[next] == ']');
}

util::Result<FaultsFile> ParseFaultsFile(std::string_view text, const std::string& file,
                                         const Settings& settings) {
  return LooksLikeJson(text) ? ParseJson(text, file, settings)
                             : ParseIniFaults(text, file, settings);
}

util::Result<FaultsFile> LoadFaultsFile(const std::string& path, const Settings& settings) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return util::UsageError("--faults: cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return ParseFaultsFile(text.str(), path, settings);
}

}  // namespace hdc::emulator
