#include "service/run_once.h"

#include <iostream>
#include <map>
#include <ostream>
#include <random>

#include "config/secret_source.h"
#include "db/database.h"
#include "download/cab_fetcher.h"
#include "download/partials.h"
#include "download/report_fetcher.h"
#include "platform/filesystem.h"
#include "platform/terminal.h"
#include "poll/poller.h"
#include "reconcile/reconciler.h"
#include "retention/sweeper.h"
#include "service/progress_line.h"
#include "service/wiring.h"
#include "store/layout.h"
#include "store/recovery.h"
#include "util/logging.h"
#include "util/time_format.h"

namespace hdc::service {
namespace {

// --once purges what would pass the retention window before the next
// expected run (nightly), and downloads nothing that would.
constexpr util::Duration kOncePurgeAhead = std::chrono::hours(24);

// Start-up repair (download/partials.h), with one log line when it found
// anything.
util::Status Recover(db::Database& db, const store::StoreLayout& layout) {
  auto counts = download::RecoverDownloads(db, platform::RealFileSystem(), layout);
  if (!counts.ok()) return counts.status();
  if (counts->rows_reset + counts->partials_kept + counts->partials_removed +
      counts->strays_removed + counts->entries_left) {
    util::GetLogger("store")->warn("{}", store::RecoverySummary(*counts));
  }
  return util::Status::Ok();
}

std::vector<poll::ScheduleToPoll> SchedulesOf(const std::vector<poll::ScheduleToPoll>& recorded,
                                              const config::Config& config) {
  std::vector<poll::ScheduleToPoll> out;
  for (poll::ScheduleToPoll s : recorded) {
    for (const config::JobSpec& job : config.jobs) {
      if (job.name == s.job_name && job.enabled) {
        s.start = job.schedule.start;
        out.push_back(s);
      }
    }
  }
  return out;
}

std::map<std::string, download::JobIngestRules> RulesOf(const config::Config& config) {
  std::map<std::string, download::JobIngestRules> rules;
  for (const config::JobSpec& job : config.jobs) {
    rules[job.name] = {job.report.view == config::View::kIhvDriver, job.cabs, job.cab_types};
  }
  return rules;
}

}  // namespace

int RunOnce(const std::string& config_path, std::ostream& err) {
  auto fail = [&](const util::Status& status) {
    err << "hdc-reportd: " << status.ToString() << "\n";
    return status.exit_code();
  };
  auto config = config::LoadConfig(config_path);
  if (!config.ok()) return fail(config.status());
  SetupLoggingFrom(config->service);
  auto secret = config::LoadClientSecret(config->account, config::ProcessEnvironment());
  if (!secret.ok()) return fail(secret.status().WithContext(config_path + ": "));
  auto lock = PrepareStateDir(config->service.state_dir);
  if (!lock.ok()) return fail(lock.status());
  auto db = db::Database::Open({config->service.state_dir + "/state.db"});
  if (!db.ok()) return fail(db.status());

  util::SystemClock clock;
  std::stop_source stop;
  api::Connection connection(ConnectionOptionsFrom(*config), secret->Reveal(), clock,
                             stop.get_token());
  const store::StoreLayout layout(config->service.state_dir);
  if (util::Status recovered = Recover(**db, layout); !recovered.ok()) return fail(recovered);

  reconcile::Reconciler reconciler(connection.api(), **db, clock,
                                   {config->service.callback_url, nullptr});
  auto summary = reconciler.Run(config->jobs);
  if (!summary.ok()) return fail(summary.status());
  std::vector<util::Status> problems = summary->problems;

  auto recorded = poll::Poller::RecordedSchedules(**db);
  if (!recorded.ok()) return fail(recorded.status());
  poll::Poller poller(connection.api(), **db, clock);
  auto polled = poller.Poll(SchedulesOf(*recorded, *config));
  if (!polled.ok()) return fail(polled.status());
  problems.insert(problems.end(), polled->problems.begin(), polled->problems.end());

  const auto rules = RulesOf(*config);
  util::Random random(std::random_device{}());
  download::ReportFetchOptions fetch_options;
  fetch_options.min_free_space = config->service.min_free_space;
  fetch_options.retention_clock_earliest =
      config->service.retention_clock == config::RetentionClock::kEarliest;
  // The same cutoff as the sweep at the end of this run: nothing is
  // downloaded only to be purged minutes later.
  fetch_options.retention = config->service.retention - kOncePurgeAhead;
  download::ReportFetcher fetcher(connection.api(), connection.http(), **db,
                                  platform::RealFileSystem(), layout, clock, random,
                                  stop.get_token(), fetch_options, rules);
  auto fetched = fetcher.FetchReady();
  if (!fetched.ok()) return fail(fetched.status());
  problems.insert(problems.end(), fetched->problems.begin(), fetched->problems.end());

  download::CabFetchOptions cab_options;
  cab_options.min_free_space = config->service.min_free_space;
  cab_options.concurrency = static_cast<int>(config->service.download_concurrency);
  cab_options.max_bandwidth = config->service.max_bandwidth;
  cab_options.retention_cutoff = clock.Now() - (config->service.retention - kOncePurgeAhead);
  download::CabFetcher cab_fetcher([&](util::Random& r) { return connection.NewApiClient(r); },
                                   connection.http(), **db, platform::RealFileSystem(), layout,
                                   clock, random, stop.get_token(), cab_options, rules);
  download::CabProgress progress;
  util::Result<download::CabFetchSummary> cabs = util::TemporaryError("not run");
  {
    ProgressLine line(
        std::cerr,
        [&progress] {
          return "cabs: " + std::to_string(progress.done.load()) + "/" +
                 std::to_string(progress.total.load()) + " done, " +
                 util::FormatByteSize(progress.bytes.load()) + " stored";
        },
        platform::StderrIsTerminal());
    cabs = cab_fetcher.FetchPending(&progress);
  }
  if (!cabs.ok()) return fail(cabs.status());
  problems.insert(problems.end(), cabs->problems.begin(), cabs->problems.end());

  util::GetLogger("service")->info(
      "once: {} job(s) reconciled ({} change(s)), {} execution(s) seen ({} new), {} report(s) "
      "stored ({} bytes, {} rows), {} cab(s) recorded, {} cab(s) fetched ({} bytes), {} skipped, "
      "{} failed, {} deferred, {} problem(s)",
      config->jobs.size(), summary->applied.size(), polled->executions_seen, polled->new_executions,
      fetched->reports, fetched->bytes, fetched->rows, fetched->cabs_new, cabs->fetched,
      cabs->bytes, cabs->skipped, cabs->failed, cabs->deferred, problems.size());
  // Retention (issue 6) last: purge-ahead 24 h, the next expected --once run.
  retention::SweepOptions sweep;
  sweep.retention = config->service.retention;
  sweep.now = clock.Now();
  sweep.purge_ahead = kOncePurgeAhead;
  auto swept = retention::Sweep(**db, platform::RealFileSystem(), layout, sweep);
  if (swept.ok()) {
    util::GetLogger("service")->info("once: {}", retention::SweepSummary(*swept));
  } else {
    problems.push_back(swept.status());
  }
  reconcile::ReconcileSummary all;
  all.problems = problems;
  if (const util::Status worst = all.Worst(); !worst.ok()) return fail(worst);
  return 0;
}

}  // namespace hdc::service
