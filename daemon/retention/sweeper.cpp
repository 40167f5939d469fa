#include "retention/sweeper.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "platform/thread_name.h"
#include "util/logging.h"
#include "util/time_format.h"

namespace hdc::retention {
namespace {

using util::Status;

// The clock of a cab, and the cab states that hold or may still fetch
// personal data (skipped and purged cabs have no file and never get one).
constexpr std::string_view kCabClock = "coalesce(clock_start, downloaded_at, first_seen)";
constexpr std::string_view kCabSwept = "state IN ('pending', 'fetching', 'fetched', 'failed')";
// A report file's own clock; its rows' clocks count too (kReportExpired).
constexpr std::string_view kReportClock = "coalesce(clock_start, downloaded_at, first_seen)";
constexpr std::string_view kReportLive = "state <> 'purged' AND file_path IS NOT NULL";

std::string Sql(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) out.append(p);
  return out;
}

// ?1 is the cutoff key (see CutoffKey).
std::string ReportExpired() {
  return Sql({"(", kReportClock,
              " < ?1 OR EXISTS (SELECT 1 FROM failures f WHERE f.report_id = "
              "executions.report_id AND f.report_datetime = executions.report_datetime AND "
              "f.clock_start < ?1))"});
}

// The cutoff as stored in sweeps.cutoff: the whole second after the cutoff
// instant; what started before it goes.
std::string CutoffText(util::TimePoint cutoff) {
  const auto second = std::chrono::floor<std::chrono::seconds>(cutoff) + std::chrono::seconds(1);
  return util::FormatTimestamp(util::TimePoint(second));
}

// Clocks are stored as "yyyy-MM-ddTHH:mm:ssZ" or "...:ss.mmmZ". Compared as
// text with the first 19 characters of the cutoff text, a clock is smaller
// exactly when its whole second lies before the cutoff's second (a longer
// string with that prefix is larger), and the comparison can use an index.
std::string CutoffKey(const std::string& cutoff_text) { return cutoff_text.substr(0, 19); }

void MergeOldest(std::optional<std::string>& into, const std::optional<std::string>& clock) {
  if (clock && (!into || *clock < *into)) into = clock;
}

void Add(KindTally& into, const KindTally& more) {
  into.count += more.count;
  into.bytes += more.bytes;
  MergeOldest(into.oldest_clock, more.oldest_clock);
}

// Runs a "SELECT count, bytes, oldest" query.
util::Result<KindTally> QueryTally(db::Database& db, const std::string& sql,
                                   const std::function<void(db::Statement&)>& bind) {
  auto s = db.Prepare(sql);
  if (!s.ok()) return s.status();
  bind(*s);
  auto row = s->Step();
  if (!row.ok()) return row.status();
  KindTally t;
  if (*row) {
    t.count = s->ColumnInt(0);
    t.bytes = s->ColumnInt(1);
    t.oldest_clock = s->ColumnOptionalText(2);
  }
  return t;
}

// Calls each(statement) for every row of the query.
Status ForEachRow(db::Database& db, const std::string& sql,
                  const std::function<void(db::Statement&)>& bind,
                  const std::function<Status(db::Statement&)>& each) {
  auto s = db.Prepare(sql);
  if (!s.ok()) return s.status();
  bind(*s);
  return db::ForEachRow(*s, each);
}

std::string Parent(const std::string& path) { return path.substr(0, path.rfind('/')); }

// A link under the store was not made by hdc-reportd: the sweep neither
// follows nor deletes it (store/link_guard.h refuses it at the next start).
void LeaveLink(const std::string& path) {
  util::GetLogger("retention")->error("sweep: {} is a symbolic link; left alone (remove it)", path);
}

// Runs work(i) for i in [0, n) on up to kThreads threads; the first error.
constexpr std::size_t kThreads = 8;
Status ParallelFor(std::size_t n, const std::function<Status(std::size_t)>& work) {
  std::mutex mu;
  Status first;
  std::atomic<std::size_t> next{0};
  auto run = [&] {
    for (std::size_t i = next++; i < n; i = next++) {
      Status s = work(i);
      if (!s.ok()) {
        std::lock_guard lock(mu);
        if (first.ok()) first = s;
        return;
      }
    }
  };
  {
    std::vector<std::jthread> threads;
    const std::size_t count = std::min(kThreads, n / 64 + 1);
    for (std::size_t t = 1; t < count; ++t) {
      threads.emplace_back([&run] {
        platform::NameThisThread("hdc-sweep");
        run();
      });
    }
    run();
  }
  return first;
}

// Unlinks each file, then fsyncs each directory that held one, so the
// removals are durable before the rows say 'purged' (unlinks and fsyncs
// of different directories run in parallel: one at a time, a sweep of
// 100,000 files waits on the disk for each).
Status RemoveFiles(platform::FileSystem& fs, const std::vector<std::string>& paths) {
  HDC_RETURN_IF_ERROR(
      ParallelFor(paths.size(), [&](std::size_t i) { return fs.Remove(paths[i]); }));
  std::set<std::string> unique;
  for (const std::string& path : paths) unique.insert(Parent(path));
  const std::vector<std::string> dirs(unique.begin(), unique.end());
  return ParallelFor(dirs.size(), [&](std::size_t i) {
    return fs.Exists(dirs[i]) ? fs.SyncDir(dirs[i]) : Status::Ok();
  });
}

// PRAGMA cache_size raised for the sweep's big transaction (deleting rows
// touches the random-order indexes of failures), restored after.
class BigCache {
 public:
  explicit BigCache(db::Database& db) : db_(db) {
    auto current = db_.Prepare("PRAGMA cache_size");
    if (!current.ok()) return;
    auto row = current->Step();
    if (!row.ok() || !*row) return;
    old_ = current->ColumnInt(0);
    if (!db_.Exec("PRAGMA cache_size = -65536").ok()) old_.reset();
  }
  ~BigCache() {
    if (old_) (void)db_.Exec("PRAGMA cache_size = " + std::to_string(*old_));
  }
  BigCache(const BigCache&) = delete;
  BigCache& operator=(const BigCache&) = delete;

