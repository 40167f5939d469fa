#include "engine/scheduler.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "support/log_capture.h"
#include "util/time_format.h"

namespace hdc::engine {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using util::TimePoint;

// 2026-11-26T10:00:00Z.
const TimePoint kStart{std::chrono::sys_days{std::chrono::year{2026} / 11 / 26} + hours(10)};
// 2026-11-20T00:00:00Z: the jobs' first runs are on that day.
const TimePoint kDay0{std::chrono::sys_days{std::chrono::year{2026} / 11 / 20}};

config::JobSpec Job(const std::string& name, hours at, bool callback = false) {
  config::JobSpec job;
  job.name = name;
  job.schedule.start = kDay0 + at;
  job.schedule.every = hours(24);
  job.schedule.runs = 30;
  job.schedule.callback = callback;
  return job;
}

// A configuration with one account, as a loaded one: "default", which is
// also config.account and every job's account (JobSpec::account).
std::shared_ptr<const config::Config> Config(std::vector<config::JobSpec> jobs) {
  auto config = std::make_shared<config::Config>();
  config->service.poll_interval = minutes(15);
  config->service.sweep_interval = hours(1);
  config->accounts = {config->account};
  config->jobs = std::move(jobs);
  return config;
}

// A job of an account.
config::JobSpec JobOf(const std::string& name, const std::string& account, hours at,
                      bool callback = false) {
  config::JobSpec job = Job(name, at, callback);
  job.account = account;
  return job;
}

// A configuration with these accounts (the first is the primary one).
std::shared_ptr<const config::Config> Accounts(const std::vector<std::string>& names,
                                               std::vector<config::JobSpec> jobs) {
  auto config = std::make_shared<config::Config>(*Config(std::move(jobs)));
  config->accounts.clear();
  for (const std::string& name : names) {
    config::AccountConfig account;
    account.name = name;
    config->accounts.push_back(account);
  }
  config->account = config->accounts.front();
  return config;
}

std::string JobNames(const config::Config& config) {
  std::string names;
  for (const config::JobSpec& job : config.jobs) names += (names.empty() ? "" : " ") + job.name;
  return names;
}

// Records every task; answers as the test says. With several accounts the
// remote tasks name the account of the view they get ("reconcile a",
// "poll x@a", "download b"), with one they are as they always were.
class FakeWork final : public Work {
 public:
  explicit FakeWork(util::Clock& clock) : clock_(clock) {}

  util::Status Reconcile(const config::Config& config) override {
    if (config::SeveralAccounts(config)) {
      Record("reconcile " + config.account.name);
      std::lock_guard lock(mu_);
      reconciled_jobs_[config.account.name] = JobNames(config);
    } else {
      Record("reconcile");
    }
    return reconcile_status;
  }
  util::Result<JobPollOutcome> PollJob(const config::Config& config,
                                       const std::string& job) override {
    if (config::SeveralAccounts(config)) {
      // The view holds the job and the job's account only.
      const config::JobSpec* spec = config::FindJob(config, job);
      const bool own =
          spec != nullptr && spec->account == config.account.name &&
          std::all_of(config.jobs.begin(), config.jobs.end(),
                      [&](const config::JobSpec& j) { return j.account == config.account.name; });
      Record("poll " + job + "@" + config.account.name + (own ? "" : " (wrong view)"));
    } else {
      Record("poll " + job);
    }
    if (on_poll) return on_poll(job);
    JobPollOutcome outcome;
    outcome.polled = true;
    return outcome;
  }
  util::Result<DownloadOutcome> Download(const config::Config& config, util::Duration) override {
    Record(config::SeveralAccounts(config) ? "download " + config.account.name : "download");
    if (on_download) return on_download();
    return DownloadOutcome{};
  }
  util::Result<std::optional<TimePoint>> Sweep(const config::Config&, util::Duration) override {
    Record("sweep");
    return next_expiry;
  }
  void Rest() override {
    std::lock_guard lock(mu_);
    ++rests_;
  }

  std::vector<std::string> Take() {
    std::lock_guard lock(mu_);
    return std::exchange(calls_, {});
  }
  // Rest() calls so far, and whether each task began after the previous
  // one's rest.
  int Rests() {
    std::lock_guard lock(mu_);
    return rests_;
  }
  bool RestedBetweenTasks() {
    std::lock_guard lock(mu_);
    return rested_between_;
  }
  // The jobs of each account's view at its last reconciliation.
  std::map<std::string, std::string> ReconciledJobs() {
    std::lock_guard lock(mu_);
    return reconciled_jobs_;
  }

