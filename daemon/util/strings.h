// Small ASCII string helpers shared by every module.
#pragma once

#include <string>
#include <string_view>

namespace hdc::util {

// ASCII case-insensitive equality (header names, JSON keys, columns).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// ASCII lower case.
std::string ToLower(std::string_view s);

// CON, PRN, AUX, NUL, COM0-9 and LPT0-9 (any case, with or without an
// extension) name devices on Windows, never files.
bool IsWindowsDeviceName(std::string_view name);
// RFC 3986 percent-encoding of everything but unreserved characters
// (ALPHA, DIGIT, "-", ".", "_", "~"): for query values and form fields.
std::string PercentEncode(std::string_view value);
// The text on one line: control characters (line breaks, DEL) become spaces.
std::string OneLine(std::string_view text);

}  // namespace hdc::util
