#include "util/time_format.h"

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>

#include <doctest/doctest.h>

namespace hdc::util {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TimePoint At(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0, int ms = 0) {
  const std::chrono::sys_days day{std::chrono::year(y) / std::chrono::month(mo) /
                                  std::chrono::day(d)};
  return std::chrono::time_point_cast<Duration>(day) + hours(h) + minutes(mi) + seconds(s) +
         milliseconds(ms);
}

// The parsed time, or a failure that names the text.
TimePoint Parse(const std::string& text) {
  const Result<TimePoint> r = ParseTimestamp(text);
  const std::string error = r.status().message();
  INFO("text: '", text, "' error: ", error);
  REQUIRE(r.ok());
  return *r;
}

// The error message; checks the text was rejected as bad data.
std::string Rejected(const std::string& text) {
  const Result<TimePoint> r = ParseTimestamp(text);
  INFO("text: '", text, "'");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().kind() == ErrorKind::kBadData);
  return r.status().message();
}

TEST_CASE("ParseTimestamp accepts every form the service returns") {
  CHECK(Parse("2024-05-02T05:35:32") == At(2024, 5, 2, 5, 35, 32));
  CHECK(Parse("2024-05-02T05:35:32Z") == At(2024, 5, 2, 5, 35, 32));
  CHECK(Parse("2024-05-02T05:35:32z") == At(2024, 5, 2, 5, 35, 32));
  CHECK(Parse("2024-05-02T05:35:32.117") == At(2024, 5, 2, 5, 35, 32, 117));
  CHECK(Parse("2024-05-02T05:35:32.117Z") == At(2024, 5, 2, 5, 35, 32, 117));
  CHECK(Parse("2024-05-02T05:35:32.5") == At(2024, 5, 2, 5, 35, 32, 500));
  CHECK(Parse("2024-05-02T05:35:32.05Z") == At(2024, 5, 2, 5, 35, 32, 50));
  // More than three digits of fraction are truncated to the millisecond.
  CHECK(Parse("2024-05-02T05:35:32.1234567") == At(2024, 5, 2, 5, 35, 32, 123));
  CHECK(Parse("2024-05-02T05:35:32.9999999Z") == At(2024, 5, 2, 5, 35, 32, 999));
  CHECK(Parse("2024-03-01 13:05:09") == At(2024, 3, 1, 13, 5, 9));
  CHECK(Parse("2024-05-01") == At(2024, 5, 1));
  CHECK(Parse("2024-12-31T23:59:59Z") == At(2024, 12, 31, 23, 59, 59));
  CHECK(Parse("1970-01-01T00:00:00Z") == TimePoint(milliseconds(0)));
  CHECK(Parse("2024-05-01T00:00:00Z") == TimePoint(milliseconds(1714521600000LL)));
}

TEST_CASE("ParseTimestamp applies zone offsets to give UTC") {
  CHECK(Parse("2024-05-02T07:35:32+02:00") == At(2024, 5, 2, 5, 35, 32));
  CHECK(Parse("2024-05-02T07:35:32.117+02:00") == At(2024, 5, 2, 5, 35, 32, 117));
  CHECK(Parse("2024-05-02T00:05:32-0530") == At(2024, 5, 2, 5, 35, 32));
  CHECK(Parse("2024-05-02T05:35:32+00:00") == At(2024, 5, 2, 5, 35, 32));
  CHECK(Parse("2024-05-02 05:35:32-00:00") == At(2024, 5, 2, 5, 35, 32));
  // An offset may move the time across a day boundary.
  CHECK(Parse("2024-05-01T01:00:00+02:00") == At(2024, 4, 30, 23));
  CHECK(Parse("2024-12-31T23:30:00-01:00") == At(2025, 1, 1, 0, 30));
}

TEST_CASE("ParseTimestamp accepts the leap day of a leap year only") {
  CHECK(Parse("2024-02-29T12:00:00Z") == At(2024, 2, 29, 12));
  CHECK(Parse("2000-02-29") == At(2000, 2, 29));
  Rejected("2023-02-29T12:00:00Z");
  Rejected("1900-02-29");
}

