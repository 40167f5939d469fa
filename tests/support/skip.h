// A test case that cannot run on this platform says so, with the reason, and
// ends: CTest reports it as skipped (doctest_discover_tests gives every case
// SKIP_REGULAR_EXPRESSION "HDC_SKIPPED:"), never as passed.
#pragma once

#include <iostream>

#define HDC_SKIP_TEST(reason)                              \
  do {                                                     \
    std::cout << "HDC_SKIPPED: " << (reason) << std::endl; \
    return;                                                \
  } while (0)

// Ends a test case on Windows (with the reason) and does nothing elsewhere;
// the rest of the case must still compile there.
#ifdef _WIN32
#define HDC_SKIP_ON_WINDOWS(reason) HDC_SKIP_TEST(reason)
#else
#define HDC_SKIP_ON_WINDOWS(reason) static_cast<void>(0)
#endif

// The reason shared by the symbolic-link cases.
#define HDC_NO_SYMLINKS_ON_WINDOWS                                                    \
  "a symbolic link on Windows is a reparse point that needs "                         \
  "SeCreateSymbolicLinkPrivilege to make, and Wine makes none; List() marks reparse " \
  "points as links, tested here on Linux only"
