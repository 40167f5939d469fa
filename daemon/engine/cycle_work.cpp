#include "engine/cycle_work.h"

#include "db/listings.h"
#include "util/logging.h"

namespace hdc::engine {

CycleWork::CycleWork(Cycle& cycle, db::Database& db, util::Metrics* metrics)
    : cycle_(cycle), db_(db), metrics_(metrics) {}

void CycleWork::Rest() { cycle_.Rest(); }

util::Result<db::StoreTotals> CycleWork::RefreshGauges() {
  auto totals = db::ReadStoreTotals(db_);
  if (totals.ok() && metrics_ != nullptr) {
    metrics_->Set("pending_downloads", {}, static_cast<double>(totals->pending_downloads));
    metrics_->Set("store_bytes", {}, static_cast<double>(totals->stored_bytes));
  }
  return totals;
}

util::Status CycleWork::Reconcile(const config::Config& config) {
  HDC_ASSIGN_OR_RETURN(auto summary, cycle_.Reconcile(config));
  if (!summary.applied.empty()) {
    util::GetLogger("engine")->info("reconciled {} job(s): {} change(s)", config.jobs.size(),
                                    summary.applied.size());
  }
  return summary.Worst();
}

util::Result<JobPollOutcome> CycleWork::PollJob(const config::Config& config,
                                                const std::string& job) {
  auto outcome = cycle_.PollJob(config, job);
  if (outcome.ok() && outcome->new_executions > 0) {
    util::GetLogger("engine")->info("job {}: {} new execution(s), {} completed", job,
                                    outcome->new_executions, outcome->completed);
  }
  return outcome;
}

util::Result<DownloadOutcome> CycleWork::Download(const config::Config& config,
                                                  util::Duration purge_ahead) {
  HDC_ASSIGN_OR_RETURN(auto rules, cycle_.RulesFor(config));
  HDC_ASSIGN_OR_RETURN(auto reports, cycle_.FetchReports(config, rules, purge_ahead));
  HDC_ASSIGN_OR_RETURN(auto cabs, cycle_.FetchCabs(config, std::move(rules), purge_ahead));
  DownloadOutcome outcome;
  outcome.work_left = cabs.deferred > 0 || !reports.problems.empty() || !cabs.problems.empty();
  if (reports.reports + cabs.fetched + cabs.skipped + cabs.failed > 0) {
    util::GetLogger("engine")->info(
        "downloads: {} report(s) stored ({} bytes, {} rows), {} cab(s) fetched ({} bytes), {} "
        "skipped, {} failed, {} deferred",
        reports.reports, reports.bytes, reports.rows, cabs.fetched, cabs.bytes, cabs.skipped,
        cabs.failed, cabs.deferred);
  }
  auto totals = RefreshGauges();
  if (totals.ok()) outcome.pending = totals->pending_downloads;
  auto expiry = cycle_.NextExpiry(config);
  if (expiry.ok()) outcome.next_expiry = *expiry;
  return outcome;
}

util::Result<std::optional<util::TimePoint>> CycleWork::Sweep(const config::Config& config,
                                                              util::Duration purge_ahead) {
  HDC_ASSIGN_OR_RETURN(auto swept, cycle_.Sweep(config, purge_ahead));
  // retention::Sweep logs what it removed.
  (void)RefreshGauges();
  return cycle_.NextExpiry(config);
}

}  // namespace hdc::engine
