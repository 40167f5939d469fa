#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/openat2.h>  // struct open_how, RESOLVE_*
#endif

#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

#include "platform/confined_path.h"
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

#ifdef __linux__
  std::optional<Status> SyncFileSystem() override {
    if (::syncfs(fd_) != 0) return IoError("syncfs of the file system of", path_, errno);
    return Status::Ok();
  }
  bool HasFileSystemSync() const override { return true; }
#endif

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

// What a directory entry is, without following a link: the type readdir
// reports where the file system gives one (ext4, xfs, btrfs, tmpfs), else
// an fstatat(AT_SYMLINK_NOFOLLOW) relative to the listed folder.
DirEntry EntryOf(const dirent& e, int dir_fd) {
  DirEntry entry{e.d_name};
  if (e.d_type != DT_UNKNOWN) {
    entry.is_directory = e.d_type == DT_DIR;
    entry.is_symlink = e.d_type == DT_LNK;
    return entry;
  }
  struct stat st;
  if (::fstatat(dir_fd, e.d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    entry.is_directory = S_ISDIR(st.st_mode);
    entry.is_symlink = S_ISLNK(st.st_mode);
  }
  return entry;
}

// Every entry of an open directory but "." and "..", then closes it.
std::vector<DirEntry> ReadEntries(DIR* d) {
  std::vector<DirEntry> entries;
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    entries.push_back(EntryOf(*e, ::dirfd(d)));
  }
  ::closedir(d);
  return entries;
}

class PosixReadableFile final : public ReadableFile {
 public:
  PosixReadableFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixReadableFile() override { ::close(fd_); }
  PosixReadableFile(const PosixReadableFile&) = delete;
  PosixReadableFile& operator=(const PosixReadableFile&) = delete;

  Result<std::size_t> Read(char* buffer, std::size_t capacity) override {
    while (true) {
      const ssize_t n = ::read(fd_, buffer, capacity);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) return IoError("read", path_, errno);
    }
  }

 private:
  int fd_;
  std::string path_;
};

// Reads `file` to its end.
Result<std::string> ReadAll(ReadableFile& file) {
  std::string out;
  char buf[65536];
  while (true) {
    auto n = file.Read(buf, sizeof buf);
    if (!n.ok()) return n.status();
    if (*n == 0) return out;
    out.append(buf, *n);
  }
}

