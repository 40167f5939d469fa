#include "dashboard/data.h"

#include <chrono>
#include <map>
#include <utility>

#include <nlohmann/json.hpp>

#include "db/listings.h"
#include "db/queries.h"
#include "util/time_format.h"

namespace hdc::dashboard {
namespace {

using Json = nlohmann::json;

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

Json CountsJson(const db::StateCounts& counts) {
  Json out = Json::object();
  for (const auto& [state, n] : counts) out[state] = n;
  return out;
}

Json DataJson(const db::DataSummary& d) {
  return Json{{"executions", CountsJson(d.executions)},
              {"last_ingested", OrNull(d.last_ingested)},
              {"rows", d.rows},
              {"cabs", CountsJson(d.cabs)},
              {"report_bytes", d.report_bytes},
              {"cab_bytes", d.cab_bytes},
              {"bytes", d.report_bytes + d.cab_bytes}};
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
    job.update(DataJson(j.data));
    const auto found = live_by_name.find(j.name);
    job.update(LiveJson(found == live_by_name.end() ? nullptr : found->second));
    jobs[j.name] = std::move(job);
  }
  for (const auto& [name, j] : live_by_name) {
    if (jobs.count(name) != 0) continue;
    Json job{{"name", name}, {"enabled", true}};
    job.update(DataJson(db::DataSummary{}));
    job.update(LiveJson(j));
    jobs[name] = std::move(job);
  }
  Json out = Json::array();
  for (auto& [name, job] : jobs) out.push_back(std::move(job));
  return out;
}

Json SweepJson(const std::optional<db::SweepRecord>& sweep) {
  if (!sweep) return nullptr;
  const db::SweepRecord& s = *sweep;
  return Json{{"started_at", s.started_at},
              {"finished_at", OrNull(s.finished_at)},
              {"cutoff", s.cutoff},
              {"cabs_deleted", s.cabs_deleted},
              {"cab_bytes", s.cab_bytes},
              {"reports_deleted", s.reports_deleted},
              {"report_bytes", s.report_bytes},
              {"rows_deleted", s.rows_deleted},
              {"partials_deleted", s.partials_deleted}};
}

// The top buckets of the last 7 days, each with its events of the 7 days
// before.
util::Result<Json> TopJson(db::Database& db, util::TimePoint now) {
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
  Json out = Json::array();
  for (const db::TopRow& r : top) {
    const auto found = r.values.at(0) ? before_by_hash.find(*r.values[0]) : before_by_hash.end();
    out.push_back(Json{{"failure_hash", OrNull(r.values[0])},
                       {"failure_name", OrNull(r.values.at(1))},
                       {"driver_name", OrNull(r.values.at(2))},
                       {"rows", r.rows},
                       {"this_week", r.events},
                       {"last_week", found == before_by_hash.end() ? 0 : found->second}});
  }
  return out;
}

util::Result<Json> SummaryDoc(db::Database& db, const SummaryInput& input) {
  HDC_ASSIGN_OR_RETURN(db::StatusReport status, db::ReadStatus(db));
  HDC_ASSIGN_OR_RETURN(Json top, TopJson(db, input.window.now));
  const db::QueryScope window = Rolling(input.window.now, input.window.days);
  Json doc{{"generated_at", util::FormatTimestamp(input.window.now)},
           {"days", input.window.days},
           {"since", window.since},
           {"until", window.until},
           {"daemon_answered", input.live.has_value()},
           {"jobs", JobsJson(status, input.live)},
           {"totals", DataJson(status.totals)},
           {"top", std::move(top)},
           {"retention_seconds", OrNull(input.retention_seconds)},
           {"last_sweep", SweepJson(status.last_sweep)}};
  return doc;
}

util::Result<Json> TrendDoc(db::Database& db, std::string_view by, const Window& window) {
  db::TrendQuery query;
  query.by = std::string(by);
  query.scope = WholeDays(window.now, window.days);
  query.top = kTrendSeries;
  HDC_ASSIGN_OR_RETURN(db::TrendResult trend, db::Trend(db, query));
  Json doc{{"by", trend.by},
           {"days", window.days},
           {"since", query.scope.since},
           {"until", query.scope.until},
           {"series", Json::array()},
           {"days_list", trend.days}};
  for (const db::TrendSeries& s : trend.series) {
    doc["series"].push_back(
        Json{{"value", s.other ? Json("other") : OrNull(s.value)}, {"events", s.events}});
  }
  return doc;
}

util::Result<Json> NewDoc(db::Database& db, const Window& window) {
  const db::NewQuery query{Rolling(window.now, window.days), kNewBuckets};
  HDC_ASSIGN_OR_RETURN(std::vector<db::NewBucket> buckets, db::NewFailures(db, query));
  Json doc{{"days", window.days},
           {"since", query.scope.since},
           {"until", query.scope.until},
           {"job", nullptr},
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

}  // namespace

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