  util::Status reconcile_status;
  std::function<util::Result<JobPollOutcome>(const std::string&)> on_poll;
  std::function<util::Result<DownloadOutcome>()> on_download;
  std::optional<TimePoint> next_expiry;

 private:
  void Record(std::string what) {
    std::lock_guard lock(mu_);
    if (rests_ != tasks_) rested_between_ = false;
    ++tasks_;
    calls_.push_back(std::move(what));
  }

  util::Clock& clock_;
  std::mutex mu_;
  std::vector<std::string> calls_;
  std::map<std::string, std::string> reconciled_jobs_;
  int tasks_ = 0;
  int rests_ = 0;
  bool rested_between_ = true;
};

// Runs a scheduler on its own thread, with the test's manual clock.
class Harness {
 public:
  explicit Harness(std::shared_ptr<const config::Config> config, SchedulerOptions options = {})
      : clock(kStart), work(clock), scheduler(work, clock, std::move(config), std::move(options)) {
    thread = std::jthread([this](std::stop_token stop) { scheduler.Run(stop); });
    Settle(0);
  }

  // Waits (bounded) until the loop has gone round since `since` and sleeps
  // with nothing to do: an event to wait for, not a timed sleep.
  void Settle(std::uint64_t since) {
    // Bounded by 30 s of real time, far beyond what it takes (under Wine
    // and sanitizers too); the condition, not the time, ends the wait.
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < limit) {
      if (scheduler.Iterations() > since && scheduler.Idle() && clock.waiters() > 0) return;
      std::this_thread::yield();
    }
    FAIL("the scheduler did not settle: iterations " << scheduler.Iterations() << " (since "
                                                     << since << "), idle " << scheduler.Idle()
                                                     << ", clock waiters " << clock.waiters());
  }
  // Moves the clock to the loop's next deadline and lets it work.
  void Next() {
    const std::uint64_t since = scheduler.Iterations();
    REQUIRE(clock.AdvanceToEarliestDeadline(hours(24 * 40)));
    Settle(since);
  }
  void AdvanceTo(TimePoint t) {
    while (true) {
      const std::uint64_t since = scheduler.Iterations();
      auto before = clock.Now();
      // Step through every deadline up to t, so nothing due is skipped.
      if (!clock.AdvanceToEarliestDeadline(t - before)) {
        clock.Set(t);
        return;  // nothing was due before t
      }
      Settle(since);
      if (clock.Now() >= t) return;
    }
  }
  template <typename F>
  void Poke(F&& f) {
    const std::uint64_t since = scheduler.Iterations();
    f();
    Settle(since);
  }

  util::ManualClock clock;
  FakeWork work;
  Scheduler scheduler;
  std::jthread thread;
};

using Calls = std::vector<std::string>;

// The calls other than the hourly sweeps.
Calls Without(Calls calls, const std::string& what) {
  calls.erase(std::remove(calls.begin(), calls.end(), what), calls.end());
  return calls;
}

std::ptrdiff_t Count(const Calls& calls, const std::string& what) {
  return std::count(calls.begin(), calls.end(), what);
}

util::Status AuthRefused() {
  return util::Status::Error(util::ErrorKind::kAuth, "token refused (401)");
}

// Polls that answer `error` for `job` (every job when empty) while
// `*failing` holds (always when null), and succeed otherwise.
std::function<util::Result<JobPollOutcome>(const std::string&)> FailPolls(
    std::string job, util::Status error, const std::atomic<bool>* failing = nullptr) {
  return [job = std::move(job), error = std::move(error),
          failing](const std::string& polled) -> util::Result<JobPollOutcome> {
    if ((job.empty() || polled == job) && (failing == nullptr || *failing)) return error;
    JobPollOutcome outcome;
    outcome.polled = true;
    return outcome;
  };
}

// The status lines the scheduler publishes (from its threads).
struct StatusLines {
  std::mutex mu;
  std::string last;
  SchedulerOptions Options() {
    SchedulerOptions options;
    options.on_status = [this](const std::string& line) {
      std::lock_guard lock(mu);
      last = line;
    };
    return options;
  }
  std::string Last() {
    std::lock_guard lock(mu);
    return last;
  }
};

}  // namespace

