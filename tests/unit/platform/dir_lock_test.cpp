#include "platform/dir_lock.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <Poco/Process.h>
#include <doctest/doctest.h>
#ifndef _WIN32
#include <sys/wait.h>
#include <unistd.h>
#endif

#include "support/skip.h"
#include "support/temp_dir.h"

namespace hdc::platform {
namespace {

using util::ErrorKind;
using util::Result;

// A real scratch directory, removed at the end even when an assertion fails.
using ScratchDir = hdc::testing::TempDir;

#ifndef _WIN32
// A pipe whose ends are closed on destruction.
class Pipe {
 public:
  Pipe() { REQUIRE(::pipe(fds_) == 0); }
  ~Pipe() {
    CloseRead();
    CloseWrite();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;

  // One byte; false on end of file or error.
  bool Send() { return ::write(fds_[1], "x", 1) == 1; }
  bool Receive() {
    char c;
    return ::read(fds_[0], &c, 1) == 1;
  }
  void CloseRead() {
    if (fds_[0] >= 0) ::close(fds_[0]);
    fds_[0] = -1;
  }
  void CloseWrite() {
    if (fds_[1] >= 0) ::close(fds_[1]);
    fds_[1] = -1;
  }

 private:
  int fds_[2] = {-1, -1};
};

// Waits for a child and returns its exit code (-1 when it did not exit).
int WaitForChild(pid_t child) {
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(child, &status, 0);
  } while (r < 0 && errno == EINTR);
  REQUIRE(r == child);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#endif

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("a state directory can be locked and names itself") {
  ScratchDir dir;
  Result<std::unique_ptr<DirLock>> lock = LockDirectory(dir.path());
  REQUIRE(lock.ok());
  REQUIRE(*lock != nullptr);
  CHECK((*lock)->directory() == dir.path());
  CHECK(std::filesystem::exists(dir.path() + "/lock"));
}

TEST_CASE("the lock file records the holder's pid") {
  ScratchDir dir;
  // A stale pid from an earlier run is overwritten.
  std::ofstream(dir.path() + "/lock") << "999999999\nstale text that is longer\n";
  Result<std::unique_ptr<DirLock>> lock = LockDirectory(dir.path());
  REQUIRE(lock.ok());
#ifdef _WIN32
  // LockFileEx locks a byte range, not the whole file: the pid stays
  // readable, also from this process.
  std::ifstream in(dir.path() + "/lock");
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == std::to_string(Poco::Process::id()) + "\n");
#else
  // Read by another process, as an operator would: an extra open and close of
  // the lock file in this process would drop the fcntl lock.
  std::fflush(nullptr);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    std::ifstream in(dir.path() + "/lock");
    std::stringstream text;
    text << in.rdbuf();
    const bool ok = text.str() == std::to_string(::getppid()) + "\n";
    ::_exit(ok ? 0 : 1);
  }
  CHECK(WaitForChild(child) == 0);
#endif
}

TEST_CASE("a second lock in the same process fails with the directory and 'in use'") {
  ScratchDir dir;
  Result<std::unique_ptr<DirLock>> first = LockDirectory(dir.path());
  REQUIRE(first.ok());

  const Result<std::unique_ptr<DirLock>> second = LockDirectory(dir.path());
  REQUIRE_FALSE(second.ok());
  const std::string m = second.status().message();
  INFO("message: ", m);
  CHECK(second.status().kind() == ErrorKind::kTemporary);
  CHECK(Contains(m, dir.path()));
  CHECK(Contains(m, "in use"));
  CHECK(Contains(m, "pid " + std::to_string(Poco::Process::id())));
  CHECK(Contains(m, "lock file " + dir.path() + "/lock"));

  // The failed attempt did not disturb the first lock.
  CHECK(!LockDirectory(dir.path()).ok());
}

TEST_CASE("a second lock through another spelling of the same directory fails") {
  ScratchDir dir;
  Result<std::unique_ptr<DirLock>> first = LockDirectory(dir.path());
  REQUIRE(first.ok());

  for (const std::string& alias :
       {dir.path() + "/", dir.path() + "/.",
        dir.path() + "/../" + std::filesystem::path(dir.path()).filename().string()}) {
    const Result<std::unique_ptr<DirLock>> second = LockDirectory(alias);
    INFO("alias: ", alias);
    REQUIRE_FALSE(second.ok());
    CHECK(Contains(second.status().message(), "in use"));
  }
}

TEST_CASE("a directory can be locked again after its lock is released") {
  ScratchDir dir;
  {
    Result<std::unique_ptr<DirLock>> first = LockDirectory(dir.path());
    REQUIRE(first.ok());
  }
  Result<std::unique_ptr<DirLock>> again = LockDirectory(dir.path());
  REQUIRE(again.ok());
  again = util::TemporaryError("released");  // drops the lock
  CHECK(LockDirectory(dir.path()).ok());
}

TEST_CASE("two directories can be locked at the same time") {
  ScratchDir a;
  ScratchDir b;
  Result<std::unique_ptr<DirLock>> lock_a = LockDirectory(a.path());
  Result<std::unique_ptr<DirLock>> lock_b = LockDirectory(b.path());
  CHECK(lock_a.ok());
  CHECK(lock_b.ok());
}

#ifdef _WIN32
TEST_CASE("another process cannot lock a directory this process holds") {
  HDC_SKIP_TEST(
      "needs fork(); on Windows windows.once_test runs a second hdc-reportd.exe "
      "against a held state directory (refused with 75)");
}

TEST_CASE("this process cannot lock a directory another process holds") {
  HDC_SKIP_TEST(
      "needs fork(); on Windows windows.once_test runs a second hdc-reportd.exe "
      "against a held state directory (refused with 75)");
}
#else
TEST_CASE("another process cannot lock a directory this process holds") {
  ScratchDir dir;
  Result<std::unique_ptr<DirLock>> lock = LockDirectory(dir.path());
  REQUIRE(lock.ok());
  const auto parent = Poco::Process::id();

  std::fflush(nullptr);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const Result<std::unique_ptr<DirLock>> theirs = LockDirectory(dir.path());
    const std::string m = theirs.ok() ? std::string("got the lock") : theirs.status().message();
    const bool ok = !theirs.ok() && theirs.status().kind() == ErrorKind::kTemporary &&
                    Contains(m, "in use") && Contains(m, dir.path()) &&
                    Contains(m, "process " + std::to_string(parent));
    if (!ok) std::fprintf(stderr, "child: unexpected result: %s\n", m.c_str());
    ::_exit(ok ? 0 : 1);
  }
  CHECK(WaitForChild(child) == 0);
}

