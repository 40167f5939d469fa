#include "service/run_once.h"

#include <atomic>
#include <iostream>
#include <mutex>
#include <optional>
#include <ostream>
#include <random>
#include <thread>

#include "db/database.h"
#include "engine/cycle.h"
#include "http/transfer_guard.h"
#include "platform/filesystem.h"
#include "platform/terminal.h"
#include "platform/thread_name.h"
#include "service/progress_line.h"
#include "service/signals.h"
#include "service/wiring.h"
#include "store/layout.h"
#include "util/logging.h"
#include "util/time_format.h"

namespace hdc::service {
namespace {

// --once purges what would pass the retention window before the next
// expected run (nightly), and downloads nothing that would.
constexpr util::Duration kOncePurgeAhead = std::chrono::hours(24);

// The last transfer a bound cut (the client's on_transfer_cut): its host,
// never a path or query, and the rate measured when it was cut.
class SlowTransfers {
 public:
  void Record(const util::Url& url, std::uint64_t rate) {
    std::lock_guard lock(mu_);
    host_ = url.host.find(':') == std::string::npos ? url.host : "[" + url.host + "]";
    rate_ = rate;
  }
  // "; the last transfer cut: 127.0.0.2 at 50 B/s", or "" when none was.
  std::string Describe() const {
    std::lock_guard lock(mu_);
    if (!host_) return "";
    return "; the last transfer cut: " + *host_ + " at " + http::FormatRate(rate_);
  }

 private:
  mutable std::mutex mu_;
  std::optional<std::string> host_;
  std::uint64_t rate_ = 0;
};

// [service] run_budget: when it has passed, every step is asked to stop
// (waits end, the fetchers keep their items' attempts) and the HTTP client,
// built with the same budget, cuts the transfer in flight
// (docs/operations.md §Nightly one-shot).
class RunBudget {
 public:
  RunBudget(util::Duration budget, util::Clock& clock, std::stop_source& stop) : budget_(budget) {
    if (budget.count() <= 0) return;
    watchdog_ = std::jthread([this, &clock, stop](std::stop_token cancelled) mutable {
      platform::NameThisThread("hdc-run-budget");
      if (clock.WaitFor(budget_, cancelled)) {
        spent_ = true;
        stop.request_stop();
      }
    });
  }
  bool spent() const { return spent_; }
  util::Duration budget() const { return budget_; }

 private:
  const util::Duration budget_;
  std::atomic<bool> spent_{false};
  std::jthread watchdog_;  // last: stopped and joined first
};

// SIGTERM, SIGINT or SIGQUIT (Ctrl+C on Windows) during a --once run: every
// step is asked to stop at its resumable checkpoint, as the daemon's stop
// does, and the run exits 75 (work left for the next run). The signals stay
// blocked in every thread (service/signals.h); this thread takes them.
class StopOnSignal {
 public:
  explicit StopOnSignal(std::stop_source& stop)
      : watcher_([this, stop]() mutable {
          platform::NameThisThread("hdc-signals");
          while (WaitForSignal() != DaemonSignal::kStop) {
          }  // reload and test signals mean nothing to one run
          if (finishing_) return;
          signalled_ = true;
          stop.request_stop();
        }) {}
  ~StopOnSignal() {
    finishing_ = true;
    if (!signalled_) RaiseStop();  // wakes the watcher; then the jthread joins it
  }
  bool signalled() const { return signalled_; }

