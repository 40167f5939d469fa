#include "engine/scheduler.h"

#include <algorithm>

#include "platform/thread_name.h"
#include "util/logging.h"
#include "util/time_format.h"

namespace hdc::engine {
namespace {

constexpr util::TimePoint kNever = util::TimePoint::max();

std::string When(std::optional<util::TimePoint> t) {
  return t && *t != kNever ? util::FormatTimestamp(*t) : "never";
}

// "1d0h46m", "3h5m", "12m", "40s": for people, to the minute.
std::string Human(util::Duration d) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  const auto days = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;
  if (days > 0)
    return std::to_string(days) + "d" + std::to_string(h) + "h" + std::to_string(m) + "m";
  if (h > 0) return std::to_string(h) + "h" + std::to_string(m) + "m";
  if (m > 0) return std::to_string(m) + "m";
  return std::to_string(s) + "s";
}

}  // namespace

Scheduler::JobState Scheduler::NewJobState(util::TimePoint now) {
  JobState state;
  state.next_poll = now;
  return state;
}

Scheduler::Scheduler(Work& work, util::Clock& clock, std::shared_ptr<const config::Config> config,
                     SchedulerOptions options)
    : work_(work), clock_(clock), options_(std::move(options)) {
  const util::TimePoint now = clock_.Now();
  ApplyConfig(std::move(config), now);
  sweep_at_ = now;
}

Scheduler::~Scheduler() = default;

std::shared_ptr<const config::Config> Scheduler::config() const {
  std::lock_guard lock(mu_);
  return config_;
}

void Scheduler::Wake() {
  idle_ = false;
  wake_.request_stop();
}

bool Scheduler::Idle() const {
  std::lock_guard lock(mu_);
  return idle_;
}

std::uint64_t Scheduler::Iterations() const {
  std::lock_guard lock(mu_);
  return iterations_;
}

void Scheduler::Reload(std::shared_ptr<const config::Config> config) {
  std::lock_guard lock(mu_);
  pending_config_ = std::move(config);
  Wake();
}

void Scheduler::Callback() {
  std::lock_guard lock(mu_);
  const util::TimePoint now = clock_.Now();
  for (const config::JobSpec& job : config_->jobs) {
    if (!job.enabled || !job.schedule.callback) continue;
    auto it = jobs_.find(job.name);
    if (it == jobs_.end()) continue;
    it->second.requested = true;
    it->second.next_poll = std::min(it->second.next_poll, now);
  }
  for (auto& [name, account] : accounts_) account.probe = true;
  Wake();
}

void Scheduler::FreezeForTest() {
  std::lock_guard lock(mu_);
  frozen_ = true;
  Wake();
}

void Scheduler::ApplyConfig(std::shared_ptr<const config::Config> config, util::TimePoint now) {
  // The accounts and their views.
  std::map<std::string, std::shared_ptr<const config::Config>> views;
  for (const config::AccountConfig& account : config->accounts) {
    views[account.name] =
        std::make_shared<const config::Config>(config::AccountView(*config, account.name));
  }
  std::map<std::string, AccountState> accounts;
  for (const auto& [name, view] : views) {
    auto kept = accounts_.find(name);
    AccountState state = kept != accounts_.end() ? kept->second : AccountState{};
    state.reconcile_due = true;
    state.reconcile_at = now;
    state.reconcile_failures = 0;
    accounts[name] = std::move(state);
  }
  std::map<std::string, JobState> jobs;
  for (const config::JobSpec& job : config->jobs) {
    if (!job.enabled) continue;
    // A job naming an unknown account (only in a hand-built configuration:
    // validation refuses it) goes with the primary account.
    std::string account = views.contains(job.account) ? job.account : config->account.name;
    if (!views.contains(account)) account = views.begin()->first;
    auto kept = jobs_.find(job.name);
    JobState state = kept != jobs_.end() ? kept->second : NewJobState(now);
    state.account = std::move(account);
    jobs[job.name] = std::move(state);
  }
  jobs_ = std::move(jobs);
  accounts_ = std::move(accounts);
  views_ = std::move(views);
  config_ = std::move(config);
}

