// A byte-rate limit shared by concurrent downloads (max_bandwidth).
//
// GCRA, the token bucket written as one "theoretical arrival time": each
// Acquire(n) books n bytes after the ones already booked, at `rate` bytes
// per second, and waits (on the injected Clock) until the booking lies
// within `burst` of now. So the long-run rate never exceeds `rate`, a burst
// of at most rate * burst bytes passes without waiting, and threads are
// served in the order they asked. A rate of 0 means unlimited: Acquire
// returns at once. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <stop_token>

#include "util/clock.h"

namespace hdc::util {

class RateLimiter {
 public:
  RateLimiter(Clock& clock, std::uint64_t bytes_per_second,
              Duration burst = std::chrono::milliseconds(250));

  // Blocks until n more bytes may pass. False when stop ended the wait.
  bool Acquire(std::uint64_t n, std::stop_token stop);

  std::uint64_t rate() const { return rate_; }

 private:
  Clock& clock_;
  const std::uint64_t rate_;
  const Duration burst_;
  std::mutex mu_;
  // When the bytes booked so far have all passed, in microseconds since the
  // clock's epoch (finer than the clock, so small chunks add up exactly).
  std::int64_t booked_until_us_ = 0;
};

}  // namespace hdc::util