TEST_CASE("ParseTimestamp rejects impossible dates and times") {
  CHECK(Rejected("2024-13-01T00:00:00Z").find("no such date") != std::string::npos);
  Rejected("2024-00-01T00:00:00Z");
  Rejected("2024-02-30T00:00:00Z");
  Rejected("2024-04-31");
  Rejected("2024-05-00");
  CHECK(Rejected("2024-05-02T24:00:00Z").find("out of range") != std::string::npos);
  Rejected("2024-05-02T23:60:00Z");
  Rejected("2024-05-02T23:59:61Z");
  Rejected("2024-05-02T05:35:32+24:00");
  Rejected("2024-05-02T05:35:32+02:60");
}

TEST_CASE("ParseTimestamp rejects malformed text and names it in the message") {
  CHECK(Rejected("2024-05-02T05:35:32Zjunk").find("'2024-05-02T05:35:32Zjunk'") !=
        std::string::npos);
  Rejected("2024-05-02T05:35:32 ");
  Rejected("2024-05-02T05:35:32+02:00x");
  Rejected("2024-05-02x");
  Rejected("");
  Rejected("2024-5-02T05:35:32Z");
  Rejected("2024-05-2T05:35:32Z");
  Rejected("24-05-02T05:35:32Z");
  Rejected("2024-05-02T5:35:32Z");
  Rejected("2024-05-02T05:3");
  Rejected("2024-05-02T05:35:3Z");
  Rejected("2024-05-02T");
  Rejected("2024-05-02T05:35:32.");
  Rejected("2024-05-02T05:35:32.Z");
  Rejected("2024-05-02T05:35:32+2");
  Rejected("2024/05/02");
  Rejected("not a time");
}

TEST_CASE("ParseUtcStrict requires the T separator and the trailing Z") {
  const Result<TimePoint> ok = ParseUtcStrict("2026-12-01T02:00:00Z");
  REQUIRE(ok.ok());
  CHECK(*ok == At(2026, 12, 1, 2));
  const Result<TimePoint> frac = ParseUtcStrict("2026-12-01T02:00:00.250Z");
  REQUIRE(frac.ok());
  CHECK(*frac == At(2026, 12, 1, 2, 0, 0, 250));

  for (const char* text :
       {"2026-12-01T02:00:00", "2026-12-01 02:00:00Z", "2026-12-01", "2026-12-01T02:00:00+00:00",
        "2026-12-01T02:00:00z", "", "2026-13-01T02:00:00Z", "2026-12-01T02:00:00Zx"}) {
    const Result<TimePoint> r = ParseUtcStrict(text);
    INFO("text: '", text, "'");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().kind() == ErrorKind::kConfig);
    CHECK(r.status().message().find("2026-12-01T02:00:00Z") != std::string::npos);
    CHECK(r.status().message().find("'" + std::string(text) + "'") != std::string::npos);
  }
}

TEST_CASE("FormatTimestamp writes the API's UTC form with optional milliseconds") {
  CHECK(FormatTimestamp(At(2024, 5, 1)) == "2024-05-01T00:00:00Z");
  CHECK(FormatTimestamp(At(2024, 5, 2, 5, 35, 32, 117)) == "2024-05-02T05:35:32Z");
  CHECK(FormatTimestamp(At(2024, 5, 2, 5, 35, 32, 117), true) == "2024-05-02T05:35:32.117Z");
  CHECK(FormatTimestamp(At(2024, 5, 2, 5, 35, 32, 7), true) == "2024-05-02T05:35:32.007Z");
  CHECK(FormatTimestamp(At(2024, 5, 2, 5, 35, 32), true) == "2024-05-02T05:35:32.000Z");
  CHECK(FormatTimestamp(At(2024, 12, 31, 23, 59, 59, 999), true) == "2024-12-31T23:59:59.999Z");
  CHECK(FormatTimestamp(TimePoint(milliseconds(0))) == "1970-01-01T00:00:00Z");
}

