#include "poll/poller.h"

#include <algorithm>

#include "db/executions_table.h"
#include "util/logging.h"
#include "util/time_format.h"

namespace hdc::poll {

namespace {
// The API's data reaches back 90 days (docs/hdc-api.md §Overview).
constexpr auto kMaxLookback = std::chrono::days(90);
}  // namespace

Poller::Poller(api::HdcClient& api, db::Database& db, util::Clock& clock, api::ListedLinks* links)
    : api_(api), db_(db), clock_(clock), links_(links) {}

util::Result<std::vector<ScheduleToPoll>> Poller::RecordedSchedules(db::Database& db) {
  // The schedule's start is kept in its canonical JSON's fingerprinted form
  // only; the window start falls back to 90 days when it is unknown.
  auto stmt = db.Prepare(
      "SELECT job_name, report_id, updated_at FROM remote_schedules WHERE is_active = 1 "
      "ORDER BY job_name");
  if (!stmt.ok()) return stmt.status();
  std::vector<ScheduleToPoll> out;
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    auto since = util::ParseTimestamp(stmt->ColumnText(2));
    out.push_back({stmt->ColumnText(0), stmt->ColumnText(1), util::TimePoint{},
                   since.ok() ? *since : util::TimePoint{}});
  }
  return out;
}

util::Result<PollSummary> Poller::Poll(const std::vector<ScheduleToPoll>& schedules) {
  PollSummary summary;
  for (const ScheduleToPoll& schedule : schedules) {
    ++summary.schedules;
    util::Status status = PollOne(schedule, summary);
    if (status.ok()) continue;
    if (status.kind() == util::ErrorKind::kAuth) return status;  // every schedule would fail
    util::GetLogger("poll")->error("job {}: {}", schedule.job_name, status.ToString());
    summary.problems.push_back(status.WithContext("job " + schedule.job_name + ": "));
    summary.problem_report_ids.push_back(schedule.report_id);
  }
  return summary;
}

util::Status Poller::PollOne(const ScheduleToPoll& schedule, PollSummary& summary) {
  db::ExecutionsTable executions(db_);
  const util::TimePoint now = clock_.Now();
  util::TimePoint start = std::max(schedule.start, now - kMaxLookback);
  auto known = executions.WindowStart(schedule.report_id);
  if (!known.ok()) return known.status();
  if (known->has_value()) {
    auto t = util::ParseTimestamp(**known);
    if (t.ok()) start = std::max(*t, now - kMaxLookback);
  }
  auto listed = api_.GetReportData(schedule.report_id, start, now);
  if (!listed.ok()) return listed.status();
  const std::string polled_at = util::FormatTimestamp(now, true);
  auto tx = db_.BeginWrite();
  if (!tx.ok()) return tx.status();
  for (const api::Execution& e : *listed) {
    ++summary.executions_seen;
    // "Completed" without a link counts as not ready yet (docs/hdc-api.md §Report data).
    const std::string status = e.ready() ? "Completed"
                               : e.status == api::ExecutionStatus::kCompleted
                                   ? "Pending"
                                   : std::string(api::StatusName(e.status));
    auto inserted = executions.Upsert(schedule.job_name, schedule.report_id, e.report_datetime,
                                      status, polled_at);
    if (!inserted.ok()) return inserted.status();
    summary.new_executions += *inserted ? 1 : 0;
    summary.completed += e.ready() ? 1 : 0;
  }
  HDC_RETURN_IF_ERROR(tx->Commit());
  if (links_ != nullptr) {
    for (const api::Execution& e : *listed) {
      if (e.ready()) links_->Put(schedule.report_id, e.report_datetime, e.location, now);
    }
  }
  return util::Status::Ok();
}

}  // namespace hdc::poll
