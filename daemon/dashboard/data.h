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

#include <nlohmann/json.hpp>

#include "db/database.h"
#include "db/listings.h"
#include "db/queries.h"
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
inline constexpr std::int64_t kTopBuckets = 10;     // top failure buckets on the summary
inline constexpr std::int64_t kTrendSeries = 8;     // drivers kept apart; the rest is "other"
inline constexpr std::int64_t kNewBuckets = 50;     // new buckets listed at most
inline constexpr std::int64_t kSparklineDays = 14;  // days of each top bucket's sparkline

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
//  "top": [{failure_hash, failure_name, driver_name, rows, this_week, last_week, daily}],
//  "top_days": [the kSparklineDays UTC days of each "daily", oldest first],
//  "retention_seconds", "retention_horizon": {...}, "last_sweep": {...} | null}
util::Result<std::string> SummaryJson(db::Database& db, const SummaryInput& input);

// The JSON pieces the documents share with hdc-reportctl's --json output
// (status, trend, new), so that both print the same fields the same way.
// {"ingested": 4, "new": 26}
nlohmann::ordered_json StateCountsJson(const db::StateCounts& counts);
// {"executions", "last_ingested", "rows", "cabs", "report_bytes", "cab_bytes", "bytes"}
nlohmann::ordered_json DataSummaryJson(const db::DataSummary& data);
// {"id", "started_at", "finished_at", "cutoff", "cabs_deleted", ...}
nlohmann::ordered_json SweepRecordJson(const db::SweepRecord& sweep);
// The retention horizon: the oldest personal datum still held
// (retention::OldestPersonalClock) and the instant `retention` has passed
// since it, by which a sweep has removed it (UTC timestamps; nullopt when
// nothing personal is held or the retention is not known).
struct RetentionHorizon {
  std::optional<std::string> oldest_personal_datum;
  std::optional<std::string> removed_by;
};
util::Result<RetentionHorizon> ReadRetentionHorizon(db::Database& db,
                                                    std::optional<std::int64_t> retention_seconds);
// {"oldest_personal_datum", "removed_by"}, each a timestamp or null.
nlohmann::ordered_json RetentionHorizonJson(const RetentionHorizon& horizon);
// {"by", "days", "since", "until", "series": [{"value", "events"}], "days_list"}
nlohmann::ordered_json TrendResultJson(const db::TrendResult& trend, std::int64_t days,
                                       const db::QueryScope& scope);
// {"days", "since", "until", "job", "new": [{"failure_hash", ...}]}
nlohmann::ordered_json NewBucketsJson(const std::vector<db::NewBucket>& buckets, std::int64_t days,
                                      const db::QueryScope& scope);

// hdc-reportctl trend --json's document for --by `by` --days --now.
util::Result<std::string> TrendJson(db::Database& db, std::string_view by, const Window& window);

// hdc-reportctl new --json's document for --days --now --limit kNewBuckets.
util::Result<std::string> NewJson(db::Database& db, const Window& window);

// The three documents in one: {"summary": ..., "trend": ..., "new": ...}
// (by DriverName), as hdc-reportctl report --html embeds it.
util::Result<std::string> BundleJson(db::Database& db, const SummaryInput& input);

}  // namespace hdc::dashboard
