#include "support/power_cut_fs.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>
#include <vector>

namespace hdc::testing {
namespace {

using util::Result;
using util::Status;
namespace stdfs = std::filesystem;

std::string Parent(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

std::string Slurp(const stdfs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Makes the children of `dir` in `durable` what they are in `live`.
void CopyChildren(const std::string& dir, const std::set<std::string>& live,
                  std::set<std::string>& durable) {
  for (auto it = durable.begin(); it != durable.end();) {
    it = Parent(*it) == dir ? durable.erase(it) : std::next(it);
  }
  for (const auto& entry : live) {
    if (Parent(entry) == dir) durable.insert(entry);
  }
}

}  // namespace

class PowerCutFileSystem::File final : public platform::WritableFile {
 public:
  File(PowerCutFileSystem& fs, std::unique_ptr<platform::WritableFile> base, InodePtr inode)
      : fs_(fs), base_(std::move(base)), inode_(std::move(inode)) {}
  Status Append(std::string_view data) override { return fs_.FileAppend(inode_, *base_, data); }
  Status Sync() override { return fs_.FileSync(inode_, *base_); }
  std::optional<Status> SyncFileSystem() override { return fs_.FileSystemSync(*base_); }
  bool HasFileSystemSync() const override { return base_->HasFileSystemSync(); }
  Status Close() override { return fs_.FileClose(*base_); }

 private:
  PowerCutFileSystem& fs_;
  std::unique_ptr<platform::WritableFile> base_;
  InodePtr inode_;  // null for a file outside the model
};

PowerCutFileSystem::PowerCutFileSystem(platform::FileSystem& base, std::string root,
                                       std::set<std::string> unmodelled)
    : base_(base), root_(std::move(root)), unmodelled_(std::move(unmodelled)) {
  Scan(root_);
}

PowerCutFileSystem::~PowerCutFileSystem() = default;

void PowerCutFileSystem::Scan(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : stdfs::directory_iterator(dir, ec)) {
    const std::string path = dir + "/" + entry.path().filename().string();
    if (!Modelled(path) || entry.is_symlink()) continue;
    if (entry.is_directory()) {
      live_dirs_.insert(path);
      durable_dirs_.insert(path);
      Scan(path);
    } else if (entry.is_regular_file()) {
      const std::string data = Slurp(entry.path());
      auto inode = std::make_shared<Inode>(Inode{data, data});
      live_files_[path] = inode;
      durable_files_[path] = inode;
    }
  }
}

bool PowerCutFileSystem::Modelled(const std::string& path) const {
  if (!path.starts_with(root_ + "/")) return false;
  const std::string name = path.substr(root_.size() + 1);
  return !unmodelled_.contains(name);
}

void PowerCutFileSystem::CutAfter(std::uint64_t n, std::string cut_dir) {
  std::lock_guard lock(mu_);
  cut_at_ = n;
  cut_dir_ = std::move(cut_dir);
}

void PowerCutFileSystem::SetOnCut(std::function<void(const std::string&)> hook) {
  std::lock_guard lock(mu_);
  on_cut_ = std::move(hook);
}

std::uint64_t PowerCutFileSystem::calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

bool PowerCutFileSystem::cut() const {
  std::lock_guard lock(mu_);
  return off_;
}

Status PowerCutFileSystem::cut_status() const {
  std::lock_guard lock(mu_);
  return cut_status_;
}

std::optional<Status> PowerCutFileSystem::Enter(const std::string& what) {
  if (off_) return util::TemporaryError(what + ": power is off");
  ++calls_;
  return std::nullopt;
}

void PowerCutFileSystem::AfterCall() {
  if (off_ || cut_at_ == 0 || calls_ != cut_at_) return;
  cut_status_ = WriteImageLocked(cut_dir_);
  if (on_cut_) on_cut_(cut_dir_);
  off_ = true;
}

Status PowerCutFileSystem::WriteImage(const std::string& dir) const {
  std::lock_guard lock(mu_);
  return WriteImageLocked(dir);
}

Status PowerCutFileSystem::WriteImageLocked(const std::string& dir) const {
  // A name survives only when every folder above it survives.
  auto survives = [this](const std::string& path) {
    for (std::string up = Parent(path); up != root_; up = Parent(up)) {
      if (!durable_dirs_.contains(up)) return false;
    }
    return true;
  };
  auto target = [&](const std::string& path) {
    return stdfs::path(dir) / path.substr(root_.size() + 1);
  };
  std::error_code ec;
  if (!stdfs::create_directories(dir, ec) || ec) {
    return util::InternalError("cannot create the cut image folder " + dir);
  }
  for (const std::string& d : durable_dirs_) {
    if (survives(d)) stdfs::create_directories(target(d), ec);
  }
  for (const auto& [path, inode] : durable_files_) {
    if (!survives(path)) continue;
    std::ofstream out(target(path), std::ios::binary | std::ios::trunc);
    out.write(inode->synced.data(), static_cast<std::streamsize>(inode->synced.size()));
    if (!out) return util::InternalError("cannot write the cut image of " + path);
  }
  return Status::Ok();
}

Result<std::unique_ptr<platform::WritableFile>> PowerCutFileSystem::OpenForWrite(
    const std::string& path, bool append) {
  std::lock_guard lock(mu_);
  if (auto off = Enter("open " + path)) return *off;
  Result<std::unique_ptr<platform::WritableFile>> opened = base_.OpenForWrite(path, append);
  InodePtr inode;
  if (opened.ok() && Modelled(path)) {
    InodePtr& slot = live_files_[path];
    if (!slot) slot = std::make_shared<Inode>();  // a new file: a new inode
    if (!append) slot->live.clear();              // the synced data stay until the next Sync
    inode = slot;
  }
  AfterCall();
  if (!opened.ok()) return opened.status();
  return std::unique_ptr<platform::WritableFile>(
      new File(*this, std::move(*opened), std::move(inode)));
}

Status PowerCutFileSystem::FileAppend(const InodePtr& inode, platform::WritableFile& file,
                                      std::string_view data) {
  std::lock_guard lock(mu_);
  if (auto off = Enter("write")) return *off;
  const Status written = file.Append(data);
  if (written.ok() && inode) inode->live.append(data);
  AfterCall();
  return written;
}

Status PowerCutFileSystem::FileSync(const InodePtr& inode, platform::WritableFile& file) {
  std::lock_guard lock(mu_);
  if (auto off = Enter("fdatasync")) return *off;
  const Status synced = file.Sync();
  if (synced.ok() && inode) inode->synced = inode->live;
  AfterCall();
  return synced;
}

std::optional<Status> PowerCutFileSystem::FileSystemSync(platform::WritableFile& file) {
  std::lock_guard lock(mu_);
  // Where the platform has none it is not a call, as for the code under
  // test, which syncs each file instead (once the power is off it fails as
  // every call does).
  if (!file.HasFileSystemSync() && !off_) return std::nullopt;
  if (auto off = Enter("syncfs")) return *off;
  std::optional<Status> synced = file.SyncFileSystem();
  if (synced && synced->ok()) {
    for (const auto* files : {&live_files_, &durable_files_}) {
      for (const auto& [path, inode] : *files) inode->synced = inode->live;
    }
  }
  AfterCall();
  return synced;
}

Status PowerCutFileSystem::FileClose(platform::WritableFile& file) {
  std::lock_guard lock(mu_);
  const std::optional<Status> off = Enter("close");
  const Status closed = file.Close();  // the descriptor is released either way
  if (off) return *off;
  AfterCall();
  return closed;
}

Result<std::unique_ptr<platform::ReadableFile>> PowerCutFileSystem::OpenForRead(
    const std::string& path) {
  std::lock_guard lock(mu_);
  if (off_) return util::TemporaryError("open " + path + ": power is off");
  return base_.OpenForRead(path);
}

Result<std::string> PowerCutFileSystem::ReadFile(const std::string& path) {
  std::lock_guard lock(mu_);
  if (off_) return util::TemporaryError("read " + path + ": power is off");
  return base_.ReadFile(path);
}

Status PowerCutFileSystem::Rename(const std::string& from, const std::string& to) {
  std::lock_guard lock(mu_);
  if (auto off = Enter("rename " + from + " to " + to)) return *off;
  Status renamed = util::InternalError("PowerCutFileSystem does not model renaming a folder");
  if (!live_dirs_.contains(from)) renamed = base_.Rename(from, to);
  if (renamed.ok()) {
    InodePtr inode;
    if (auto it = live_files_.find(from); it != live_files_.end()) {
      inode = it->second;
      live_files_.erase(it);
    }
    if (Modelled(to)) {
      if (!inode) {  // from outside the model: its data were never synced here
        const Result<std::string> data = base_.ReadFile(to);
        inode = std::make_shared<Inode>(Inode{data.ok() ? *data : "", ""});
      }
      live_files_[to] = inode;  // an inode that was there loses this name
    }
  }
  AfterCall();
  return renamed;
}

Status PowerCutFileSystem::SyncDir(const std::string& dir) {
  std::lock_guard lock(mu_);
  if (auto off = Enter("fsync directory " + dir)) return *off;
  const Status synced = base_.SyncDir(dir);
  if (synced.ok() && (dir == root_ || Modelled(dir))) {
    for (auto it = durable_files_.begin(); it != durable_files_.end();) {
      it = Parent(it->first) == dir ? durable_files_.erase(it) : std::next(it);
    }
    for (const auto& [path, inode] : live_files_) {
      if (Parent(path) == dir) durable_files_[path] = inode;
    }
    CopyChildren(dir, live_dirs_, durable_dirs_);
  }
  AfterCall();
  return synced;
}

Status PowerCutFileSystem::Remove(const std::string& path) {
  std::lock_guard lock(mu_);
  if (auto off = Enter("remove " + path)) return *off;
  const Status removed = base_.Remove(path);
  if (removed.ok()) {
    live_files_.erase(path);
    live_dirs_.erase(path);
  }
  AfterCall();
  return removed;
}

Status PowerCutFileSystem::CreateDirectories(const std::string& path) {
  std::lock_guard lock(mu_);
  if (auto off = Enter("create directory " + path)) return *off;
  std::vector<std::string> missing;
  for (std::string dir = path; Modelled(dir) && !base_.Exists(dir); dir = Parent(dir)) {
    missing.push_back(dir);
  }
  const Status created = base_.CreateDirectories(path);
  if (created.ok()) live_dirs_.insert(missing.begin(), missing.end());
  AfterCall();
  return created;
}

Result<std::vector<platform::DirEntry>> PowerCutFileSystem::List(const std::string& dir) {
  std::lock_guard lock(mu_);
  if (off_) return util::TemporaryError("list " + dir + ": power is off");
  return base_.List(dir);
}

Result<std::uint64_t> PowerCutFileSystem::FileSize(const std::string& path) {
  std::lock_guard lock(mu_);
  if (off_) return util::TemporaryError("stat " + path + ": power is off");
  return base_.FileSize(path);
}

Result<std::uint64_t> PowerCutFileSystem::FreeSpace(const std::string& path) {
  std::lock_guard lock(mu_);
  if (off_) return util::TemporaryError("statvfs " + path + ": power is off");
  return base_.FreeSpace(path);
}

bool PowerCutFileSystem::Exists(const std::string& path) {
  std::lock_guard lock(mu_);
  return !off_ && base_.Exists(path);
}

}  // namespace hdc::testing
