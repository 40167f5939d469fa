// Start-up recovery of store/tmp.
//
// ScanPartials lists the partial downloads a crash or a stop left in
// store/tmp ("<kind>-<key>.part", see StoreLayout::TempPath) and removes
// everything else there: stray files, ".tmp" leftovers, names TempPath could
// not have built, and symbolic links of any name (unlinked, never followed).
// Directories are left alone and logged. The caller (the download code)
// decides which partials to resume, with AtomicWriter::Create(...,
// resume = true), and removes the others with RemovePartial; then it logs
// RecoverySummary once, together with the rows it reset in the database.
// Stateless; run it before any download starts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "platform/filesystem.h"
#include "store/layout.h"
#include "util/result.h"

namespace hdc::store {

struct Partial {
  std::string path;  // store/tmp/<kind>-<key>.part
  std::string kind;  // "cab", "report", ...
  std::string key;   // what the download code put in TempPath
  std::uint64_t size = 0;
};

struct TmpScan {
  std::vector<Partial> partials;   // sorted by path
  std::size_t strays_removed = 0;  // files removed
  std::size_t entries_left = 0;    // directories, links, and files that could not be removed
};

// A missing tmp directory is an empty scan. A failure to list it is an error.
util::Result<TmpScan> ScanPartials(platform::FileSystem& fs, const StoreLayout& layout);

// Removes a partial the caller will not resume.
util::Status RemovePartial(platform::FileSystem& fs, const Partial& partial);

struct RecoveryCounts {
  std::size_t partials_kept = 0;
  std::size_t partials_removed = 0;
  std::size_t strays_removed = 0;
  std::size_t entries_left = 0;
  std::size_t rows_reset = 0;     // database rows left "in progress", reset by the caller
  std::size_t files_adopted = 0;  // complete files whose record a crash lost, recorded now
};

// The one log line: "store recovery: 3 partial downloads kept for resume, 2
// stray files removed" plus ", 1 partial download removed", ", 1 entry left in
// tmp", ", 4 rows in progress reset" and ", 2 stored files adopted" when those
// are not zero.
std::string RecoverySummary(const RecoveryCounts& counts);

}  // namespace hdc::store
