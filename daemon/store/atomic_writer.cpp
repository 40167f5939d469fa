#include "store/atomic_writer.h"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include <Poco/Crypto/DigestEngine.h>
#include <Poco/DigestEngine.h>

#include "store/verify.h"
#include "util/logging.h"

namespace hdc::store {
namespace {

using util::Result;
using util::Status;

constexpr std::size_t kFirstBytes = 8;

std::string Base64(const Poco::DigestEngine::Digest& bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t group = static_cast<std::uint32_t>(bytes[i]) << 16;
    if (n > 1) group |= static_cast<std::uint32_t>(bytes[i + 1]) << 8;
    if (n > 2) group |= bytes[i + 2];
    for (std::size_t k = 0; k < 4; ++k) {
      out += k <= n ? kAlphabet[(group >> (18 - 6 * k)) & 0x3f] : '=';
    }
  }
  return out;
}

// A Content-MD5 value as we write it: spaces trimmed, padding restored.
std::string NormalizedMd5(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  std::string out(value);
  while (out.size() % 4 != 0) out += '=';
  return out;
}

std::string ParentDir(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Directories on the way to the final one that do not exist yet, deepest
// first.
std::vector<std::string> MissingDirectories(platform::FileSystem& fs,
                                            const std::string& final_path) {
  std::vector<std::string> missing;
  std::string dir = ParentDir(final_path);
  while (dir != "." && dir != "/" && !fs.Exists(dir)) {
    missing.push_back(dir);
    dir = ParentDir(dir);
  }
  return missing;
}

// After the rename: the final directory, then the parent of each directory
// created for this file, so that every new name is durable. When none was
// created, the final directory's parent too: an earlier publish that failed
// after creating it (or another writer) may have left its entry unsynced.
std::vector<std::string> DirectoriesToSync(const std::string& final_path,
                                           const std::vector<std::string>& created) {
  std::vector<std::string> dirs{ParentDir(final_path)};
  for (const std::string& dir : created) dirs.push_back(ParentDir(dir));
  const std::string grandparent = ParentDir(ParentDir(final_path));
  if (created.empty() && grandparent != "." && grandparent != "/") dirs.push_back(grandparent);
  return dirs;
}

// The data of every file of the batch not synced yet made durable: one sync
// of their file system where the platform has it and there are several,
// else one each.
Status SyncData(std::vector<Sealed>& batch) {
  std::vector<platform::WritableFile*> unsynced;
  for (Sealed& sealed : batch) {
    if (!sealed.data_synced) unsynced.push_back(sealed.file.get());
  }
  if (unsynced.size() > 1) {
    if (std::optional<Status> synced = unsynced.front()->SyncFileSystem()) return *synced;
  }
  for (platform::WritableFile* file : unsynced) HDC_RETURN_IF_ERROR(file->Sync());
  return Status::Ok();
}

// After a failure: closes `file` if it is still open (ignoring errors: its
// bytes are discarded anyway) and removes `path`. A removal that fails is
// logged, "cannot remove <shown> after a failed <operation>: <error>".
void CloseAndRemove(platform::FileSystem& fs, std::unique_ptr<platform::WritableFile>& file,
                    const std::string& path, std::string_view shown, std::string_view operation) {
  if (file != nullptr) {
    (void)file->Close();
    file.reset();
  }
  if (const Status removed = fs.Remove(path); !removed.ok()) {
    util::GetLogger("store")->warn("cannot remove {} after a failed {}: {}", shown, operation,
                                   removed.ToString());
  }
}

// A failed Publish: closes what is still open and removes every file of the
// batch, under its final name when it got there, and returns `failure`.
Status Discard(platform::FileSystem& fs, std::vector<Sealed>& batch, std::size_t renamed,
               Status failure) {
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Sealed& sealed = batch[i];
    const std::string& path = i < renamed ? sealed.committed.path : sealed.temp_path;
    CloseAndRemove(fs, sealed.file, path, path, "publish");
  }
  return failure;
}

}  // namespace

struct AtomicWriter::Impl {
  Impl(platform::FileSystem& fs_in, std::string temp, std::string final_name)
      : fs(fs_in), temp_path(std::move(temp)), final_path(std::move(final_name)) {}

  void Hash(std::string_view data) {
    sha256.update(data.data(), data.size());
    if (md5_wanted) {
      md5.update(data.data(), data.size());
    } else if (!data.empty()) {
      md5_complete = false;
    }
    size += data.size();
    if (first.size() < kFirstBytes) first.append(data.substr(0, kFirstBytes - first.size()));
  }

