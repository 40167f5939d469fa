#include "emulator/scaled_clock.h"

#include <algorithm>

namespace hdc::emulator {

ScaledClock::ScaledClock(util::Clock& real, double scale)
    : real_(real), scale_(scale > 0 ? scale : 1.0), origin_(real.Now()) {}

util::TimePoint ScaledClock::Now() const {
  const auto real_elapsed = (real_.Now() - origin_).count();
  std::lock_guard lock(mu_);
  return origin_ + util::Duration(static_cast<long long>(real_elapsed * scale_)) + offset_;
}

bool ScaledClock::WaitUntil(util::TimePoint deadline, std::stop_token stop) {
  while (!stop.stop_requested()) {
    const util::TimePoint now = Now();
    if (now >= deadline) return true;
    const double remaining_ms = static_cast<double>((deadline - now).count()) / scale_;
    const auto slice = util::Duration(std::clamp<long long>(static_cast<long long>(remaining_ms) + 1, 1, 1000));
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, stop, slice, [] { return false; });
  }
  return false;
}

void ScaledClock::Advance(util::Duration d) {
  std::lock_guard lock(mu_);
  offset_ += d;
  cv_.notify_all();
}

void ScaledClock::Set(util::TimePoint t) {
  const util::TimePoint now = Now();
  Advance(t - now);
}

}  // namespace hdc::emulator
