// A small INI reader that keeps what the configuration's error messages need:
// file, line, section and key. (Poco's IniFileConfiguration merges duplicate
// keys and sections silently and forgets line numbers, and both are errors
// here.)
//
// Syntax: "[section name]" headers; "key = value" lines; whole-line comments
// starting with ';' or '#'; inline comments starting with ';' or '#' after
// whitespace, outside double quotes; blank lines; a leading UTF-8 BOM.
// An indented line without '=' right after a key line continues its value
// (joined with one space), so long column lists can span lines; an indented
// line with '=' is an ordinary key line.
// Keys are case-sensitive, section names are trimmed and their inner runs of
// whitespace collapse to one space ("[job   a]" is "job a").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace hdc::config {

struct IniEntry {
  std::string key;
  std::string value;  // trimmed, inline comment removed
  int line = 0;
};

struct IniSection {
  std::string name;
  int line = 0;
  std::vector<IniEntry> entries;
};

struct IniDocument {
  std::string source;  // file name used in messages
  std::vector<IniSection> sections;
};

// Errors (kConfig): "<source>:<line>: <problem>" for a line without '=',
// a key outside any section, a duplicate key in one section, a section
// repeated in one file, and an unclosed '['.
util::Result<IniDocument> ParseIni(std::string_view text, std::string_view source);

}  // namespace hdc::config
