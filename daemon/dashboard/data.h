// The dashboard's data: the JSON documents of GET /api/v1/summary, /trend and
// /new (docs/operations.md §Dashboard), rendered from the state database's
// read-only views (db/listings.h, db/queries.h) and from what the daemon
// knows of its jobs' cycles. hdc-reportd serves them; hdc-reportctl report
// --html embeds the same documents in one file.
//
// Aggregates only: counts, sums, dates and the names of drivers and failure
// buckets. Nothing here reads DeviceId, HardwareId or a cab's name (the
// queries refuse those columns), so none can reach a document. Every value
// is a JSON string or number (nlohmann_json escapes it); the page inserts
// them as text. Plain functions over one Database: not thread-safe beyond
// the Database's own rule (one per thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.h"
#include "util/clock.h"
#include "util/result.h"

namespace hdc::dashboard {

// The windows a document covers: `days` UTC days that end with now's day
// (trend), or the `days` times 24 hours that end at now (top, new), as
// hdc-reportctl's --days and --now make them.
struct Window {
  util::TimePoint now;
  std::int64_t days = 14;
};

inline constexpr std::int64_t kMinDays = 1;
inline constexpr std::int64_t kMaxDays = 366;
inline constexpr std::int64_t kTopBuckets = 10;  // top failure buckets on the summary
inline constexpr std::int64_t kTrendSeries = 8;  // drivers kept apart; the rest is "other"
inline constexpr std::int64_t kNewBuckets = 50;  // new buckets listed at most

// What the running daemon knows of one job and the database does not: its
// last cycles (engine::JobHealth). hdc-reportctl fills it from /healthz when
// the daemon answers.
struct JobLive {
  std::string name;
  bool healthy = true;
  std::optional<std::string> last_success;  // UTC timestamps
  std::optional<std::string> last_attempt;
  std::optional<std::string> next_due;
  std::int64_t consecutive_failures = 0;
};

struct SummaryInput {
  Window window;
  std::optional<std::vector<JobLive>> live;       // nullopt: the daemon did not answer
  std::optional<std::int64_t> retention_seconds;  // [service] retention, when known
};

// {"generated_at", "days", "since", "until", "jobs": [...], "totals": {...},
//  "top": [{failure_hash, failure_name, driver_name, this_week, last_week}],
//  "retention": {...}, "last_sweep": {...} | null}
util::Result<std::string> SummaryJson(db::Database& db, const SummaryInput& input);

// hdc-reportctl trend --json's document for --by `by` --days --now.
util::Result<std::string> TrendJson(db::Database& db, std::string_view by, const Window& window);

// hdc-reportctl new --json's document for --days --now --limit kNewBuckets.
util::Result<std::string> NewJson(db::Database& db, const Window& window);

// The three documents in one: {"summary": ..., "trend": ..., "new": ...}
// (by DriverName), as hdc-reportctl report --html embeds it.
util::Result<std::string> BundleJson(db::Database& db, const SummaryInput& input);

}  // namespace hdc::dashboard
