#include "util/time_format.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <limits>

namespace hdc::util {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// Reads exactly n digits at pos; advances pos.
bool ReadDigits(std::string_view s, size_t& pos, int n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += n;
  *out = v;
  return true;
}

bool Expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

Status BadTime(std::string_view text, std::string_view why) {
  return BadDataError("bad timestamp '" + std::string(text) + "': " + std::string(why));
}

struct Parsed {
  TimePoint time;
  bool had_zone = false;  // 'Z' or an offset was present
  bool had_t = false;     // 'T' separator (not a space)
};

Result<Parsed> ParseIso(std::string_view text) {
  size_t p = 0;
  int y, mo, d, h = 0, mi = 0, s = 0;
  if (!ReadDigits(text, p, 4, &y) || !Expect(text, p, '-') || !ReadDigits(text, p, 2, &mo) ||
      !Expect(text, p, '-') || !ReadDigits(text, p, 2, &d)) {
    return BadTime(text, "expected yyyy-MM-dd");
  }
  const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(mo),
                                        std::chrono::day(d)};
  if (!ymd.ok()) return BadTime(text, "no such date");
  Parsed out;
  Duration frac{0};
  if (p < text.size() && (text[p] == 'T' || text[p] == ' ')) {
    out.had_t = text[p] == 'T';
    ++p;
    if (!ReadDigits(text, p, 2, &h) || !Expect(text, p, ':') || !ReadDigits(text, p, 2, &mi)) {
      return BadTime(text, "expected HH:mm after the date");
    }
    if (p < text.size() && text[p] == ':' && !(++p, ReadDigits(text, p, 2, &s))) {
      return BadTime(text, "expected two digits of seconds");
    }
    if (h > 23 || mi > 59 || s > 60) return BadTime(text, "time of day out of range");
    if (p < text.size() && text[p] == '.') {
      ++p;
      int digits = 0, ms = 0;
      while (p < text.size() && std::isdigit(static_cast<unsigned char>(text[p]))) {
        if (digits < 3) ms = ms * 10 + (text[p] - '0');
        ++digits;
        ++p;
      }
      if (digits == 0) return BadTime(text, "expected digits after '.'");
      for (int i = digits; i < 3; ++i) ms *= 10;
      frac = Duration(ms);
    }
  }
  seconds offset{0};
  if (p < text.size() && (text[p] == 'Z' || text[p] == 'z')) {
    ++p;
    out.had_zone = true;
  } else if (p < text.size() && (text[p] == '+' || text[p] == '-')) {
    const int sign = text[p] == '+' ? 1 : -1;
    ++p;
    int oh, om = 0;
    if (!ReadDigits(text, p, 2, &oh)) return BadTime(text, "bad zone offset");
    if (p < text.size() && text[p] == ':') ++p;
    if (p < text.size() && !ReadDigits(text, p, 2, &om)) return BadTime(text, "bad zone offset");
    if (oh > 23 || om > 59) return BadTime(text, "zone offset out of range");
    offset = sign * (hours(oh) + minutes(om));
    out.had_zone = true;
  }
  if (p != text.size()) return BadTime(text, "unexpected text after the time");
  const auto day_point = std::chrono::sys_days(ymd);
  out.time = std::chrono::time_point_cast<Duration>(day_point) + hours(h) + minutes(mi) +
             seconds(s) + frac - offset;
  return out;
}

}  // namespace

Result<TimePoint> ParseTimestamp(std::string_view text) {
  auto parsed = ParseIso(text);
  if (!parsed.ok()) return parsed.status();
  return parsed->time;
}

Result<TimePoint> ParseUtcStrict(std::string_view text) {
  auto parsed = ParseIso(text);
  if (!parsed.ok() || !parsed->had_t || text.empty() || (text.back() != 'Z')) {
    return ConfigError("expected a UTC time like 2026-12-01T02:00:00Z, got '" + std::string(text) +
                       "'");
  }
  return parsed->time;
}