class PosixFileSystem final : public FileSystem {
 public:
  Result<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& path,
                                                     bool append) override {
    // O_NOFOLLOW: a symbolic link planted at a store path is refused, never
    // followed (the store writes only regular files it created).
    const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (append ? O_APPEND : O_TRUNC);
    int fd;
    do {
      fd = ::open(path.c_str(), flags, 0600);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return IoError("open", path, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(fd, path));
  }

  Result<std::unique_ptr<ReadableFile>> OpenForRead(const std::string& path) override {
    int fd;
    do {
      fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return IoError("open", path, errno);
    return std::unique_ptr<ReadableFile>(new PosixReadableFile(fd, path));
  }

  Result<std::string> ReadFile(const std::string& path) override {
    auto file = OpenForRead(path);
    if (!file.ok()) return file.status();
    return ReadAll(**file);
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
    return ReadEntries(d);
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

// A file descriptor, closed when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd_;
};

template <typename Call>
int RetryOnEintr(Call call) {
  int rc;
  do {
    rc = call();
  } while (rc < 0 && errno == EINTR);
  return rc;
}

Status LinkRefused(const std::string& path) { return util::ConfigError(LinkRefusedMessage(path)); }

bool IsLinkAt(int dir_fd, const std::string& name) {
  struct stat st;
  return ::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

// The folder a path names, and its last name, which the call then opens,
// renames or removes relative to the folder's descriptor.
struct Place {
  Fd dir;
  std::string leaf;
  std::string path;  // as given, for messages
};

// Confined to the state directory (OpenConfinedFileSystem in filesystem.h).
class ConfinedPosixFileSystem final : public FileSystem {
 public:
  ConfinedPosixFileSystem(Fd root_fd, std::string root)
      : root_fd_(std::move(root_fd)), root_(std::move(root)) {}

  Result<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& path,
                                                     bool append) override {
    auto place = Locate("open", path);
    if (!place.ok()) return place.status();
    // O_NONBLOCK: a FIFO planted at the name fails with ENXIO instead of
    // blocking until a reader comes; it changes nothing for a regular file.
    const int flags =
        O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | (append ? O_APPEND : O_TRUNC);
    const int fd =
        RetryOnEintr([&] { return ::openat(place->dir.get(), place->leaf.c_str(), flags, 0600); });
    if (fd < 0) return LeafError("open", *place, errno);
    Fd file(fd);
    if (Status regular = RequireRegular(file.get(), path); !regular.ok()) return regular;
    return std::unique_ptr<WritableFile>(new PosixWritableFile(file.release(), path));
  }

  Result<std::unique_ptr<ReadableFile>> OpenForRead(const std::string& path) override {
    auto place = Locate("open", path);
    if (!place.ok()) return place.status();
    const int fd = RetryOnEintr([&] {
      return ::openat(place->dir.get(), place->leaf.c_str(),
                      O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    });
    if (fd < 0) return LeafError("open", *place, errno);
    return std::unique_ptr<ReadableFile>(new PosixReadableFile(fd, path));
  }

  Result<std::string> ReadFile(const std::string& path) override {
    auto file = OpenForRead(path);
    if (!file.ok()) return file.status();
    return ReadAll(**file);
  }

  Status Rename(const std::string& from, const std::string& to) override {
    auto source = Locate("rename", from);
    if (!source.ok()) return source.status();
    auto target = Locate("rename", to);
    if (!target.ok()) return target.status();
    // rename(2) never follows a link, but it would replace one at `to`
    // (deleting it silently) or move one from `from` into the store.
    if (IsLinkAt(source->dir.get(), source->leaf)) return LinkRefused(from);
    if (IsLinkAt(target->dir.get(), target->leaf)) return LinkRefused(to);
    if (::renameat(source->dir.get(), source->leaf.c_str(), target->dir.get(),
                   target->leaf.c_str()) != 0) {
      return IoError("rename", from + " to " + to, errno);
    }
    return Status::Ok();
  }

  Status SyncDir(const std::string& dir) override {
    auto names = confined::NamesBelow(root_, dir);
    if (!names.ok()) return names.status();
    auto fd = OpenDirectory("open directory", dir, *names, names->size());
    if (!fd.ok()) return fd.status();
    if (::fsync(fd->get()) != 0) return IoError("fsync directory", dir, errno);
    return Status::Ok();
  }

  Status Remove(const std::string& path) override {
    int failed_errno = 0;
    auto place = Locate("remove", path, &failed_errno);
    if (!place.ok()) return failed_errno == ENOENT ? Status::Ok() : place.status();
    if (IsLinkAt(place->dir.get(), place->leaf)) return LinkRefused(path);
    if (::unlinkat(place->dir.get(), place->leaf.c_str(), 0) != 0 && errno != ENOENT) {
      return IoError("remove", path, errno);
    }
    return Status::Ok();
  }

  Status CreateDirectories(const std::string& path) override {
    auto names = confined::NamesBelow(root_, path);
    if (!names.ok()) return names.status();
    Fd current(::fcntl(root_fd_.get(), F_DUPFD_CLOEXEC, 0));
    if (current.get() < 0) return IoError("create directory", root_, errno);
    for (std::size_t i = 0; i < names->size(); ++i) {
      const std::string& name = (*names)[i];
      if (::mkdirat(current.get(), name.c_str(), 0750) != 0 && errno != EEXIST) {
        return IoError("create directory", confined::Join(root_, *names, i + 1), errno);
      }
      const int next = RetryOnEintr([&] {
        return ::openat(current.get(), name.c_str(),
                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      });
      if (next < 0) {
        const int err = errno;
        const std::string here = confined::Join(root_, *names, i + 1);
        if (IsLinkAt(current.get(), name)) return LinkRefused(here);
        if (err == ENOTDIR)
          return util::TemporaryError("create directory " + path + ": not a directory");
        return IoError("create directory", here, err);
      }
      current = Fd(next);
    }
    return Status::Ok();
  }

  Result<std::vector<DirEntry>> List(const std::string& dir) override {
    auto names = confined::NamesBelow(root_, dir);
    if (!names.ok()) return names.status();
    auto fd = OpenDirectory("list", dir, *names, names->size());
    if (!fd.ok()) return fd.status();
    DIR* d = ::fdopendir(fd->get());
    if (d == nullptr) return IoError("list", dir, errno);
    fd->release();  // the DIR owns it now
    return ReadEntries(d);
  }

  Result<std::uint64_t> FileSize(const std::string& path) override {
    auto place = Locate("stat", path);
    if (!place.ok()) return place.status();
    struct stat st;
    if (::fstatat(place->dir.get(), place->leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return IoError("stat", path, errno);
    }
    if (S_ISLNK(st.st_mode)) return LinkRefused(path);
    return static_cast<std::uint64_t>(st.st_size);
  }

  Result<std::uint64_t> FreeSpace(const std::string& path) override {
    auto names = confined::NamesBelow(root_, path);
    if (!names.ok()) return names.status();
    // The folder holding `path` (or `root` itself) is on the same file
    // system as `path` unless a mount point sits exactly there.
    const std::size_t folder = names->empty() ? 0 : names->size() - 1;
    auto fd = OpenDirectory("statvfs", path, *names, folder);
    if (!fd.ok()) return fd.status();
    struct statvfs vfs;
    if (::fstatvfs(fd->get(), &vfs) != 0) return IoError("statvfs", path, errno);
    return static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  }

  bool Exists(const std::string& path) override {
    if (auto names = confined::NamesBelow(root_, path); names.ok() && names->empty()) return true;
    auto place = Locate("stat", path);
    if (!place.ok()) return false;
    struct stat st;
    return ::fstatat(place->dir.get(), place->leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
  }

 private:
  // The folder holding `path` and its last name; on an I/O failure
  // `*failed_errno` says which (so Remove can tell a missing folder).
  Result<Place> Locate(std::string_view op, const std::string& path, int* failed_errno = nullptr) {
    auto names = confined::NamesBelow(root_, path);
    if (!names.ok()) return names.status();
    if (names->empty()) {
      return util::InternalError(std::string(op) + " " + path + ": is the state directory itself");
    }
    auto dir = OpenDirectory(op, path, *names, names->size() - 1, failed_errno);
    if (!dir.ok()) return dir.status();
    return Place{std::move(*dir), names->back(), path};
  }

  // The folder made of `root` and the first `count` of `names`, opened
  // without following any link: openat2 resolves it in one call where the
  // kernel has it; otherwise, and to name the link when openat2 refuses,
  // one openat(O_NOFOLLOW) per name from the root's descriptor.
  Result<Fd> OpenDirectory(std::string_view op, const std::string& path,
                           const std::vector<std::string>& names, std::size_t count,
                           int* failed_errno = nullptr) {
    if (count == 0) {
      Fd root(::fcntl(root_fd_.get(), F_DUPFD_CLOEXEC, 0));
      if (root.get() < 0) return IoError(op, path, errno);
      return root;
    }
#if defined(__linux__) && defined(SYS_openat2)
    if (!openat2_unavailable_.load(std::memory_order_relaxed)) {
      std::string relative = names[0];
      for (std::size_t i = 1; i < count; ++i) relative += "/" + names[i];
      open_how how{};
      how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
      how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
      const int fd = RetryOnEintr([&] {
        return static_cast<int>(
            ::syscall(SYS_openat2, root_fd_.get(), relative.c_str(), &how, sizeof how));
      });
      if (fd >= 0) return Fd(fd);
      // ENOSYS: an older kernel; EPERM: a seccomp filter that predates it.
      if (errno == ENOSYS || errno == EPERM) openat2_unavailable_.store(true);
      // Any other failure: the walk below names the component at fault.
    }
#endif
    Fd current(::fcntl(root_fd_.get(), F_DUPFD_CLOEXEC, 0));
    if (current.get() < 0) return IoError(op, path, errno);
    for (std::size_t i = 0; i < count; ++i) {
      const int next = RetryOnEintr([&] {
        return ::openat(current.get(), names[i].c_str(),
                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      });
      if (next < 0) {
        const int err = errno;
        if (IsLinkAt(current.get(), names[i]))
          return LinkRefused(confined::Join(root_, names, i + 1));
        if (failed_errno != nullptr) *failed_errno = err;
        return IoError(op, path, err);
      }
      current = Fd(next);
    }
    return current;
  }

  // The error of a call on a place's last name: a link there is refused.
  Status LeafError(std::string_view op, const Place& place, int err) {
    if (err == ELOOP || IsLinkAt(place.dir.get(), place.leaf)) return LinkRefused(place.path);
    return IoError(op, place.path, err);
  }

  static Status RequireRegular(int fd, const std::string& path) {
    struct stat st;
    if (::fstat(fd, &st) != 0) return IoError("stat", path, errno);
    if (!S_ISREG(st.st_mode)) {
      return util::ConfigError(path +
                               " is not a regular file; hdc-reportd writes only regular "
                               "files under its state_dir: remove it");
    }
    return Status::Ok();
  }

  Fd root_fd_;
  std::string root_;
  std::atomic<bool> openat2_unavailable_{false};
};

}  // namespace

FileSystem& RealFileSystem() {
  static PosixFileSystem fs;
  return fs;
}

Result<std::unique_ptr<FileSystem>> OpenConfinedFileSystem(const std::string& root) {
  const std::string trimmed = confined::TrimRoot(root);
  const int fd = ::open(trimmed.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("open directory", trimmed, errno);
  return std::unique_ptr<FileSystem>(new ConfinedPosixFileSystem(Fd(fd), trimmed));
}

}  // namespace hdc::platform
