#include "util/scaled_clock.h"

#include <algorithm>

namespace hdc::util {

ScaledClock::ScaledClock(Clock& real, double scale)
    : real_(real), scale_(scale > 0 ? scale : 1.0), origin_(real.Now()) {}

TimePoint ScaledClock::Now() const {
  const auto real_elapsed = (real_.Now() - origin_).count();
  std::lock_guard lock(mu_);
  return origin_ + Duration(static_cast<long long>(real_elapsed * scale_)) + offset_;
}

bool ScaledClock::WaitUntil(TimePoint deadline, std::stop_token stop) {
  while (!stop.stop_requested()) {
    const TimePoint now = Now();
    if (now >= deadline) return true;
    const double remaining_ms = static_cast<double>((deadline - now).count()) / scale_;
    const auto slice =
        Duration(std::clamp<long long>(static_cast<long long>(remaining_ms) + 1, 1, 1000));
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, stop, slice, [] { return false; });
  }
  return false;
}

void ScaledClock::Advance(Duration d) {
  std::lock_guard lock(mu_);
  offset_ += d;
  cv_.notify_all();
}

void ScaledClock::Set(TimePoint t) {
  const TimePoint now = Now();
  Advance(t - now);
}

}  // namespace hdc::util