TEST_CASE("FormatDate and FormatCompact give the query and file-name forms") {
  CHECK(FormatDate(At(2024, 5, 1)) == "2024-05-01");
  CHECK(FormatDate(At(2024, 2, 29, 23, 59, 59, 999)) == "2024-02-29");
  CHECK(FormatCompact(At(2024, 5, 1)) == "20240501T000000Z");
  CHECK(FormatCompact(At(2024, 5, 2, 5, 35, 32, 117)) == "20240502T053532Z");
}

TEST_CASE("formatted timestamps parse back to the same time") {
  for (const TimePoint t : {At(2024, 5, 1), At(2024, 2, 29, 12, 34, 56, 789),
                            At(1999, 12, 31, 23, 59, 59, 1), At(2038, 1, 19, 3, 14, 8)}) {
    const Result<TimePoint> with_millis = ParseTimestamp(FormatTimestamp(t, true));
    REQUIRE(with_millis.ok());
    CHECK(*with_millis == t);
    const Result<TimePoint> strict = ParseUtcStrict(FormatTimestamp(t, true));
    REQUIRE(strict.ok());
    CHECK(*strict == t);
    const Result<TimePoint> whole = ParseTimestamp(FormatTimestamp(t));
    REQUIRE(whole.ok());
    CHECK(*whole == std::chrono::floor<seconds>(t));
    const Result<TimePoint> date = ParseTimestamp(FormatDate(t));
    REQUIRE(date.ok());
    CHECK(*date == std::chrono::floor<std::chrono::days>(t));
  }
}

std::chrono::seconds Dur(const std::string& text) {
  const Result<std::chrono::seconds> r = ParseDuration(text);
  const std::string error = r.status().message();
  INFO("text: '", text, "' error: ", error);
  REQUIRE(r.ok());
  return *r;
}

TEST_CASE("ParseDuration reads one number and one unit") {
  CHECK(Dur("90s") == seconds(90));
  CHECK(Dur("15m") == minutes(15));
  CHECK(Dur("24h") == hours(24));
  CHECK(Dur("30d") == hours(24 * 30));
  CHECK(Dur("1w") == hours(24 * 7));
  CHECK(Dur("0") == seconds(0));
  CHECK(Dur("0s") == seconds(0));
  CHECK(Dur("15M") == minutes(15));
  CHECK(Dur("24H") == hours(24));
  CHECK(Dur("2W") == hours(24 * 14));
  CHECK(Dur("36500d") == hours(24 * 36500));
}

TEST_CASE("ParseDuration rejects anything but a whole number and a unit") {
  for (const char* text : {"15", "m", "-1m", "+1m", "1.5h", "15x", "", "1 m", " 1m", "1m ", "1h30m",
                           "99999999999999d", "99999999999999999999999s", "36501d"}) {
    const Result<std::chrono::seconds> r = ParseDuration(text);
    INFO("text: '", text, "'");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().kind() == ErrorKind::kConfig);
    CHECK(r.status().message().find("'" + std::string(text) + "'") != std::string::npos);
  }
  CHECK(ParseDuration("99999999999999d").status().message().find("too large") != std::string::npos);
  CHECK(ParseDuration("15x").status().message().find("s, m, h, d or w") != std::string::npos);
}

TEST_CASE("FormatDuration writes the shortest exact form") {
  CHECK(FormatDuration(seconds(86400)) == "1d");
  CHECK(FormatDuration(seconds(5400)) == "90m");
  CHECK(FormatDuration(seconds(0)) == "0");
  CHECK(FormatDuration(seconds(90)) == "90s");
  CHECK(FormatDuration(seconds(3600)) == "1h");
  CHECK(FormatDuration(seconds(7 * 86400)) == "7d");
  CHECK(FormatDuration(seconds(86401)) == "86401s");
  for (const char* text : {"90s", "15m", "24h", "30d", "1d", "36h"}) {
    const Result<std::chrono::seconds> r = ParseDuration(text);
    REQUIRE(r.ok());
    const Result<std::chrono::seconds> back = ParseDuration(FormatDuration(*r));
    REQUIRE(back.ok());
    CHECK(*back == *r);
  }
}