util::Duration Scheduler::Backoff(int failures, util::Duration base, util::Duration cap) const {
  util::Duration wait = base;
  for (int i = 1; i < failures && wait < cap; ++i) wait *= 2;
  return std::min(wait, cap);
}

std::optional<Scheduler::Choice> Scheduler::NextTask() const {
  // An account's remote work waits while its authentication is refused,
  // except for one probe after a callback.
  auto remote_floor = [&](const std::string& account) {
    auto it = accounts_.find(account);
    if (it == accounts_.end()) return util::TimePoint{};
    const AccountState& state = it->second;
    return state.auth_refused && !state.probe ? state.auth_retry_at : util::TimePoint{};
  };
  std::optional<Choice> best;
  auto offer = [&](TaskKind kind, const std::string& account, const std::string& job,
                   util::TimePoint due) {
    if (kind != TaskKind::kSweep) due = std::max(due, remote_floor(account));
    if (due == kNever) return;
    if (!best || due < best->due) best = Choice{kind, account, job, due};
  };
  for (const auto& [name, state] : accounts_) {
    if (state.reconcile_due) offer(TaskKind::kReconcile, name, "", state.reconcile_at);
  }
  for (const auto& [name, state] : jobs_) {
    offer(TaskKind::kPoll, state.account, name, state.next_poll);
  }
  for (const auto& [name, state] : accounts_) {
    if (state.download_at) offer(TaskKind::kDownload, name, "", *state.download_at);
  }
  offer(TaskKind::kSweep, "", "", sweep_at_);
  return best;
}

void Scheduler::Run(std::stop_token stop) {
  platform::NameThisThread("hdc-scheduler");
  std::stop_callback on_stop(stop, [this] {
    std::lock_guard lock(mu_);
    Wake();
    task_cv_.notify_all();
  });
  std::jthread worker([this](std::stop_token s) { WorkerLoop(s); });
  util::TimePoint next_ping = clock_.Now();
  auto log = util::GetLogger("scheduler");
  while (!stop.stop_requested()) {
    std::stop_token wake;
    util::TimePoint deadline = kNever;
    {
      std::unique_lock lock(mu_);
      wake_ = std::stop_source();
      wake = wake_.get_token();
      if (frozen_) {
        lock.unlock();
        clock_.WaitUntil(kNever, stop);  // a test's deadlock: no tasks, no pings
        break;
      }
      const util::TimePoint now = clock_.Now();
      if (pending_config_) {
        ApplyConfig(std::move(pending_config_), now);
        pending_config_.reset();
        log->info("configuration reloaded: {} job(s)", config_->jobs.size());
      }
      if (!busy_) {
        if (auto next = NextTask()) {
          if (next->due <= now) {
            Start(*next, now);
          } else {
            deadline = next->due;
          }
        }
      }
      // The watchdog ping: from here only, so a loop that stops going round
      // stops the pings.
      if (options_.watchdog) {
        if (now >= next_ping) {
          if (options_.on_watchdog) options_.on_watchdog();
          next_ping = now + *options_.watchdog;
        }
        deadline = std::min(deadline, next_ping);
      }
      idle_ = !busy_ && !wake.stop_requested();
      ++iterations_;
    }
    clock_.WaitUntil(deadline, wake);
    std::lock_guard lock(mu_);
    idle_ = false;
  }
  worker.request_stop();
  task_cv_.notify_all();
}

void Scheduler::WorkerLoop(std::stop_token stop) {
  platform::NameThisThread("hdc-worker");
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      task_cv_.wait(lock, stop, [this] { return task_ != nullptr; });
      if (!task_) return;  // stop
      task = std::move(task_);
      task_ = nullptr;
    }
    task();
    // A step may have held much (a report's rows, a catch-up's cabs): the
    // idle daemon gives it back rather than keep it until the next step.
    work_.Rest();
  }
}

