// PowerCutFileSystem: a FileSystem wrapper for tests that passes every call
// on to a real file system and models what a power cut at any instant would
// leave of the folder it watches: what was never synced is dropped.
//
// The model, for every file and folder under `root`:
//   - a file is an inode; its data survives only as it was at its last
//     WritableFile::Sync() (a file never synced survives empty, if its name
//     does). A truncating open does not lose the synced data until the next
//     Sync; an append open continues the same inode. A successful
//     WritableFile::SyncFileSystem() (syncfs) syncs the data of every file
//     of the model; the names it makes durable too are left out of the
//     model (the store never counts on them: its folders are synced).
//   - a name (a file created, renamed or removed; a folder created) survives
//     only once SyncDir(parent) ran after the change; before that the old
//     entry survives: a rename not yet made durable leaves the old name, a
//     removal not yet made durable brings the file back, and a rename over
//     an existing file leaves the old file under that name. A rename moves
//     the inode: its synced data go with it. A name survives only when every
//     folder above it (up to `root`) survives too.
//   - everything under `root` when the wrapper is made counts as durable.
// Files directly under `root` named in `unmodelled` (the SQLite database,
// which does its own I/O outside the seam) are neither modelled nor part of
// the image.
//
// Every mutating call (OpenForWrite, Append, Sync, SyncFileSystem, Close,
// Rename, SyncDir, Remove, CreateDirectories) is counted, whether it succeeds or not.
// CutAfter(n): the power goes off right after the n-th mutating call took
// effect: the surviving image of `root` is written to `cut_dir` (which must
// not exist yet), the OnCut hook runs with `cut_dir` (a test snapshots the
// database there), and from then on every call fails with kTemporary
// "power is off" (Exists answers false), so the code under test winds down.
//
// Whole file contents are held in memory (live and synced), so it suits
// test-sized stores. Thread-safe; the wrapped FileSystem must outlive it,
// and it must outlive the files it opened. Folders are never renamed or
// removed by the store, so those two are not modelled (kInternal).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "platform/filesystem.h"

namespace hdc::testing {

class PowerCutFileSystem final : public platform::FileSystem {
 public:
  // Reads everything under root now: that is the durable starting image.
  PowerCutFileSystem(platform::FileSystem& base, std::string root,
                     std::set<std::string> unmodelled = {});
  ~PowerCutFileSystem() override;
  PowerCutFileSystem(const PowerCutFileSystem&) = delete;
  PowerCutFileSystem& operator=(const PowerCutFileSystem&) = delete;

  // Arms the cut after the n-th mutating call from the start (1 = the first).
  void CutAfter(std::uint64_t n, std::string cut_dir);
  // Called once, at the cut, after the image is written (on the thread of
  // the call that cut, with every other call held back).
  void SetOnCut(std::function<void(const std::string& cut_dir)> hook);

  // Mutating calls so far.
  std::uint64_t calls() const;
  bool cut() const;
  // Writes what would survive a power cut now into `dir` (created), without
  // cutting. The status of the cut's own image is in cut_status().
  util::Status WriteImage(const std::string& dir) const;
  util::Status cut_status() const;

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
  struct Inode {
    std::string live;    // what the file holds now
    std::string synced;  // what its last Sync made durable
  };
  using InodePtr = std::shared_ptr<Inode>;

  // Counts a mutating call; the error to return when the power is off.
  std::optional<util::Status> Enter(const std::string& what);  // requires mu_
  void AfterCall();                                            // requires mu_: cuts when due
  bool Modelled(const std::string& path) const;
  void Scan(const std::string& dir);
  util::Status WriteImageLocked(const std::string& dir) const;  // requires mu_

  util::Status FileAppend(const InodePtr& inode, platform::WritableFile& file,
                          std::string_view data);
  util::Status FileSync(const InodePtr& inode, platform::WritableFile& file);
  std::optional<util::Status> FileSystemSync(platform::WritableFile& file);
  util::Status FileClose(platform::WritableFile& file);

  platform::FileSystem& base_;
  const std::string root_;
  const std::set<std::string> unmodelled_;
  mutable std::mutex mu_;
  std::uint64_t calls_ = 0;
  std::uint64_t cut_at_ = 0;  // 0: not armed
  std::string cut_dir_;
  bool off_ = false;
  util::Status cut_status_;
  std::function<void(const std::string&)> on_cut_;
  // The namespace as it is now, and as a power cut would leave it.
  std::map<std::string, InodePtr> live_files_, durable_files_;
  std::set<std::string> live_dirs_, durable_dirs_;
};

}  // namespace hdc::testing
