#include "download/partials.h"

#include <set>

#include "db/executions_table.h"
#include "download/cab_fetcher.h"
#include "download/report_fetcher.h"
#include "store/verify.h"
#include "util/time_format.h"

namespace hdc::download {
namespace {

// "<kind>\n<key>" of every partial a waiting row can resume.
util::Result<std::set<std::string>> ResumableKeys(db::Database& db) {
  std::set<std::string> keys;
  HDC_ASSIGN_OR_RETURN(
      auto cabs,
      db.Prepare(
          "SELECT cab_id_hash FROM cabs WHERE state = 'pending' AND partial_etag IS NOT NULL"));
  while (true) {
    HDC_ASSIGN_OR_RETURN(auto row, cabs.Step());
    if (!row) break;
    keys.insert("cab\n" + cabs.ColumnText(0));
  }
  HDC_ASSIGN_OR_RETURN(
      auto reports,
      db.Prepare("SELECT report_id, report_datetime FROM executions WHERE state = 'new' AND "
                 "partial_etag IS NOT NULL"));
  while (true) {
    HDC_ASSIGN_OR_RETURN(auto row, reports.Step());
    if (!row) break;
    auto time = util::ParseTimestamp(reports.ColumnText(1));
    if (time.ok()) keys.insert("report\n" + ReportTempKey(reports.ColumnText(0), *time));
  }
  return keys;
}

// Records cab files that reached their final name but not the database.
util::Result<std::size_t> AdoptStoredCabs(db::Database& db, platform::FileSystem& fs,
                                          const store::StoreLayout& layout) {
  std::vector<std::string> waiting;
  HDC_ASSIGN_OR_RETURN(auto stmt,
                       db.Prepare("SELECT cab_id_hash FROM cabs WHERE state = 'pending'"));
  while (true) {
    HDC_ASSIGN_OR_RETURN(auto row, stmt.Step());
    if (!row) break;
    waiting.push_back(stmt.ColumnText(0));
  }
  std::size_t adopted = 0;
  for (const std::string& id : waiting) {
    auto path = layout.CabPath(id);
    if (!path.ok() || !fs.Exists(*path)) continue;
    // One read: size, hash and signature.
    HDC_ASSIGN_OR_RETURN(auto digest, store::DigestFile(fs, *path));
    HDC_ASSIGN_OR_RETURN(auto relative, layout.Relative(*path));
    const std::string container = CabContainer(digest.head);
    HDC_ASSIGN_OR_RETURN(
        auto record,
        db.Prepare(
            "UPDATE cabs SET state = 'fetched', file_path = ?2, file_size = ?3, file_sha256 = ?4, "
            "container = ?5, downloaded_at = coalesce(downloaded_at, first_seen), "
            "clock_start = coalesce(clock_start, first_seen), last_error = NULL, "
            "next_attempt_at = NULL, partial_etag = NULL WHERE cab_id_hash = ?1"));
    record.Bind(1, id).Bind(2, relative).Bind(3, static_cast<std::int64_t>(digest.size));
    record.Bind(4, digest.sha256_hex).Bind(5, container);
    HDC_RETURN_IF_ERROR(record.Run().status());
    ++adopted;
  }
  return adopted;
}

}  // namespace

util::Result<store::RecoveryCounts> RecoverDownloads(db::Database& db, platform::FileSystem& fs,
                                                     const store::StoreLayout& layout) {
  HDC_RETURN_IF_ERROR(layout.EnsureDirectories(fs));
  store::RecoveryCounts counts;
  HDC_ASSIGN_OR_RETURN(auto reset, db::ExecutionsTable(db).ResetInterrupted());
  HDC_ASSIGN_OR_RETURN(auto cabs_reset,
                       db.Prepare("UPDATE cabs SET state = 'pending' WHERE state = 'fetching'"));
  HDC_ASSIGN_OR_RETURN(auto cabs_count, cabs_reset.Run());
  counts.rows_reset = static_cast<std::size_t>(reset + cabs_count);
  HDC_ASSIGN_OR_RETURN(auto adopted, AdoptStoredCabs(db, fs, layout));
  counts.files_adopted = adopted;

  HDC_ASSIGN_OR_RETURN(auto keys, ResumableKeys(db));
  HDC_ASSIGN_OR_RETURN(auto scan, store::ScanPartials(fs, layout));
  for (const store::Partial& partial : scan.partials) {
    if (keys.count(partial.kind + "\n" + partial.key) != 0) {
      ++counts.partials_kept;
      continue;
    }
    HDC_RETURN_IF_ERROR(store::RemovePartial(fs, partial));
    ++counts.partials_removed;
  }
  counts.strays_removed = scan.strays_removed;
  counts.entries_left = scan.entries_left;
  return counts;
}

}  // namespace hdc::download
