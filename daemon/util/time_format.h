// Text forms of times, durations and sizes, as the API and the INI use them.
//
// ParseTimestamp accepts what the service returns (docs/hdc-api.md §Timestamps): ISO 8601
// with 'T' or a space, optional fraction (any number of digits, kept to the
// millisecond), optional 'Z' or +hh:mm / -hh:mm offset; zone-less values are
// UTC. FormatTimestamp writes "yyyy-MM-ddTHH:mm:ssZ" (the API's input form).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/clock.h"
#include "util/result.h"

namespace hdc::util {

Result<TimePoint> ParseTimestamp(std::string_view text);
// Strict form for configuration: "yyyy-MM-ddTHH:mm:ssZ" (fraction allowed),
// the trailing Z required.
Result<TimePoint> ParseUtcStrict(std::string_view text);
// "2024-05-01T00:00:00Z"; with_millis adds ".123".
std::string FormatTimestamp(TimePoint t, bool with_millis = false);
// "2024-05-01" (the reportdata query form).
std::string FormatDate(TimePoint t);
// "20240501T000000Z" (store file names).
std::string FormatCompact(TimePoint t);

// "90s", "15m", "24h", "30d" (also "1w"); a bare "0" is zero. One unit only.
Result<std::chrono::seconds> ParseDuration(std::string_view text);
// The shortest exact form: 86400s -> "1d", 5400s -> "90m".
std::string FormatDuration(std::chrono::seconds d);

// "512", "512K", "10M", "1G", "2T" (powers of 1024; optional trailing "B" or
// "iB", case-insensitive).
Result<std::uint64_t> ParseByteSize(std::string_view text);
std::string FormatByteSize(std::uint64_t bytes);

}  // namespace hdc::util