std::uint64_t Size(const std::string& text) {
  const Result<std::uint64_t> r = ParseByteSize(text);
  const std::string error = r.status().message();
  INFO("text: '", text, "' error: ", error);
  REQUIRE(r.ok());
  return *r;
}

constexpr std::uint64_t kK = 1024;
constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

TEST_CASE("ParseByteSize reads bytes with binary suffixes") {
  CHECK(Size("0") == 0);
  CHECK(Size("512") == 512);
  CHECK(Size("512K") == 512 * kK);
  CHECK(Size("10M") == 10 * kK * kK);
  CHECK(Size("1G") == kK * kK * kK);
  CHECK(Size("2T") == 2 * kK * kK * kK * kK);
  CHECK(Size("1GB") == kK * kK * kK);
  CHECK(Size("1GiB") == kK * kK * kK);
  CHECK(Size("1g") == kK * kK * kK);
  CHECK(Size("1gib") == kK * kK * kK);
  CHECK(Size("1kb") == kK);
  CHECK(Size("512B") == 512);
}

TEST_CASE("ParseByteSize accepts the largest values that fit and rejects overflow") {
  CHECK(Size("18446744073709551615") == kMax);
  CHECK(Size("17179869183G") == (kMax >> 30) << 30);
  CHECK(Size("16777215T") == (kMax >> 40) << 40);
  CHECK(Size("18014398509481983K") == (kMax >> 10) << 10);
  for (const char* text : {"18446744073709551616", "17179869184G", "16777216T",
                           "18014398509481984K", "99999999999999999999999"}) {
    const Result<std::uint64_t> r = ParseByteSize(text);
    INFO("text: '", text, "'");
    CHECK_FALSE(r.ok());
    CHECK(r.status().kind() == ErrorKind::kConfig);
  }
  CHECK(ParseByteSize("17179869184G").status().message().find("too large") != std::string::npos);
}

TEST_CASE("ParseByteSize rejects text that is not a whole size") {
  for (const char* text :
       {"K", "B", "iB", "", "1.5G", "-1", "+1", "1X", "1 G", " 1", "1KK", "1KiBB", "G1"}) {
    const Result<std::uint64_t> r = ParseByteSize(text);
    INFO("text: '", text, "'");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().kind() == ErrorKind::kConfig);
    CHECK(r.status().message().find("'" + std::string(text) + "'") != std::string::npos);
  }
}

TEST_CASE("FormatByteSize uses the largest exact unit") {
  CHECK(FormatByteSize(0) == "0");
  CHECK(FormatByteSize(512) == "512");
  CHECK(FormatByteSize(1536) == "1536");
  CHECK(FormatByteSize(kK) == "1K");
  CHECK(FormatByteSize(512 * kK) == "512K");
  CHECK(FormatByteSize(10 * kK * kK) == "10M");
  CHECK(FormatByteSize(kK * kK * kK) == "1G");
  CHECK(FormatByteSize(1536 * kK * kK) == "1536M");
  CHECK(FormatByteSize(2 * kK * kK * kK * kK) == "2T");
  CHECK(FormatByteSize(kMax) == "18446744073709551615");
  for (const std::uint64_t n :
       {std::uint64_t{0}, std::uint64_t{7}, kK, 3 * kK * kK, (kMax >> 40) << 40, kMax}) {
    const Result<std::uint64_t> back = ParseByteSize(FormatByteSize(n));
    REQUIRE(back.ok());
    CHECK(*back == n);
  }
}

}  // namespace
}  // namespace hdc::util