  void ResetHashes() {
    sha256.reset();
    md5.reset();
    md5_complete = true;
    size = 0;
    first.clear();
  }

  // OK while the writer can still take bytes or commit.
  Status Usable() const {
    if (!error.ok()) return error;
    if (file == nullptr) return util::InternalError("writer for " + final_path + " is closed");
    return Status::Ok();
  }

  // Closes (ignoring errors: the bytes are discarded anyway), removes the temp
  // file and makes the writer spent with this error.
  Status Fail(Status status) {
    CloseAndRemove(fs, file, temp_path, "temp file", "write");
    error = status;
    return status;
  }

  Status Open(bool append) {
    Result<std::unique_ptr<platform::WritableFile>> opened = fs.OpenForWrite(temp_path, append);
    if (!opened.ok()) return opened.status();
    file = std::move(*opened);
    return Status::Ok();
  }

  // Re-hashes an existing partial; false when it cannot be read.
  bool RehashExisting() {
    const Result<std::uint64_t> read = ForEachChunk(fs, temp_path, [this](std::string_view chunk) {
      Hash(chunk);
      return Status::Ok();
    });
    if (read.ok()) return true;
    util::GetLogger("store")->warn("cannot resume {}, starting again: {}", temp_path,
                                   read.status().ToString());
    ResetHashes();
    return false;
  }

  platform::FileSystem& fs;
  const std::string temp_path;
  const std::string final_path;
  std::unique_ptr<platform::WritableFile> file;
  // OpenSSL's digests (through Poco::Crypto): about 7x Poco's own SHA-256
  // here, so hashing never limits a download.
  Poco::Crypto::DigestEngine sha256{"SHA256"};
  Poco::Crypto::DigestEngine md5{"MD5"};
  bool committed = false;
  bool md5_wanted = true;    // MD5 is computed (costs as much CPU as SHA-256)
  bool md5_complete = true;  // ... over every byte so far
  std::uint64_t size = 0;
  std::string first;
  Status error;  // sticky; set once the writer is spent
};

Status SyncDirectories(platform::FileSystem& fs, const std::vector<std::string>& dirs) {
  for (const std::string& dir : dirs) HDC_RETURN_IF_ERROR(fs.SyncDir(dir));
  return Status::Ok();
}

Status SyncSealed(platform::FileSystem& fs, Sealed& sealed) {
  if (Status s = sealed.file->Sync(); !s.ok()) {
    CloseAndRemove(fs, sealed.file, sealed.temp_path, sealed.temp_path, "fsync");
    return s;
  }
  sealed.data_synced = true;
  return Status::Ok();
}

Result<std::vector<Committed>> Publish(platform::FileSystem& fs, std::vector<Sealed> batch) {
  // Order matters: data durable, files closed, then the names, then their
  // folders. A failed fsync is never retried (see the header comment).
  if (Status s = SyncData(batch); !s.ok()) return Discard(fs, batch, 0, s);
  for (Sealed& sealed : batch) {
    const Status closed = sealed.file->Close();
    sealed.file.reset();
    if (!closed.ok()) return Discard(fs, batch, 0, closed);
  }
  std::vector<std::string> folders;  // each distinct one once, in order
  std::size_t renamed = 0;
  for (Sealed& sealed : batch) {
    const std::string& final_path = sealed.committed.path;
    const std::vector<std::string> created = MissingDirectories(fs, final_path);
    if (!created.empty()) {
      if (Status s = fs.CreateDirectories(ParentDir(final_path)); !s.ok()) {
        return Discard(fs, batch, renamed, s);
      }
    }
    if (Status s = fs.Rename(sealed.temp_path, final_path); !s.ok()) {
      return Discard(fs, batch, renamed, s);
    }
    ++renamed;
    for (std::string& dir : DirectoriesToSync(final_path, created)) {
      if (std::find(folders.begin(), folders.end(), dir) == folders.end()) {
        folders.push_back(std::move(dir));
      }
    }
  }
  // A name may not survive a crash: all are taken back, to be downloaded
  // again, so that no final file exists without a database row.
  if (Status s = SyncDirectories(fs, folders); !s.ok()) return Discard(fs, batch, renamed, s);
  std::vector<Committed> published;
  published.reserve(batch.size());
  for (Sealed& sealed : batch) published.push_back(std::move(sealed.committed));
  return published;
}

