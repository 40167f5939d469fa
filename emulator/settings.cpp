#include "emulator/settings.h"

#include <charconv>
#include <functional>
#include <map>

#include "util/time_format.h"

namespace hdc::emulator {
namespace {

using Setter = std::function<util::Status(Settings&, std::string_view)>;

util::Status Bad(std::string_view key, std::string_view value) {
  return util::UsageError("setting " + std::string(key) + ": bad value '" + std::string(value) +
                          "'");
}

std::optional<bool> ParseBool(std::string_view v) {
  if (v == "1" || v == "true" || v == "yes" || v == "on") return true;
  if (v == "0" || v == "false" || v == "no" || v == "off") return false;
  return std::nullopt;
}

Setter Bool(bool Settings::*field) {
  return [field](Settings& s, std::string_view v) -> util::Status {
    auto b = ParseBool(v);
    if (!b) return Bad("bool", v);
    s.*field = *b;
    return {};
  };
}

Setter Seconds(std::chrono::seconds Settings::*field) {
  return [field](Settings& s, std::string_view v) -> util::Status {
    auto d = util::ParseDuration(v);
    if (!d.ok()) return Bad("duration", v);
    s.*field = *d;
    return {};
  };
}

Setter Count(std::uint64_t Settings::*field) {
  return [field](Settings& s, std::string_view v) -> util::Status {
    auto n = util::ParseByteSize(v);  // plain digits or K/M/G suffixes
    if (!n.ok()) return Bad("count", v);
    s.*field = *n;
    return {};
  };
}

const std::map<std::string, std::pair<Setter, std::string>, std::less<>>& Table() {
  static const auto* table = new std::map<std::string, std::pair<Setter, std::string>, std::less<>>{
      {"rows_per_execution",
       {Count(&Settings::rows_per_execution),
        "200     raw rows per execution (before conditions)"}},
      {"cab_size", {Count(&Settings::cab_size), "64K     size of every cab file (K/M/G)"}},
      {"cab_every_hours",
       {[](Settings& s, std::string_view v) -> util::Status {
          int n = 0;
          auto r = std::from_chars(v.data(), v.data() + v.size(), n);
          if (r.ec != std::errc() || n < 0 || n > 24 * 30) return Bad("cab_every_hours", v);
          s.cab_every_hours = n;
          return {};
        },
        "6       about one cab per failure per N hours; 0: every row its own cab"}},
      {"failure_probability",
       {[](Settings& s, std::string_view v) -> util::Status {
          try {
            double p = std::stod(std::string(v));
            if (p < 0 || p > 1) return Bad("failure_probability", v);
            s.failure_probability = p;
            return {};
          } catch (...) {
            return Bad("failure_probability", v);
          }
        },
        "0       chance that an execution ends Failed (seeded)"}},
      {"pending_duration", {Seconds(&Settings::pending_duration), "10m     time in Pending"}},
      {"running_duration", {Seconds(&Settings::running_duration), "20m     time In Progress"}},
      {"flip_failed_after",
       {Seconds(&Settings::flip_failed_after),
        "0       a Failed run turns Completed after this (0: never)"}},
      {"token_lifetime", {Seconds(&Settings::token_lifetime), "1h      access token lifetime"}},
      {"delimiter",
       {[](Settings& s, std::string_view v) -> util::Status {
          if (v == "tab")
            s.delimiter = '\t';
          else if (v == "comma")
            s.delimiter = ',';
          else
            return Bad("delimiter", v);
          return {};
        },
        "tab     report delimiter: tab or comma"}},
      {"bom", {Bool(&Settings::bom), "false   UTF-8 BOM before the header"}},
      {"line_end",
       {[](Settings& s, std::string_view v) -> util::Status {
          if (v == "crlf")
            s.crlf = true;
          else if (v == "lf")
            s.crlf = false;
          else
            return Bad("line_end", v);
          return {};
        },
        "crlf    report line ends: crlf or lf"}},
      {"quote_all", {Bool(&Settings::quote_all), "false   quote every report field"}},
      {"errors_style",
       {[](Settings& s, std::string_view v) -> util::Status {
          if (v != "documented" && v != "null" && v != "empty" && v != "absent")
            return Bad("errors_style", v);
          s.errors_style = std::string(v);
          return {};
        },
        "documented  envelope errors: documented (null on create template), null, empty, absent"}},
      {"ids_as_strings",
       {Bool(&Settings::ids_as_strings), "false   templateId/reportId as strings"}},
      {"pascal_keys",
       {Bool(&Settings::pascal_keys), "false   JSON keys with an upper-case first letter"}},
      {"expires_in_number",
       {Bool(&Settings::expires_in_number), "false   token expires_in/expires_on as numbers"}},
  };
  return *table;
}

}  // namespace

util::Status ApplySetting(Settings& s, std::string_view key, std::string_view value) {
  auto it = Table().find(key);
  if (it == Table().end()) return util::UsageError("unknown setting '" + std::string(key) + "'");
  return it->second.first(s, value);
}

util::Status ApplySettings(Settings& s, const nlohmann::json& object) {
  if (!object.is_object()) return util::UsageError("settings must be a JSON object");
  Settings copy = s;
  for (const auto& [key, value] : object.items()) {
    std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    HDC_RETURN_IF_ERROR(ApplySetting(copy, key, text));
  }
  s = copy;
  return {};
}

nlohmann::json SettingsToJson(const Settings& s) {
  return {{"rows_per_execution", s.rows_per_execution},
          {"cab_size", s.cab_size},
          {"cab_every_hours", s.cab_every_hours},
          {"failure_probability", s.failure_probability},
          {"pending_duration", util::FormatDuration(s.pending_duration)},
          {"running_duration", util::FormatDuration(s.running_duration)},
          {"flip_failed_after", util::FormatDuration(s.flip_failed_after)},
          {"token_lifetime", util::FormatDuration(s.token_lifetime)},
          {"delimiter", s.delimiter == '\t' ? "tab" : "comma"},
          {"bom", s.bom},
          {"line_end", s.crlf ? "crlf" : "lf"},
          {"quote_all", s.quote_all},
          {"errors_style", s.errors_style},
          {"ids_as_strings", s.ids_as_strings},
          {"pascal_keys", s.pascal_keys},
          {"expires_in_number", s.expires_in_number}};
}

std::string SettingsHelp() {
  std::string out;
  for (const auto& [key, entry] : Table())
    out += "  " + key + std::string(22 - key.size(), ' ') + entry.second + "\n";
  return out;
}

std::string BlobFingerprint(const Settings& s) {
  return std::to_string(s.rows_per_execution) + "/" + std::to_string(s.cab_size) + "/" +
         std::to_string(s.cab_every_hours) + "/" + (s.delimiter == '\t' ? "t" : "c") +
         (s.bom ? "b" : "") + (s.crlf ? "r" : "n") + (s.quote_all ? "q" : "");
}

}  // namespace hdc::emulator
