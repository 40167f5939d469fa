// The file-system seam.
//
// Everything that touches the disk for durability (the store, recovery,
// retention) goes through FileSystem, so tests can use an in-memory fake or a
// wrapper that fails a chosen call (disk full on the n-th write, an fsync
// error, a crash before rename). Paths are UTF-8 strings; on Windows the
// implementation converts them. Errors are kTemporary (I/O: may work later)
// and name the path and the operation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace hdc::platform {

// A file open for writing. Close() must be called; a destructor without
// Close() closes silently and the data's durability is unknown.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual util::Status Append(std::string_view data) = 0;
  // Flushes data (not necessarily metadata) to stable storage.
  virtual util::Status Sync() = 0;
  // Makes durable, in one call, everything written so far to every file of
  // the file system this file is on, data and metadata (Linux: syncfs(2),
  // which reports a write-back error of any file since this one was opened,
  // kernel 5.8 and later). For a batch of small files this costs about one
  // Sync() instead of one each: a Sync() is mostly the device's cache flush,
  // and this flushes once. nullopt where the platform has no such call (the
  // caller then syncs each file). Never retried after a failure (see Sync).
  virtual std::optional<util::Status> SyncFileSystem() { return std::nullopt; }
  // Whether SyncFileSystem() makes a call here (false: it returns nullopt),
  // for a wrapper that must know before it counts or models one.
  virtual bool HasFileSystemSync() const { return false; }
  virtual util::Status Close() = 0;
};

// A file open for reading; closed by its destructor.
class ReadableFile {
 public:
  virtual ~ReadableFile() = default;
  // Up to `capacity` bytes into `buffer`; 0 at the end of the file.
  virtual util::Result<std::size_t> Read(char* buffer, std::size_t capacity) = 0;
};

// What List() saw, without following links (lstat; on Windows the
// attributes of the entry itself): a symbolic link, or on Windows any
// reparse point (symlink, junction, mount point), is is_symlink and never
// is_directory, whatever it points at.
struct DirEntry {
  std::string name;
  bool is_directory = false;
  bool is_symlink = false;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Opens for writing, creating with mode 0600 (owner only); truncates unless
  // append is true. A symbolic link at `path` is refused, never followed.
  virtual util::Result<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& path,
                                                                   bool append) = 0;
  // Opens for reading, in chunks (a large file: a report, a cab to verify).
  virtual util::Result<std::unique_ptr<ReadableFile>> OpenForRead(const std::string& path) = 0;
  // The whole file (a small one).
  virtual util::Result<std::string> ReadFile(const std::string& path) = 0;
  // Atomically replaces `to` with `from` (same file system).
  virtual util::Status Rename(const std::string& from, const std::string& to) = 0;
  // Makes a rename or create inside dir durable. No-op where unsupported.
  virtual util::Status SyncDir(const std::string& dir) = 0;
  // Removing a missing file is OK.
  virtual util::Status Remove(const std::string& path) = 0;
  // mkdir -p with mode 0750 for new directories.
  virtual util::Status CreateDirectories(const std::string& path) = 0;
  virtual util::Result<std::vector<DirEntry>> List(const std::string& dir) = 0;
  virtual util::Result<std::uint64_t> FileSize(const std::string& path) = 0;
  virtual util::Result<std::uint64_t> FreeSpace(const std::string& path) = 0;
  virtual bool Exists(const std::string& path) = 0;
};

// The platform's real file system (process-wide, stateless, thread-safe).
FileSystem& RealFileSystem();

// The real file system confined to the state directory `root`
// (docs/reliability.md §Security checklist, S6): every path given must be
// `root` or lie under it, and none of its components below `root` may be a
// symbolic link (on Windows, any reparse point). `root` itself is opened
// once, here, and may be a link (the operator's choice of where the state
// lives). Thread-safe.
//
// On Linux every call resolves its path from the descriptor of `root`:
// openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) where the kernel has it,
// else one openat(O_DIRECTORY | O_NOFOLLOW) per folder; the last name is
// opened, renamed, removed or listed relative to its folder's descriptor
// with O_NOFOLLOW. So a link planted while the daemon runs, between two
// path components or at the last one, is refused at the call that meets
// it, never followed, never deleted. On Windows every component is checked
// for the reparse attribute before the call, and files are opened with
// FILE_FLAG_OPEN_REPARSE_POINT (a narrower window than Linux's, which has
// none).
//
// A link met is a kConfig error (exit 78) naming it; a path outside `root`
// or with a ".." component is a kInternal error (the store never makes one).
util::Result<std::unique_ptr<FileSystem>> OpenConfinedFileSystem(const std::string& root);

// The message of the kConfig error for a link at `path` under state_dir:
// what it is and what the operator does about it.
std::string LinkRefusedMessage(const std::string& path);

}  // namespace hdc::platform