TEST_CASE("this process cannot lock a directory another process holds") {
  ScratchDir dir;
  Pipe locked;   // child -> parent: the child holds the lock
  Pipe release;  // parent -> child: let go

  std::fflush(nullptr);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    locked.CloseRead();
    release.CloseWrite();
    const Result<std::unique_ptr<DirLock>> mine = LockDirectory(dir.path());
    if (!mine.ok() || !locked.Send()) ::_exit(1);
    release.Receive();  // returns on a byte or when the parent closes the pipe
    ::_exit(0);         // the lock goes with the process
  }
  locked.CloseWrite();
  release.CloseRead();
  const bool child_locked = locked.Receive();
  if (child_locked) {
    const Result<std::unique_ptr<DirLock>> ours = LockDirectory(dir.path());
    REQUIRE_FALSE(ours.ok());
    const std::string m = ours.status().message();
    INFO("message: ", m);
    CHECK(ours.status().kind() == ErrorKind::kTemporary);
    CHECK(Contains(m, "in use"));
    CHECK(Contains(m, "process " + std::to_string(child)));
    CHECK_FALSE(Contains(m, "this process"));
  }
  release.Send();
  release.CloseWrite();
  CHECK(WaitForChild(child) == 0);
  REQUIRE(child_locked);

  // Once the other process has gone, the lock is free.
  CHECK(LockDirectory(dir.path()).ok());
}
#endif

TEST_CASE("locking a missing directory fails with a clear message") {
  ScratchDir dir;
  const std::string missing = dir.path() + "/not-there";
  const Result<std::unique_ptr<DirLock>> lock = LockDirectory(missing);
  REQUIRE_FALSE(lock.ok());
  const std::string m = lock.status().message();
  INFO("message: ", m);
  CHECK(lock.status().kind() == ErrorKind::kTemporary);
  CHECK(Contains(m, missing));
#ifdef _WIN32
  CHECK((Contains(m, "cannot find the path") || Contains(m, "Path not found")));  // Windows, Wine
#else
  CHECK(Contains(m, "No such file or directory"));
#endif
  CHECK_FALSE(std::filesystem::exists(missing));
}

}  // namespace
}  // namespace hdc::platform
