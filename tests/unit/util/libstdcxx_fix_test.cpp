// The Windows build's libstdc++ fix is in effect. GCC 12's libstdc++ lost
// wake-ups on systems without a futex: a thread removing a std::stop_callback
// that another thread was running could sleep for ever, which hung the
// scheduler's loop under Wine (its unit tests missed their settle bound in
// 29 of 40 runs). cmake/windows/libstdc++/atomic-wait-lost-wakeup.patch
// fixes the two headers; the scheduler tests are the behavioural check, this
// one makes sure the fixed copies are the ones compiled in.
#include <stop_token>

#include <doctest/doctest.h>

TEST_CASE("threads: the Windows build compiles the fixed libstdc++ atomic wait") {
#if defined(_WIN32) && defined(__GLIBCXX__) && __GNUC__ < 13
#ifdef HDC_LIBSTDCXX_ATOMIC_WAIT_FIXED
  CHECK(HDC_LIBSTDCXX_ATOMIC_WAIT_FIXED == 1);
#else
  FAIL(
      "bits/atomic_wait.h is the compiler's own, which loses wake-ups on Windows "
      "(cmake/windows/libstdcxx_fix.cmake did not take effect)");
#endif
#else
  MESSAGE("this libstdc++ waits on a futex or is newer: nothing to check");
#endif
}
