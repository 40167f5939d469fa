// The daemon's timer loop: decides what is due and hands it, one task at a
// time, to a worker thread; the loop itself only waits, decides and pings.
//
// Remote work is per account (config.accounts, at least one as in every
// loaded configuration): each task is handed the account's view
// (config::AccountView: that account as config.account, only its jobs).
//
// What is due, per account, per job and globally:
// - each account's reconciliation at start, after a reload, and again
//   (backing off) while it reports problems; a successful one polls that
//   account's jobs at once;
// - a job's poll shortly after each scheduled run of its schedule, then every
//   poll_interval until the service lists that run as Completed or Failed; at
//   once on a callback for the job (coalesced). An idle daemon wakes once per
//   due event and otherwise sleeps;
// - an account's downloads after a poll of one of its jobs that listed new
//   runs, and again later while cabs wait for their next attempt;
// - the retention sweep at start, every sweep_interval, and earlier when the
//   earliest expiry of what is held comes sooner (purge-ahead covers the
//   rest).
// A job whose polls fail backs off (poll_interval doubling, up to 6 h) and is
// shown unhealthy after 3 failures in a row; the others go on. An
// authentication refusal pauses the remote work of that account only (its
// reconciliation, its jobs' polls, its downloads), which retries slowly (5 min
// doubling to 1 h; a callback triggers one attempt at once per paused
// account); the other accounts and the sweep go on, and the first success of
// the account resumes it. Only one task runs at a time, whatever its account.
// State changes are logged once, not once per attempt.
//
// Every wait is on the injected Clock and ends at once on stop, reload or a
// callback. The watchdog ping (systemd) is sent from this loop only, so a
// frozen loop stops the pings.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "config/ini_loader.h"
#include "engine/cycle.h"
#include "util/clock.h"
#include "util/result.h"

namespace hdc::engine {

struct DownloadOutcome {
  bool work_left = false;                      // deferred cabs or problems: try again later
  std::int64_t pending = 0;                    // downloads still waiting (reports + cabs)
  std::optional<util::TimePoint> next_expiry;  // of what is now held
};

// The work the scheduler hands out, always from its worker thread, one call
// at a time. CycleWork (engine/cycle_work.h) is the real one.
class Work {
 public:
  virtual ~Work() = default;
  virtual util::Status Reconcile(const config::Config& config) = 0;
  virtual util::Result<JobPollOutcome> PollJob(const config::Config& config,
                                               const std::string& job) = 0;
  virtual util::Result<DownloadOutcome> Download(const config::Config& config,
                                                 util::Duration purge_ahead) = 0;
  // Returns the earliest expiry of what is still held afterwards.
  virtual util::Result<std::optional<util::TimePoint>> Sweep(const config::Config& config,
                                                             util::Duration purge_ahead) = 0;
  // After each task: lets go of what the task held or left cached
  // (CycleWork: Cycle::Rest), so the daemon idles small.
  virtual void Rest() {}
};

struct SchedulerOptions {
  util::Duration poll_grace = std::chrono::minutes(2);  // poll this long after a run's time
  util::Duration retry_cap = std::chrono::hours(6);     // a failing job's longest wait
  int unhealthy_after = 3;                              // failures in a row
  util::Duration auth_retry_base = std::chrono::minutes(5);
  util::Duration auth_retry_cap = std::chrono::hours(1);
  // Sweeps run this long before the earliest expiry they know of.
  util::Duration expiry_margin = std::chrono::minutes(1);
  std::optional<util::Duration> watchdog;  // ping period; nullopt: no watchdog
  std::function<void()> on_watchdog;       // called from the loop (quick; must not call back)
  std::function<void(const std::string&)> on_status;  // a one-line status, when it changes
};

struct JobHealth {
  std::string name;
  std::string account;
  bool healthy = true;
  std::optional<util::TimePoint> last_success;
  std::optional<util::TimePoint> last_attempt;
  std::optional<util::TimePoint> next_due;
  int consecutive_failures = 0;
  std::string last_error;
};

struct AccountHealth {
  std::string name;
  bool auth_refused = false;
  std::string auth_error;
  std::optional<util::TimePoint> auth_retry_at;
};

struct HealthSnapshot {
  util::TimePoint now;
  // Any account refused; the error and retry time of the first refused one
  // (by name). accounts[] has each account's own.
  bool auth_refused = false;
  std::string auth_error;
  std::optional<util::TimePoint> auth_retry_at;
  std::vector<AccountHealth> accounts;  // by name
  std::vector<JobHealth> jobs;          // enabled jobs, by name
  std::int64_t pending_downloads = 0;
  std::optional<util::TimePoint> last_success;  // of any remote task
  std::vector<std::string> problems;            // one line each; empty when healthy
};

class Scheduler {
 public:
  Scheduler(Work& work, util::Clock& clock, std::shared_ptr<const config::Config> config,
            SchedulerOptions options = {});
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Runs the loop until `stop`; returns after the running task has ended
  // (tasks see the same stop through the Work they were built with).
  void Run(std::stop_token stop);

