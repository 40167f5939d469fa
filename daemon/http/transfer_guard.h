// The bounds of one HTTP attempt: an overall deadline and a minimum transfer
// rate (curl's --speed-limit and --speed-time), so that a server that
// answers slowly or drips its body cannot hold a request for ever
// (docs/reliability.md §Fault catalogue, N04).
//
// Pure logic on durations since the attempt started: the caller feeds the
// bytes it receives and the elapsed time, and asks whether the transfer may
// go on. The Poco client measures elapsed time on a steady clock; tests
// drive it by hand. The rate is the average over the last `window` (at least
// that long, never a shorter burst), checked once the attempt is `window`
// old, so the wait for the first byte counts against it as in curl.
// Not thread-safe: one guard per attempt, used by the thread that reads.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "util/clock.h"
#include "util/result.h"

namespace hdc::http {

struct TransferLimits {
  util::Duration deadline{0};                        // the whole attempt; 0 = none
  std::string deadline_what;                         // names the bound in the error; "" = "request
                                                     // deadline of <deadline>"
  std::uint64_t min_rate = 0;                        // bytes per second; 0 = no floor
  util::Duration window = std::chrono::seconds(30);  // the floor's averaging window
};

class TransferGuard {
 public:
  explicit TransferGuard(TransferLimits limits);

  // `bytes` more arrived at `elapsed` since the attempt started.
  void Add(std::uint64_t bytes, util::Duration elapsed);
  // Ok while the attempt may go on at `elapsed`; else kTemporary naming the
  // bound that was crossed and the measured rate, e.g. "slower than 1.0 KiB/s
  // over 30 s (measured 12 B/s)" or "request deadline of 10m passed after
  // 4096 bytes (measured 6 B/s)".
  util::Status Check(util::Duration elapsed) const;
  // How long after `elapsed` Check fails if no byte arrives meanwhile: the
  // longest a read may block. nullopt when nothing bounds it.
  std::optional<util::Duration> Patience(util::Duration elapsed) const;
  // Bytes per second over the last window (over the whole attempt while it
  // is younger than the window).
  std::uint64_t MeasuredRate(util::Duration elapsed) const;
  std::uint64_t bytes() const { return total_; }

 private:
  struct Sample {
    util::Duration at;
    std::uint64_t total;  // bytes received up to `at`
  };
  // The sample the window ending at `elapsed` starts from: the latest one at
  // least `window` before it.
  const Sample& Baseline(util::Duration elapsed) const;
  void Prune(util::Duration elapsed);

  const TransferLimits limits_;
  std::uint64_t total_ = 0;
  std::deque<Sample> samples_;  // ascending; the first at 0 with 0 bytes
};

// "12 B/s", "1.5 KiB/s", "3.2 MiB/s".
std::string FormatRate(std::uint64_t bytes_per_second);
// "30 s", "0.250 s".
std::string FormatSeconds(util::Duration d);

}  // namespace hdc::http
