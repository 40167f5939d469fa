#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/dir_lock.h"
#include "util/state_files.h"

namespace hdc::platform {
namespace {

// fcntl locks belong to the process: a second open in the same process would
// "succeed". This table makes a second lock in-process fail the same way. It is
// keyed by the directory's device and inode, so another spelling of the same
// directory ("dir/", "dir/.") is caught too, and records the pid that took the
// lock: a forked child inherits the table but not the fcntl locks.
using DirKey = std::pair<dev_t, ino_t>;
std::mutex& TableMutex() {
  static std::mutex mu;
  return mu;
}
std::map<DirKey, pid_t>& LockedDirs() {
  static std::map<DirKey, pid_t> dirs;
  return dirs;
}

class PosixDirLock final : public DirLock {
 public:
  PosixDirLock(int fd, std::string dir, DirKey key) : fd_(fd), dir_(std::move(dir)), key_(key) {}
  ~PosixDirLock() override {
    ::close(fd_);  // releases the fcntl lock
    std::lock_guard lock(TableMutex());
    const auto it = LockedDirs().find(key_);
    if (it != LockedDirs().end() && it->second == ::getpid()) LockedDirs().erase(it);
  }
  const std::string& directory() const override { return dir_; }

 private:
  int fd_;
  std::string dir_;
  DirKey key_;
};

util::Status InUse(const std::string& dir, const std::string& lock_path, std::string holder) {
  return util::TemporaryError("state directory " + dir + " is in use by " + holder +
                              " (lock file " + lock_path + ")");
}

}  // namespace

util::Result<std::unique_ptr<DirLock>> LockDirectory(const std::string& directory) {
  const std::string lock_path = util::state_files::PathOf(directory, util::state_files::kLock);
  struct stat dir_stat {};
  if (::stat(directory.c_str(), &dir_stat) != 0) {
    return util::TemporaryError("cannot lock state directory " + directory + ": " +
                                std::strerror(errno));
  }
  const DirKey key(dir_stat.st_dev, dir_stat.st_ino);
  std::lock_guard table_lock(TableMutex());
  const auto held = LockedDirs().find(key);
  if (held != LockedDirs().end() && held->second == ::getpid()) {
    return InUse(directory, lock_path, "this process (pid " + std::to_string(::getpid()) + ")");
  }
  // A link in its place is refused, never followed: it would aim the pid
  // written below at any file on the host (docs/reliability.md S6).
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    if (errno == ELOOP) {
      return util::ConfigError("lock file " + lock_path + " is a symbolic link; remove it");
    }
    return util::TemporaryError("cannot open lock file " + lock_path + ": " + std::strerror(errno));
  }
  struct stat lock_stat {};
  if (::fstat(fd, &lock_stat) != 0 || !S_ISREG(lock_stat.st_mode)) {
    ::close(fd);
    return util::ConfigError("lock file " + lock_path + " is not a regular file; remove it");
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
  LockedDirs()[key] = ::getpid();
  return std::unique_ptr<DirLock>(new PosixDirLock(fd, directory, key));
}

}  // namespace hdc::platform
