#include "platform/process_guard.h"

#include <cstdlib>
#include <string>

#include <doctest/doctest.h>

#include "support/env.h"
#include "support/skip.h"

#ifdef _WIN32
#include <windows.h>
#else
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

namespace hdc::platform {
namespace {

#ifndef _WIN32
// What a forked child saw, as bits of its exit status (the test binary itself
// stays dumpable, so a crash of the suite still leaves a core to debug).
constexpr int kDumpableBefore = 1;   // PR_GET_DUMPABLE was 1 before the call
constexpr int kCoreLimitBefore = 2;  // RLIMIT_CORE was not 0 before the call
constexpr int kCallOk = 4;           // ForbidCoreDumps() returned OK
constexpr int kDumpableAfter = 8;    // PR_GET_DUMPABLE is still 1
constexpr int kCoreLimitAfter = 16;  // RLIMIT_CORE is still not 0 (soft or hard)

bool CoreLimitNonZero() {
  struct rlimit limit {};
  return ::getrlimit(RLIMIT_CORE, &limit) == 0 && (limit.rlim_cur != 0 || limit.rlim_max != 0);
}

// Runs a child that raises its soft core limit to the hard one (so there is
// something to lower), calls ForbidCoreDumps() when `call` is set, and
// reports what it saw. Only system calls in the child, then _exit.
int ProbeChild(bool call) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    struct rlimit limit {};
    if (::getrlimit(RLIMIT_CORE, &limit) == 0) {
      limit.rlim_cur = limit.rlim_max;
      ::setrlimit(RLIMIT_CORE, &limit);
    }
    int seen = 0;
    if (::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1) seen |= kDumpableBefore;
    if (CoreLimitNonZero()) seen |= kCoreLimitBefore;
    if (call && ForbidCoreDumps().ok()) seen |= kCallOk;
    if (::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1) seen |= kDumpableAfter;
    if (CoreLimitNonZero()) seen |= kCoreLimitAfter;
    ::_exit(seen);
  }
  REQUIRE(pid > 0);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}
#endif

TEST_CASE("after ForbidCoreDumps the process is not dumpable and its core limit is zero") {
#ifdef _WIN32
  const util::Status status = ForbidCoreDumps();
  MESSAGE("ForbidCoreDumps: " << (status.ok() ? std::string("ok") : status.message()));
  CHECK((::GetErrorMode() & SEM_NOGPFAULTERRORBOX) != 0);
  CHECK((::GetErrorMode() & SEM_FAILCRITICALERRORS) != 0);
#else
  const int seen = ProbeChild(/*call=*/true);
  CHECK((seen & kDumpableBefore) != 0);
  CHECK((seen & kCallOk) != 0);
  CHECK((seen & kDumpableAfter) == 0);
  CHECK((seen & kCoreLimitAfter) == 0);
  if ((seen & kCoreLimitBefore) == 0) {
    MESSAGE("the hard core limit is 0 here already, so lowering it is not shown");
  }
#endif
}

TEST_CASE("a process that does not call ForbidCoreDumps stays dumpable, so the probe can fail") {
  HDC_SKIP_ON_WINDOWS("the control of the POSIX probe (PR_GET_DUMPABLE and RLIMIT_CORE)");
#ifndef _WIN32
  const int seen = ProbeChild(/*call=*/false);
  CHECK((seen & kDumpableBefore) != 0);
  CHECK((seen & kDumpableAfter) != 0);
  if ((seen & kCoreLimitBefore) != 0) {
    CHECK((seen & kCoreLimitAfter) != 0);
  } else {
    MESSAGE("the hard core limit is 0 here already: the core-limit half has no control");
  }
#endif
}

TEST_CASE("removing an environment variable unsets it and zeroes its value where it lay") {
  hdc::testing::SetEnv("HDC_TEST_REMOVED", "env-canary-4711");
  char* value = std::getenv("HDC_TEST_REMOVED");
  REQUIRE(value != nullptr);
  REQUIRE(std::string(value) == "env-canary-4711");
  REQUIRE(RemoveEnvironmentVariable("HDC_TEST_REMOVED").ok());
  CHECK(std::getenv("HDC_TEST_REMOVED") == nullptr);
#ifndef _WIN32
  // glibc never frees a string setenv made, so the old pointer may be read.
  CHECK(std::string(value, 15) == std::string(15, '\0'));
#endif
}

TEST_CASE("removing an environment variable that is not set is fine") {
  hdc::testing::UnsetEnv("HDC_TEST_NEVER_SET");
  CHECK(RemoveEnvironmentVariable("HDC_TEST_NEVER_SET").ok());
  CHECK(std::getenv("HDC_TEST_NEVER_SET") == nullptr);
}

}  // namespace
}  // namespace hdc::platform
