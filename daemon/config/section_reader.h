// Typed access to one INI section, with errors that name file, line, section
// and key. Private to config/.
//
// Every getter marks its key as read; CheckAllKeysRead() then reports the
// first key nobody asked for as unknown, so a typo never passes silently.
// Getters leave *out untouched when the key is absent (the default stays).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/ini_parser.h"
#include "util/clock.h"
#include "util/result.h"

namespace hdc::config {

class SectionReader {
 public:
  SectionReader(const IniSection& section, std::string source)
      : section_(section), source_(std::move(source)) {}

  // The entry for key, or null; marks it read.
  const IniEntry* Find(std::string_view key);
  bool Has(std::string_view key) const;

  // "<source>:<line>: [<section>] <key>: <problem>"
  util::Status KeyError(const IniEntry& entry, std::string_view problem) const;
  // "<source>:<line>: [<section>]: <problem>" (line of the header)
  util::Status SectionError(std::string_view problem) const;
  // "<source>:<line>: [<section>] <key>"
  std::string Where(const IniEntry& entry) const;

  util::Status GetString(std::string_view key, std::string* out);
  util::Status RequireString(std::string_view key, std::string* out);
  util::Status GetBool(std::string_view key, bool* out);
  util::Status GetInt(std::string_view key, std::int64_t min, std::int64_t max, std::int64_t* out);
  util::Status GetDuration(std::string_view key, std::chrono::seconds min, std::chrono::seconds max,
                           std::chrono::seconds* out);
  util::Status GetByteSize(std::string_view key, std::uint64_t* out);
  util::Status GetUrl(std::string_view key, std::string* out);
  // One of the listed words (exact match); *out receives its index.
  util::Status GetChoice(std::string_view key, const std::vector<std::string_view>& choices,
                         size_t* out);
  // Comma-separated list; empty items are errors, an empty value is an empty list.
  util::Status GetList(std::string_view key, std::vector<std::string>* out);

  util::Status CheckAllKeysRead() const;
  const IniSection& section() const { return section_; }
  const std::string& source() const { return source_; }

 private:
  const IniSection& section_;
  std::string source_;
  std::set<std::string, std::less<>> read_;
};

std::vector<std::string> SplitList(std::string_view text);

}  // namespace hdc::config