 private:
  std::atomic<bool> finishing_{false};
  std::atomic<bool> signalled_{false};
  std::jthread watcher_;  // last: joined first
};

int Fail(std::ostream& err, const util::Status& status) {
  err << "hdc-reportd: " << status.ToString() << "\n";
  return status.exit_code();
}

// What the steps of one run share.
struct OnceRun {
  const config::Config& config;
  engine::Cycle& cycle;
  const RunBudget& budget;
  const StopOnSignal& signal;
  const SlowTransfers& slow;
  std::ostream& err;
};

// A step that ended early: a stop signal ends the run at once; a spent
// budget still sweeps, as local retention work runs even then (nothing
// personal outlives its window because a server was slow).
std::optional<int> EndedEarly(const OnceRun& run) {
  if (run.signal.signalled()) {
    return Fail(run.err, util::TemporaryError("stopped by a signal, work left for the next run"));
  }
  if (!run.budget.spent()) return std::nullopt;
  if (auto swept = run.cycle.Sweep(run.config, kOncePurgeAhead); swept.ok()) {
    util::GetLogger("service")->info("once: {}", retention::SweepSummary(*swept));
  }
  // Work left when the budget ran out: exit 75 with one line naming the last
  // host a bound cut and its rate (never a path, query or signature).
  return Fail(run.err, util::TemporaryError(
                           "run budget of " + util::FormatDuration(run.config.service.run_budget) +
                           " spent, work left for the next run" + run.slow.Describe()));
}

// The cab downloads, with a progress line on stderr while they run.
util::Result<download::CabFetchSummary> FetchCabs(const OnceRun& run, const config::Config& view,
                                                  engine::IngestRules rules) {
  download::CabProgress progress;
  ProgressLine line(
      std::cerr,
      [&progress] {
        return "cabs: " + std::to_string(progress.done.load()) + "/" +
               std::to_string(progress.total.load()) + " done, " +
               util::FormatByteSize(progress.bytes.load()) + " stored";
      },
      platform::StderrIsTerminal());
  return run.cycle.FetchCabs(view, std::move(rules), kOncePurgeAhead, &progress);
}

// Runs one step of an account, then rests the cycle (Cycle::Rest), so the
// next step, a long cab download above all, does not carry what this one
// left cached.
template <typename Step>
auto Rested(const OnceRun& run, Step step) {
  auto result = step();
  run.cycle.Rest();
  return result;
}

// One account's reconciliation, polling, report and cab downloads. A step
// that fails as a whole ends this account's steps (its problem collected);
// a stop or a spent budget ends the run (the return value).
std::optional<int> RunAccountSteps(const OnceRun& run, const config::Config& view,
                                   std::vector<util::Status>& problems) {
  const std::string prefix = config::AccountPrefix(view, view.account.name);
  auto failed = [&](const util::Status& status) {
    problems.push_back(status.WithContext(prefix));
    return std::nullopt;
  };
  auto summary = Rested(run, [&] { return run.cycle.Reconcile(view); });
  if (auto code = EndedEarly(run)) return *code;
  if (!summary.ok()) return failed(summary.status());
  for (const util::Status& p : summary->problems) problems.push_back(p.WithContext(prefix));

  auto polled = Rested(run, [&] { return run.cycle.Poll(view); });
  if (auto code = EndedEarly(run)) return *code;
  if (!polled.ok()) return failed(polled.status());
  for (const util::Status& p : polled->problems) problems.push_back(p.WithContext(prefix));

  auto rules = run.cycle.RulesFor(view);
  if (!rules.ok()) return failed(rules.status());
  auto fetched = Rested(run, [&] { return run.cycle.FetchReports(view, *rules, kOncePurgeAhead); });
  if (auto code = EndedEarly(run)) return *code;
  if (!fetched.ok()) return failed(fetched.status());
  for (const util::Status& p : fetched->problems) problems.push_back(p.WithContext(prefix));

  auto cabs = Rested(run, [&] { return FetchCabs(run, view, std::move(*rules)); });
  if (auto code = EndedEarly(run)) return *code;
  if (!cabs.ok()) return failed(cabs.status());
  for (const util::Status& p : cabs->problems) problems.push_back(p.WithContext(prefix));

  util::GetLogger("service")->info(
      "once: {}{} job(s) reconciled ({} change(s)), {} execution(s) seen ({} new), {} report(s) "
      "stored ({} bytes, {} rows), {} cab(s) recorded, {} cab(s) fetched ({} bytes), {} skipped, "
      "{} failed, {} deferred",
      prefix, view.jobs.size(), summary->applied.size(), polled->executions_seen,
      polled->new_executions, fetched->reports, fetched->bytes, fetched->rows, fetched->cabs_new,
      cabs->fetched, cabs->bytes, cabs->skipped, cabs->failed, cabs->deferred);
  return std::nullopt;
}

// Every account's steps (one account's refused credentials or failing
// service leave the others' work done), then the retention sweep. The exit
// code is the worst problem's.
int RunSteps(const OnceRun& run) {
  const config::Config& config = run.config;
  std::vector<util::Status> problems;
  for (const config::AccountConfig& account : config.accounts) {
    const config::Config view = config::AccountView(config, account.name);
    if (auto code = RunAccountSteps(run, view, problems)) return *code;
  }
  util::GetLogger("service")->info("once: {} problem(s)", problems.size());
  // Retention last (docs/reliability.md §Retention): purge-ahead 24 h, the next
  // expected --once run.
  auto swept = run.cycle.Sweep(config, kOncePurgeAhead);
  if (swept.ok()) {
    util::GetLogger("service")->info("once: {}", retention::SweepSummary(*swept));
  } else {
    problems.push_back(swept.status());
  }
  reconcile::ReconcileSummary all;
  all.problems = problems;
  if (const util::Status worst = all.Worst(); !worst.ok()) return Fail(run.err, worst);
  return 0;
}

}  // namespace

int RunOnce(const std::string& config_path, std::ostream& err) {
  auto config = config::LoadConfig(config_path);
  if (!config.ok()) return Fail(err, config.status());
  if (util::Status logging = SetupLoggingFrom(config->service); !logging.ok()) {
    return Fail(err, logging);
  }
  auto state = OpenState(*config, config_path);
  if (!state.ok()) return Fail(err, state.status());

  util::SystemClock clock;
  std::stop_source stop;
  SlowTransfers slow;
  RunBudget budget(config->service.run_budget, clock, stop);
  StopOnSignal signal(stop);
  const std::vector<AccountLink> links = ConnectAccounts(
      *config, state->credentials, clock, stop.get_token(),
      [&](const std::string&, api::ConnectionOptions& options) {
        options.http.run_budget = config->service.run_budget;
        options.http.on_transfer_cut = [&slow](const util::Url& url, std::uint64_t rate,
                                               const util::Status&) { slow.Record(url, rate); };
      });
  const store::StoreLayout layout(config->service.state_dir);
  util::Random random(std::random_device{}());
  engine::Cycle cycle({ConnectionsOf(links), *state->db, *state->files, layout, clock, random,
                       stop.get_token(), nullptr, state->callback_token});
  if (util::Status recovered = cycle.Recover(); !recovered.ok()) return Fail(err, recovered);
  return RunSteps({*config, cycle, budget, signal, slow, err});
}

}  // namespace hdc::service
