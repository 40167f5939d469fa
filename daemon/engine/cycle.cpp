#include "engine/cycle.h"

#include <algorithm>
#include <initializer_list>

#include "db/executions_table.h"
#include "db/jobs_table.h"
#include "download/partials.h"
#include "platform/memory.h"
#include "reconcile/template_builder.h"
#include "store/recovery.h"
#include "util/logging.h"
#include "util/time_format.h"

namespace hdc::engine {
namespace {

std::vector<poll::ScheduleToPoll> SchedulesOf(const std::vector<poll::ScheduleToPoll>& recorded,
                                              const config::Config& config,
                                              const std::vector<std::string>& only) {
  std::vector<poll::ScheduleToPoll> out;
  for (poll::ScheduleToPoll s : recorded) {
    if (!only.empty() && std::find(only.begin(), only.end(), s.job_name) == only.end()) continue;
    const config::JobSpec* job = config::FindJob(config, s.job_name);
    if (job != nullptr && job->enabled) {
      s.start = job->schedule.start;
      out.push_back(s);
    }
  }
  return out;
}

download::FetchContext FetchContextOf(const CycleDeps& d, api::Connection& connection) {
  return {connection.http(), d.db, d.fs, d.layout, d.clock, d.random, d.stop};
}

}  // namespace

std::optional<util::TimePoint> NextRun(const config::ScheduleSpec& schedule, util::TimePoint t) {
  const util::Duration every = schedule.every;
  if (every.count() <= 0 || schedule.runs <= 0) return std::nullopt;
  std::int64_t k = 0;
  if (t >= schedule.start) k = (t - schedule.start) / every + 1;
  if (k >= schedule.runs) return std::nullopt;
  return schedule.start + every * k;
}

std::optional<util::TimePoint> LastRun(const config::ScheduleSpec& schedule, util::TimePoint t) {
  const util::Duration every = schedule.every;
  if (every.count() <= 0 || schedule.runs <= 0 || t < schedule.start) return std::nullopt;
  const std::int64_t k = std::min<std::int64_t>((t - schedule.start) / every, schedule.runs - 1);
  return schedule.start + every * k;
}

void DescribeCycleMetrics(util::Metrics& m) {
  using util::MetricType;
  m.Describe("polls_total", MetricType::kCounter, "Get Report Data polls by job and outcome");
  m.Describe("reconciliations_total", MetricType::kCounter,
             "reconciliations of remote templates and schedules by outcome");
  m.Describe("reports_downloaded_total", MetricType::kCounter, "report files stored");
  m.Describe("rows_ingested_total", MetricType::kCounter, "failure rows stored");
  m.Describe("downloaded_bytes_total", MetricType::kCounter, "bytes stored by kind (report, cab)");
  m.Describe("cabs_fetched_total", MetricType::kCounter, "cab files stored");
  m.Describe("cabs_skipped_total", MetricType::kCounter,
             "cabs not downloaded (expired, gone, or past retention)");
  m.Describe("cabs_failed_total", MetricType::kCounter, "cabs given up after their attempts");
  m.Describe("cabs_purged_total", MetricType::kCounter, "cab files removed by retention");
  m.Describe("reports_purged_total", MetricType::kCounter, "report files removed by retention");
  m.Describe("rows_purged_total", MetricType::kCounter, "failure rows removed by retention");
  m.Describe("sweeps_total", MetricType::kCounter, "retention sweeps by outcome");
  // Counters without labels show from the start, at 0.
  for (const char* name : {"reports_downloaded_total", "rows_ingested_total", "cabs_fetched_total",
                           "cabs_skipped_total", "cabs_failed_total", "cabs_purged_total",
                           "reports_purged_total", "rows_purged_total"}) {
    m.Add(name, {}, 0);
  }
}

Cycle::Cycle(CycleDeps deps) : d_(std::move(deps)) {}

util::Result<api::Connection*> Cycle::ConnectionFor(const config::Config& config) {
  if (d_.connections.size() == 1) return d_.connections.begin()->second;
  const auto it = d_.connections.find(config.account.name);
  if (it == d_.connections.end() || it->second == nullptr) {
    return util::ConfigError("account " + config.account.name +
                             " has no connection; accounts added by a reload need a restart");
  }
  return it->second;
}

util::Result<IngestRules> Cycle::RulesFor(const config::Config& config) {
  IngestRules rules;
  for (const config::JobSpec& job : config.jobs) {
    rules[job.name] = {job.report.view == config::View::kIhvDriver, job.cabs, job.cab_types};
  }
  if (config::SeveralAccounts(config)) {
    HDC_ASSIGN_OR_RETURN(auto recorded, db::JobsTable(d_.db).Accounts());
    for (const auto& job : recorded) {
      if (job.account == config.account.name) rules.try_emplace(job.name);
    }
  }
  return rules;
}

void Cycle::Count(const char* name, double value, const std::string& outcome) {
  if (d_.metrics == nullptr || value <= 0) return;
  util::MetricLabels labels;
  if (!outcome.empty()) labels.emplace_back("outcome", outcome);
  d_.metrics->Add(name, labels, value);
}

void Cycle::Rest() {
  d_.db.ReleaseMemory();
  platform::ReleaseFreeMemory();
}

util::Status Cycle::Recover() {
  HDC_ASSIGN_OR_RETURN(auto counts, download::RecoverDownloads(d_.db, d_.fs, d_.layout));
  if (counts.rows_reset + counts.partials_kept + counts.partials_removed + counts.strays_removed +
      counts.entries_left) {
    util::GetLogger("store")->warn("{}", store::RecoverySummary(counts));
  }
  return util::Status::Ok();
}

util::Result<reconcile::ReconcileSummary> Cycle::Reconcile(const config::Config& config) {
  HDC_ASSIGN_OR_RETURN(api::Connection * connection, ConnectionFor(config));
  reconcile::Reconciler reconciler(
      connection->api(), d_.db, d_.clock,
      {reconcile::CallbackUrl(config.service.callback_url, d_.callback_token),
       config::SeveralAccounts(config) ? config.account.name : "", nullptr});
  auto summary = reconciler.Run(config.jobs);
  Count("reconciliations_total", 1,
        !summary.ok()               ? "error"
        : summary->problems.empty() ? "ok"
                                    : "partial");
  return summary;
}

util::Result<poll::PollSummary> Cycle::Poll(const config::Config& config,
                                            const std::vector<std::string>& jobs) {
  HDC_ASSIGN_OR_RETURN(api::Connection * connection, ConnectionFor(config));
  HDC_ASSIGN_OR_RETURN(auto recorded, poll::Poller::RecordedSchedules(d_.db));
  return PollSchedules(*connection, SchedulesOf(recorded, config, jobs));
}

util::Result<poll::PollSummary> Cycle::PollSchedules(
    api::Connection& connection, const std::vector<poll::ScheduleToPoll>& schedules) {
  poll::Poller poller(connection.api(), d_.db, d_.clock, &listed_links_[&connection]);
  auto polled = poller.Poll(schedules);
  if (d_.metrics != nullptr) {
    for (const poll::ScheduleToPoll& s : schedules) {
      // As reconciliations_total: error = the poll failed as a whole;
      // partial = it came back with a problem for this schedule.
      const char* outcome = "ok";
      if (!polled.ok()) {
        outcome = "error";
      } else if (std::find(polled->problem_report_ids.begin(), polled->problem_report_ids.end(),
                           s.report_id) != polled->problem_report_ids.end()) {
        outcome = "partial";
      }
      d_.metrics->Add("polls_total", {{"job", s.job_name}, {"outcome", outcome}});
    }
  }
  return polled;
}

util::Result<JobPollOutcome> Cycle::PollJob(const config::Config& config, const std::string& job) {
  JobPollOutcome outcome;
  const config::JobSpec* spec = config::FindJob(config, job);
  if (spec == nullptr || !spec->enabled) return outcome;
  HDC_ASSIGN_OR_RETURN(api::Connection * connection, ConnectionFor(config));
  HDC_ASSIGN_OR_RETURN(auto recorded, poll::Poller::RecordedSchedules(d_.db));
  const auto schedules = SchedulesOf(recorded, config, {job});
  if (schedules.empty()) return outcome;
  HDC_ASSIGN_OR_RETURN(auto polled, PollSchedules(*connection, schedules));
  if (!polled.problems.empty()) return polled.problems.front();
  outcome.polled = true;
  outcome.new_executions = polled.new_executions;
  outcome.completed = polled.completed;
  // The run we wait for: the newest one due by now, if the schedule existed
  // remotely then (runs before its creation or last edit never happen).
  const auto last = LastRun(spec->schedule, d_.clock.Now());
  if (last && *last >= schedules.front().since) {
    db::ExecutionsTable executions(d_.db);
    HDC_ASSIGN_OR_RETURN(auto status, executions.RemoteStatus(schedules.front().report_id,
                                                              util::FormatTimestamp(*last)));
    if (!status || (*status != "Completed" && *status != "Failed")) outcome.awaiting = *last;
  }
  return outcome;
}

util::Result<download::ReportFetchSummary> Cycle::FetchReports(const config::Config& config,
                                                               IngestRules rules,
                                                               util::Duration purge_ahead) {
  download::ReportFetchOptions options;
  options.min_free_space = config.service.min_free_space;
  options.retention_clock_earliest =
      config.service.retention_clock == config::RetentionClock::kEarliest;
  // The same cutoff as the next sweep: nothing is downloaded only to be
  // purged minutes later.
  options.retention = config.service.retention - purge_ahead;
  HDC_ASSIGN_OR_RETURN(api::Connection * connection, ConnectionFor(config));
  api::ListedLinks& listed = listed_links_[connection];
  options.listed_links = &listed;
  options.only_listed_jobs = config::SeveralAccounts(config);
  download::ReportFetcher fetcher(FetchContextOf(d_, *connection), connection->api(), options,
                                  std::move(rules));
  auto fetched = fetcher.FetchReady();
  listed.Clear();
  if (fetched.ok()) {
    Count("reports_downloaded_total", fetched->reports);
    Count("rows_ingested_total", static_cast<double>(fetched->rows));
    if (d_.metrics != nullptr && fetched->bytes > 0) {
      d_.metrics->Add("downloaded_bytes_total", {{"kind", "report"}},
                      static_cast<double>(fetched->bytes));
    }
  }
  return fetched;
}

util::Result<download::CabFetchSummary> Cycle::FetchCabs(const config::Config& config,
                                                         IngestRules rules,
                                                         util::Duration purge_ahead,
                                                         download::CabProgress* progress) {
  download::CabFetchOptions options;
  options.min_free_space = config.service.min_free_space;
  options.concurrency = static_cast<int>(config.service.download_concurrency);
  options.max_bandwidth = config.service.max_bandwidth;
  options.retention_cutoff = d_.clock.Now() - (config.service.retention - purge_ahead);
  options.only_listed_jobs = config::SeveralAccounts(config);
  HDC_ASSIGN_OR_RETURN(api::Connection * connection, ConnectionFor(config));
  download::CabFetcher fetcher(
      FetchContextOf(d_, *connection),
      [connection](util::Random& r) { return connection->NewApiClient(r); }, options,
      std::move(rules));
  auto cabs = fetcher.FetchPending(progress);
  if (cabs.ok()) {
    Count("cabs_fetched_total", cabs->fetched);
    Count("cabs_skipped_total", cabs->skipped);
    Count("cabs_failed_total", cabs->failed);
    if (d_.metrics != nullptr && cabs->bytes > 0) {
      d_.metrics->Add("downloaded_bytes_total", {{"kind", "cab"}},
                      static_cast<double>(cabs->bytes));
    }
  }
  return cabs;
}

util::Result<retention::SweepReport> Cycle::Sweep(const config::Config& config,
                                                  util::Duration purge_ahead) {
  retention::SweepOptions options;
  options.retention = config.service.retention;
  options.now = d_.clock.Now();
  options.purge_ahead = purge_ahead;
  auto swept = retention::Sweep(d_.db, d_.fs, d_.layout, options);
  Count("sweeps_total", 1, swept.ok() ? "ok" : "error");
  if (swept.ok()) {
    Count("cabs_purged_total", static_cast<double>(swept->cabs.count));
    Count("reports_purged_total", static_cast<double>(swept->reports.count));
    Count("rows_purged_total", static_cast<double>(swept->rows.count));
  }
  return swept;
}

util::Result<std::optional<util::TimePoint>> Cycle::NextExpiry(const config::Config& config) {
  return retention::NextExpiry(d_.db, config.service.retention);
}

}  // namespace hdc::engine
