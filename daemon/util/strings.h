// Small ASCII string helpers shared by every module.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hdc::util {

// ASCII case-insensitive equality (header names, JSON keys, columns).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// ASCII lower case.
std::string ToLower(std::string_view s);
// s without leading and trailing whitespace (std::isspace: " \t\n\v\f\r");
// a view into s.
std::string_view Trim(std::string_view s);

// CON, PRN, AUX, NUL, COM0-9 and LPT0-9 (any case, with or without an
// extension) name devices on Windows, never files.
bool IsWindowsDeviceName(std::string_view name);
// RFC 3986 percent-encoding of everything but unreserved characters
// (ALPHA, DIGIT, "-", ".", "_", "~"): for query values and form fields.
std::string PercentEncode(std::string_view value);
// Text from outside (the network, a file, a server's error_description, an
// id) made safe for a terminal and a log line, by the one function every
// log line, error message and CLI table goes through (docs/reliability.md
// S12):
//  - line breaks and tabs become spaces (one line), unless kept (a CSV
//    cell, which quotes them);
//  - other C0 controls and DEL become \xNN (so ESC [31m cannot colour a
//    terminal, and a backspace cannot hide text);
//  - C1 controls (U+0080-U+009F) become the \xNN of their two bytes;
//  - bidirectional controls (U+061C, U+200E, U+200F, U+202A-U+202E,
//    U+2066-U+2069) become \u{XXXX}, so a right-to-left override cannot
//    reorder what an operator reads;
//  - bytes that are not UTF-8 become \xNN; other UTF-8 is kept;
//  - after max_chars characters (code points) of input the rest is cut and
//    "…" appended.
inline constexpr std::size_t kNoCap = static_cast<std::size_t>(-1);
std::string Printable(std::string_view text, std::size_t max_chars = kNoCap,
                      bool keep_line_breaks = false);
// The cap for one value from outside in a message (an id, a name): 200.
inline constexpr std::size_t kShownChars = 200;
// The cap for a whole error message or log line: 2,000 characters.
inline constexpr std::size_t kLineChars = 2000;
// Printable(text) without a cap: one line, safe for a terminal.
std::string OneLine(std::string_view text);

// Overwrites `size` bytes at `data` with zeros in a way the compiler may not
// drop as a dead store: for memory that held a secret, a key or a token,
// just before it is freed or reused. Wipe(text) wipes a string's characters
// (not its capacity beyond them) and leaves its size as it was.
void WipeBytes(char* data, std::size_t size);
inline void Wipe(std::string& text) { WipeBytes(text.data(), text.size()); }

}  // namespace hdc::util
