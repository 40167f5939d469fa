#include "dashboard/data.h"

#include <chrono>
#include <map>
#include <utility>

#include <nlohmann/json.hpp>

#include "db/listings.h"
#include "db/queries.h"
#include "retention/sweeper.h"
#include "util/time_format.h"

namespace hdc::dashboard {
namespace {

using Json = nlohmann::ordered_json;  // keys in the order written, as hdc-reportctl prints them

template <typename T>
Json OrNull(const std::optional<T>& value) {
  return value ? Json(*value) : Json(nullptr);
}

std::string Dump(const Json& doc) {
  return doc.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

// The `days` times 24 hours that end at now (hdc-reportctl's ParseScope).
db::QueryScope Rolling(util::TimePoint now, std::int64_t days) {
  return {util::FormatTimestamp(now - std::chrono::days(days)), util::FormatTimestamp(now), {}};
}

// The `days` UTC days that end with now's day (ParseScope's whole_days).
db::QueryScope WholeDays(util::TimePoint now, std::int64_t days) {
  const util::TimePoint since =
      std::chrono::floor<std::chrono::days>(now) - std::chrono::days(days - 1);
  return {util::FormatTimestamp(since), util::FormatTimestamp(now), {}};
}

Json LiveJson(const JobLive* live) {
  if (live == nullptr) {
    return Json{{"healthy", nullptr},
                {"last_success", nullptr},
                {"last_attempt", nullptr},
                {"next_due", nullptr},
                {"consecutive_failures", nullptr}};
  }
  return Json{{"healthy", live->healthy},
              {"last_success", OrNull(live->last_success)},
              {"last_attempt", OrNull(live->last_attempt)},
              {"next_due", OrNull(live->next_due)},
              {"consecutive_failures", live->consecutive_failures}};
}

// Every job the database or the daemon names, by name.
Json JobsJson(const db::StatusReport& status, const std::optional<std::vector<JobLive>>& live) {
  std::map<std::string, Json> jobs;
  std::map<std::string, const JobLive*> live_by_name;
  if (live) {
    for (const JobLive& j : *live) live_by_name[j.name] = &j;
  }
  for (const db::JobStatus& j : status.jobs) {
    Json job{{"name", j.name}, {"enabled", OrNull(j.enabled)}};
    job.update(DataSummaryJson(j.data));
    const auto found = live_by_name.find(j.name);
    job.update(LiveJson(found == live_by_name.end() ? nullptr : found->second));
    jobs[j.name] = std::move(job);
  }
  for (const auto& [name, j] : live_by_name) {
    if (jobs.count(name) != 0) continue;
    Json job{{"name", name}, {"enabled", true}};
    job.update(DataSummaryJson(db::DataSummary{}));
    job.update(LiveJson(j));
    jobs[name] = std::move(job);
  }
  Json out = Json::array();
  for (auto& [name, job] : jobs) out.push_back(std::move(job));
  return out;
}

Json SweepJson(const std::optional<db::SweepRecord>& sweep) {
  return sweep ? SweepRecordJson(*sweep) : Json(nullptr);
}

// The top buckets of the last 7 days, each with its events of the 7 days
// before and its events per UTC day over the last kSparklineDays days
// (`daily`, as trend counts them; the days are the summary's `top_days`).
util::Result<Json> TopJson(db::Database& db, util::TimePoint now, Json& days) {
  db::TopQuery this_week;
  this_week.by = {"FailureHash", "FailureName", "DriverName"};
  this_week.scope = Rolling(now, 7);
  this_week.limit = kTopBuckets;
  HDC_ASSIGN_OR_RETURN(std::vector<db::TopRow> top, db::TopFailures(db, this_week));
  db::TopQuery last_week;
  last_week.by = {"FailureHash"};
  last_week.scope = Rolling(now - std::chrono::days(7), 7);
  last_week.limit = 0;
  HDC_ASSIGN_OR_RETURN(std::vector<db::TopRow> before, db::TopFailures(db, last_week));
  std::map<std::string, std::int64_t> before_by_hash;
  for (const db::TopRow& r : before) {
    if (r.values.at(0)) before_by_hash[*r.values[0]] += r.events;
  }
  db::TrendQuery daily;
  daily.by = "FailureHash";
  daily.scope = WholeDays(now, kSparklineDays);
  for (const db::TopRow& r : top) {
    if (r.values.at(0)) daily.only.push_back(*r.values[0]);
  }
  HDC_ASSIGN_OR_RETURN(db::TrendResult per_day, db::Trend(db, daily));
  days = per_day.days;
  std::map<std::string, std::vector<std::int64_t>> daily_by_hash;
  for (const db::TrendSeries& series : per_day.series) {
    if (series.value) daily_by_hash[*series.value] = series.events;
  }
  Json out = Json::array();
  for (const db::TopRow& r : top) {
    const auto found = r.values.at(0) ? before_by_hash.find(*r.values[0]) : before_by_hash.end();
    const auto sparkline = r.values.at(0) ? daily_by_hash.find(*r.values[0]) : daily_by_hash.end();
    out.push_back(Json{{"failure_hash", OrNull(r.values[0])},
                       {"failure_name", OrNull(r.values.at(1))},
                       {"driver_name", OrNull(r.values.at(2))},
                       {"rows", r.rows},
                       {"this_week", r.events},
                       {"last_week", found == before_by_hash.end() ? 0 : found->second},
                       {"daily", sparkline == daily_by_hash.end()
                                     ? Json(std::vector<std::int64_t>(per_day.days.size()))
                                     : Json(sparkline->second)}});
  }
  return out;
}

util::Result<Json> SummaryDoc(db::Database& db, const SummaryInput& input) {
  HDC_ASSIGN_OR_RETURN(db::StatusReport status, db::ReadStatus(db));
  Json top_days = Json::array();
  HDC_ASSIGN_OR_RETURN(Json top, TopJson(db, input.window.now, top_days));
  HDC_ASSIGN_OR_RETURN(RetentionHorizon horizon, ReadRetentionHorizon(db, input.retention_seconds));
  const db::QueryScope window = Rolling(input.window.now, input.window.days);
  Json doc{{"generated_at", util::FormatTimestamp(input.window.now)},
           {"days", input.window.days},
           {"since", window.since},
           {"until", window.until},
           {"daemon_answered", input.live.has_value()},
           {"jobs", JobsJson(status, input.live)},
           {"totals", DataSummaryJson(status.totals)},
           {"top", std::move(top)},
           {"top_days", std::move(top_days)},
           {"retention_seconds", OrNull(input.retention_seconds)},
           {"retention_horizon", RetentionHorizonJson(horizon)},
           {"last_sweep", SweepJson(status.last_sweep)}};
  return doc;
}

util::Result<Json> TrendDoc(db::Database& db, std::string_view by, const Window& window) {
  db::TrendQuery query;
  query.by = std::string(by);
  query.scope = WholeDays(window.now, window.days);
  query.top = kTrendSeries;
  HDC_ASSIGN_OR_RETURN(db::TrendResult trend, db::Trend(db, query));
  return TrendResultJson(trend, window.days, query.scope);
}

util::Result<Json> NewDoc(db::Database& db, const Window& window) {
  const db::NewQuery query{Rolling(window.now, window.days), kNewBuckets};
  HDC_ASSIGN_OR_RETURN(std::vector<db::NewBucket> buckets, db::NewFailures(db, query));
  return NewBucketsJson(buckets, window.days, query.scope);
}

}  // namespace

Json StateCountsJson(const db::StateCounts& counts) {
  Json out = Json::object();
  for (const auto& [state, n] : counts) out[state] = n;
  return out;
}

Json DataSummaryJson(const db::DataSummary& d) {
  return Json{{"executions", StateCountsJson(d.executions)},
              {"last_ingested", OrNull(d.last_ingested)},
              {"rows", d.rows},
              {"cabs", StateCountsJson(d.cabs)},
              {"report_bytes", d.report_bytes},
              {"cab_bytes", d.cab_bytes},
              {"bytes", d.report_bytes + d.cab_bytes}};
}

Json SweepRecordJson(const db::SweepRecord& s) {
  return Json{{"id", s.id},
              {"started_at", s.started_at},
              {"finished_at", OrNull(s.finished_at)},
              {"cutoff", s.cutoff},
              {"cabs_deleted", s.cabs_deleted},
              {"cab_bytes", s.cab_bytes},
              {"reports_deleted", s.reports_deleted},
              {"report_bytes", s.report_bytes},
              {"rows_deleted", s.rows_deleted},
              {"partials_deleted", s.partials_deleted}};
}

util::Result<RetentionHorizon> ReadRetentionHorizon(db::Database& db,
                                                    std::optional<std::int64_t> retention_seconds) {
  HDC_ASSIGN_OR_RETURN(std::optional<util::TimePoint> oldest, retention::OldestPersonalClock(db));
  RetentionHorizon out;
  if (!oldest) return out;
  out.oldest_personal_datum = util::FormatTimestamp(*oldest);
  if (retention_seconds) {
    out.removed_by = util::FormatTimestamp(*oldest + std::chrono::seconds(*retention_seconds));
  }
  return out;
}

Json RetentionHorizonJson(const RetentionHorizon& horizon) {
  return Json{{"oldest_personal_datum", OrNull(horizon.oldest_personal_datum)},
              {"removed_by", OrNull(horizon.removed_by)}};
}

Json TrendResultJson(const db::TrendResult& trend, std::int64_t days, const db::QueryScope& scope) {
  Json doc{{"by", trend.by},          {"days", days},
           {"since", scope.since},    {"until", scope.until},
           {"series", Json::array()}, {"days_list", trend.days}};
  for (const db::TrendSeries& s : trend.series) {
    doc["series"].push_back(
        Json{{"value", s.other ? Json("other") : OrNull(s.value)}, {"events", s.events}});
  }
  return doc;
}

Json NewBucketsJson(const std::vector<db::NewBucket>& buckets, std::int64_t days,
                    const db::QueryScope& scope) {
  Json doc{{"days", days},
           {"since", scope.since},
           {"until", scope.until},
           {"job", OrNull(scope.job)},
           {"new", Json::array()}};
  for (const db::NewBucket& b : buckets) {
    doc["new"].push_back(Json{{"failure_hash", b.failure_hash},
                              {"failure_name", OrNull(b.failure_name)},
                              {"driver_name", OrNull(b.driver_name)},
                              {"driver_version", OrNull(b.driver_version)},
                              {"events", b.events},
                              {"first_day", b.first_day}});
  }
  return doc;
}

util::Result<std::string> SummaryJson(db::Database& db, const SummaryInput& input) {
  HDC_ASSIGN_OR_RETURN(Json doc, SummaryDoc(db, input));
  return Dump(doc);
}

util::Result<std::string> TrendJson(db::Database& db, std::string_view by, const Window& window) {
  HDC_ASSIGN_OR_RETURN(Json doc, TrendDoc(db, by, window));
  return Dump(doc);
}

util::Result<std::string> NewJson(db::Database& db, const Window& window) {
  HDC_ASSIGN_OR_RETURN(Json doc, NewDoc(db, window));
  return Dump(doc);
}

util::Result<std::string> BundleJson(db::Database& db, const SummaryInput& input) {
  HDC_ASSIGN_OR_RETURN(Json summary, SummaryDoc(db, input));
  HDC_ASSIGN_OR_RETURN(Json trend, TrendDoc(db, "DriverName", input.window));
  HDC_ASSIGN_OR_RETURN(Json fresh, NewDoc(db, input.window));
  return Dump(Json{
      {"summary", std::move(summary)}, {"trend", std::move(trend)}, {"new", std::move(fresh)}});
}

}  // namespace hdc::dashboard