TEST_CASE(
    "scheduler: start reconciles, polls every job and sweeps, then sleeps until a run is due") {
  Harness h(Config({Job("a", hours(2)), Job("b", hours(6))}));
  CHECK(h.work.Take() == Calls{"reconcile", "poll a", "poll b", "sweep"});
  // Nothing is due until job a's next run (tomorrow 02:00) plus the grace.
  auto health = h.scheduler.Health();
  REQUIRE(health.jobs.size() == 2);
  CHECK(util::FormatTimestamp(*health.jobs[0].next_due) == "2026-11-27T02:02:00Z");
  CHECK(util::FormatTimestamp(*health.jobs[1].next_due) == "2026-11-27T06:02:00Z");
  CHECK(health.problems.empty());
  // The hourly sweep comes first, then job a's poll alone.
  h.Next();
  CHECK(h.work.Take() == Calls{"sweep"});
  CHECK(h.clock.Now() == kStart + hours(1));
  h.AdvanceTo(TimePoint(kDay0 + hours(24 * 7 + 2) + minutes(2)));
  const Calls calls = h.work.Take();
  CHECK(std::count(calls.begin(), calls.end(), "poll a") == 1);
  CHECK(std::count(calls.begin(), calls.end(), "poll b") == 0);
}

TEST_CASE("scheduler: the work rests after each task, before the next one starts") {
  Harness h(Config({Job("a", hours(2)), Job("b", hours(6))}));
  h.Next();
  const auto tasks = static_cast<int>(h.work.Take().size());
  REQUIRE(tasks == 5);  // reconcile, two polls, two sweeps
  // The last rest follows the last task's end: waited for (bounded), not slept.
  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (h.work.Rests() < tasks && std::chrono::steady_clock::now() < limit) {
    std::this_thread::yield();
  }
  CHECK(h.work.Rests() == tasks);
  CHECK(h.work.RestedBetweenTasks());
}

TEST_CASE("scheduler: a run not yet listed is polled every poll_interval until it is") {
  Harness h(Config({Job("a", hours(2))}));
  h.work.Take();
  std::atomic<int> polls{0};
  h.work.on_poll = [&](const std::string&) -> util::Result<JobPollOutcome> {
    JobPollOutcome outcome;
    outcome.polled = true;
    if (++polls < 3)
      outcome.awaiting = kDay0 + hours(24 * 7 + 2);
    else
      outcome.new_executions = 1;
    return outcome;
  };
  h.AdvanceTo(kDay0 + hours(24 * 7 + 2) + minutes(2));
  CHECK(polls == 1);
  h.AdvanceTo(h.clock.Now() + minutes(15));
  CHECK(polls == 2);
  h.AdvanceTo(h.clock.Now() + minutes(15));
  CHECK(polls == 3);
  // The run showed up: it is downloaded, and the next poll is tomorrow's.
  const Calls calls = h.work.Take();
  CHECK(std::find(calls.begin(), calls.end(), "download") != calls.end());
  CHECK(util::FormatTimestamp(*h.scheduler.Health().jobs[0].next_due) == "2026-11-28T02:02:00Z");
}

TEST_CASE(
    "scheduler: a failing job backs off, turns unhealthy after three failures, the others go on") {
  Harness h(Config({Job("a", hours(2)), Job("b", hours(2))}));
  h.work.Take();
  std::atomic<bool> failing = true;
  h.work.on_poll = FailPolls("a", util::TemporaryError("HTTP 503 from reportdata"), &failing);
  const TimePoint run = kDay0 + hours(24 * 7 + 2) + minutes(2);
  h.AdvanceTo(run);
  CHECK(Without(h.work.Take(), "sweep") == Calls{"poll a", "poll b"});
  auto health = h.scheduler.Health();
  CHECK(health.jobs[0].consecutive_failures == 1);
  CHECK(*health.jobs[0].next_due == run + minutes(15));
  CHECK(health.jobs[0].healthy);
  h.AdvanceTo(run + minutes(15));
  CHECK(*h.scheduler.Health().jobs[0].next_due == run + minutes(15 + 30));
  h.AdvanceTo(run + minutes(45));
  health = h.scheduler.Health();
  CHECK(health.jobs[0].consecutive_failures == 3);
  CHECK_FALSE(health.jobs[0].healthy);
  CHECK(health.jobs[1].healthy);
  REQUIRE(health.problems.size() == 1);
  CHECK(health.problems[0].find("job a: 3 polls failed in a row") != std::string::npos);
  CHECK(*health.jobs[0].next_due == run + minutes(45 + 60));
  failing = false;
  h.AdvanceTo(run + minutes(105));
  CHECK(h.scheduler.Health().jobs[0].healthy);
  CHECK(h.scheduler.Health().problems.empty());
}

