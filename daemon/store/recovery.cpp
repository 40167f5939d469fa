#include "store/recovery.h"

#include <algorithm>

#include "util/logging.h"

namespace hdc::store {
namespace {

std::string Count(std::size_t n, std::string_view singular, std::string_view plural) {
  return std::to_string(n) + " " + std::string(n == 1 ? singular : plural);
}

}  // namespace

util::Result<TmpScan> ScanPartials(platform::FileSystem& fs, const StoreLayout& layout) {
  const std::string dir = layout.tmp_dir();
  TmpScan scan;
  if (!fs.Exists(dir)) return scan;
  const util::Result<std::vector<platform::DirEntry>> entries = fs.List(dir);
  if (!entries.ok()) return entries.status();
  const auto log = util::GetLogger("store");
  for (const platform::DirEntry& entry : *entries) {
    const std::string path = dir + "/" + entry.name;
    if (entry.is_directory || entry.is_symlink) {
      // Not made by hdc-reportd: never followed or deleted (store/link_guard.h).
      log->warn("store recovery: leaving {} {} in tmp",
                entry.is_symlink ? "symbolic link" : "directory", path);
      ++scan.entries_left;
      continue;
    }
    const std::optional<TempName> name = ParseTempName(entry.name);
    if (name) {
      const util::Result<std::uint64_t> size = fs.FileSize(path);
      if (size.ok()) {
        scan.partials.push_back({path, name->kind, name->key, *size});
        continue;
      }
    }
    if (const util::Status removed = fs.Remove(path); !removed.ok()) {
      log->warn("store recovery: cannot remove {}: {}", path, removed.ToString());
      ++scan.entries_left;
      continue;
    }
    ++scan.strays_removed;
  }
  std::sort(scan.partials.begin(), scan.partials.end(),
            [](const Partial& a, const Partial& b) { return a.path < b.path; });
  return scan;
}

util::Status RemovePartial(platform::FileSystem& fs, const Partial& partial) {
  return fs.Remove(partial.path);
}

std::string RecoverySummary(const RecoveryCounts& counts) {
  std::string line =
      "store recovery: " + Count(counts.partials_kept, "partial download", "partial downloads") +
      " kept for resume, " + Count(counts.strays_removed, "stray file", "stray files") + " removed";
  if (counts.partials_removed != 0) {
    line +=
        ", " + Count(counts.partials_removed, "partial download", "partial downloads") + " removed";
  }
  if (counts.entries_left != 0) {
    line += ", " + Count(counts.entries_left, "entry", "entries") + " left in tmp";
  }
  if (counts.rows_reset != 0) {
    line += ", " + Count(counts.rows_reset, "row", "rows") + " in progress reset";
  }
  if (counts.files_adopted != 0) {
    line += ", " + Count(counts.files_adopted, "stored file", "stored files") + " adopted";
  }
  return line;
}

}  // namespace hdc::store
