// FaultFs: a FileSystem wrapper for tests that forwards every call to another
// FileSystem and can be told to fail chosen calls or to forget what a power
// cut would lose.
//
// Failures: FailAt(op, n) makes the n-th call of `op` from now on fail (once,
// or with persistent = true, that call and every later one) with a kTemporary
// error in the real implementation's wording ("write PATH: No space left on
// device" for Append, "fdatasync PATH: Input/output error" for Sync, ...). A
// failed Append writes nothing; a failed Sync does not sync; a failed Close
// still closes the underlying file. Every call is counted per operation, and
// the mutating ones are traced in order ("sync PATH", "rename A -> B").
//
// Crash mode (after leveldb's db/fault_injection_test.cc): FaultFs records,
// for every file written through it, how many bytes the last successful Sync
// covered (a successful SyncFileSystem covers every file's bytes so far; it
// is offered on every platform, the real syncfs called where there is one)
// and whether its directory entry was made durable by a SyncDir of
// its directory after it was created or renamed. DropUnsynced() then
// imitates a power cut: a file whose entry is not durable disappears (a
// rename not yet made durable is undone instead, when the old name was
// durable); a file never synced is deleted; any other file is cut back to its
// synced length. Files that existed before FaultFs saw them count as
// durable. Unlinks are treated as durable at once. Call DropUnsynced with no
// file open.
//
// SetRealSync(false) keeps the model but skips the real fsyncs, for speed.
// Thread-safe; the wrapped FileSystem must outlive it, and it must outlive
// the files it opened.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "platform/filesystem.h"

namespace hdc::testing {

class FaultFs final : public platform::FileSystem {
 public:
  enum class Op {
    kOpenForWrite,
    kAppend,
    kSync,
    kSyncFileSystem,  // WritableFile::SyncFileSystem: offered on every platform
    kClose,
    kReadFile,  // ReadFile and OpenForRead
    kRename,
    kSyncDir,
    kRemove,
    kCreateDirectories,
    kList,
    kFileSize,
    kFreeSpace,
    kExists,
  };
  static constexpr std::size_t kOpCount = 14;

  explicit FaultFs(platform::FileSystem& base) : base_(base) {}

  // The nth call of op from now on (1 = the next one) fails; with persistent,
  // every call after it too. Exists cannot fail.
  void FailAt(Op op, std::uint64_t nth, bool persistent = false);
  void Heal(Op op);
  void HealAll();

  // Shorthands: disk full at the nth Append; every Sync, Close, Rename or
  // SyncDir fails from the next call on.
  void FailAppendAt(std::uint64_t nth, bool persistent = false) {
    FailAt(Op::kAppend, nth, persistent);
  }
  void FailSync() { FailAt(Op::kSync, 1, true); }
  void FailClose() { FailAt(Op::kClose, 1, true); }
  void FailRename() { FailAt(Op::kRename, 1, true); }
  void FailSyncDir() { FailAt(Op::kSyncDir, 1, true); }

  // What FreeSpace reports instead of asking the wrapped FileSystem.
  void SetFreeSpace(std::optional<std::uint64_t> bytes);

  // With false, a successful Sync or SyncDir is recorded (for the crash
  // model and the trace) but not passed on, so tests that publish many files
  // do not wait for the disk. On by default.
  void SetRealSync(bool on);

  std::uint64_t calls(Op op) const;
  std::vector<std::string> trace() const;

  // Forgets what a power cut would lose, for files at or under `under`
  // (everything when empty); see the header comment.
  util::Status DropUnsynced(const std::string& under = "");

  util::Result<std::unique_ptr<platform::WritableFile>> OpenForWrite(const std::string& path,
                                                                     bool append) override;
  util::Result<std::unique_ptr<platform::ReadableFile>> OpenForRead(
      const std::string& path) override;
  util::Result<std::string> ReadFile(const std::string& path) override;
  util::Status Rename(const std::string& from, const std::string& to) override;
  util::Status SyncDir(const std::string& dir) override;
  util::Status Remove(const std::string& path) override;
  util::Status CreateDirectories(const std::string& path) override;
  util::Result<std::vector<platform::DirEntry>> List(const std::string& dir) override;
  util::Result<std::uint64_t> FileSize(const std::string& path) override;
  util::Result<std::uint64_t> FreeSpace(const std::string& path) override;
  bool Exists(const std::string& path) override;

 private:
  class File;
  struct Fault {
    std::uint64_t at = 0;  // 0: off; else the call number that fails
    bool persistent = false;
  };
  // What a crash would keep of a file written through this wrapper.
  struct Tracked {
    std::uint64_t size = 0;
    std::uint64_t synced_size = 0;
    bool ever_synced = false;
    bool entry_durable = false;
    std::optional<std::string> renamed_from;  // a durable old name
  };

  // Counts the call and returns the injected error, if this call fails.
  // Requires mu_.
  std::optional<util::Status> Hit(Op op, const std::string& what);
  void Trace(std::string line);                                         // requires mu_
  util::Status CutBack(const std::string& path, const Tracked& state);  // requires mu_

  // Called by File.
  util::Status FileAppend(platform::WritableFile& file, const std::string& path,
                          std::string_view data);
  util::Status FileSync(platform::WritableFile& file, const std::string& path);
  util::Status FileSystemSync(platform::WritableFile& file, const std::string& path);
  util::Status FileClose(platform::WritableFile& file, const std::string& path);

  platform::FileSystem& base_;
  mutable std::mutex mu_;
  std::array<std::uint64_t, kOpCount> calls_{};
  std::array<Fault, kOpCount> faults_{};
  std::optional<std::uint64_t> free_space_;
  bool real_sync_ = true;
  std::vector<std::string> trace_;
  std::map<std::string, Tracked> files_;
};

}  // namespace hdc::testing