void Scheduler::Start(const Choice& choice, util::TimePoint now) {
  busy_ = true;
  std::shared_ptr<const config::Config> config = config_;
  // A remote task runs with its account's view; it uses up the account's probe.
  std::shared_ptr<const config::Config> view = config_;
  AccountState* account = nullptr;
  if (choice.kind != TaskKind::kSweep) {
    account = &accounts_[choice.account];
    account->probe = false;
    if (auto it = views_.find(choice.account); it != views_.end()) view = it->second;
  }
  switch (choice.kind) {
    case TaskKind::kReconcile:
      account->reconcile_due = false;
      task_ = [this, view, name = choice.account] {
        util::Status status = work_.Reconcile(*view);
        std::lock_guard lock(mu_);
        FinishReconcile(name, status, clock_.Now());
      };
      break;
    case TaskKind::kPoll: {
      JobState& state = jobs_[choice.job];
      state.requested = false;
      state.next_poll = kNever;
      state.last_attempt = now;
      task_ = [this, view, name = choice.account, job = choice.job] {
        auto outcome = work_.PollJob(*view, job);
        std::lock_guard lock(mu_);
        FinishPoll(name, job, outcome, clock_.Now());
      };
      break;
    }
    case TaskKind::kDownload:
      account->download_at.reset();
      task_ = [this, view, name = choice.account] {
        auto outcome = work_.Download(*view, view->service.sweep_interval);
        std::lock_guard lock(mu_);
        FinishDownload(name, outcome, clock_.Now());
      };
      break;
    case TaskKind::kSweep:
      sweep_at_ = kNever;
      task_ = [this, config] {
        auto next = work_.Sweep(*config, config->service.sweep_interval);
        std::lock_guard lock(mu_);
        FinishSweep(next, clock_.Now());
      };
      break;
  }
  task_cv_.notify_all();
}

bool Scheduler::HandleAuth(const std::string& account, const util::Status& status,
                           util::TimePoint now) {
  if (status.ok() || status.kind() != util::ErrorKind::kAuth) return false;
  auto it = accounts_.find(account);
  if (it == accounts_.end()) return true;  // the account went with a reload
  AccountState& state = it->second;
  ++state.auth_failures;
  const util::Duration wait =
      Backoff(state.auth_failures, options_.auth_retry_base, options_.auth_retry_cap);
  state.auth_retry_at = now + wait;
  if (!state.auth_refused) {
    auto log = util::GetLogger("scheduler");
    if (accounts_.size() > 1) {
      const auto jobs = std::count_if(jobs_.begin(), jobs_.end(), [&](const auto& job) {
        return job.second.account == account;
      });
      log->error(
          "account {}: authentication refused, remote work paused for its {} job(s) (retrying "
          "from {} on): {}",
          account, jobs, util::FormatTimestamp(state.auth_retry_at), status.message());
    } else {
      log->error(
          "authentication refused, remote work paused for all jobs (retrying from {} on): {}",
          util::FormatTimestamp(state.auth_retry_at), status.message());
    }
  }
  state.auth_refused = true;
  state.auth_error = status.message();
  return true;
}

void Scheduler::RemoteSucceeded(const std::string& account, util::TimePoint now) {
  last_success_ = now;
  auto it = accounts_.find(account);
  if (it == accounts_.end()) return;
  AccountState& state = it->second;
  if (state.auth_refused) {
    util::GetLogger("scheduler")
        ->info("{}authentication works again, remote work resumed",
               config::AccountPrefix(*config_, account));
  }
  state.auth_refused = false;
  state.auth_failures = 0;
  state.auth_error.clear();
}

void Scheduler::FinishReconcile(const std::string& account, const util::Status& status,
                                util::TimePoint now) {
  busy_ = false;
  auto it = accounts_.find(account);
  if (HandleAuth(account, status, now)) {
    if (it != accounts_.end()) {
      it->second.reconcile_due = true;
      it->second.reconcile_at = now;  // gated by the pause
    }
  } else if (!status.ok()) {
    if (it != accounts_.end()) {
      AccountState& state = it->second;
      ++state.reconcile_failures;
      state.reconcile_due = true;
      state.reconcile_at = now + Backoff(state.reconcile_failures, config_->service.poll_interval,
                                         options_.retry_cap);
      util::GetLogger("scheduler")
          ->warn("{}reconciliation failed, next try at {}: {}",
                 config::AccountPrefix(*config_, account),
                 util::FormatTimestamp(state.reconcile_at), status.ToString());
    }
  } else {
    RemoteSucceeded(account, now);
    if (it != accounts_.end()) it->second.reconcile_failures = 0;
    // The account's jobs are polled now: new schedules, and catching up
    // after start.
    for (auto& [name, state] : jobs_) {
      if (state.account == account) state.next_poll = std::min(state.next_poll, now);
    }
  }
  PublishStatus();
  Wake();
}

