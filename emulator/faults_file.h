// The --faults FILE of the command line: fault rules plus knobs, in JSON
//   {"faults":[{"endpoint":"reportdata","kind":"status","status":503}], "settings":{...}}
// or in INI
//   [settings]
//   failure_probability = 0.2
//   [fault busy-reportdata]
//   endpoint = reportdata
//   kind = status
//   status = 503
// one [fault NAME] section per rule (keys as the JSON rule members), at most
// one [settings] section (keys as --set). The content decides: a first
// non-space character '{', or '[' followed by '{' or ']', means JSON;
// anything else is INI. Unknown sections or keys, duplicates and bad values
// are usage errors naming FILE:LINE. Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "emulator/faults.h"
#include "emulator/settings.h"
#include "util/result.h"

namespace hdc::emulator {

struct FaultsFile {
  Settings settings;  // the given settings with the file's knobs applied
  std::vector<FaultRule> rules;
};

// `file` names the text in error messages; `settings` is the starting point.
util::Result<FaultsFile> ParseFaultsFile(std::string_view text, const std::string& file,
                                         const Settings& settings);
// Reads and parses `path`.
util::Result<FaultsFile> LoadFaultsFile(const std::string& path, const Settings& settings);
// True when ParseFaultsFile would read `text` as JSON.
bool LooksLikeJson(std::string_view text);

}  // namespace hdc::emulator
