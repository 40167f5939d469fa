// Run-time knobs of the emulator: dataset shape, execution timing, report
// file format variants and the contract quirks (docs/hdc-api.md §Emulator).
//
// A plain value type. The command line (--set key=value and its aliases) and
// POST /_emulator/settings both go through ApplySetting, so every knob has one
// name, one parser and one documented default (SettingsHelp()).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "util/result.h"

namespace hdc::emulator {

struct Settings {
  // Dataset.
  std::uint64_t rows_per_execution = 200;  // raw rows before conditions
  std::uint64_t cab_size = 64 * 1024;      // bytes per cab file
  int cab_every_hours = 6;                 // ~1 cab per failure per N hours; 0: 1 per row
  // Executions.
  double failure_probability = 0.0;             // seeded per execution
  std::chrono::seconds pending_duration{600};   // Pending for this long
  std::chrono::seconds running_duration{1200};  // then In Progress
  std::chrono::seconds flip_failed_after{0};    // 0: Failed stays Failed
  // Tokens.
  std::chrono::seconds token_lifetime{3600};
  // Report file format (★ defaults: tab, no BOM, CRLF, minimal quoting).
  char delimiter = '\t';
  bool bom = false;
  bool crlf = true;
  bool quote_all = false;
  // Quirks.
  std::string errors_style = "documented";  // documented | null | empty | absent
  bool ids_as_strings = false;
  bool pascal_keys = false;
  bool expires_in_number = false;
};

// Sets one knob from its text form ("rows_per_execution", "20000").
util::Status ApplySetting(Settings& s, std::string_view key, std::string_view value);
// Applies every member of a JSON object (values may be strings, numbers or bools).
util::Status ApplySettings(Settings& s, const nlohmann::json& object);
nlohmann::json SettingsToJson(const Settings& s);
// One line per knob: name, default, meaning (for --help).
std::string SettingsHelp();
// A short string that changes when a knob affecting blob bytes changes.
std::string BlobFingerprint(const Settings& s);

}  // namespace hdc::emulator