void Scheduler::FinishPoll(const std::string& account, const std::string& job,
                           const util::Result<JobPollOutcome>& outcome, util::TimePoint now) {
  busy_ = false;
  auto it = jobs_.find(job);
  if (HandleAuth(account, outcome.status(), now)) {
    if (it != jobs_.end()) it->second.next_poll = now;  // gated by the pause
  } else if (it != jobs_.end()) {
    JobState& state = it->second;
    const config::JobSpec* spec = config::FindJob(*config_, job);
    const util::Duration interval = config_->service.poll_interval;
    if (!outcome.ok()) {
      ++state.failures;
      state.last_error = outcome.status().ToString();
      state.next_poll = now + Backoff(state.failures, interval, options_.retry_cap);
      auto log = util::GetLogger("scheduler");
      if (state.failures == 1) {
        log->warn("job {}: poll failed, next try at {}: {}", job,
                  util::FormatTimestamp(state.next_poll), state.last_error);
      } else if (state.failures == options_.unhealthy_after) {
        log->error("job {}: {} polls failed in a row, now unhealthy; backing off up to {}", job,
                   state.failures, Human(options_.retry_cap));
      }
    } else {
      RemoteSucceeded(account, now);
      if (state.failures >= options_.unhealthy_after) {
        util::GetLogger("scheduler")->info("job {}: polls work again", job);
      }
      state.failures = 0;
      state.last_error.clear();
      state.last_success = now;
      if (!outcome->polled) {
        state.next_poll = kNever;  // no schedule yet: the next reconciliation polls it
      } else if (outcome->awaiting) {
        state.next_poll = now + interval;
      } else {
        auto next = spec ? NextRun(spec->schedule, now) : std::nullopt;
        state.next_poll = next ? *next + options_.poll_grace : kNever;
      }
      if (outcome->new_executions > 0 || outcome->completed > 0) {
        // The downloads of the job's account (as it is now, after a reload).
        if (auto acc = accounts_.find(state.account); acc != accounts_.end()) {
          acc->second.download_at = now;
        }
      }
    }
    if (state.requested) state.next_poll = now;
  }
  PublishStatus();
  Wake();
}

void Scheduler::FinishDownload(const std::string& account,
                               const util::Result<DownloadOutcome>& outcome, util::TimePoint now) {
  busy_ = false;
  const util::Duration interval = config_->service.poll_interval;
  auto it = accounts_.find(account);
  AccountState* state = it != accounts_.end() ? &it->second : nullptr;
  if (HandleAuth(account, outcome.status(), now)) {
    if (state != nullptr) state->download_at = now;  // gated by the pause
  } else if (!outcome.ok()) {
    if (state != nullptr) {
      ++state->download_failures;
      state->download_at = now + Backoff(state->download_failures, interval, options_.retry_cap);
      util::GetLogger("scheduler")
          ->warn("{}downloads stopped, next try at {}: {}",
                 config::AccountPrefix(*config_, account),
                 util::FormatTimestamp(*state->download_at), outcome.status().ToString());
    }
  } else {
    RemoteSucceeded(account, now);
    pending_downloads_ = outcome->pending;
    if (state != nullptr) {
      state->download_failures = 0;
      if (outcome->work_left) {
        state->download_at = now + std::min<util::Duration>(interval, std::chrono::minutes(15));
      }
    }
    ArmSweepFor(outcome->next_expiry, now);
  }
  PublishStatus();
  Wake();
}

void Scheduler::FinishSweep(const util::Result<std::optional<util::TimePoint>>& next,
                            util::TimePoint now) {
  busy_ = false;
  const util::Duration interval = config_->service.sweep_interval;
  if (!next.ok()) {
    sweep_at_ = now + std::min<util::Duration>(interval, std::chrono::minutes(5));
    util::GetLogger("scheduler")
        ->warn("retention sweep failed, next try at {}: {}", util::FormatTimestamp(sweep_at_),
               next.status().ToString());
  } else {
    sweep_at_ = now + interval;
    ArmSweepFor(*next, now);
  }
  PublishStatus();
  Wake();
}

