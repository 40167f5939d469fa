// File mode checks for the tests. POSIX: CHECK_POSIX_MODE(path, 0600)
// checks the permission bits. Windows has no mode bits (owner-only access
// comes from the ACL of the state folder, which files inherit), so there it
// checks nothing; the cases that test nothing but modes are skipped there
// with their reason (support/skip.h).
#pragma once

#include <string>

#ifndef _WIN32
#include <doctest/doctest.h>
#include <sys/stat.h>

namespace hdc::testing {
inline unsigned PosixModeOf(const std::string& path) {
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}
}  // namespace hdc::testing
#define CHECK_POSIX_MODE(path, mode) CHECK(::hdc::testing::PosixModeOf(path) == (mode))
#else
#define CHECK_POSIX_MODE(path, mode) static_cast<void>(0)
#endif
