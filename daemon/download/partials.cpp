#include "download/partials.h"

#include <set>

#include "db/executions_table.h"
#include "download/report_fetcher.h"
#include "store/verify.h"
#include "util/time_format.h"

namespace hdc::download {
namespace {

// "<kind>\n<key>" of every partial a waiting row can resume.
util::Result<std::set<std::string>> ResumableKeys(db::Database& db) {
  std::set<std::string> keys;
  auto cabs = db.Prepare(
      "SELECT cab_id_hash FROM cabs WHERE state = 'pending' AND partial_etag IS NOT NULL");
  if (!cabs.ok()) return cabs.status();
  while (true) {
    auto row = cabs->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    keys.insert("cab\n" + cabs->ColumnText(0));
  }
  auto reports = db.Prepare(
      "SELECT report_id, report_datetime FROM executions WHERE state = 'new' AND "
      "partial_etag IS NOT NULL");
  if (!reports.ok()) return reports.status();
  while (true) {
    auto row = reports->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    auto time = util::ParseTimestamp(reports->ColumnText(1));
    if (time.ok()) keys.insert("report\n" + ReportTempKey(reports->ColumnText(0), *time));
  }
  return keys;
}

// Records cab files that reached their final name but not the database.
util::Result<std::size_t> AdoptStoredCabs(db::Database& db, platform::FileSystem& fs,
                                          const store::StoreLayout& layout) {
  std::vector<std::string> waiting;
  auto stmt = db.Prepare("SELECT cab_id_hash FROM cabs WHERE state = 'pending'");
  if (!stmt.ok()) return stmt.status();
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    waiting.push_back(stmt->ColumnText(0));
  }
  std::size_t adopted = 0;
  for (const std::string& id : waiting) {
    auto path = layout.CabPath(id);
    if (!path.ok() || !fs.Exists(*path)) continue;
    auto digest = store::DigestFile(fs, *path);  // one read: size, hash and signature
    if (!digest.ok()) return digest.status();
    auto relative = layout.Relative(*path);
    if (!relative.ok()) return relative.status();
    const std::string_view head = digest->head;
    const std::string container = head.starts_with("MSCF") ? "MSCF"
                                  : head.starts_with("PK") ? "PK"
                                                           : "";
    auto record = db.Prepare(
        "UPDATE cabs SET state = 'fetched', file_path = ?2, file_size = ?3, file_sha256 = ?4, "
        "container = ?5, downloaded_at = coalesce(downloaded_at, first_seen), "
        "clock_start = coalesce(clock_start, first_seen), last_error = NULL, "
        "next_attempt_at = NULL, partial_etag = NULL WHERE cab_id_hash = ?1");
    if (!record.ok()) return record.status();
    record->Bind(1, id).Bind(2, *relative).Bind(3, static_cast<std::int64_t>(digest->size));
    record->Bind(4, digest->sha256_hex).Bind(5, container);
    HDC_RETURN_IF_ERROR(record->Run().status());
    ++adopted;
  }
  return adopted;
}

}  // namespace

util::Result<store::RecoveryCounts> RecoverDownloads(db::Database& db, platform::FileSystem& fs,
                                                     const store::StoreLayout& layout) {
  HDC_RETURN_IF_ERROR(layout.EnsureDirectories(fs));
  store::RecoveryCounts counts;
  auto reset = db::ExecutionsTable(db).ResetInterrupted();
  if (!reset.ok()) return reset.status();
  auto cabs_reset = db.Prepare("UPDATE cabs SET state = 'pending' WHERE state = 'fetching'");
  if (!cabs_reset.ok()) return cabs_reset.status();
  auto cabs_count = cabs_reset->Run();
  if (!cabs_count.ok()) return cabs_count.status();
  counts.rows_reset = static_cast<std::size_t>(*reset + *cabs_count);
  auto adopted = AdoptStoredCabs(db, fs, layout);
  if (!adopted.ok()) return adopted.status();
  counts.files_adopted = *adopted;

  auto keys = ResumableKeys(db);
  if (!keys.ok()) return keys.status();
  auto scan = store::ScanPartials(fs, layout);
  if (!scan.ok()) return scan.status();
  for (const store::Partial& partial : scan->partials) {
    if (keys->count(partial.kind + "\n" + partial.key) != 0) {
      ++counts.partials_kept;
      continue;
    }
    HDC_RETURN_IF_ERROR(store::RemovePartial(fs, partial));
    ++counts.partials_removed;
  }
  counts.strays_removed = scan->strays_removed;
  counts.entries_left = scan->entries_left;
  return counts;
}

}  // namespace hdc::download
