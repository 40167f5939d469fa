#include "util/rate_limiter.h"

#include <atomic>
#include <thread>

#include <doctest/doctest.h>

namespace hdc::util {
namespace {

const TimePoint kStart{std::chrono::hours(24 * 365 * 56)};

TEST_CASE("rate limiter: a rate of 0 never waits") {
  ManualClock clock(kStart);
  RateLimiter limiter(clock, 0);
  for (int i = 0; i < 100; ++i) CHECK(limiter.Acquire(1 << 30, {}));
  CHECK(clock.Now() == kStart);
}

TEST_CASE("rate limiter: a burst passes, then bytes wait for their share of a second") {
  ManualClock clock(kStart);
  RateLimiter limiter(clock, 1000, std::chrono::milliseconds(250));
  CHECK(limiter.Acquire(250, {}));  // within the burst: no wait
  CHECK(clock.waiters() == 0);

  std::atomic<bool> done{false};
  std::jthread worker([&] {
    limiter.Acquire(1000, {});  // booked until 1.25 s, so ready at 1.0 s
    done = true;
  });
  clock.AwaitWaiters(1);
  clock.Advance(std::chrono::milliseconds(999));
  CHECK_FALSE(done.load());
  clock.Advance(std::chrono::milliseconds(1));
  worker.join();
  CHECK(done.load());
}

TEST_CASE("rate limiter: the long-run rate is the configured one, whatever the chunk size") {
  ManualClock clock(kStart);
  RateLimiter limiter(clock, 64 * 1024, std::chrono::milliseconds(0));
  std::jthread pump([&](std::stop_token stop) {
    while (!stop.stop_requested()) {
      clock.AwaitWaiters(1, stop);
      if (!stop.stop_requested()) clock.AdvanceToEarliestDeadline();
    }
  });
  // 10 s worth of bytes in odd-sized chunks.
  std::uint64_t sent = 0;
  while (sent < 640 * 1024) {
    const std::uint64_t chunk = 1000 + sent % 7777;
    CHECK(limiter.Acquire(chunk, {}));
    sent += chunk;
  }
  pump.request_stop();
  const auto elapsed = clock.Now() - kStart;
  CHECK(elapsed >= std::chrono::milliseconds(9900));
  CHECK(elapsed <= std::chrono::milliseconds(10200));
}

TEST_CASE("rate limiter: a stop ends the wait and says so") {
  ManualClock clock(kStart);
  RateLimiter limiter(clock, 10, std::chrono::milliseconds(0));
  std::stop_source stop;
  std::atomic<int> result{-1};
  std::jthread worker([&] { result = limiter.Acquire(1000, stop.get_token()) ? 1 : 0; });
  clock.AwaitWaiters(1);
  stop.request_stop();
  worker.join();
  CHECK(result.load() == 0);
}

}  // namespace
}  // namespace hdc::util
