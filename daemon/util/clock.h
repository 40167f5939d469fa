// Time as a parameter.
//
// Everything that reads the time or waits (scheduler, token refresh, retry
// backoff, link expiry, retention, the emulator) takes a Clock&. SystemClock is
// the real one; ManualClock is advanced by hand in tests and by the emulator's
// clock control, so no test ever sleeps for wall-clock time.
//
// Every wait ends early when its std::stop_token is triggered: one stop request
// (SIGTERM, the Windows service stop, a fatal error) bounds shutdown time.
// Both clocks are thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <stop_token>

namespace hdc::util {

using TimePoint = std::chrono::sys_time<std::chrono::milliseconds>;
using Duration = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  // The current UTC time.
  virtual TimePoint Now() const = 0;
  // Blocks until Now() >= deadline or until stop is requested. Returns true
  // when the deadline was reached, false when the wait ended on stop.
  virtual bool WaitUntil(TimePoint deadline, std::stop_token stop) = 0;
  bool WaitFor(Duration d, std::stop_token stop) { return WaitUntil(Now() + d, stop); }
};

// The system's UTC clock. Waits are re-checked against the wall clock at least
// once a minute, so a clock step (NTP, suspend) delays a deadline by at most
// that much.
class SystemClock final : public Clock {
 public:
  TimePoint Now() const override;
  bool WaitUntil(TimePoint deadline, std::stop_token stop) override;

 private:
  std::mutex mu_;
  std::condition_variable_any cv_;
};

// A clock that moves only when told to. Waiters wake when Advance/Set moves
// the time to or past their deadline, or when their stop token fires.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : now_(start) {}
  TimePoint Now() const override;
  bool WaitUntil(TimePoint deadline, std::stop_token stop) override;

  void Advance(Duration d);
  // Moves the clock to t (also backwards, to test clock jumps).
  void Set(TimePoint t);
  // Number of threads currently blocked in WaitUntil; lets a test wait until
  // a worker has gone to sleep before it advances the clock.
  int waiters() const;
  // Blocks until at least n threads are waiting (or stop fires).
  void AwaitWaiters(int n, std::stop_token stop = {}) const;
  // Moves the clock to the earliest deadline anyone waits for, if it lies
  // within `horizon` of now; returns false when nobody waits that soon. Lets
  // a test fast-forward through backoff waits of code in another thread.
  bool AdvanceToEarliestDeadline(Duration horizon = std::chrono::hours(24));

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable_any cv_;
  TimePoint now_;
  int waiters_ = 0;
  std::multiset<TimePoint> deadlines_;
};

}  // namespace hdc::util
