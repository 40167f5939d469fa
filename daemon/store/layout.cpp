#include "store/layout.h"

#include <array>
#include <cctype>
#include <cstdio>

#include "util/state_files.h"
#include "util/strings.h"
#include "util/time_format.h"

namespace hdc::store {
namespace {

using util::Result;
using util::Status;

constexpr std::size_t kMaxTokenLength = 128;
constexpr std::size_t kMaxShownLength = 40;
constexpr std::size_t kMaxKindLength = 16;
constexpr std::string_view kTempSuffix = ".part";

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The id for an error message: printable ASCII kept, everything else as
// \xNN, cut after kMaxShownLength input characters.
std::string Shown(std::string_view id) {
  std::string out;
  for (std::size_t i = 0; i < id.size() && i < kMaxShownLength; ++i) {
    const unsigned char c = static_cast<unsigned char>(id[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (id.size() > kMaxShownLength) out += "...";
  return out;
}

bool IsKind(std::string_view kind) {
  if (kind.empty() || kind.size() > kMaxKindLength) return false;
  for (char c : kind) {
    if (!std::islower(static_cast<unsigned char>(c)) &&
        !std::isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool IsPlainToken(std::string_view id) {
  if (id.empty() || id.size() > kMaxTokenLength) return false;
  if (id.front() == '.' || id.back() == '.') return false;
  if (id.find("..") != std::string_view::npos) return false;
  for (char c : id) {
    if (!IsTokenChar(c)) return false;
  }
  return !util::IsWindowsDeviceName(id);
}

Status CheckPlainToken(std::string_view what, std::string_view id) {
  if (IsPlainToken(id)) return Status::Ok();
  return util::BadDataError("refusing " + std::string(what) + " '" + Shown(id) +
                            "': not a plain token");
}

std::optional<TempName> ParseTempName(std::string_view file_name) {
  if (!file_name.ends_with(kTempSuffix)) return std::nullopt;
  const std::string_view stem = file_name.substr(0, file_name.size() - kTempSuffix.size());
  const std::size_t dash = stem.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const std::string_view kind = stem.substr(0, dash);
  const std::string_view key = stem.substr(dash + 1);
  if (!IsKind(kind) || !IsPlainToken(key) || !IsPlainToken(file_name)) return std::nullopt;
  return TempName{std::string(kind), std::string(key)};
}

StoreLayout::StoreLayout(std::string state_dir) {
  if (state_dir.empty()) {
    root_ = util::state_files::kStore;
    return;
  }
  while (!state_dir.empty() && state_dir.back() == '/') state_dir.pop_back();
  root_ = util::state_files::PathOf(state_dir, util::state_files::kStore);
}

Result<std::string> StoreLayout::ReportPath(std::string_view job, std::string_view report_id,
                                            util::TimePoint report_datetime,
                                            std::string_view ext) const {
  HDC_RETURN_IF_ERROR(CheckPlainToken("job name", job));
  HDC_RETURN_IF_ERROR(CheckPlainToken("report id", report_id));
  HDC_RETURN_IF_ERROR(CheckPlainToken("report file extension", ext));
  const std::string stamp = util::FormatCompact(report_datetime);
  HDC_RETURN_IF_ERROR(CheckPlainToken("report datetime", stamp));
  const std::string file = stamp + "." + std::string(ext);
  HDC_RETURN_IF_ERROR(CheckPlainToken("report file name", file));
  return reports_dir() + "/" + std::string(job) + "/" + std::string(report_id) + "/" + file;
}

Result<std::string> StoreLayout::CabPath(std::string_view cab_id_hash) const {
  HDC_RETURN_IF_ERROR(CheckPlainToken("cab id", cab_id_hash));
  if (cab_id_hash.size() < 2) {
    return util::BadDataError("refusing cab id '" + Shown(cab_id_hash) +
                              "': shorter than two characters");
  }
  // The second character may be '.', which would make a directory name
  // ending in a dot; '_' keeps the shard name a plain token.
  std::string shard = Lower(cab_id_hash.substr(0, 2));
  if (shard[1] == '.') shard[1] = '_';
  const std::string file = std::string(cab_id_hash) + ".cab";
  HDC_RETURN_IF_ERROR(CheckPlainToken("cab file name", file));
  return cabs_dir() + "/" + shard + "/" + file;
}

Result<std::string> StoreLayout::TempPath(std::string_view kind, std::string_view key) const {
  if (!IsKind(kind)) {
    return util::InternalError("temp file kind '" + Shown(kind) + "' is not 1-16 of [a-z0-9]");
  }
  HDC_RETURN_IF_ERROR(CheckPlainToken(std::string(kind) + " key", key));
  const std::string file = std::string(kind) + "-" + std::string(key) + std::string(kTempSuffix);
  HDC_RETURN_IF_ERROR(CheckPlainToken("temp file name", file));
  return tmp_dir() + "/" + file;
}

Result<std::string> StoreLayout::Relative(std::string_view path) const {
  const std::string prefix = root_ + "/";
  if (!path.starts_with(prefix) || path.size() == prefix.size()) {
    return util::InternalError("path '" + std::string(path) + "' is not inside the store " + root_);
  }
  return std::string(path.substr(prefix.size()));
}

Result<std::string> StoreLayout::Absolute(std::string_view relative) const {
  std::string_view rest = relative;
  if (rest.empty()) return util::BadDataError("refusing an empty store path");
  while (true) {
    const std::size_t slash = rest.find('/');
    HDC_RETURN_IF_ERROR(CheckPlainToken("store path component", rest.substr(0, slash)));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return root_ + "/" + std::string(relative);
}

Status StoreLayout::EnsureDirectories(platform::FileSystem& fs) const {
  for (const std::string& dir : {reports_dir(), cabs_dir(), tmp_dir()}) {
    HDC_RETURN_IF_ERROR(fs.CreateDirectories(dir));
  }
  // The new names made durable too (also when a run before created them
  // and failed here): the atomic writer syncs only the folders it creates
  // itself, so a file published under a store/reports or store/cabs that
  // a power cut could take back would be lost with its row committed
  // (docs/reliability.md §Durability). Once at start, so always.
  const std::size_t slash = root_.rfind('/');
  const std::string state_dir = slash == std::string::npos ? "."
                                : slash == 0               ? "/"
                                                           : root_.substr(0, slash);
  HDC_RETURN_IF_ERROR(fs.SyncDir(state_dir));
  return fs.SyncDir(root_);
}

}  // namespace hdc::store
