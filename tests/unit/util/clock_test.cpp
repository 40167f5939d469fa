#include "util/clock.h"

#include <atomic>
#include <chrono>
#include <future>
#include <stop_token>
#include <thread>

#include <doctest/doctest.h>

#include "util/scaled_clock.h"

namespace hdc::util {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// 2024-05-01T00:00:00Z
constexpr TimePoint kStart{milliseconds(1714521600000LL)};

TEST_CASE("a manual clock starts at the given time and moves only when told") {
  ManualClock clock(kStart);
  CHECK(clock.Now() == kStart);
  CHECK(clock.Now() == kStart);
  CHECK(clock.waiters() == 0);

  clock.Advance(seconds(90));
  CHECK(clock.Now() == kStart + seconds(90));

  clock.Advance(milliseconds(1));
  CHECK(clock.Now() == kStart + milliseconds(90001));

  clock.Set(kStart + hours(24));
  CHECK(clock.Now() == kStart + hours(24));
}

TEST_CASE("a scaled clock runs at its scale, holds still while frozen, and runs on from there") {
  ManualClock real(kStart);
  ScaledClock scaled(real, 60);
  real.Advance(seconds(2));
  CHECK(scaled.Now() == kStart + minutes(2));

  scaled.Freeze(true);
  real.Advance(seconds(10));
  CHECK(scaled.Now() == kStart + minutes(2));
  scaled.Advance(minutes(5));  // still moved by hand while frozen
  CHECK(scaled.Now() == kStart + minutes(7));

  scaled.Freeze(false);
  CHECK(scaled.Now() == kStart + minutes(7));
  real.Advance(seconds(1));
  CHECK(scaled.Now() == kStart + minutes(8));
  scaled.Freeze(false);  // unfreezing a running clock changes nothing
  CHECK(scaled.Now() == kStart + minutes(8));
}

TEST_CASE("a manual clock can be set backwards") {
  ManualClock clock(kStart);
  clock.Set(kStart - hours(1));
  CHECK(clock.Now() == kStart - hours(1));
  clock.Advance(-minutes(30));
  CHECK(clock.Now() == kStart - minutes(90));
}

TEST_CASE("a manual clock wakes a waiter when advanced past its deadline") {
  ManualClock clock(kStart);
  std::future<bool> result = std::async(
      std::launch::async, [&] { return clock.WaitUntil(kStart + minutes(15), std::stop_token{}); });
  clock.AwaitWaiters(1);
  CHECK(clock.waiters() == 1);

  // Short of the deadline: the waiter stays asleep.
  clock.Advance(minutes(14));
  CHECK(result.wait_for(std::chrono::seconds(0)) == std::future_status::timeout);
  CHECK(clock.waiters() == 1);

  clock.Advance(minutes(2));
  CHECK(result.get());
  CHECK(clock.waiters() == 0);
}

TEST_CASE("a manual clock wakes a waiter when set exactly to its deadline") {
  ManualClock clock(kStart);
  std::future<bool> result =
      std::async(std::launch::async, [&] { return clock.WaitFor(seconds(30), std::stop_token{}); });
  clock.AwaitWaiters(1);
  clock.Set(kStart + seconds(30));
  CHECK(result.get());
  CHECK(clock.waiters() == 0);
}

TEST_CASE("a manual clock wakes every waiter whose deadline passed") {
  ManualClock clock(kStart);
  std::future<bool> a = std::async(
      std::launch::async, [&] { return clock.WaitUntil(kStart + seconds(10), std::stop_token{}); });
  std::future<bool> b = std::async(
      std::launch::async, [&] { return clock.WaitUntil(kStart + seconds(20), std::stop_token{}); });
  clock.AwaitWaiters(2);
  CHECK(clock.waiters() == 2);
  clock.Advance(seconds(20));
  CHECK(a.get());
  CHECK(b.get());
  CHECK(clock.waiters() == 0);
}

TEST_CASE("a manual clock returns at once when the deadline has already passed") {
  ManualClock clock(kStart);
  CHECK(clock.WaitUntil(kStart, std::stop_token{}));
  CHECK(clock.WaitUntil(kStart - hours(1), std::stop_token{}));
  CHECK(clock.WaitFor(milliseconds(0), std::stop_token{}));
  CHECK(clock.waiters() == 0);
}

TEST_CASE("a manual clock wait ends with false when stop is requested") {
  ManualClock clock(kStart);
  std::stop_source stop;
  std::future<bool> result = std::async(
      std::launch::async, [&] { return clock.WaitUntil(kStart + hours(1), stop.get_token()); });
  clock.AwaitWaiters(1);
  stop.request_stop();
  CHECK_FALSE(result.get());
  CHECK(clock.waiters() == 0);
  CHECK(clock.Now() == kStart);
}

TEST_CASE("a manual clock wait on an already stopped token returns false at once") {
  ManualClock clock(kStart);
  std::stop_source stop;
  stop.request_stop();
  CHECK_FALSE(clock.WaitUntil(kStart + hours(1), stop.get_token()));
  CHECK(clock.waiters() == 0);
}

TEST_CASE("AwaitWaiters returns when its own stop token fires") {
  ManualClock clock(kStart);
  std::stop_source stop;
  std::future<void> done =
      std::async(std::launch::async, [&] { clock.AwaitWaiters(1, stop.get_token()); });
  stop.request_stop();
  done.get();  // would hang if the stop were ignored
  CHECK(clock.waiters() == 0);
}

TEST_CASE("the system clock reads close to the system's wall clock") {
  SystemClock clock;
  const auto before = std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
  const TimePoint now = clock.Now();
  const auto after = std::chrono::system_clock::now();
  CHECK(now >= before);
  CHECK(now <= after);
  CHECK(after - now < seconds(5));
}

TEST_CASE("the system clock returns at once when the deadline has already passed") {
  SystemClock clock;
  CHECK(clock.WaitUntil(clock.Now() - seconds(1), std::stop_token{}));
  CHECK(clock.WaitFor(milliseconds(0), std::stop_token{}));
}

TEST_CASE("a system clock wait on an already stopped token returns false at once") {
  SystemClock clock;
  std::stop_source stop;
  stop.request_stop();
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(clock.WaitUntil(clock.Now() + hours(1), stop.get_token()));
  CHECK(std::chrono::steady_clock::now() - start < seconds(10));
}

TEST_CASE("a system clock wait for an hour ends with false when stop is requested") {
  SystemClock clock;
  std::stop_source stop;
  std::atomic<bool> entered{false};
  std::future<bool> result = std::async(std::launch::async, [&] {
    entered = true;
    return clock.WaitFor(hours(1), stop.get_token());
  });
  // The stop may land before or during the wait; either way the wait must end
  // promptly with false (a missed wake-up would hang here for an hour).
  while (!entered) std::this_thread::yield();
  const auto start = std::chrono::steady_clock::now();
  stop.request_stop();
  REQUIRE(result.wait_for(seconds(30)) == std::future_status::ready);
  CHECK_FALSE(result.get());
  CHECK(std::chrono::steady_clock::now() - start < seconds(30));
}

}  // namespace
}  // namespace hdc::util

namespace hdc::util {
namespace {

TEST_CASE("a manual clock fast-forwards to the earliest deadline anyone waits for") {
  ManualClock clock(TimePoint(std::chrono::hours(1000)));
  CHECK_FALSE(clock.AdvanceToEarliestDeadline());
  const TimePoint start = clock.Now();
  std::thread waiter([&] { CHECK(clock.WaitFor(std::chrono::seconds(42), {})); });
  clock.AwaitWaiters(1);
  CHECK(clock.AdvanceToEarliestDeadline());
  waiter.join();
  CHECK(clock.Now() - start == std::chrono::seconds(42));
}

}  // namespace
}  // namespace hdc::util
