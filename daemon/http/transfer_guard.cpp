#include "http/transfer_guard.h"

#include <algorithm>
#include <cstdio>

namespace hdc::http {

using std::chrono::milliseconds;

std::string FormatSeconds(util::Duration d) {
  char buffer[32];
  if (d.count() % 1000 == 0) {
    std::snprintf(buffer, sizeof buffer, "%lld s", static_cast<long long>(d.count() / 1000));
  } else {
    std::snprintf(buffer, sizeof buffer, "%.3f s", static_cast<double>(d.count()) / 1000.0);
  }
  return buffer;
}

namespace {

// Bytes per second of `bytes` over `span`, rounded down; all of them when
// the span is empty.
std::uint64_t Rate(std::uint64_t bytes, util::Duration span) {
  if (span.count() <= 0) return bytes;
  return bytes * 1000 / static_cast<std::uint64_t>(span.count());
}

}  // namespace

std::string FormatRate(std::uint64_t bytes_per_second) {
  char buffer[48];
  if (bytes_per_second < 1024) {
    std::snprintf(buffer, sizeof buffer, "%llu B/s",
                  static_cast<unsigned long long>(bytes_per_second));
  } else if (bytes_per_second < (1u << 20)) {
    std::snprintf(buffer, sizeof buffer, "%.1f KiB/s",
                  static_cast<double>(bytes_per_second) / 1024);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.1f MiB/s",
                  static_cast<double>(bytes_per_second) / (1024.0 * 1024.0));
  }
  return buffer;
}

TransferGuard::TransferGuard(TransferLimits limits) : limits_(std::move(limits)) {
  samples_.push_back({util::Duration(0), 0});
}

void TransferGuard::Add(std::uint64_t bytes, util::Duration elapsed) {
  total_ += bytes;
  // A sample every 1/16 of the window keeps the measured span within about
  // 6 % of the window and the deque short.
  const util::Duration step = limits_.window / 16;
  if (elapsed - samples_.back().at >= step && elapsed > samples_.back().at) {
    samples_.push_back({elapsed, total_});
  }
  Prune(elapsed);
}

void TransferGuard::Prune(util::Duration elapsed) {
  // Keep the latest sample at least a window old: later windows start there
  // or after it.
  while (samples_.size() > 1 && samples_[1].at <= elapsed - limits_.window) samples_.pop_front();
}

const TransferGuard::Sample& TransferGuard::Baseline(util::Duration elapsed) const {
  const Sample* base = &samples_.front();
  for (const Sample& s : samples_) {
    if (s.at > elapsed - limits_.window) break;
    base = &s;
  }
  return *base;
}

std::uint64_t TransferGuard::MeasuredRate(util::Duration elapsed) const {
  if (elapsed < limits_.window) return Rate(total_, elapsed);
  const Sample& base = Baseline(elapsed);
  return Rate(total_ - base.total, elapsed - base.at);
}

util::Status TransferGuard::Check(util::Duration elapsed) const {
  const std::string measured = " (measured " + FormatRate(MeasuredRate(elapsed)) + ")";
  if (limits_.deadline.count() > 0 && elapsed >= limits_.deadline) {
    const std::string what = limits_.deadline_what.empty()
                                 ? "request deadline of " + FormatSeconds(limits_.deadline)
                                 : limits_.deadline_what;
    return util::TemporaryError(what + " passed after " + std::to_string(total_) + " bytes" +
                                measured);
  }
  if (limits_.min_rate == 0 || limits_.window.count() <= 0 || elapsed < limits_.window) {
    return util::Status::Ok();
  }
  const Sample& base = Baseline(elapsed);
  const std::uint64_t got = total_ - base.total;
  const auto span_ms = static_cast<std::uint64_t>((elapsed - base.at).count());
  if (got * 1000 < limits_.min_rate * span_ms) {
    return util::TemporaryError("slower than " + FormatRate(limits_.min_rate) + " over " +
                                FormatSeconds(limits_.window) + measured);
  }
  return util::Status::Ok();
}

std::optional<util::Duration> TransferGuard::Patience(util::Duration elapsed) const {
  std::optional<util::Duration> patience;
  if (limits_.deadline.count() > 0) {
    patience = std::max(util::Duration(0), limits_.deadline - elapsed);
  }
  if (limits_.min_rate == 0 || limits_.window.count() <= 0) return patience;
  // With no further byte, the window ending at t starts at sample i for t in
  // [s_i + window, s_i+1 + window); it fails from the first t where the
  // bytes since s_i fall below min_rate * (t - s_i).
  for (size_t i = 0; i < samples_.size(); ++i) {
    const Sample& s = samples_[i];
    const std::uint64_t since = total_ - s.total;
    const util::Duration need(
        static_cast<util::Duration::rep>((since * 1000 + limits_.min_rate - 1) / limits_.min_rate));
    const util::Duration fails_at =
        std::max({elapsed, s.at + limits_.window, s.at + need + milliseconds(1)});
    const bool last = i + 1 == samples_.size();
    if (last || fails_at < samples_[i + 1].at + limits_.window) {
      const util::Duration wait = fails_at - elapsed;
      return patience ? std::min(*patience, wait) : wait;
    }
  }
  return patience;
}

}  // namespace hdc::http
