#include "ctl/output.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include "util/strings.h"

namespace hdc::ctl {
namespace {

// Display width of UTF-8 text: one column per code point.
std::size_t Width(const std::string& text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  }));
}

}  // namespace

void PrintJson(std::ostream& out, const Json& doc) {
  out << doc.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
}

Table::Table(std::vector<std::string> headers, std::vector<bool> right_aligned)
    : right_(std::move(right_aligned)) {
  right_.resize(headers.size(), false);
  rows_.push_back(std::move(headers));
}

void Table::Add(std::vector<std::string> cells) {
  cells.resize(rows_.front().size());
  for (std::string& cell : cells) cell = util::OneLine(cell);
  rows_.push_back(std::move(cells));
}

void Table::Print(std::ostream& out) const {
  std::vector<std::size_t> widths(rows_.front().size(), 0);
  for (const auto& row : rows_) {
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], Width(row[i]));
  }
  for (const auto& row : rows_) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      const std::string pad(widths[i] - Width(row[i]), ' ');
      if (i > 0) line += "  ";
      line += right_[i] ? pad + row[i] : row[i] + pad;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  }
}

std::string HumanSize(std::int64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  static constexpr std::array<const char*, 5> kUnits{"KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  value /= 1024;
  while (value >= 1023.95 && unit + 1 < kUnits.size()) {  // never "1024.0 KiB"
    value /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", value, kUnits[unit]);
  return buf;
}

std::string HumanSize(const std::optional<std::int64_t>& bytes) {
  return bytes ? HumanSize(*bytes) : "-";
}

std::string OrDash(const std::optional<std::string>& value) { return value ? *value : "-"; }

std::string OrDash(const std::optional<std::int64_t>& value) {
  return value ? std::to_string(*value) : "-";
}

}  // namespace hdc::ctl