TEST_CASE(
    "scheduler: an authentication refusal pauses remote work for all jobs, a callback probes") {
  Harness h(Config({Job("a", hours(2), true), Job("b", hours(2))}));
  h.work.Take();
  std::atomic<bool> refused = true;
  h.work.on_poll = FailPolls("", AuthRefused(), &refused);
  const TimePoint run = kDay0 + hours(24 * 7 + 2) + minutes(2);
  h.AdvanceTo(run);
  // a failed with the refusal; b waits for the retry instead of failing too.
  Calls calls = h.work.Take();
  CHECK(std::count(calls.begin(), calls.end(), "poll a") == 1);
  CHECK(std::count(calls.begin(), calls.end(), "poll b") == 0);
  auto health = h.scheduler.Health();
  CHECK(health.auth_refused);
  REQUIRE_FALSE(health.problems.empty());
  CHECK(health.problems[0].find("authentication refused") != std::string::npos);
  // Nothing remote until the retry 5 min later; the sweep is local and
  // still runs on time.
  h.AdvanceTo(run + minutes(4));
  CHECK(h.work.Take() == Calls{});
  h.AdvanceTo(run + minutes(5));
  CHECK(h.work.Take() == Calls{"poll a"});  // still refused: b waits on
  h.AdvanceTo(TimePoint(kDay0 + hours(24 * 7 + 3)));
  calls = h.work.Take();  // retries at +10 and +20 min, backing off
  CHECK(Without(calls, "sweep") == Calls{"poll a", "poll a"});
  CHECK(std::count(calls.begin(), calls.end(), "sweep") == 1);
  // A callback is a hint that the service is back: one attempt at once.
  refused = false;
  h.Poke([&] { h.scheduler.Callback(); });
  calls = h.work.Take();
  CHECK(std::count(calls.begin(), calls.end(), "poll a") == 1);
  CHECK_FALSE(h.scheduler.Health().auth_refused);
  // And b, held back, runs now that the pause is over.
  CHECK(std::count(calls.begin(), calls.end(), "poll b") == 1);
}

TEST_CASE("scheduler: a callback polls the jobs with callback = yes at once") {
  Harness h(Config({Job("a", hours(2), true), Job("b", hours(2))}));
  h.work.Take();
  h.Poke([&] { h.scheduler.Callback(); });
  CHECK(h.work.Take() == Calls{"poll a"});
  CHECK(h.clock.Now() == kStart);
}

TEST_CASE("scheduler: a reload reconciles, polls new jobs and forgets removed ones") {
  Harness h(Config({Job("a", hours(2)), Job("b", hours(2))}));
  h.work.Take();
  h.Poke([&] { h.scheduler.Reload(Config({Job("b", hours(2)), Job("c", hours(5))})); });
  CHECK(h.work.Take() == Calls{"reconcile", "poll b", "poll c"});
  auto health = h.scheduler.Health();
  REQUIRE(health.jobs.size() == 2);
  CHECK(health.jobs[0].name == "b");
  CHECK(health.jobs[1].name == "c");
}

TEST_CASE("scheduler: a failed reconciliation is retried with backoff") {
  Harness h(Config({Job("a", hours(2))}), {});
  h.work.Take();
  h.work.reconcile_status = util::TemporaryError("HTTP 500");
  h.Poke([&] { h.scheduler.Reload(Config({Job("a", hours(2))})); });
  CHECK(h.work.Take() == Calls{"reconcile"});
  h.work.reconcile_status = util::Status::Ok();
  h.Next();
  CHECK(h.clock.Now() == kStart + minutes(15));
  CHECK(h.work.Take() == Calls{"reconcile", "poll a"});
}

