#include "util/clock.h"

#include <algorithm>

namespace hdc::util {

TimePoint SystemClock::Now() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
}

bool SystemClock::WaitUntil(TimePoint deadline, std::stop_token stop) {
  std::unique_lock lock(mu_);
  while (true) {
    if (stop.stop_requested()) return false;
    const auto now = Now();
    if (now >= deadline) return true;
    // Wait on the steady clock in slices so wall-clock steps are noticed.
    const auto slice = std::min<Duration>(deadline - now, std::chrono::minutes(1));
    cv_.wait_for(lock, stop, slice, [] { return false; });
  }
}

TimePoint ManualClock::Now() const {
  std::lock_guard lock(mu_);
  return now_;
}

bool ManualClock::WaitUntil(TimePoint deadline, std::stop_token stop) {
  std::unique_lock lock(mu_);
  ++waiters_;
  const auto entry = deadlines_.insert(deadline);
  cv_.notify_all();  // wake AwaitWaiters
  const bool reached = cv_.wait(lock, stop, [&] { return now_ >= deadline; });
  deadlines_.erase(entry);
  --waiters_;
  return reached;
}

void ManualClock::Advance(Duration d) {
  std::lock_guard lock(mu_);
  now_ += d;
  cv_.notify_all();
}

void ManualClock::Set(TimePoint t) {
  std::lock_guard lock(mu_);
  now_ = t;
  cv_.notify_all();
}

int ManualClock::waiters() const {
  std::lock_guard lock(mu_);
  return waiters_;
}

void ManualClock::AwaitWaiters(int n, std::stop_token stop) const {
  std::unique_lock lock(mu_);
  cv_.wait(lock, stop, [&] { return waiters_ >= n; });
}

}  // namespace hdc::util

namespace hdc::util {

bool ManualClock::AdvanceToEarliestDeadline(Duration horizon) {
  std::lock_guard lock(mu_);
  if (deadlines_.empty() || *deadlines_.begin() > now_ + horizon) return false;
  if (*deadlines_.begin() > now_) now_ = *deadlines_.begin();
  cv_.notify_all();
  return true;
}

}  // namespace hdc::util
