// The deadline and rate floor of one attempt (docs/reliability.md §Fault catalogue, N04):
// pure logic on elapsed time, driven by a manual clock; nothing waits.
#include "http/transfer_guard.h"

#include <doctest/doctest.h>

#include "util/clock.h"

namespace hdc::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A manual clock and the attempt's start: elapsed time as the Poco client
// measures it.
struct Attempt {
  explicit Attempt(TransferLimits limits) : guard(std::move(limits)) {}
  util::Duration elapsed() const { return clock.Now() - start; }
  void Receive(std::uint64_t bytes) { guard.Add(bytes, elapsed()); }
  util::Status Check() const { return guard.Check(elapsed()); }

  util::ManualClock clock{util::TimePoint(seconds(1'700'000'000))};
  util::TimePoint start = clock.Now();
  TransferGuard guard;
};

TransferLimits Floor(std::uint64_t rate, util::Duration window) {
  TransferLimits limits;
  limits.min_rate = rate;
  limits.window = window;
  return limits;
}

}  // namespace

TEST_CASE("a transfer at or above the rate floor is never cut") {
  Attempt a(Floor(1024, seconds(30)));
  for (int i = 0; i < 300; ++i) {
    a.clock.Advance(seconds(1));
    a.Receive(1024);
    REQUIRE(a.Check().ok());
  }
  CHECK(a.guard.MeasuredRate(a.elapsed()) == 1024);
}

TEST_CASE("a drip below the rate floor is cut once a whole window has passed, naming the rate") {
  Attempt a(Floor(1024, seconds(2)));
  for (int i = 0; i < 19; ++i) {  // 50 B/s in pieces of 5 bytes every 100 ms
    a.clock.Advance(milliseconds(100));
    a.Receive(5);
    REQUIRE(a.Check().ok());  // younger than the window: not judged yet
  }
  a.clock.Advance(milliseconds(100));
  a.Receive(5);
  const util::Status cut = a.Check();
  REQUIRE_FALSE(cut.ok());
  CHECK(cut.kind() == util::ErrorKind::kTemporary);
  CHECK(cut.message() == "slower than 1.0 KiB/s over 2 s (measured 50 B/s)");
}

TEST_CASE("with the rate floor at 0 the same drip is never cut (the control)") {
  Attempt a(Floor(0, seconds(2)));
  for (int i = 0; i < 24 * 3600; ++i) {  // a day at 1 B/s
    a.clock.Advance(seconds(1));
    a.Receive(1);
  }
  CHECK(a.Check().ok());
  CHECK_FALSE(a.guard.Patience(a.elapsed()).has_value());
}

TEST_CASE("a silent server fails the floor after one window, and Patience says so up front") {
  Attempt a(Floor(1024, seconds(30)));
  CHECK(a.guard.Patience(a.elapsed()) == seconds(30));
  a.clock.Advance(seconds(30) - milliseconds(1));
  CHECK(a.Check().ok());
  a.clock.Advance(milliseconds(1));
  CHECK_FALSE(a.Check().ok());
}

TEST_CASE("the rate is the average of the last window, not of the whole transfer") {
  Attempt a(Floor(1024, seconds(30)));
  for (int i = 0; i < 100; ++i) {  // 100 s at 64 KiB/s
    a.clock.Advance(seconds(1));
    a.Receive(64 * 1024);
  }
  int seconds_slow = 0;
  while (a.Check().ok() && seconds_slow < 1000) {  // then 100 B/s
    a.clock.Advance(seconds(1));
    a.Receive(100);
    ++seconds_slow;
  }
  // Cut about a window after the drop, though the whole transfer still
  // averages far above the floor.
  CHECK(seconds_slow >= 30);
  CHECK(seconds_slow <= 33);
  CHECK(a.guard.bytes() * 1000 / static_cast<std::uint64_t>(a.elapsed().count()) > 1024);
}

TEST_CASE("Patience is the first instant Check fails when no further byte arrives") {
  TransferLimits limits = Floor(1000, seconds(4));
  limits.deadline = seconds(40);
  Attempt a(limits);
  // An irregular transfer: bursts, pauses, trickles.
  const int pattern[] = {0, 9000, 0, 0, 300, 4000, 0, 0, 0, 0, 0, 12000, 50, 50, 50, 0, 7000};
  for (int round = 0; round < 2; ++round) {
    for (const int bytes : pattern) {
      a.clock.Advance(milliseconds(700));
      if (bytes > 0) a.Receive(static_cast<std::uint64_t>(bytes));
      if (!a.Check().ok()) break;
      const auto patience = a.guard.Patience(a.elapsed());
      REQUIRE(patience.has_value());
      if (*patience > milliseconds(0)) {
        CHECK(a.guard.Check(a.elapsed() + *patience - milliseconds(1)).ok());
      }
      CHECK_FALSE(a.guard.Check(a.elapsed() + *patience).ok());
    }
  }
}

TEST_CASE("the deadline ends an attempt however fast it goes, naming bytes and rate") {
  TransferLimits limits;
  limits.deadline = seconds(5);
  Attempt a(limits);
  for (int i = 0; i < 49; ++i) {
    a.clock.Advance(milliseconds(100));
    a.Receive(100 * 1024);
  }
  a.clock.Advance(milliseconds(99));
  CHECK(a.Check().ok());
  CHECK(a.guard.Patience(a.elapsed()) == milliseconds(1));
  a.clock.Advance(milliseconds(1));
  const util::Status cut = a.Check();
  REQUIRE_FALSE(cut.ok());
  CHECK(cut.kind() == util::ErrorKind::kTemporary);
  CHECK(cut.message() ==
        "request deadline of 5 s passed after 5017600 bytes (measured 980.0 KiB/s)");
}

TEST_CASE("rates print in B/s, KiB/s and MiB/s") {
  CHECK(FormatRate(0) == "0 B/s");
  CHECK(FormatRate(1023) == "1023 B/s");
  CHECK(FormatRate(1536) == "1.5 KiB/s");
  CHECK(FormatRate(3 << 20) == "3.0 MiB/s");
}

}  // namespace hdc::http