Result<Committed> PublishOne(platform::FileSystem& fs, Sealed sealed) {
  std::vector<Sealed> one;
  one.push_back(std::move(sealed));
  HDC_ASSIGN_OR_RETURN(std::vector<Committed> published, Publish(fs, std::move(one)));
  return std::move(published.front());
}

Result<std::unique_ptr<AtomicWriter>> AtomicWriter::Create(platform::FileSystem& fs,
                                                           std::string temp_path,
                                                           std::string final_path, bool resume) {
  auto impl = std::make_unique<Impl>(fs, std::move(temp_path), std::move(final_path));
  const bool append = resume && fs.Exists(impl->temp_path) && impl->RehashExisting();
  HDC_RETURN_IF_ERROR(impl->Open(append));
  return std::unique_ptr<AtomicWriter>(new AtomicWriter(std::move(impl)));
}

AtomicWriter::AtomicWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AtomicWriter::~AtomicWriter() {
  // Leaves the temp file in place as a resumable partial.
  if (impl_->file != nullptr) (void)impl_->file->Close();
}

Status AtomicWriter::Append(std::string_view data) {
  HDC_RETURN_IF_ERROR(impl_->Usable());
  const Status written = impl_->file->Append(data);
  if (!written.ok()) return impl_->Fail(written);
  impl_->Hash(data);
  return Status::Ok();
}

std::uint64_t AtomicWriter::size() const { return impl_->size; }

Status AtomicWriter::Truncate() {
  HDC_RETURN_IF_ERROR(impl_->Usable());
  // The bytes are thrown away, so a close error on them does not matter.
  (void)impl_->file->Close();
  impl_->file.reset();
  impl_->ResetHashes();
  const Status opened = impl_->Open(/*append=*/false);
  if (!opened.ok()) return impl_->Fail(opened);
  return Status::Ok();
}

std::string_view AtomicWriter::first_bytes() const { return impl_->first; }

void AtomicWriter::SetMd5Wanted(bool wanted) { impl_->md5_wanted = wanted; }

bool AtomicWriter::failed() const { return !impl_->error.ok() && !impl_->committed; }

Result<Sealed> AtomicWriter::Seal(std::optional<std::uint64_t> expected_length,
                                  std::optional<std::string> expected_md5_base64) {
  Impl& w = *impl_;
  HDC_RETURN_IF_ERROR(w.Usable());
  if (expected_length && *expected_length != w.size) {
    return w.Fail(util::BadDataError(w.final_path + ": length mismatch: got " +
                                     std::to_string(w.size) + ", expected " +
                                     std::to_string(*expected_length)));
  }
  Committed done{w.final_path, w.size, Poco::DigestEngine::digestToHex(w.sha256.digest()),
                 w.md5_complete ? Base64(w.md5.digest()) : ""};
  if (expected_md5_base64 && !w.md5_complete) {
    util::GetLogger("store")->debug("{}: no MD5 over every byte, Content-MD5 not checked",
                                    w.final_path);
  } else if (expected_md5_base64 && NormalizedMd5(*expected_md5_base64) != done.md5_base64) {
    return w.Fail(util::BadDataError(w.final_path + ": Content-MD5 mismatch: got " +
                                     done.md5_base64 + ", expected " +
                                     NormalizedMd5(*expected_md5_base64)));
  }
  Sealed sealed{std::move(w.file), w.temp_path, std::move(done)};
  w.error = util::InternalError("writer for " + w.final_path + " has already committed");
  w.committed = true;
  return sealed;
}

Result<Committed> AtomicWriter::Commit(std::optional<std::uint64_t> expected_length,
                                       std::optional<std::string> expected_md5_base64) {
  HDC_ASSIGN_OR_RETURN(Sealed sealed, Seal(expected_length, std::move(expected_md5_base64)));
  Result<Committed> published = PublishOne(impl_->fs, std::move(sealed));
  if (!published.ok()) {
    impl_->committed = false;  // spent by a storage error: failed()
    impl_->error = published.status();
  }
  return published;
}

Status AtomicWriter::Abort() {
  Impl& w = *impl_;
  if (!w.error.ok()) return Status::Ok();  // nothing left to remove
  if (w.file != nullptr) {
    (void)w.file->Close();
    w.file.reset();
  }
  w.error = util::InternalError("writer for " + w.final_path + " was aborted");
  return w.fs.Remove(w.temp_path);
}

const std::string& AtomicWriter::temp_path() const { return impl_->temp_path; }
const std::string& AtomicWriter::final_path() const { return impl_->final_path; }

}  // namespace hdc::store
