// Rendering for the listings: plain aligned tables for people, JSON (raw
// numbers, nulls for unknown values) for programs. Tables show sizes in
// binary units and times as stored.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hdc::ctl {

using Json = nlohmann::ordered_json;

// Columns separated by two spaces, each as wide as its widest cell; a
// header row first. Control characters in cells (a line break in an error
// message) are shown as spaces, so each row stays one line.
class Table {
 public:
  // right_aligned: one flag per column (numbers); missing flags mean left.
  explicit Table(std::vector<std::string> headers, std::vector<bool> right_aligned = {});
  void Add(std::vector<std::string> cells);
  void Print(std::ostream& out) const;

 private:
  std::vector<std::vector<std::string>> rows_;  // the header first
  std::vector<bool> right_;
};

// Two-space indented, one trailing newline; invalid UTF-8 from the database
// is replaced (U+FFFD) rather than failing.
void PrintJson(std::ostream& out, const Json& doc);

// "0 B", "512 B", "1.5 KiB", "12.0 MiB", "3.2 GiB".
std::string HumanSize(std::int64_t bytes);
std::string HumanSize(const std::optional<std::int64_t>& bytes);

// The value, or "-" when unknown.
std::string OrDash(const std::optional<std::string>& value);
std::string OrDash(const std::optional<std::int64_t>& value);

template <typename T>
Json OrNull(const std::optional<T>& value) {
  return value ? Json(*value) : Json(nullptr);
}

}  // namespace hdc::ctl
