// Deterministic synthetic failure data: a fixed universe of drivers and
// failure buckets per seed, cabs on a per-failure hourly lattice, and report
// rows generated from (seed, reportId, execution time, row index).
//
// CabIdHash values encode their failure and collection time under a
// seed-derived mask plus a check half, so the cab routes can resolve any hash
// a report handed out without remembering it, and refuse made-up ones.
// Immutable after construction; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/catalogue.h"
#include "util/clock.h"

namespace hdc::emulator {

using util::TimePoint;

struct DriverInfo {
  std::string name;            // "contosonet.sys"
  std::string version_prefix;  // "10.0.4."
  std::string application_id;  // 17 digits
  std::string submission_id;
};

struct FailureInfo {
  int driver = 0;
  std::string hash;  // GUID form
  std::string name;
  std::string symbol;
};

struct CabRef {
  int failure = 0;
  TimePoint collected;
};

using Row = std::array<std::string, kColumnCount>;

class Dataset {
 public:
  explicit Dataset(std::uint64_t seed);

  std::uint64_t seed() const { return seed_; }
  const std::vector<FailureInfo>& failures() const { return failures_; }
  const DriverInfo& driver(int i) const { return drivers_.at(i); }
  std::optional<int> FindFailure(std::string_view hash) const;

  // The cab of failure f collected in the given hour (hours since the
  // epoch), if that hour has one.
  std::optional<CabRef> CabInHour(int failure, std::int64_t hour, int every_hours) const;
  // Cabs of a failure collected in [from, to], oldest first.
  std::vector<CabRef> CabsBetween(int failure, TimePoint from, TimePoint to, int every_hours) const;
  std::string CabIdHash(const CabRef& cab) const;
  std::optional<CabRef> DecodeCabIdHash(std::string_view text) const;
  std::string_view CabType(const CabRef& cab) const;
  static TimePoint CabExpiration(const CabRef& cab);

  // Row `index` of the execution of report_id at exec_time, all columns.
  void FillRow(std::int64_t report_id, TimePoint exec_time, int period_days, std::uint64_t index,
               int every_hours, Row& row) const;

 private:
  // The cab a row names: its own (every_hours 0), else the latest of its
  // failure in the 8 * every_hours hours up to `hour`, if any.
  std::optional<CabRef> RowCab(int failure, std::int64_t exec_hour, std::int64_t hour,
                               std::uint64_t index, int every_hours) const;

  std::uint64_t seed_;
  std::vector<DriverInfo> drivers_;
  std::vector<FailureInfo> failures_;
};

// "2024-03-01 13:05:09" (space, no zone): the data's timestamp form.
std::string DataTime(TimePoint t);
// A GUID-form string from 128 bits.
std::string Guid(std::uint64_t hi, std::uint64_t lo);

}  // namespace hdc::emulator
