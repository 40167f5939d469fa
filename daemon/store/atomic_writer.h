// AtomicWriter: publishes one store file by temp file, fsync, rename and
// directory fsync, hashing while it streams.
//
// Bytes go into a temp file in store/tmp (paths come from StoreLayout) while
// SHA-256 and MD5 are computed. Commit() verifies the length and the
// Content-MD5 when the caller has them, fsyncs and closes the file, creates
// the final directory, renames the file into place and fsyncs the final
// directory (and the parents of any directory it had to create). So a file
// appears under its final name only complete, verified and durable.
// A caller publishing many small files uses Seal(), Commit()'s first half:
// it verifies and hands the still open, unsynced file over; Publish() then
// does the rest for a whole batch of sealed files, with one file-system sync
// for all of their data where the platform has it
// (platform::WritableFile::SyncFileSystem) instead of an fsync each, and
// one fsync per distinct folder. The order stays: data durable, then the
// names, then the folders, and the caller records the files after that
// (docs/reliability.md §Durability: no record before a durable name).
//
// Failure rules (docs/reliability.md §Durability; D01 and D04 in
// docs/reliability.md §Fault catalogue; PostgreSQL's "fsyncgate"):
//   - any write, fsync, close, mkdir, rename or directory-fsync error removes
//     the temp file (and, after a failed directory fsync, the renamed file)
//     and returns the error, kTemporary, naming the path and the operation.
//     An fsync is never retried: after a failure the kernel may have dropped
//     the dirty pages, so the only safe course is to download again.
//   - a verification mismatch returns kBadData ("length mismatch: got N,
//     expected M", "Content-MD5 mismatch") and removes the temp file.
//   - after any error the writer is spent: later calls return that error.
//
// Destroying a writer without Commit() or Abort() closes the temp file and
// leaves it in place: it is a resumable partial. Create(..., resume = true)
// reopens it for appending and re-hashes the bytes already there, so size()
// is the offset to ask for with Range. Truncate() starts again from byte 0
// (a server answered 200 to a Range request).
//
// The temp file is read back through std::ifstream when resuming (the
// FileSystem seam has no streaming read, and ReadFile would hold a whole
// partial in memory), so resume needs a real file system underneath.
// Not thread-safe; one writer per download, and at most one writer per temp
// path at a time (the caller fetches each file once).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/filesystem.h"
#include "util/byte_sink.h"
#include "util/result.h"

namespace hdc::store {

// A file published under its final name.
struct Committed {
  std::string path;        // the final path
  std::uint64_t size = 0;  // bytes
  std::string sha256_hex;  // lower-case hex, 64 characters
  std::string md5_base64;  // as in Content-MD5: base64 of the 16-byte digest
};

// fsyncs each folder in turn; the first failure is returned (never retried:
// the caller takes the names back, see the header comment).
util::Status SyncDirectories(platform::FileSystem& fs, const std::vector<std::string>& dirs);

// A verified file still open under its temp name, its data not yet durable
// (AtomicWriter::Seal). Destroyed unpublished, it is closed and left as a
// partial, like a writer destroyed without Commit().
struct Sealed {
  std::unique_ptr<platform::WritableFile> file;
  std::string temp_path;
  Committed committed;       // what Publish() returns for it
  bool data_synced = false;  // SyncSealed() ran: Publish() leaves its data alone
};

// Makes one sealed file's data durable now (its own Sync()), for a caller
// whose large file would gain nothing from a group's file-system sync and
// should not make the group wait for its bytes. On failure the file is
// closed and removed, and the error returned (never retried).
util::Status SyncSealed(platform::FileSystem& fs, Sealed& sealed);

// Publishes a batch of sealed files: makes their data durable (one
// SyncFileSystem() for those not synced yet, when there are several and the
// platform has it, else a Sync() each), closes them, renames each into place (creating its folders)
// and fsyncs each distinct folder once. On any failure nothing of the batch stays: every temp file
// and every name already renamed is removed, and the error (kTemporary, naming the path and the
// operation) is returned.
util::Result<std::vector<Committed>> Publish(platform::FileSystem& fs, std::vector<Sealed> batch);
// Publish() of a batch of one file: what it returns for that file.
util::Result<Committed> PublishOne(platform::FileSystem& fs, Sealed sealed);

class AtomicWriter final : public util::ByteSink {
 public:
  // Opens temp_path (truncating it, or appending when resume is true and it
  // exists). The caller has created store/tmp (StoreLayout::EnsureDirectories).
  // A symbolic link at temp_path is removed first, never followed.
  static util::Result<std::unique_ptr<AtomicWriter>> Create(platform::FileSystem& fs,
                                                            std::string temp_path,
                                                            std::string final_path, bool resume);
  ~AtomicWriter() override;
  AtomicWriter(const AtomicWriter&) = delete;
  AtomicWriter& operator=(const AtomicWriter&) = delete;

  util::Status Append(std::string_view data) override;
  std::uint64_t size() const override;
  util::Status Truncate() override;

  // The first bytes of the file (up to 8; fewer while the file is shorter),
  // so the caller can check a signature ("MSCF", "PK") before Commit().
  std::string_view first_bytes() const;

  // Whether MD5 is computed from here on (it is by default). A download
  // whose server sends no Content-MD5 switches it off: it costs as much CPU
  // as SHA-256. Commit() checks an expected MD5 only when it was computed
  // over every byte (else Committed::md5_base64 is empty and the check is
  // skipped; length and SHA-256 are always recorded).
  void SetMd5Wanted(bool wanted);

  // True once an error spent the writer (a write, sync, close, rename or
  // verification failure; the temp file is gone then). A storage error is
  // kTemporary, a verification mismatch kBadData.
  bool failed() const;

  // Verifies, fsyncs, closes, renames into place and fsyncs the directory
  // (Seal, then Publish of this one file); see the header comment for what
  // happens on failure.
  // expected_md5_base64 is a Content-MD5 value (padding optional,
  // surrounding spaces ignored).
  util::Result<Committed> Commit(std::optional<std::uint64_t> expected_length,
                                 std::optional<std::string> expected_md5_base64);

  // Verifies like Commit() and hands the open file over, unsynced, for
  // Publish(); the writer is spent afterwards (failed() stays false).
  util::Result<Sealed> Seal(std::optional<std::uint64_t> expected_length,
                            std::optional<std::string> expected_md5_base64);

  // Closes and removes the temp file (a bad signature, a cancelled
  // download). The writer is spent afterwards.
  util::Status Abort();

  const std::string& temp_path() const;
  const std::string& final_path() const;

 private:
  struct Impl;
  explicit AtomicWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hdc::store
