#include "util/scaled_clock.h"

#include <algorithm>

namespace hdc::util {

ScaledClock::ScaledClock(Clock& real, double scale)
    : real_(real), scale_(scale > 0 ? scale : 1.0), origin_(real.Now()) {}

TimePoint ScaledClock::Now() const {
  const auto real_elapsed = (real_.Now() - origin_).count();
  std::lock_guard lock(mu_);
  if (frozen_) return *frozen_;
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
  if (frozen_) *frozen_ += d;
  cv_.notify_all();
}

void ScaledClock::Freeze(bool frozen) {
  const TimePoint now = Now();
  std::lock_guard lock(mu_);
  if (frozen) {
    frozen_ = now;
    return;
  }
  if (!frozen_) return;
  // Runs on from the frozen instant: the offset absorbs the real time that
  // passed while frozen.
  const auto real_elapsed = (real_.Now() - origin_).count();
  offset_ = *frozen_ - (origin_ + Duration(static_cast<long long>(real_elapsed * scale_)));
  frozen_.reset();
  cv_.notify_all();
}

void ScaledClock::Set(TimePoint t) {
  const TimePoint now = Now();
  Advance(t - now);
}

}  // namespace hdc::util
