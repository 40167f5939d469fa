#include "support/fault_fs.h"

#include <utility>

namespace hdc::testing {
namespace {

using util::Result;
using util::Status;
using Op = FaultFs::Op;

std::size_t Index(Op op) { return static_cast<std::size_t>(op); }

// The wording of the POSIX implementation for each operation.
Status Injected(Op op, const std::string& what) {
  switch (op) {
    case Op::kAppend:
      return util::TemporaryError("write " + what + ": No space left on device");
    case Op::kSync:
      return util::TemporaryError("fdatasync " + what + ": Input/output error");
    case Op::kSyncFileSystem:
      return util::TemporaryError("syncfs of the file system of " + what + ": Input/output error");
    case Op::kClose:
      return util::TemporaryError("close " + what + ": Input/output error");
    case Op::kOpenForWrite:
      return util::TemporaryError("open " + what + ": Input/output error");
    case Op::kReadFile:
      return util::TemporaryError("read " + what + ": Input/output error");
    case Op::kRename:
      return util::TemporaryError("rename " + what + ": Input/output error");
    case Op::kSyncDir:
      return util::TemporaryError("fsync directory " + what + ": Input/output error");
    case Op::kRemove:
      return util::TemporaryError("remove " + what + ": Input/output error");
    case Op::kCreateDirectories:
      return util::TemporaryError("create directory " + what + ": No space left on device");
    case Op::kList:
      return util::TemporaryError("list " + what + ": Input/output error");
    case Op::kFileSize:
      return util::TemporaryError("stat " + what + ": Input/output error");
    case Op::kFreeSpace:
      return util::TemporaryError("statvfs " + what + ": Input/output error");
    case Op::kExists:
      break;
  }
  return util::InternalError("no injected error for this operation");
}

std::string ParentDir(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

bool IsUnder(const std::string& path, const std::string& dir) {
  if (dir.empty()) return true;
  return path == dir || (path.starts_with(dir) && (dir.back() == '/' || path[dir.size()] == '/'));
}

}  // namespace

class FaultFs::File final : public platform::WritableFile {
 public:
  File(FaultFs& fs, std::unique_ptr<platform::WritableFile> base, std::string path)
      : fs_(fs), base_(std::move(base)), path_(std::move(path)) {}
  Status Append(std::string_view data) override { return fs_.FileAppend(*base_, path_, data); }
  Status Sync() override { return fs_.FileSync(*base_, path_); }
  std::optional<Status> SyncFileSystem() override { return fs_.FileSystemSync(*base_, path_); }
  bool HasFileSystemSync() const override { return true; }  // offered on every platform
  Status Close() override { return fs_.FileClose(*base_, path_); }