TEST_CASE("scheduler: downloads left for later come back, an early expiry arms the sweep") {
  Harness h(Config({Job("a", hours(2))}));
  h.work.Take();
  int downloads = 0;
  h.work.on_poll = [&](const std::string&) -> util::Result<JobPollOutcome> {
    JobPollOutcome outcome;
    outcome.polled = true;
    outcome.new_executions = 1;
    return outcome;
  };
  h.work.on_download = [&]() -> util::Result<DownloadOutcome> {
    DownloadOutcome outcome;
    outcome.work_left = ++downloads == 1;
    outcome.pending = outcome.work_left ? 3 : 0;
    outcome.next_expiry = kStart + minutes(20);
    return outcome;
  };
  h.Poke([&] { h.scheduler.Reload(Config({Job("a", hours(2))})); });
  CHECK(h.work.Take() == Calls{"reconcile", "poll a", "download"});
  CHECK(h.scheduler.Health().pending_downloads == 3);
  // The expiry at +20 min arms the sweep for +19 min, before the hourly one.
  h.Next();
  CHECK(h.clock.Now() == kStart + minutes(15));
  CHECK(h.work.Take() == Calls{"download"});
  h.Next();
  CHECK(h.clock.Now() == kStart + minutes(19));
  CHECK(h.work.Take() == Calls{"sweep"});
}

TEST_CASE("scheduler: the watchdog is pinged from the loop, and not while it is frozen") {
  std::atomic<int> pings{0};
  SchedulerOptions options;
  options.watchdog = std::chrono::seconds(10);
  options.on_watchdog = [&] { ++pings; };
  Harness h(Config({Job("a", hours(2))}), options);
  CHECK(pings == 1);
  h.Next();
  CHECK(h.clock.Now() == kStart + std::chrono::seconds(10));
  CHECK(pings == 2);
  h.Next();
  CHECK(pings == 3);
  h.scheduler.FreezeForTest();
  h.clock.AwaitWaiters(1);
  h.clock.Advance(minutes(5));
  h.clock.AwaitWaiters(1);
  CHECK(pings == 3);
}

TEST_CASE("scheduler: each account is reconciled and polled with its own view") {
  Harness h(Accounts({"a", "b"}, {JobOf("x", "a", hours(2)), JobOf("y", "b", hours(6))}));
  CHECK(h.work.Take() == Calls{"reconcile a", "reconcile b", "poll x@a", "poll y@b", "sweep"});
  CHECK(h.work.ReconciledJobs() == std::map<std::string, std::string>{{"a", "x"}, {"b", "y"}});
  auto health = h.scheduler.Health();
  REQUIRE(health.accounts.size() == 2);
  CHECK(health.accounts[0].name == "a");
  CHECK(health.accounts[1].name == "b");
  CHECK_FALSE(health.auth_refused);
  REQUIRE(health.jobs.size() == 2);
  CHECK(health.jobs[0].account == "a");
  CHECK(health.jobs[1].account == "b");
  // Each job's next poll is its own run's, with its account's view.
  h.AdvanceTo(TimePoint(kDay0 + hours(24 * 7 + 6) + minutes(2)));
  const Calls calls = Without(h.work.Take(), "sweep");
  CHECK(calls == Calls{"poll x@a", "poll y@b"});
}

