#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>

#include "platform/dir_lock.h"

namespace hdc::platform {
namespace {

// fcntl locks belong to the process: a second open in the same process would
// "succeed". This table makes a second lock in-process fail the same way.
std::mutex& TableMutex() {
  static std::mutex mu;
  return mu;
}
std::set<std::string>& LockedPaths() {
  static std::set<std::string> paths;
  return paths;
}

class PosixDirLock final : public DirLock {
 public:
  PosixDirLock(int fd, std::string dir, std::string lock_path)
      : fd_(fd), dir_(std::move(dir)), lock_path_(std::move(lock_path)) {}
  ~PosixDirLock() override {
    ::close(fd_);  // releases the fcntl lock
    std::lock_guard lock(TableMutex());
    LockedPaths().erase(lock_path_);
  }
  const std::string& directory() const override { return dir_; }

 private:
  int fd_;
  std::string dir_;
  std::string lock_path_;
};

util::Status InUse(const std::string& dir, const std::string& lock_path, std::string holder) {
  return util::TemporaryError("state directory " + dir + " is in use by " + holder +
                              " (lock file " + lock_path + ")");
}

}  // namespace

util::Result<std::unique_ptr<DirLock>> LockDirectory(const std::string& directory) {
  const std::string lock_path = directory + "/lock";
  std::lock_guard table_lock(TableMutex());
  if (LockedPaths().count(lock_path) != 0) {
    return InUse(directory, lock_path, "this process (pid " + std::to_string(::getpid()) + ")");
  }
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return util::TemporaryError("cannot open lock file " + lock_path + ": " +
                                std::strerror(errno));
  }
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  if (::fcntl(fd, F_SETLK, &fl) != 0) {
    const int err = errno;
    struct flock probe {};
    probe.l_type = F_WRLCK;
    probe.l_whence = SEEK_SET;
    std::string holder = "another process";
    if (::fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK) {
      holder = "process " + std::to_string(probe.l_pid);
    }
    ::close(fd);
    if (err == EACCES || err == EAGAIN) return InUse(directory, lock_path, holder);
    return util::TemporaryError("cannot lock " + lock_path + ": " + std::strerror(err));
  }
  // Record the holder for operators who look at the file.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // Not fatal: the lock itself is held.
  }
  LockedPaths().insert(lock_path);
  return std::unique_ptr<DirLock>(new PosixDirLock(fd, directory, lock_path));
}

}  // namespace hdc::platform