  // Thread-safe. Swaps in a validated configuration: new jobs are
  // reconciled and polled, removed ones stop being scheduled; a task in
  // flight finishes with the configuration it started with.
  void Reload(std::shared_ptr<const config::Config> config);
  // Thread-safe. A report-ready hint from HDC: polls every enabled job with
  // callback = yes now (coalesced: hints that arrive while a poll is due or
  // running cause one more poll at most). Polling stays the fallback.
  void Callback();
  // Thread-safe.
  HealthSnapshot Health() const;
  std::shared_ptr<const config::Config> config() const;

  // True while the loop sleeps with no task running and nothing pending:
  // lets a test advance a manual clock only once everything due has run.
  bool Idle() const;
  // How many times the loop has gone round (with Idle(): "it woke and
  // settled again since").
  std::uint64_t Iterations() const;

  // Test hook: blocks the loop where it stands (no tasks, no pings) until
  // stop, as a deadlock would.
  void FreezeForTest();

 private:
  enum class TaskKind { kReconcile, kPoll, kDownload, kSweep };
  struct JobState {
    std::string account;
    util::TimePoint next_poll;
    bool requested = false;  // a callback arrived while its poll ran
    int failures = 0;
    std::optional<util::TimePoint> last_success;
    std::optional<util::TimePoint> last_attempt;
    std::string last_error;
  };
  // An account's remote work: its reconciliation, downloads and auth pause.
  struct AccountState {
    bool reconcile_due = true;
    util::TimePoint reconcile_at;
    int reconcile_failures = 0;
    std::optional<util::TimePoint> download_at;
    int download_failures = 0;
    bool auth_refused = false;
    int auth_failures = 0;
    util::TimePoint auth_retry_at;
    std::string auth_error;
    bool probe = false;  // a callback lets one remote task run despite the pause
  };
  struct Choice {
    TaskKind kind;
    std::string account;  // remote tasks
    std::string job;      // kPoll
    util::TimePoint due;
  };

  static JobState NewJobState(util::TimePoint now);
  void Wake();
  void WorkerLoop(std::stop_token stop);
  std::optional<Choice> NextTask() const;                 // under mu_
  void Start(const Choice& choice, util::TimePoint now);  // under mu_
  void ApplyConfig(std::shared_ptr<const config::Config> config, util::TimePoint now);
  // Result handling, under mu_.
  bool HandleAuth(const std::string& account, const util::Status& status, util::TimePoint now);
  void RemoteSucceeded(const std::string& account, util::TimePoint now);
  void FinishReconcile(const std::string& account, const util::Status& status, util::TimePoint now);
  void FinishPoll(const std::string& account, const std::string& job,
                  const util::Result<JobPollOutcome>& outcome, util::TimePoint now);
  void FinishDownload(const std::string& account, const util::Result<DownloadOutcome>& outcome,
                      util::TimePoint now);
  void FinishSweep(const util::Result<std::optional<util::TimePoint>>& next, util::TimePoint now);
  void ArmSweepFor(std::optional<util::TimePoint> expiry, util::TimePoint now);
  void PublishStatus();
  util::Duration Backoff(int failures, util::Duration base, util::Duration cap) const;

  Work& work_;
  util::Clock& clock_;
  const SchedulerOptions options_;

  mutable std::mutex mu_;
  std::shared_ptr<const config::Config> config_;
  std::shared_ptr<const config::Config> pending_config_;
  std::map<std::string, JobState> jobs_;
  std::map<std::string, AccountState> accounts_;
  // Each account's view of config_ (config::AccountView).
  std::map<std::string, std::shared_ptr<const config::Config>> views_;
  util::TimePoint sweep_at_;
  std::int64_t pending_downloads_ = 0;
  std::optional<util::TimePoint> last_success_;
  std::string last_status_;
  bool frozen_ = false;
  bool idle_ = false;  // the loop sleeps, no task runs, no wake pending
  std::uint64_t iterations_ = 0;

  std::stop_source wake_;
  bool busy_ = false;
  std::function<void()> task_;
  std::condition_variable_any task_cv_;
};

// The /healthz problems of a snapshot against the configuration: one line
// per failing reason (auth, one per refused account when there are several;
// each unhealthy or stale job).
std::vector<std::string> HealthProblems(const HealthSnapshot& health, const config::Config& config);

}  // namespace hdc::engine