void Scheduler::ArmSweepFor(std::optional<util::TimePoint> expiry, util::TimePoint now) {
  if (!expiry) return;
  const util::TimePoint at = std::max(now, *expiry - options_.expiry_margin);
  if (at < sweep_at_) {
    sweep_at_ = at;
    util::GetLogger("scheduler")->debug("next retention sweep armed for {}", When(at));
  }
}

void Scheduler::PublishStatus() {
  if (!options_.on_status) return;
  int enabled = 0;
  int unhealthy = 0;
  for (const auto& [name, state] : jobs_) {
    ++enabled;
    if (state.failures >= options_.unhealthy_after) ++unhealthy;
  }
  std::string line = std::to_string(enabled) + " job(s)";
  if (unhealthy > 0) line += " (" + std::to_string(unhealthy) + " unhealthy)";
  line += ", " + std::to_string(pending_downloads_) + " download(s) pending, last success " +
          When(last_success_);
  std::string refused;
  for (const auto& [name, account] : accounts_) {
    if (account.auth_refused) refused += (refused.empty() ? "account " : ", account ") + name;
  }
  if (!refused.empty()) {
    line += ", AUTHENTICATION REFUSED";
    if (accounts_.size() > 1) line += " (" + refused + ")";
  }
  if (line == last_status_) return;
  last_status_ = line;
  options_.on_status(line);
}

HealthSnapshot Scheduler::Health() const {
  std::lock_guard lock(mu_);
  HealthSnapshot h;
  h.now = clock_.Now();
  for (const auto& [name, account] : accounts_) {
    AccountHealth a;
    a.name = name;
    a.auth_refused = account.auth_refused;
    a.auth_error = account.auth_error;
    if (account.auth_refused) {
      a.auth_retry_at = account.auth_retry_at;
      if (!h.auth_refused) {
        h.auth_refused = true;
        h.auth_error = account.auth_error;
        h.auth_retry_at = account.auth_retry_at;
      }
    }
    h.accounts.push_back(std::move(a));
  }
  h.pending_downloads = pending_downloads_;
  h.last_success = last_success_;
  for (const auto& [name, state] : jobs_) {
    JobHealth j;
    j.name = name;
    j.account = state.account;
    j.healthy = state.failures < options_.unhealthy_after;
    j.last_success = state.last_success;
    j.last_attempt = state.last_attempt;
    if (state.next_poll != kNever) j.next_due = state.next_poll;
    j.consecutive_failures = state.failures;
    j.last_error = state.last_error;
    h.jobs.push_back(std::move(j));
  }
  h.problems = HealthProblems(h, *config_);
  return h;
}

std::vector<std::string> HealthProblems(const HealthSnapshot& health,
                                        const config::Config& config) {
  std::vector<std::string> problems;
  if (health.accounts.size() > 1) {
    for (const AccountHealth& account : health.accounts) {
      if (!account.auth_refused) continue;
      problems.push_back("authentication refused for account " + account.name +
                         ", its jobs paused (next try " + When(account.auth_retry_at) +
                         "): " + account.auth_error);
    }
  } else if (health.auth_refused) {
    problems.push_back("authentication refused, remote work paused (next try " +
                       When(health.auth_retry_at) + "): " + health.auth_error);
  }
  const util::Duration interval = config.service.poll_interval;
  for (const JobHealth& job : health.jobs) {
    if (!job.healthy) {
      problems.push_back("job " + job.name + ": " + std::to_string(job.consecutive_failures) +
                         " polls failed in a row, last: " + job.last_error);
      continue;
    }
    // A job is stale when its last successful poll is older than its
    // schedule's interval plus three poll intervals.
    const config::JobSpec* spec = config::FindJob(config, job.name);
    const util::Duration every = spec != nullptr ? util::Duration(spec->schedule.every) : interval;
    const util::Duration limit = every + 3 * interval;
    const util::TimePoint since = job.last_success ? *job.last_success : util::TimePoint{};
    if (job.last_success && health.now - since > limit) {
      problems.push_back("job " + job.name + ": last successful poll " + Human(health.now - since) +
                         " ago (limit " + Human(limit) + ")");
    }
  }
  return problems;
}

}  // namespace hdc::engine