TEST_CASE(
    "scheduler: an authentication refusal pauses only its account, which resumes on success") {
  hdc::testing::LogCapture log;
  StatusLines status;
  SchedulerOptions options = status.Options();
  // A pause that outlasts a day, so the other account's next run falls in it.
  options.auth_retry_base = hours(25);
  options.auth_retry_cap = hours(48);
  Harness h(Accounts({"a", "b"}, {JobOf("x", "a", hours(2)), JobOf("y", "b", hours(2))}), options);
  h.work.Take();
  std::atomic<bool> refused{true};
  h.work.on_poll = [&](const std::string& job) -> util::Result<JobPollOutcome> {
    if (job == "y" && refused) return AuthRefused();
    JobPollOutcome outcome;
    outcome.polled = true;
    if (job == "x") outcome.new_executions = 1;
    return outcome;
  };
  const TimePoint run = kDay0 + hours(24 * 7 + 2) + minutes(2);
  h.AdvanceTo(run);
  Calls calls = Without(h.work.Take(), "sweep");
  CHECK(Count(calls, "poll x@a") == 1);
  CHECK(Count(calls, "poll y@b") == 1);
  CHECK(Count(calls, "download a") == 1);  // x listed a new run: a's downloads only
  CHECK(Count(calls, "download b") == 0);

  auto health = h.scheduler.Health();
  CHECK(health.auth_refused);
  CHECK(health.auth_error == "token refused (401)");
  REQUIRE(health.auth_retry_at);
  CHECK(*health.auth_retry_at == run + hours(25));
  REQUIRE(health.accounts.size() == 2);
  CHECK_FALSE(health.accounts[0].auth_refused);
  CHECK_FALSE(health.accounts[0].auth_retry_at);
  CHECK(health.accounts[1].name == "b");
  CHECK(health.accounts[1].auth_refused);
  CHECK(health.accounts[1].auth_error == "token refused (401)");
  REQUIRE(health.problems.size() == 1);
  CHECK(health.problems[0] == "authentication refused for account b, its jobs paused (next try " +
                                  util::FormatTimestamp(run + hours(25)) +
                                  "): token refused (401)");
  CHECK(status.Last().find(", AUTHENTICATION REFUSED (account b)") != std::string::npos);
  CHECK(log.text().find("account b: authentication refused, remote work paused for its 1 job(s) "
                        "(retrying from " +
                        util::FormatTimestamp(run + hours(25)) + " on): token refused (401)") !=
        std::string::npos);

  // The next day: x is polled on its schedule and a's downloads run; y waits.
  h.AdvanceTo(run + hours(24));
  calls = Without(h.work.Take(), "sweep");
  CHECK(calls == Calls{"poll x@a", "download a"});
  CHECK(h.scheduler.Health().accounts[1].auth_refused);

  // At the retry time b is tried again; it works, so b resumes.
  refused = false;
  h.AdvanceTo(run + hours(25));
  calls = Without(h.work.Take(), "sweep");
  CHECK(calls == Calls{"poll y@b"});
  health = h.scheduler.Health();
  CHECK_FALSE(health.auth_refused);
  CHECK_FALSE(health.accounts[1].auth_refused);
  CHECK(health.problems.empty());
  CHECK(status.Last().find("AUTHENTICATION REFUSED") == std::string::npos);
  CHECK(log.text().find("account b: authentication works again, remote work resumed") !=
        std::string::npos);
}

TEST_CASE("scheduler: with one account the refusal and resume texts are as before") {
  hdc::testing::LogCapture log;
  StatusLines status;
  Harness h(Config({Job("a", hours(2))}), status.Options());
  h.work.Take();
  std::atomic<bool> refused{true};
  h.work.on_poll = FailPolls("", AuthRefused(), &refused);
  const TimePoint run = kDay0 + hours(24 * 7 + 2) + minutes(2);
  h.AdvanceTo(run);
  CHECK(Without(h.work.Take(), "sweep") == Calls{"poll a"});
  const std::string retry = util::FormatTimestamp(run + minutes(5));
  auto health = h.scheduler.Health();
  REQUIRE(health.accounts.size() == 1);
  CHECK(health.accounts[0].name == "default");
  CHECK(health.jobs[0].account == "default");
  REQUIRE(health.problems.size() == 1);
  CHECK(health.problems[0] ==
        "authentication refused, remote work paused (next try " + retry + "): token refused (401)");
  CHECK(status.Last().ends_with(", AUTHENTICATION REFUSED"));
  CHECK(log.text().find("authentication refused, remote work paused for all jobs (retrying from " +
                        retry + " on): token refused (401)") != std::string::npos);
  CHECK(log.text().find("account ") == std::string::npos);
  refused = false;
  h.AdvanceTo(run + minutes(5));
  CHECK(Without(h.work.Take(), "sweep") == Calls{"poll a"});
  CHECK(h.scheduler.Health().problems.empty());
  CHECK(log.text().find("authentication works again, remote work resumed") != std::string::npos);
  CHECK(log.text().find("account ") == std::string::npos);
}