 private:
  FaultFs& fs_;
  std::unique_ptr<platform::WritableFile> base_;
  std::string path_;
};

void FaultFs::FailAt(Op op, std::uint64_t nth, bool persistent) {
  std::lock_guard lock(mu_);
  faults_[Index(op)] = Fault{calls_[Index(op)] + nth, persistent};
}

void FaultFs::Heal(Op op) {
  std::lock_guard lock(mu_);
  faults_[Index(op)] = Fault{};
}

void FaultFs::HealAll() {
  std::lock_guard lock(mu_);
  faults_.fill(Fault{});
}

void FaultFs::SetFreeSpace(std::optional<std::uint64_t> bytes) {
  std::lock_guard lock(mu_);
  free_space_ = bytes;
}

void FaultFs::SetRealSync(bool on) {
  std::lock_guard lock(mu_);
  real_sync_ = on;
}

std::uint64_t FaultFs::calls(Op op) const {
  std::lock_guard lock(mu_);
  return calls_[Index(op)];
}

std::vector<std::string> FaultFs::trace() const {
  std::lock_guard lock(mu_);
  return trace_;
}

std::optional<Status> FaultFs::Hit(Op op, const std::string& what) {
  const std::uint64_t n = ++calls_[Index(op)];
  const Fault& fault = faults_[Index(op)];
  if (fault.at == 0 || n < fault.at || (n > fault.at && !fault.persistent)) return std::nullopt;
  trace_.push_back("fail " + Injected(op, what).message());
  return Injected(op, what);
}

void FaultFs::Trace(std::string line) { trace_.push_back(std::move(line)); }

Result<std::unique_ptr<platform::WritableFile>> FaultFs::OpenForWrite(const std::string& path,
                                                                      bool append) {
  std::lock_guard lock(mu_);
  if (auto error = Hit(Op::kOpenForWrite, path)) return *error;
  const bool existed = base_.Exists(path);
  Result<std::unique_ptr<platform::WritableFile>> file = base_.OpenForWrite(path, append);
  if (!file.ok()) return file.status();
  Trace((append ? "open-append " : "open ") + path);
  auto it = files_.find(path);
  if (it == files_.end()) {
    // A file FaultFs has not seen before counts as durable as it is.
    Tracked state;
    state.entry_durable = existed;
    if (existed && append) {
      const Result<std::uint64_t> size = base_.FileSize(path);
      state.size = state.synced_size = size.ok() ? *size : 0;
      state.ever_synced = true;
    }
    files_[path] = state;
  } else if (!append) {
    it->second.size = it->second.synced_size = 0;
  }
  return std::unique_ptr<platform::WritableFile>(new File(*this, std::move(*file), path));
}

Status FaultFs::FileAppend(platform::WritableFile& file, const std::string& path,
                           std::string_view data) {
  std::lock_guard lock(mu_);
  if (auto error = Hit(Op::kAppend, path)) return *error;
  HDC_RETURN_IF_ERROR(file.Append(data));
  files_[path].size += data.size();
  return Status::Ok();
}

Status FaultFs::FileSync(platform::WritableFile& file, const std::string& path) {
  std::lock_guard lock(mu_);
  if (auto error = Hit(Op::kSync, path)) return *error;
  if (real_sync_) HDC_RETURN_IF_ERROR(file.Sync());
  Trace("sync " + path);
  Tracked& state = files_[path];
  state.synced_size = state.size;
  state.ever_synced = true;
  return Status::Ok();
}

Status FaultFs::FileSystemSync(platform::WritableFile& file, const std::string& path) {
  std::lock_guard lock(mu_);
  if (auto error = Hit(Op::kSyncFileSystem, path)) return *error;
  if (real_sync_) {
    // Where the platform has none, the model alone: the call is what is tested.
    if (std::optional<Status> synced = file.SyncFileSystem()) HDC_RETURN_IF_ERROR(*synced);
  }
  Trace("syncfs " + path);
  for (auto& [name, state] : files_) {
    state.synced_size = state.size;
    state.ever_synced = true;
  }
  return Status::Ok();
}

Status FaultFs::FileClose(platform::WritableFile& file, const std::string& path) {
  std::lock_guard lock(mu_);
  const std::optional<Status> error = Hit(Op::kClose, path);
  const Status closed = file.Close();  // the descriptor is released either way
  Trace("close " + path);
  if (error) return *error;
  return closed;
}

Result<std::unique_ptr<platform::ReadableFile>> FaultFs::OpenForRead(const std::string& path) {
  std::lock_guard lock(mu_);
  if (auto error = Hit(Op::kReadFile, path)) return *error;
  return base_.OpenForRead(path);
}

Result<std::string> FaultFs::ReadFile(const std::string& path) {
  std::lock_guard lock(mu_);
  if (auto error = Hit(Op::kReadFile, path)) return *error;
  return base_.ReadFile(path);
}

Status FaultFs::Rename(const std::string& from, const std::string& to) {
  std::lock_guard lock(mu_);
  if (auto error = Hit(Op::kRename, from + " to " + to)) return *error;
  HDC_RETURN_IF_ERROR(base_.Rename(from, to));
  Trace("rename " + from + " -> " + to);
  Tracked moved;
  if (auto it = files_.find(from); it != files_.end()) {
    moved = it->second;
    files_.erase(it);
  } else {
    const Result<std::uint64_t> size = base_.FileSize(to);
    moved.size = moved.synced_size = size.ok() ? *size : 0;
    moved.ever_synced = true;
    moved.entry_durable = true;
  }
  moved.renamed_from = moved.entry_durable ? std::optional<std::string>(from) : std::nullopt;
  moved.entry_durable = false;
  files_[to] = moved;
  return Status::Ok();
}

Status FaultFs::SyncDir(const std::string& dir) {
  std::lock_guard lock(mu_);
  if (auto error = Hit(Op::kSyncDir, dir)) return *error;
  if (real_sync_) HDC_RETURN_IF_ERROR(base_.SyncDir(dir));
  Trace("syncdir " + dir);
  for (auto& [path, state] : files_) {
    if (ParentDir(path) == dir) {
      state.entry_durable = true;
      state.renamed_from.reset();
    }
  }
  return Status::Ok();
}

Status FaultFs::Remove(const std::string& path) {
  std::lock_guard lock(mu_);
  if (auto error = Hit(Op::kRemove, path)) return *error;
  HDC_RETURN_IF_ERROR(base_.Remove(path));
  Trace("remove " + path);
  files_.erase(path);
  return Status::Ok();
}

Status FaultFs::CreateDirectories(const std::string& path) {
  std::lock_guard lock(mu_);
  if (auto error = Hit(Op::kCreateDirectories, path)) return *error;
  HDC_RETURN_IF_ERROR(base_.CreateDirectories(path));
  Trace("mkdir " + path);
  return Status::Ok();
}

Result<std::vector<platform::DirEntry>> FaultFs::List(const std::string& dir) {
  std::lock_guard lock(mu_);
  if (auto error = Hit(Op::kList, dir)) return *error;
  return base_.List(dir);
}

Result<std::uint64_t> FaultFs::FileSize(const std::string& path) {
  std::lock_guard lock(mu_);
  if (auto error = Hit(Op::kFileSize, path)) return *error;
  return base_.FileSize(path);
}

Result<std::uint64_t> FaultFs::FreeSpace(const std::string& path) {
  std::lock_guard lock(mu_);
  if (auto error = Hit(Op::kFreeSpace, path)) return *error;
  if (free_space_) return *free_space_;
  return base_.FreeSpace(path);
}

bool FaultFs::Exists(const std::string& path) {
  std::lock_guard lock(mu_);
  ++calls_[Index(Op::kExists)];
  return base_.Exists(path);
}

Status FaultFs::CutBack(const std::string& path, const Tracked& state) {
  if (!state.ever_synced) return base_.Remove(path);
  const Result<std::string> data = base_.ReadFile(path);
  if (!data.ok()) return data.status();
  if (data->size() <= state.synced_size) return Status::Ok();
  Result<std::unique_ptr<platform::WritableFile>> file = base_.OpenForWrite(path, false);
  if (!file.ok()) return file.status();
  HDC_RETURN_IF_ERROR((*file)->Append(std::string_view(*data).substr(0, state.synced_size)));
  return (*file)->Close();
}

Status FaultFs::DropUnsynced(const std::string& under) {
  std::lock_guard lock(mu_);
  Trace("power cut" + (under.empty() ? std::string() : " under " + under));
  std::map<std::string, Tracked> kept;
  for (const auto& [path, state] : files_) {
    if (!IsUnder(path, under)) {
      kept[path] = state;
      continue;
    }
    if (!base_.Exists(path)) continue;
    std::string survivor = path;
    if (!state.entry_durable) {
      if (!state.renamed_from) {
        HDC_RETURN_IF_ERROR(base_.Remove(path));
        continue;
      }
      HDC_RETURN_IF_ERROR(base_.Rename(path, *state.renamed_from));
      survivor = *state.renamed_from;
    }
    HDC_RETURN_IF_ERROR(CutBack(survivor, state));
  }
  files_ = std::move(kept);
  return Status::Ok();
}

}  // namespace hdc::testing
