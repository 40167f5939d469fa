// The open-file limit of the test process, raised for tests that hold many
// sockets at once (POSIX RLIMIT_NOFILE; Windows has no such per-process cap).
#pragma once

#include <string>

#ifndef _WIN32
#include <sys/resource.h>
#endif

namespace hdc::testing {

// Makes sure the soft limit is at least `want`, raising it up to the hard
// limit. False, with the reason in `why`, when the hard limit is lower.
inline bool EnsureOpenFileLimit(unsigned long want, std::string& why) {
#ifdef _WIN32
  (void)want;
  (void)why;
  return true;
#else
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    why = "getrlimit(RLIMIT_NOFILE) failed";
    return false;
  }
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur >= want) return true;
  if (limit.rlim_cur == RLIM_INFINITY) return true;
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < want) {
    why = "RLIMIT_NOFILE hard limit " + std::to_string(limit.rlim_max) + " is below the " +
          std::to_string(want) + " descriptors this test holds";
    return false;
  }
  limit.rlim_cur = want;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    why = "setrlimit(RLIMIT_NOFILE, " + std::to_string(want) + ") failed";
    return false;
  }
  return true;
#endif
}

}  // namespace hdc::testing
