// Stop requests under contention. Every wait in the daemon ends on a
// std::stop_token, and on Windows GCC 12's libstdc++ once lost such a
// wake-up: a thread removing a std::stop_callback that another thread was
// running slept for ever (it hung the scheduler's loop under Wine; the fix is
// cmake/windows/libstdc++/atomic-wait-lost-wakeup.patch).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <stop_token>
#include <thread>

namespace {

// Runs `body` on its own thread. A hung thread can be neither joined nor
// unwound, so when `body` has not finished within `limit` (far beyond what it
// takes) the process ends with a message, and the test with it.
template <typename F>
void FinishesWithin(std::chrono::seconds limit, const char* what, F body) {
  auto done = std::async(std::launch::async, body);
  if (done.wait_for(limit) == std::future_status::timeout) {
    std::fprintf(stderr, "HANG: %s did not finish within %lld s\n", what,
                 static_cast<long long>(limit.count()));
    std::fflush(stderr);
    std::_Exit(1);
  }
  done.get();
}

}  // namespace

TEST_CASE("threads: the Windows build compiles the fixed libstdc++ atomic wait") {
#if defined(_WIN32) && defined(__GLIBCXX__) && __GNUC__ < 13
#ifdef HDC_LIBSTDCXX_ATOMIC_WAIT_FIXED
  CHECK(HDC_LIBSTDCXX_ATOMIC_WAIT_FIXED == 1);
#else
  FAIL("bits/atomic_wait.h is the compiler's own, which loses wake-ups on Windows "
       "(cmake/windows/libstdcxx_fix.cmake did not take effect)");
#endif
#else
  MESSAGE("this libstdc++ waits on a futex or is fixed: nothing to check");
#endif
}

TEST_CASE("threads: removing a stop callback that another thread is running never hangs") {
  // Each round, the remover leaves the callback's scope while the stopper is
  // inside the callback, so it must wait for the stopper to signal the end
  // of the callback: the wake-up that GCC 12 lost on Windows (in about one
  // round in a few thousand). The callback's length varies to sweep the
  // window between the remover's check and its sleep.
  constexpr int kRounds = 20000;
  std::atomic<int> waited{0};
  std::atomic<int> removed_early{0};
  FinishesWithin(std::chrono::seconds(300), "racing stop callbacks", [&] {
    for (int round = 0; round < kRounds; ++round) {
      std::stop_source source;
      std::atomic<bool> entered{false};
      std::atomic<bool> left{false};
      std::jthread stopper([&] { source.request_stop(); });
      {
        std::stop_callback callback(source.get_token(), [&, round] {
          entered = true;
          for (int k = 0; k < round % 64; ++k) std::this_thread::yield();
          left = true;
        });
        while (!entered) std::this_thread::yield();
        if (!left) ++waited;
      }  // removes the callback, waiting for the stopper when it still runs it
      if (!left) ++removed_early;  // the removal returned while it still ran
      stopper.join();
    }
  });
  MESSAGE(waited.load() << " of " << kRounds << " removals waited for a running callback");
  CHECK(removed_early.load() == 0);
  // The race is only exercised when removals do wait.
  CHECK(waited.load() > kRounds / 10);
}