 private:
  db::Database& db_;
  std::optional<std::int64_t> old_;
};

// The files of the rows a sweep marked: a cab's file where the layout puts
// it (also when a crash lost its record) and where its row says it is; a
// report's where its row says. A path that is not the layout's is skipped:
// it cannot lie in the store.
util::Result<std::vector<std::string>> MarkedFiles(db::Database& db,
                                                   const store::StoreLayout& layout,
                                                   std::int64_t sweep_id) {
  std::vector<std::string> paths;
  auto by_id = [&](db::Statement& s) { s.Bind(1, sweep_id); };
  const auto log = util::GetLogger("retention");
  auto add_relative = [&](const std::optional<std::string>& relative) {
    if (!relative) return;
    auto absolute = layout.Absolute(*relative);
    if (absolute.ok()) {
      paths.push_back(*absolute);
    } else {
      log->warn("sweep: a row names a file outside the store layout; skipped");
    }
  };
  HDC_RETURN_IF_ERROR(ForEachRow(db, "SELECT cab_id_hash, file_path FROM cabs WHERE sweep_id = ?1",
                                 by_id, [&](db::Statement& s) {
                                   auto path = layout.CabPath(s.ColumnText(0));
                                   std::optional<std::string> expected;
                                   if (path.ok()) {
                                     paths.push_back(*path);
                                     if (auto relative = layout.Relative(*path); relative.ok())
                                       expected = *relative;
                                   }
                                   const std::optional<std::string> recorded =
                                       s.ColumnOptionalText(1);
                                   if (recorded != expected) add_relative(recorded);
                                   return Status::Ok();
                                 }));
  HDC_RETURN_IF_ERROR(ForEachRow(db, "SELECT file_path FROM executions WHERE sweep_id = ?1", by_id,
                                 [&](db::Statement& s) {
                                   add_relative(s.ColumnOptionalText(0));
                                   return Status::Ok();
                                 }));
  return paths;
}

// "yyyymmddThhmmssZ" (StoreLayout file names) as a time.
std::optional<util::TimePoint> ParseCompact(std::string_view c) {
  if (c.size() != 16 || c[8] != 'T' || c[15] != 'Z') return std::nullopt;
  std::string iso;
  iso.append(c.substr(0, 4)).append("-").append(c.substr(4, 2)).append("-");
  iso.append(c.substr(6, 2)).append("T").append(c.substr(9, 2)).append(":");
  iso.append(c.substr(11, 2)).append(":").append(c.substr(13, 2)).append("Z");
  auto t = util::ParseTimestamp(iso);
  if (!t.ok()) return std::nullopt;
  return *t;
}

// Who waits on a partial download, as its name tells.
struct Owner {
  bool owned = false;  // a waiting row will resume it
  std::optional<std::string> clock;
};

// The queries that find a partial's owner, prepared once per sweep.
struct OwnerQueries {
  db::Statement cab;
  db::Statement report;
};

util::Result<OwnerQueries> PrepareOwnerQueries(db::Database& db) {
  auto cab = db.Prepare(Sql({"SELECT state, ", kCabClock, " FROM cabs WHERE cab_id_hash = ?1"}));
  if (!cab.ok()) return cab.status();
  auto report = db.Prepare(
      "SELECT state, report_datetime, coalesce(clock_start, first_seen) FROM executions "
      "WHERE report_id = ?1");
  if (!report.ok()) return report.status();
  return OwnerQueries{std::move(cab).value(), std::move(report).value()};
}

util::Result<Owner> CabOwner(db::Statement& cab, const std::string& cab_id_hash) {
  Owner owner;
  cab.Reset();
  cab.Bind(1, cab_id_hash);
  auto row = cab.Step();
  if (!row.ok()) return row.status();
  if (*row) {
    const std::string state = cab.ColumnText(0);
    owner.owned = state == "pending" || state == "fetching";
    owner.clock = cab.ColumnOptionalText(1);
  }
  return owner;
}

// `key` is "<report id>-<yyyymmddThhmmssZ>": the execution of that id and
// report datetime.
util::Result<Owner> ReportOwner(db::Statement& report, const std::string& key) {
  Owner owner;
  const std::string id = key.substr(0, key.size() - 17);
  const std::optional<util::TimePoint> when = ParseCompact(key.substr(id.size() + 1));
  report.Reset();
  report.Bind(1, id);
  while (when) {
    auto row = report.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    auto run = util::ParseTimestamp(report.ColumnText(1));
    if (!run.ok() || *run != *when) continue;
    const std::string state = report.ColumnText(0);
    owner.owned = state == "new" || state == "fetching";
    owner.clock = report.ColumnOptionalText(2);
    break;
  }
  return owner;
}

util::Result<Owner> FindOwner(OwnerQueries& queries, const store::TempName& name) {
  if (name.kind == "cab") return CabOwner(queries.cab, name.key);
  if (name.kind == "report" && name.key.size() > 17 && name.key[name.key.size() - 17] == '-') {
    return ReportOwner(queries.report, name.key);
  }
  return Owner{};
}

// Partial downloads in store/tmp. One goes when no waiting row owns it
// (nothing will resume it) or when its owner's clock has run out: a cab's
// clock, or for a report the execution's clock_start, else its first_seen
// (the execution was listed before its download began, and the rows'
// own times are unknown until the file is parsed). File times are not
// used: a partial's mtime is the last write, not when its data was
// collected. Names TempPath could not have built are left to start-up
// recovery (store/recovery.h), which removes them.
Status SweepPartials(db::Database& db, platform::FileSystem& fs, const store::StoreLayout& layout,
                     const std::string& key, bool dry_run, KindTally& tally) {
  const std::string dir = layout.tmp_dir();
  if (!fs.Exists(dir)) return Status::Ok();
  auto entries = fs.List(dir);
  if (!entries.ok()) return entries.status();
  HDC_ASSIGN_OR_RETURN(OwnerQueries queries, PrepareOwnerQueries(db));
  std::vector<std::string> doomed;
  for (const platform::DirEntry& entry : *entries) {
    const std::string path = dir + "/" + entry.name;
    if (entry.is_directory) continue;
    if (entry.is_symlink) {
      LeaveLink(path);
      continue;
    }
    const std::optional<store::TempName> name = store::ParseTempName(entry.name);
    if (!name) continue;
    HDC_ASSIGN_OR_RETURN(const Owner owner, FindOwner(queries, *name));
    if (owner.owned && owner.clock && *owner.clock >= key) continue;
    ++tally.count;
    if (auto size = fs.FileSize(path); size.ok()) {
      tally.bytes += static_cast<std::int64_t>(*size);
    }
    MergeOldest(tally.oldest_clock, owner.clock);
    doomed.push_back(path);
  }
  if (dry_run || doomed.empty()) return Status::Ok();
  return RemoveFiles(fs, doomed);
}

// Every file under root/top down to `depth` levels, as "top/a/b"; links
// are neither followed nor listed (LeaveLink).
Status ListTree(platform::FileSystem& fs, const std::string& root, const std::string& relative,
                int depth, std::vector<std::string>& out) {
  const std::string dir = root + "/" + relative;
  auto entries = fs.List(dir);
  if (!entries.ok()) return entries.status();
  for (const platform::DirEntry& entry : *entries) {
    const std::string child = relative + "/" + entry.name;
    if (entry.is_symlink) {
      LeaveLink(root + "/" + child);
      continue;
    }
    if (entry.is_directory) {
      if (depth > 1) HDC_RETURN_IF_ERROR(ListTree(fs, root, child, depth - 1, out));
      continue;
    }
    out.push_back(child);
  }
  return Status::Ok();
}

// Files under store/reports and store/cabs that no live row names go (they
// may be personal and nothing would ever remove them); live rows whose file
// is gone are counted for the log, not repaired (hdc-reportctl verify lists
// them). A cab file of a row still waiting is kept: the download code adopts
// such files (its record was lost in a crash).
Status ScanOrphans(db::Database& db, platform::FileSystem& fs, const store::StoreLayout& layout,
                   bool dry_run, KindTally& orphans, std::int64_t& missing) {
  std::unordered_set<std::string> claimed;
  std::vector<std::string> expected;  // named by rows not being swept
  auto none = [](db::Statement&) {};
  for (const char* sql :
       {"SELECT file_path, sweep_id IS NULL FROM executions WHERE file_path IS NOT NULL AND "
        "state <> 'purged'",
        "SELECT file_path, sweep_id IS NULL FROM cabs WHERE file_path IS NOT NULL AND "
        "state <> 'purged'"}) {
    HDC_RETURN_IF_ERROR(ForEachRow(db, sql, none, [&](db::Statement& s) {
      std::string path = s.ColumnText(0);
      if (s.ColumnInt(1) != 0) expected.push_back(path);
      claimed.insert(std::move(path));
      return Status::Ok();
    }));
  }
  HDC_RETURN_IF_ERROR(
      ForEachRow(db, "SELECT cab_id_hash FROM cabs WHERE state IN ('pending', 'fetching')", none,
                 [&](db::Statement& s) {
                   auto path = layout.CabPath(s.ColumnText(0));
                   if (path.ok()) {
                     auto relative = layout.Relative(*path);
                     if (relative.ok()) claimed.insert(*relative);
                   }
                   return Status::Ok();
                 }));

  std::vector<std::string> listed;
  for (const auto& [top, depth] : {std::pair<const char*, int>{"reports", 3}, {"cabs", 2}}) {
    if (!fs.Exists(layout.root() + "/" + top)) continue;
    HDC_RETURN_IF_ERROR(ListTree(fs, layout.root(), top, depth, listed));
  }
  std::vector<std::string> doomed;
  for (const std::string& relative : listed) {
    if (claimed.contains(relative)) continue;
    const std::string path = layout.root() + "/" + relative;
    ++orphans.count;
    if (auto size = fs.FileSize(path); size.ok()) {
      orphans.bytes += static_cast<std::int64_t>(*size);
    }
    doomed.push_back(path);
  }
  const std::unordered_set<std::string> present(listed.begin(), listed.end());
  for (const std::string& relative : expected) {
    if (!present.contains(relative)) ++missing;
  }
  if (dry_run || doomed.empty()) return Status::Ok();
  return RemoveFiles(fs, doomed);
}

struct Figures {
  KindTally cabs, reports, rows, partials, orphans;
  std::int64_t missing = 0;
};

// What every step of one real sweep works on.
struct Run {
  db::Database& db;
  platform::FileSystem& fs;
  const store::StoreLayout& layout;
  std::string now_text;  // options.now as stored
};

// What one sweep_id's audit row records.
struct Removed {
  KindTally cabs, reports, rows, partials;
};

// The cabs and report files marked with sweep_id, before they go.
Status TallyMarked(db::Database& db, std::int64_t sweep_id, Removed& r) {
  auto by_id = [&](db::Statement& s) { s.Bind(1, sweep_id); };
  auto cabs = QueryTally(db,
                         Sql({"SELECT count(*), coalesce(sum(CASE WHEN file_path IS NOT NULL "
                              "THEN file_size END), 0), min(",
                              kCabClock, ") FROM cabs WHERE sweep_id = ?1"}),
                         by_id);
  if (!cabs.ok()) return cabs.status();
  auto reports = QueryTally(db,
                            Sql({"SELECT count(*), coalesce(sum(file_size), 0), min(", kReportClock,
                                 ") FROM executions WHERE sweep_id = ?1"}),
                            by_id);
  if (!reports.ok()) return reports.status();
  r.cabs = *cabs;
  r.reports = *reports;
  return Status::Ok();
}

// Step 3.
Status RemoveMarkedFiles(const Run& run, std::int64_t sweep_id) {
  auto files = MarkedFiles(run.db, run.layout, sweep_id);
  if (!files.ok()) return files.status();
  HDC_RETURN_IF_ERROR(RemoveFiles(run.fs, *files));
  util::GetLogger("retention")->debug("sweep {}: {} files removed", sweep_id, files->size());
  return Status::Ok();
}

Status PurgeMarkedRows(const Run& run, std::int64_t sweep_id) {
  auto purge = [&](const char* sql) -> Status {
    auto s = run.db.Prepare(sql);
    if (!s.ok()) return s.status();
    return s->Bind(1, sweep_id).Bind(2, run.now_text).Run().status();
  };
  HDC_RETURN_IF_ERROR(
      purge("UPDATE cabs SET state = 'purged', purged_at = ?2, file_path = NULL, "
            "file_sha256 = NULL, partial_etag = NULL, next_attempt_at = NULL, sweep_id = NULL "
            "WHERE sweep_id = ?1"));
  return purge(
      "UPDATE executions SET state = 'purged', purged_at = ?2, file_path = NULL, "
      "file_sha256 = NULL, partial_etag = NULL, sweep_id = NULL WHERE sweep_id = ?1");
}

Status CompleteAudit(const Run& run, std::int64_t sweep_id, const Removed& r) {
  auto audit = run.db.Prepare(
      "UPDATE sweeps SET finished_at = ?2, cabs_deleted = ?3, cab_bytes = ?4, "
      "reports_deleted = ?5, report_bytes = ?6, rows_deleted = ?7, partials_deleted = ?8 "
      "WHERE id = ?1");
  if (!audit.ok()) return audit.status();
  audit->Bind(1, sweep_id).Bind(2, run.now_text).Bind(3, r.cabs.count).Bind(4, r.cabs.bytes);
  audit->Bind(5, r.reports.count).Bind(6, r.reports.bytes).Bind(7, r.rows.count);
  audit->Bind(8, r.partials.count);
  return audit->Run().status();
}

// A DELETE removes each row from every index of failures, at places the
// clock order scatters: past a quarter of the table it is faster to drop the
// indexes, delete by a scan and build them again from the rows that stay
// (bench_sweep, 1 M rows: all of them 55 s -> 8 s, a third 21 s -> 11 s,
// break-even near a fifth). secure_delete zeroes the dropped indexes' pages
// as it does deleted rows; within the caller's transaction, so a crash keeps
// the old indexes.
constexpr std::int64_t kRebuildIndexesFraction = 4;  // rows going * 4 >= total

util::Result<std::int64_t> DeleteExpiredRows(const Run& run, std::int64_t sweep_id,
                                             const std::string& key, std::int64_t going) {
  std::vector<std::pair<std::string, std::string>> rebuild;  // name, CREATE INDEX as stored
  if (going > 0) {
    HDC_ASSIGN_OR_RETURN(const std::int64_t total,
                         db::QueryInt(run.db, "SELECT count(*) FROM failures"));
    if (going * kRebuildIndexesFraction >= total) {
      HDC_RETURN_IF_ERROR(ForEachRow(
          run.db,
          "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'failures' "
          "AND sql IS NOT NULL ORDER BY name",
          [](db::Statement&) {},
          [&](db::Statement& s) {
            rebuild.emplace_back(s.ColumnText(0), s.ColumnText(1));
            return Status::Ok();
          }));
      for (const auto& [name, create] : rebuild) {
        HDC_RETURN_IF_ERROR(run.db.Exec("DROP INDEX \"" + name + "\""));
      }
    }
  }
  auto del = run.db.Prepare("DELETE FROM failures WHERE clock_start < ?1");
  if (!del.ok()) return del.status();
  HDC_ASSIGN_OR_RETURN(const std::int64_t deleted, del->Bind(1, key).Run());
  for (const auto& index : rebuild) HDC_RETURN_IF_ERROR(run.db.Exec(index.second));
  if (!rebuild.empty()) {
    util::GetLogger("retention")
        ->debug("sweep {}: {} indexes of failures built again after deleting {} rows", sweep_id,
                rebuild.size(), deleted);
  }
  return deleted;
}

// Step 5, in one transaction; fills r.rows.
Status PurgeAndDelete(const Run& run, std::int64_t sweep_id, const std::string& key, Removed& r) {
  auto tx = run.db.BeginWrite();
  if (!tx.ok()) return tx.status();
  HDC_ASSIGN_OR_RETURN(
      r.rows,
      QueryTally(run.db,
                 "SELECT count(*), 0, min(clock_start) FROM failures WHERE clock_start < ?1",
                 [&](db::Statement& s) { s.Bind(1, key); }));
  HDC_RETURN_IF_ERROR(PurgeMarkedRows(run, sweep_id));
  HDC_ASSIGN_OR_RETURN(r.rows.count, DeleteExpiredRows(run, sweep_id, key, r.rows.count));
  HDC_RETURN_IF_ERROR(CompleteAudit(run, sweep_id, r));
  return tx->Commit();
}

// Steps 3 to 5 for the rows marked with sweep_id; with scan, also the
// partials and the orphan scan.
Status Finish(const Run& run, std::int64_t sweep_id, const std::string& key, bool scan,
              Figures& f) {
  Removed r;
  HDC_RETURN_IF_ERROR(TallyMarked(run.db, sweep_id, r));
  HDC_RETURN_IF_ERROR(RemoveMarkedFiles(run, sweep_id));
  if (scan) {
    HDC_RETURN_IF_ERROR(SweepPartials(run.db, run.fs, run.layout, key, false, r.partials));
    HDC_RETURN_IF_ERROR(ScanOrphans(run.db, run.fs, run.layout, false, f.orphans, f.missing));
  }
  HDC_RETURN_IF_ERROR(PurgeAndDelete(run, sweep_id, key, r));
  util::GetLogger("retention")->debug("sweep {}: rows purged and deleted", sweep_id);
  Add(f.cabs, r.cabs);
  Add(f.reports, r.reports);
  Add(f.rows, r.rows);
  Add(f.partials, r.partials);
  return Status::Ok();
}

util::Result<Figures> DryRun(db::Database& db, platform::FileSystem& fs,
                             const store::StoreLayout& layout, const std::string& key) {
  Figures f;
  auto by_key = [&](db::Statement& s) { s.Bind(1, key); };
  auto cabs = QueryTally(db,
                         Sql({"SELECT count(*), coalesce(sum(CASE WHEN file_path IS NOT NULL "
                              "THEN file_size END), 0), min(",
                              kCabClock, ") FROM cabs WHERE ", kCabSwept,
                              " AND (sweep_id IS NOT "
                              "NULL OR ",
                              kCabClock, " < ?1)"}),
                         by_key);
  if (!cabs.ok()) return cabs.status();
  auto reports = QueryTally(db,
                            Sql({"SELECT count(*), coalesce(sum(file_size), 0), min(", kReportClock,
                                 ") FROM executions WHERE ", kReportLive,
                                 " AND (sweep_id IS NOT NULL OR ", ReportExpired(), ")"}),
                            by_key);
  if (!reports.ok()) return reports.status();
  auto rows = QueryTally(
      db, "SELECT count(*), 0, min(clock_start) FROM failures WHERE clock_start < ?1", by_key);
  if (!rows.ok()) return rows.status();
  f.cabs = *cabs;
  f.reports = *reports;
  f.rows = *rows;
  HDC_RETURN_IF_ERROR(SweepPartials(db, fs, layout, key, true, f.partials));
  HDC_RETURN_IF_ERROR(ScanOrphans(db, fs, layout, true, f.orphans, f.missing));
  return f;
}

std::string Plural(std::int64_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

// Step 1: sweeps a crash interrupted, each with its own cutoff.
Status FinishInterrupted(const Run& run, Figures& f, SweepReport& report) {
  std::vector<std::pair<std::int64_t, std::string>> interrupted;
  HDC_RETURN_IF_ERROR(ForEachRow(
      run.db, "SELECT id, cutoff FROM sweeps WHERE finished_at IS NULL ORDER BY id",
      [](db::Statement&) {},
      [&](db::Statement& s) {
        interrupted.emplace_back(s.ColumnInt(0), s.ColumnText(1));
        return Status::Ok();
      }));
  for (const auto& [id, cutoff] : interrupted) {
    HDC_RETURN_IF_ERROR(Finish(run, id, CutoffKey(cutoff), false, f));
    ++report.resumed_sweeps;
  }
  return Status::Ok();
}

// Step 2: the audit row and the marks, in one transaction; the new sweep's id.
util::Result<std::int64_t> Mark(const Run& run, const std::string& cutoff, const std::string& key) {
  auto tx = run.db.BeginWrite();
  if (!tx.ok()) return tx.status();
  auto insert = run.db.Prepare("INSERT INTO sweeps (started_at, cutoff) VALUES (?1, ?2)");
  if (!insert.ok()) return insert.status();
  HDC_RETURN_IF_ERROR(insert->Bind(1, run.now_text).Bind(2, cutoff).Run().status());
  const std::int64_t sweep_id = run.db.LastInsertRowId();
  auto mark_cabs = run.db.Prepare(
      Sql({"UPDATE cabs SET sweep_id = ?2 WHERE ", kCabSwept, " AND ", kCabClock, " < ?1"}));
  if (!mark_cabs.ok()) return mark_cabs.status();
  HDC_RETURN_IF_ERROR(mark_cabs->Bind(1, key).Bind(2, sweep_id).Run().status());
  auto mark_reports = run.db.Prepare(
      Sql({"UPDATE executions SET sweep_id = ?2 WHERE ", kReportLive, " AND ", ReportExpired()}));
  if (!mark_reports.ok()) return mark_reports.status();
  HDC_RETURN_IF_ERROR(mark_reports->Bind(1, key).Bind(2, sweep_id).Run().status());
  HDC_RETURN_IF_ERROR(tx->Commit());
  return sweep_id;
}

// Steps 1 to 6.
Status SweepForReal(const Run& run, const std::string& key, Figures& f, SweepReport& report) {
  const auto log = util::GetLogger("retention");
  HDC_RETURN_IF_ERROR(FinishInterrupted(run, f, report));
  HDC_ASSIGN_OR_RETURN(const std::int64_t sweep_id, Mark(run, report.cutoff, key));
  log->debug("sweep {}: marked", sweep_id);
  HDC_RETURN_IF_ERROR(Finish(run, sweep_id, key, true, f));
  // 6. Deleted pages out of the -wal file too.
  if (Status truncated = run.db.CheckpointTruncate(); truncated.ok()) {
    report.wal_truncated = true;
  } else {
    log->warn("sweep: WAL checkpoint not complete, retried at the next sweep: {}",
              truncated.ToString());
  }
  return Status::Ok();
}

void CopyFigures(const Figures& f, SweepReport& report) {
  report.cabs = f.cabs;
  report.reports = f.reports;
  report.rows = f.rows;
  report.partials = f.partials;
  report.orphans = f.orphans;
  report.rows_missing_file = f.missing;
}

void LogOutcome(const SweepReport& report) {
  const auto log = util::GetLogger("retention");
  if (report.rows_missing_file > 0) {
    log->warn("sweep: {} (not repaired; see hdc-reportctl verify)",
              Plural(report.rows_missing_file, "row names a stored file that is gone",
                     "rows name stored files that are gone"));
  }
  if (report.dry_run) return;
  // Quiet when nothing went: an idle daemon sweeps every sweep_interval.
  const std::int64_t went = report.cabs.count + report.reports.count + report.rows.count +
                            report.partials.count + report.orphans.count + report.resumed_sweeps;
  log->log(went > 0 ? spdlog::level::info : spdlog::level::debug, "{} (cutoff {}{})",
           SweepSummary(report), report.cutoff,
           report.resumed_sweeps > 0
               ? ", " + Plural(report.resumed_sweeps, "interrupted sweep", "interrupted sweeps") +
                     " finished"
               : std::string());
}

}  // namespace

util::TimePoint SweepCutoff(const SweepOptions& options) {
  return options.now + options.purge_ahead - options.retention;
}

util::Result<SweepReport> Sweep(db::Database& db, platform::FileSystem& fs,
                                const store::StoreLayout& layout, const SweepOptions& options) {
  SweepReport report;
  report.dry_run = options.dry_run;
  report.cutoff = CutoffText(SweepCutoff(options));
  const std::string key = CutoffKey(report.cutoff);
  Figures f;
  if (options.dry_run) {
    HDC_ASSIGN_OR_RETURN(f, DryRun(db, fs, layout, key));
  } else {
    HDC_RETURN_IF_ERROR(
        SweepForReal({db, fs, layout, util::FormatTimestamp(options.now)}, key, f, report));
  }
  CopyFigures(f, report);
  LogOutcome(report);
  return report;
}

util::Result<std::optional<util::TimePoint>> OldestPersonalClock(db::Database& db) {
  std::optional<std::string> earliest;
  for (const std::string& sql :
       {std::string("SELECT min(clock_start) FROM failures"),
        Sql({"SELECT min(", kCabClock, ") FROM cabs WHERE ", kCabSwept}),
        Sql({"SELECT min(", kReportClock, ") FROM executions WHERE ", kReportLive})}) {
    auto s = db.Prepare(sql);
    if (!s.ok()) return s.status();
    auto row = s->Step();
    if (!row.ok()) return row.status();
    if (*row) MergeOldest(earliest, s->ColumnOptionalText(0));
  }
  if (!earliest) return std::optional<util::TimePoint>();
  auto t = util::ParseTimestamp(*earliest);
  if (!t.ok()) return t.status();
  // Whole seconds, like the sweep's cutoff.
  return std::optional<util::TimePoint>(std::chrono::floor<std::chrono::seconds>(*t));
}

util::Result<std::optional<util::TimePoint>> NextExpiry(db::Database& db,
                                                        util::Duration retention) {
  HDC_ASSIGN_OR_RETURN(std::optional<util::TimePoint> oldest, OldestPersonalClock(db));
  // At this instant the datum goes.
  if (oldest) *oldest += retention;
  return oldest;
}

std::string SweepSummary(const SweepReport& r) {
  std::string out = r.dry_run ? "would sweep: " : "swept: ";
  out += Plural(r.cabs.count, "cab", "cabs") + ", " + Plural(r.reports.count, "report", "reports") +
         ", " + Plural(r.rows.count, "row", "rows") + " (" +
         Plural(r.cabs.bytes + r.reports.bytes + r.partials.bytes, "byte", "bytes") + "), " +
         Plural(r.partials.count, "partial", "partials") + ", " +
         Plural(r.orphans.count, "orphan", "orphans");
  return out;
}

}  // namespace hdc::retention
