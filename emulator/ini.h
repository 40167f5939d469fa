// A tiny INI reader for the emulator's own files (--faults). The emulator
// shares no code with the daemon's config module, so it carries this one.
//
// Syntax, as the project's INI files: "[name]" or "[type label]" section
// headers, "key = value" lines, blank lines, whole-line comments starting
// with ';' or '#', and inline comments starting with ';' or '#' after
// whitespace. Keys and values are trimmed; a key before any section, a line
// without '=' or a malformed header is an error "FILE:LINE: message".
// Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace hdc::emulator {

struct IniEntry {
  std::string key;
  std::string value;
  int line = 0;
};

struct IniSection {
  std::string type;   // "settings", "fault"
  std::string label;  // "NAME" of "[fault NAME]"; empty for "[settings]"
  int line = 0;
  std::vector<IniEntry> entries;
};

// `file` names the text in error messages.
util::Result<std::vector<IniSection>> ParseIni(std::string_view text, const std::string& file);

// "FILE:LINE: message" as a usage error.
util::Status IniError(const std::string& file, int line, const std::string& message);

}  // namespace hdc::emulator
