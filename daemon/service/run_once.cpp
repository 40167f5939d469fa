#include "service/run_once.h"

#include <iostream>
#include <ostream>
#include <random>

#include "db/database.h"
#include "engine/cycle.h"
#include "platform/filesystem.h"
#include "platform/terminal.h"
#include "service/progress_line.h"
#include "service/wiring.h"
#include "store/layout.h"
#include "util/logging.h"
#include "util/time_format.h"

namespace hdc::service {
namespace {

// --once purges what would pass the retention window before the next
// expected run (nightly), and downloads nothing that would.
constexpr util::Duration kOncePurgeAhead = std::chrono::hours(24);

}  // namespace

int RunOnce(const std::string& config_path, std::ostream& err) {
  auto fail = [&](const util::Status& status) {
    err << "hdc-reportd: " << status.ToString() << "\n";
    return status.exit_code();
  };
  auto config = config::LoadConfig(config_path);
  if (!config.ok()) return fail(config.status());
  if (util::Status logging = SetupLoggingFrom(config->service); !logging.ok()) return fail(logging);
  auto state = OpenState(*config, config_path);
  if (!state.ok()) return fail(state.status());

  util::SystemClock clock;
  std::stop_source stop;
  api::Connection connection(ConnectionOptionsFrom(*config), state->secret.Reveal(), clock,
                             stop.get_token());
  const store::StoreLayout layout(config->service.state_dir);
  util::Random random(std::random_device{}());
  engine::Cycle cycle({connection, *state->db, platform::RealFileSystem(), layout, clock, random,
                       stop.get_token(), nullptr, state->callback_token});
  if (util::Status recovered = cycle.Recover(); !recovered.ok()) return fail(recovered);

  auto summary = cycle.Reconcile(*config);
  if (!summary.ok()) return fail(summary.status());
  std::vector<util::Status> problems = summary->problems;

  auto polled = cycle.Poll(*config);
  if (!polled.ok()) return fail(polled.status());
  problems.insert(problems.end(), polled->problems.begin(), polled->problems.end());

  auto fetched = cycle.FetchReports(*config, kOncePurgeAhead);
  if (!fetched.ok()) return fail(fetched.status());
  problems.insert(problems.end(), fetched->problems.begin(), fetched->problems.end());

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
    cabs = cycle.FetchCabs(*config, kOncePurgeAhead, &progress);
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
  // Retention last (docs/reliability.md §Retention): purge-ahead 24 h, the next
  // expected --once run.
  auto swept = cycle.Sweep(*config, kOncePurgeAhead);
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
