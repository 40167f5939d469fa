#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "platform/filesystem.h"

namespace hdc::platform {
namespace {

using util::Result;
using util::Status;

Status IoError(std::string_view op, const std::string& path, int err) {
  return util::TemporaryError(std::string(op) + " " + path + ": " + std::strerror(err));
}

constexpr std::uint64_t kWriteBehindBytes = 8u << 20;

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(std::string_view data) override {
    while (!data.empty()) {
      const ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return IoError("write", path_, errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
      unflushed_ += static_cast<std::uint64_t>(n);
    }
#ifdef __linux__
    // Start write-back of what has piled up, without waiting for it, so the
    // final fdatasync has little left to do and a large download overlaps
    // network and disk (advisory: errors surface at Sync()).
    if (unflushed_ >= kWriteBehindBytes) {
      (void)::sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE);
      unflushed_ = 0;
    }
#endif
    return Status::Ok();
  }

  Status Sync() override {
    // Never retried after a failure: the kernel may have dropped the dirty
    // pages, so the caller must discard the file and write it again.
    if (::fdatasync(fd_) != 0) return IoError("fdatasync", path_, errno);
    return Status::Ok();
  }

  Status Close() override {
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return IoError("close", path_, errno);
    return Status::Ok();
  }

 private:
  int fd_;
  std::string path_;
  std::uint64_t unflushed_ = 0;  // bytes written since write-back was last started
};

class PosixFileSystem final : public FileSystem {
 public:
  Result<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& path,
                                                     bool append) override {
    // O_NOFOLLOW: a symbolic link planted at a store path is refused, never
    // followed (the store writes only regular files it created).
    const int flags =
        O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (append ? O_APPEND : O_TRUNC);
    int fd;
    do {
      fd = ::open(path.c_str(), flags, 0600);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return IoError("open", path, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(fd, path));
  }

  Result<std::string> ReadFile(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return IoError("open", path, errno);
    std::string out;
    char buf[65536];
    while (true) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n == 0) break;
      if (n < 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd);
        return IoError("read", path, err);
      }
      out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
  }

  Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return IoError("rename", from + " to " + to, errno);
    }
    return Status::Ok();
  }

  Status SyncDir(const std::string& dir) override {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return IoError("open directory", dir, errno);
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) return IoError("fsync directory", dir, err);
    return Status::Ok();
  }

  Status Remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return IoError("remove", path, errno);
    return Status::Ok();
  }

  Status CreateDirectories(const std::string& path) override {
    if (path.empty()) return Status::Ok();
    for (size_t pos = 1; pos <= path.size(); ++pos) {
      if (pos != path.size() && path[pos] != '/') continue;
      const std::string prefix = path.substr(0, pos);
      if (::mkdir(prefix.c_str(), 0750) != 0 && errno != EEXIST) {
        return IoError("create directory", prefix, errno);
      }
    }
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return util::TemporaryError("create directory " + path + ": not a directory");
    }
    return Status::Ok();
  }

  Result<std::vector<DirEntry>> List(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return IoError("list", dir, errno);
    std::vector<DirEntry> entries;
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      struct stat st;
      const bool known = ::lstat((dir + "/" + name).c_str(), &st) == 0;
      entries.push_back({name, known && S_ISDIR(st.st_mode), known && S_ISLNK(st.st_mode)});
    }
    ::closedir(d);
    return entries;
  }

  Result<std::uint64_t> FileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return IoError("stat", path, errno);
    return static_cast<std::uint64_t>(st.st_size);
  }

  Result<std::uint64_t> FreeSpace(const std::string& path) override {
    struct statvfs vfs;
    if (::statvfs(path.c_str(), &vfs) != 0) return IoError("statvfs", path, errno);
    return static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  }

  bool Exists(const std::string& path) override {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
  }
};

}  // namespace

FileSystem& RealFileSystem() {
  static PosixFileSystem fs;
  return fs;
}

}  // namespace hdc::platform
