// A clock that runs at `scale` times real time from a starting point (3600:
// one emulated hour per real second, for demos), and can be moved by hand
// like a ManualClock (Set/Advance shift it; it keeps running). Waits sleep
// the corresponding real time in slices and end early on stop or when the
// clock is moved. Thread-safe.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>

#include "util/clock.h"

namespace hdc::util {

class ScaledClock final : public Clock {
 public:
  ScaledClock(Clock& real, double scale);
  TimePoint Now() const override;
  bool WaitUntil(TimePoint deadline, std::stop_token stop) override;
  void Advance(Duration d);
  void Set(TimePoint t);
  // Frozen, Now() stays where it was when frozen (a check that must see one
  // instant: links and tokens that do not expire under it); unfrozen, time
  // runs on from there at the same scale.
  void Freeze(bool frozen);

 private:
  Clock& real_;
  const double scale_;
  const TimePoint origin_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  Duration offset_{0};
  std::optional<TimePoint> frozen_;
};

}  // namespace hdc::util