TEST_CASE("scheduler: a callback lets one task of a paused account through") {
  Harness h(
      Accounts({"a", "b"}, {JobOf("x", "a", hours(2), true), JobOf("y", "b", hours(2), true)}));
  h.work.Take();
  std::atomic<bool> refused{true};
  h.work.on_poll = FailPolls("y", AuthRefused(), &refused);
  h.Poke([&] { h.scheduler.Callback(); });
  CHECK(h.work.Take() == Calls{"poll x@a", "poll y@b"});
  CHECK(h.scheduler.Health().accounts[1].auth_refused);
  // Still refused: the next callback lets y through once more, no more.
  h.Poke([&] { h.scheduler.Callback(); });
  CHECK(h.work.Take() == Calls{"poll x@a", "poll y@b"});
  CHECK(h.scheduler.Health().accounts[1].auth_refused);
  // The service is back: the probe succeeds and b resumes.
  refused = false;
  h.Poke([&] { h.scheduler.Callback(); });
  CHECK(h.work.Take() == Calls{"poll x@a", "poll y@b"});
  CHECK_FALSE(h.scheduler.Health().auth_refused);
}

TEST_CASE("scheduler: a reload keeps the pause of an account that stays, drops a removed one") {
  Harness h(Accounts({"a", "b"}, {JobOf("x", "a", hours(2)), JobOf("y", "b", hours(2))}));
  h.work.Take();
  h.work.on_poll = FailPolls("y", AuthRefused());
  const TimePoint run = kDay0 + hours(24 * 7 + 2) + minutes(2);
  h.AdvanceTo(run);
  CHECK(Without(h.work.Take(), "sweep") == Calls{"poll x@a", "poll y@b"});
  REQUIRE(h.scheduler.Health().accounts[1].auth_refused);
  // The same accounts again: b stays paused, so only a is reconciled now.
  h.Poke([&] {
    h.scheduler.Reload(
        Accounts({"a", "b"}, {JobOf("x", "a", hours(2)), JobOf("y", "b", hours(2))}));
  });
  CHECK(h.work.Take() == Calls{"reconcile a", "poll x@a"});
  CHECK(h.scheduler.Health().accounts[1].auth_refused);
  // Without b: its state and pause are gone, x goes on.
  h.Poke([&] { h.scheduler.Reload(Accounts({"a"}, {JobOf("x", "a", hours(2))})); });
  CHECK(h.work.Take() == Calls{"reconcile", "poll x"});
  auto health = h.scheduler.Health();
  CHECK_FALSE(health.auth_refused);
  REQUIRE(health.accounts.size() == 1);
  CHECK(health.accounts[0].name == "a");
  REQUIRE(health.jobs.size() == 1);
  CHECK(health.jobs[0].name == "x");
  CHECK(health.problems.empty());
  h.AdvanceTo(run + hours(24));
  CHECK(Without(h.work.Take(), "sweep") == Calls{"poll x"});
}

TEST_CASE(
    "scheduler: a job is stale when its last success is older than its interval plus 3 polls") {
  auto config = Config({Job("a", hours(2))});
  HealthSnapshot h;
  h.now = kStart;
  JobHealth job;
  job.name = "a";
  job.last_success = kStart - hours(24) - minutes(44);
  h.jobs = {job};
  CHECK(HealthProblems(h, *config).empty());
  h.jobs[0].last_success = kStart - hours(24) - minutes(46);
  const auto problems = HealthProblems(h, *config);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0] == "job a: last successful poll 1d0h46m ago (limit 1d0h45m)");
}

TEST_CASE("cycle: NextRun and LastRun follow start + k * every for k < runs") {
  config::ScheduleSpec s;
  s.start = kDay0 + hours(2);
  s.every = hours(24);
  s.runs = 3;
  CHECK(*NextRun(s, kDay0) == kDay0 + hours(2));
  CHECK(*NextRun(s, kDay0 + hours(2)) == kDay0 + hours(26));
  CHECK(*NextRun(s, kDay0 + hours(27)) == kDay0 + hours(50));
  CHECK_FALSE(NextRun(s, kDay0 + hours(50)));
  CHECK_FALSE(LastRun(s, kDay0));
  CHECK(*LastRun(s, kDay0 + hours(2)) == kDay0 + hours(2));
  CHECK(*LastRun(s, kDay0 + hours(49)) == kDay0 + hours(26));
  CHECK(*LastRun(s, kDay0 + hours(24 * 30)) == kDay0 + hours(50));
}

}  // namespace hdc::engine
