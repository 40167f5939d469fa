#include "util/rate_limiter.h"

#include <algorithm>

namespace hdc::util {

RateLimiter::RateLimiter(Clock& clock, std::uint64_t bytes_per_second, Duration burst)
    : clock_(clock), rate_(bytes_per_second), burst_(burst) {}

bool RateLimiter::Acquire(std::uint64_t n, std::stop_token stop) {
  if (rate_ == 0 || n == 0) return true;
  std::int64_t ready_us = 0;
  {
    std::lock_guard lock(mu_);
    const std::int64_t now_us =
        std::chrono::duration_cast<std::chrono::microseconds>(clock_.Now().time_since_epoch())
            .count();
    const std::int64_t cost_us = static_cast<std::int64_t>(
        static_cast<long double>(n) * 1'000'000.0L / static_cast<long double>(rate_));
    booked_until_us_ = std::max(booked_until_us_, now_us) + cost_us;
    ready_us =
        booked_until_us_ - std::chrono::duration_cast<std::chrono::microseconds>(burst_).count();
    if (ready_us <= now_us) return true;
  }
  // Round up to the clock's resolution, so the wait never ends early.
  const TimePoint deadline{std::chrono::milliseconds((ready_us + 999) / 1000)};
  return clock_.WaitUntil(deadline, std::move(stop));
}

}  // namespace hdc::util