std::string FormatTimestamp(TimePoint t, bool with_millis) {
  const auto day = std::chrono::floor<days>(t);
  const std::chrono::year_month_day ymd(day);
  const std::chrono::hh_mm_ss hms(t - day);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  std::string out(buf);
  if (with_millis) {
    std::snprintf(buf, sizeof buf, ".%03d", static_cast<int>(hms.subseconds().count()));
    out += buf;
  }
  return out + "Z";
}

std::string FormatDate(TimePoint t) { return FormatTimestamp(t).substr(0, 10); }

std::string FormatCompact(TimePoint t) {
  std::string iso = FormatTimestamp(t);  // 2024-05-01T00:00:00Z
  std::string out;
  for (char c : iso) {
    if (c != '-' && c != ':') out += c;
  }
  return out;  // 20240501T000000Z
}

Result<std::chrono::seconds> ParseDuration(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return ConfigError("bad duration '" + std::string(text) + "': " + std::string(why));
  };
  if (text == "0") return seconds(0);
  if (text.size() < 2) return bad("expected a number and a unit (s, m, h, d, w), e.g. 15m");
  const char unit = static_cast<char>(std::tolower(static_cast<unsigned char>(text.back())));
  const std::string_view digits = text.substr(0, text.size() - 1);
  std::uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) {
    return bad("expected a whole number before the unit");
  }
  std::uint64_t mult = 0;
  switch (unit) {
    case 's':
      mult = 1;
      break;
    case 'm':
      mult = 60;
      break;
    case 'h':
      mult = 3600;
      break;
    case 'd':
      mult = 86400;
      break;
    case 'w':
      mult = 7 * 86400;
      break;
    default:
      return bad("unknown unit; use s, m, h, d or w");
  }
  // Bounded well below any overflow of milliseconds in a TimePoint.
  constexpr std::uint64_t kMaxSeconds = 100ull * 365 * 86400;
  if (n > kMaxSeconds / mult) return bad("too large");
  return seconds(static_cast<std::int64_t>(n * mult));
}

std::string FormatDuration(std::chrono::seconds d) {
  const auto s = d.count();
  if (s == 0) return "0";
  constexpr std::array<std::pair<std::int64_t, char>, 4> kUnits{
      {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}}};
  for (auto [size, unit] : kUnits) {
    if (s % size == 0) return std::to_string(s / size) + unit;
  }
  return std::to_string(s) + "s";
}

Result<std::uint64_t> ParseByteSize(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return ConfigError("bad size '" + std::string(text) + "': " + std::string(why));
  };
  std::string_view rest = text;
  auto ends_with_ci = [&](std::string_view suffix) {
    if (rest.size() < suffix.size()) return false;
    for (size_t i = 0; i < suffix.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(rest[rest.size() - suffix.size() + i])) !=
          suffix[i]) {
        return false;
      }
    }
    return true;
  };
  if (ends_with_ci("ib"))
    rest.remove_suffix(2);
  else if (ends_with_ci("b"))
    rest.remove_suffix(1);
  int shift = 0;
  if (!rest.empty()) {
    switch (std::tolower(static_cast<unsigned char>(rest.back()))) {
      case 'k':
        shift = 10;
        break;
      case 'm':
        shift = 20;
        break;
      case 'g':
        shift = 30;
        break;
      case 't':
        shift = 40;
        break;
      default:
        break;
    }
    if (shift != 0) rest.remove_suffix(1);
  }
  std::uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
  if (rest.empty() || ec != std::errc() || ptr != rest.data() + rest.size()) {
    return bad("expected a whole number with an optional K, M, G or T suffix, e.g. 512K");
  }
  if (n > (std::numeric_limits<std::uint64_t>::max() >> shift)) return bad("too large");
  return n << shift;
}

std::string FormatByteSize(std::uint64_t bytes) {
  if (bytes == 0) return "0";
  constexpr std::array<std::pair<int, char>, 4> kUnits{
      {{40, 'T'}, {30, 'G'}, {20, 'M'}, {10, 'K'}}};
  for (auto [shift, unit] : kUnits) {
    const std::uint64_t size = 1ull << shift;
    if (bytes % size == 0) return std::to_string(bytes / size) + unit;
  }
  return std::to_string(bytes);
}

}  // namespace hdc::util
