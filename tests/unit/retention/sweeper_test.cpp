#include "retention/sweeper.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "download/row_ingest.h"
#include "support/fault_fs.h"
#include "support/log_capture.h"
#include "support/skip.h"
#include "support/temp_dir.h"
#include "util/time_format.h"

namespace hdc::retention {
namespace {

using hdc::testing::FaultFs;
using hdc::testing::LogCapture;
using hdc::testing::TempDir;
using std::chrono::days;
using std::chrono::hours;
using std::chrono::seconds;

util::TimePoint At(std::string_view text) {
  auto t = util::ParseTimestamp(text);
  REQUIRE(t.ok());
  return *t;
}

// 2026-12-01T12:00:00Z (not parsed: REQUIRE outside a test case crashes).
const util::TimePoint kNow{std::chrono::sys_days{std::chrono::year{2026} / 12 / 1} +
                           std::chrono::hours(12)};

std::string Text(util::TimePoint t) { return util::FormatTimestamp(t); }

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every regular file under root (recursively).
std::vector<std::string> FilesUnder(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file()) out.push_back(it->path().generic_string());
  }
  return out;
}

struct Fixture {
  TempDir dir;
  std::unique_ptr<db::Database> db;
  store::StoreLayout layout{dir.path()};
  platform::FileSystem& fs = platform::RealFileSystem();

  Fixture() { Open(); }

  void Open() {
    auto opened = db::Database::Open({dir / "state.db"});
    REQUIRE_MESSAGE(opened.ok(), opened.status().message());
    db = std::move(opened).value();
    REQUIRE(layout.EnsureDirectories(fs).ok());
  }

  void Exec(const std::string& sql) {
    auto s = db->Exec(sql);
    REQUIRE_MESSAGE(s.ok(), s.message());
  }

  std::string One(const std::string& sql) {
    auto st = db->Prepare(sql);
    REQUIRE_MESSAGE(st.ok(), st.status().message());
    auto row = st->Step();
    REQUIRE(row.ok());
    if (!*row) return "";
    return st->ColumnIsNull(0) ? "NULL" : st->ColumnText(0);
  }

  std::string Write(const std::string& path, const std::string& content) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  // A fetched cab with its file.
  std::string AddCab(const std::string& id, util::TimePoint clock,
                     const std::string& content = "MSCF cab bytes",
                     const std::string& state = "fetched") {
    auto path = layout.CabPath(id);
    REQUIRE(path.ok());
    auto relative = layout.Relative(*path);
    REQUIRE(relative.ok());
    const bool has_file = state == "fetched";
    if (has_file) Write(*path, content);
    auto st = db->Prepare(
        "INSERT INTO cabs (cab_id_hash, job_name, state, file_path, file_size, first_seen,"
        " clock_start) VALUES (?1, 'kernel', ?2, ?3, ?4, ?5, ?5)");
    REQUIRE(st.ok());
    st->Bind(1, id).Bind(2, state);
    if (has_file) {
      st->Bind(3, *relative).Bind(4, static_cast<std::int64_t>(content.size()));
    } else {
      st->BindNull(3).BindNull(4);
    }
    REQUIRE(st->Bind(5, Text(clock)).Run().ok());
    return *path;
  }

  // An ingested execution with its report file and one failures row per
  // clock in row_clocks (DeviceId "<device>-<n>").
  std::string AddReport(const std::string& report_id, util::TimePoint clock,
                        const std::vector<util::TimePoint>& row_clocks,
                        const std::string& device = "DEV",
                        const std::string& content = "report bytes") {
    const std::string run = "2026-10-01T02:00:00Z";
    auto path = layout.ReportPath("kernel", report_id, At(run), "txt");
    REQUIRE(path.ok());
    auto relative = layout.Relative(*path);
    REQUIRE(relative.ok());
    Write(*path, content);
    auto st = db->Prepare(
        "INSERT INTO executions (report_id, report_datetime, job_name, remote_status, state,"
        " file_path, file_size, file_sha256, row_count, first_seen, last_polled, downloaded_at,"
        " clock_start) VALUES (?1, ?2, 'kernel', 'Completed', 'ingested', ?3, ?4, 'abc', ?5,"
        " ?6, ?6, ?6, ?6)");
    REQUIRE(st.ok());
    st->Bind(1, report_id).Bind(2, run).Bind(3, *relative);
    st->Bind(4, static_cast<std::int64_t>(content.size()));
    st->Bind(5, static_cast<std::int64_t>(row_clocks.size())).Bind(6, Text(clock));
    REQUIRE(st->Run().ok());
    int n = 0;
    for (util::TimePoint row_clock : row_clocks) {
      const std::string dev = device + "-" + std::to_string(n++);
      auto ins = db->Prepare(
          "INSERT INTO failures (report_id, report_datetime, job_name, device_id, hardware_id,"
          " row, clock_start) VALUES (?1, ?2, 'kernel', ?3, ?4, ?5, ?6)");
      REQUIRE(ins.ok());
      ins->Bind(1, report_id).Bind(2, run).Bind(3, dev).Bind(4, "HW-" + dev);
      ins->Bind(5, "{\"DeviceId\":\"" + dev + "\"}").Bind(6, Text(row_clock));
      REQUIRE(ins->Run().ok());
    }
    return *path;
  }

  SweepReport Run(util::Duration retention = days(30), util::Duration ahead = {},
                  bool dry_run = false, util::TimePoint now = kNow) {
    return RunWith(fs, retention, ahead, dry_run, now);
  }
  SweepReport RunWith(platform::FileSystem& with, util::Duration retention = days(30),
                      util::Duration ahead = {}, bool dry_run = false, util::TimePoint now = kNow) {
    SweepOptions o;
    o.retention = retention;
    o.now = now;
    o.purge_ahead = ahead;
    o.dry_run = dry_run;
    auto r = Sweep(*db, with, layout, o);
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    return *r;
  }

  bool Exists(const std::string& path) { return std::filesystem::exists(path); }
};

TEST_CASE("sweep boundaries: a datum at window - 1 s stays, at window + 1 s goes") {
  Fixture f;
  const util::TimePoint inside = kNow - days(30) + seconds(1);
  const util::TimePoint outside = kNow - days(30) - seconds(1);
  const std::string cab_in = f.AddCab("aa01", inside);
  const std::string cab_out = f.AddCab("bb02", outside);
  const std::string report_in = f.AddReport("101", inside, {inside});
  const std::string report_out = f.AddReport("102", outside, {outside});

  const SweepReport r = f.Run();
  CHECK(f.Exists(cab_in));
  CHECK_FALSE(f.Exists(cab_out));
  CHECK(f.Exists(report_in));
  CHECK_FALSE(f.Exists(report_out));
  CHECK(r.cabs.count == 1);
  CHECK(r.reports.count == 1);
  CHECK(r.rows.count == 1);
  CHECK(r.cabs.oldest_clock == Text(outside));
  CHECK(f.One("SELECT count(*) FROM failures") == "1");
  CHECK(f.One("SELECT clock_start FROM failures") == Text(inside));
  CHECK(f.One("SELECT state FROM cabs WHERE cab_id_hash = 'aa01'") == "fetched");
  CHECK(f.One("SELECT state FROM executions WHERE report_id = '101'") == "ingested");
}

TEST_CASE("sweep boundaries hold with retention 7d and millisecond clocks") {
  Fixture f;
  const std::string cab_in = f.AddCab("aa01", kNow - days(7) + seconds(1));
  const std::string cab_out = f.AddCab("bb02", kNow - days(7) - seconds(1));
  // Stored with a fraction, as the fetchers write downloaded_at.
  f.Exec("UPDATE cabs SET clock_start = '" +
         util::FormatTimestamp(kNow - days(7) - std::chrono::milliseconds(1500), true) +
         "' WHERE cab_id_hash = 'bb02'");
  const std::string old30 = f.AddCab("cc03", kNow - days(8));
  f.Run(days(7));
  CHECK(f.Exists(cab_in));
  CHECK_FALSE(f.Exists(cab_out));
  CHECK_FALSE(f.Exists(old30));
}

TEST_CASE("sweep keeps the non-personal facts and writes one audit row") {
  Fixture f;
  const util::TimePoint old = kNow - days(31);
  f.AddCab("ab12", old, "0123456789");
  f.AddReport("201", old, {old, old, old}, "DEV", "12345");
  f.Run();

  CHECK(f.One("SELECT state || '|' || row_count || '|' || (file_path IS NULL) || '|' ||"
              " (purged_at IS NOT NULL) FROM executions") == "purged|3|1|1");
  CHECK(f.One("SELECT state || '|' || (file_path IS NULL) || '|' || purged_at FROM cabs") ==
        "purged|1|" + Text(kNow));
  CHECK(f.One("SELECT count(*) FROM failures") == "0");
  CHECK(f.One("SELECT count(*) FROM cabs WHERE sweep_id IS NOT NULL") == "0");
  CHECK(f.One("SELECT count(*) FROM sweeps") == "1");
  CHECK(f.One("SELECT cabs_deleted || '|' || cab_bytes || '|' || reports_deleted || '|' ||"
              " report_bytes || '|' || rows_deleted || '|' || (finished_at IS NOT NULL)"
              " FROM sweeps") == "1|10|1|5|3|1");
  CHECK(f.One("SELECT cutoff FROM sweeps") == Text(kNow - days(30) + seconds(1)));
}

TEST_CASE("sweep: a purged cab is not fetched again when a later report lists it") {
  Fixture f;
  f.AddCab("ab12", kNow - days(31));
  f.Run();
  REQUIRE(f.One("SELECT state FROM cabs") == "purged");

  f.Exec(
      "INSERT INTO executions (report_id, report_datetime, job_name, remote_status, state,"
      " first_seen, last_polled) VALUES ('301', '2026-12-01T02:00:00Z', 'kernel',"
      " 'Completed', 'fetched', '2026-12-01T02:00:00Z', '2026-12-01T02:00:00Z')");
  download::IngestTarget target;
  target.job_name = "kernel";
  target.report_id = "301";
  target.report_datetime = "2026-12-01T02:00:00Z";
  target.downloaded_at = kNow;
  target.cabs_enabled = true;
  auto ingested = download::IngestReportText(
      *f.db, target, "CabIdHash\tDeviceId\tFailureDateTime\r\nab12\tD1\t2026-11-30T00:00:00Z\r\n");
  REQUIRE_MESSAGE(ingested.ok(), ingested.status().message());
  CHECK(ingested->cabs_new == 0);
  CHECK(f.One("SELECT state FROM cabs WHERE cab_id_hash = 'ab12'") == "purged");
  // The cab fetcher only takes 'pending' cabs.
  CHECK(f.One("SELECT count(*) FROM cabs WHERE state = 'pending'") == "0");
}

TEST_CASE("sweep: an expired pending cab becomes purged so it is never downloaded") {
  Fixture f;
  f.AddCab("ab12", kNow - days(31), "", "pending");
  f.AddCab("cd34", kNow - days(31), "", "skipped");
  f.Run();
  CHECK(f.One("SELECT state FROM cabs WHERE cab_id_hash = 'ab12'") == "purged");
  CHECK(f.One("SELECT state FROM cabs WHERE cab_id_hash = 'cd34'") == "skipped");
}

TEST_CASE("sweep: a report file goes with its earliest row") {
  Fixture f;
  // Downloaded yesterday, but one row failed 31 days ago: the file holds it.
  const std::string path = f.AddReport("401", kNow - days(1), {kNow - days(31), kNow - days(2)});
  const SweepReport r = f.Run();
  CHECK_FALSE(f.Exists(path));
  CHECK(r.reports.count == 1);
  CHECK(r.rows.count == 1);
  CHECK(f.One("SELECT count(*) FROM failures") == "1");  // the younger row stays
  CHECK(f.One("SELECT state FROM executions") == "purged");
}

TEST_CASE("sweep purge-ahead removes what would pass the window before the next sweep") {
  Fixture f;
  const std::string soon = f.AddCab("aa01", kNow - days(30) + hours(2));
  const std::string later = f.AddCab("bb02", kNow - days(30) + hours(30));
  f.Run(days(30), hours(24));
  CHECK_FALSE(f.Exists(soon));
  CHECK(f.Exists(later));
}

TEST_CASE("sweep removes stale partials and keeps the ones a live row resumes") {
  Fixture f;
  f.AddCab("aa01", kNow - days(31), "", "pending");
  f.AddCab("bb02", kNow - days(1), "", "pending");
  const std::string expired = f.Write(f.dir / "store/tmp/cab-aa01.part", "CANARYCAB partial");
  const std::string live = f.Write(f.dir / "store/tmp/cab-bb02.part", "partial");
  const std::string unowned = f.Write(f.dir / "store/tmp/cab-cc03.part", "partial");
  const std::string report = f.Write(f.dir / "store/tmp/report-555-20261001T020000Z.part", "x");
  f.Exec(
      "INSERT INTO executions (report_id, report_datetime, job_name, remote_status, state,"
      " first_seen, last_polled) VALUES ('555', '2026-10-01T02:00:00Z', 'kernel',"
      " 'Completed', 'new', '2026-10-01T03:00:00Z', '2026-10-01T03:00:00Z')");
  const SweepReport r = f.Run();
  CHECK_FALSE(f.Exists(expired));
  CHECK(f.Exists(live));
  CHECK_FALSE(f.Exists(unowned));
  CHECK_FALSE(f.Exists(report));  // its execution was first seen 61 days ago
  CHECK(r.partials.count == 3);
  CHECK(f.One("SELECT partials_deleted FROM sweeps") == "3");
}

TEST_CASE("sweep orphan scan removes files without a row and reports rows whose file is gone") {
  HDC_SKIP_ON_WINDOWS(HDC_NO_SYMLINKS_ON_WINDOWS);
  Fixture f;
  const std::string orphan_cab = f.Write(f.dir / "store/cabs/zz/zz99.cab", "orphan");
  const std::string orphan_report = f.Write(f.dir / "store/reports/kernel/9/x.txt", "orphan");
  const std::string gone = f.AddCab("aa01", kNow - days(1));
  std::filesystem::remove(gone);
  const std::string adoptable = f.Write(*f.layout.CabPath("bb02"), "lost record");
  f.AddCab("bb02", kNow - days(1), "", "pending");
  // A link to a folder outside the store is neither followed nor deleted
  // (the next start refuses it, store/link_guard.h).
  TempDir outside;
  const std::string victim = outside.Write("keep.txt", "keep");
  std::filesystem::create_directory_symlink(outside.path(), f.dir / "store/cabs/ln");

  const SweepReport r = f.Run();
  CHECK_FALSE(f.Exists(orphan_cab));
  CHECK_FALSE(f.Exists(orphan_report));
  CHECK(f.Exists(adoptable));
  CHECK(f.Exists(victim));
  CHECK(std::filesystem::is_symlink(f.dir / "store/cabs/ln"));
  CHECK(r.orphans.count == 2);
  CHECK(r.rows_missing_file == 1);
  CHECK(f.One("SELECT state FROM cabs WHERE cab_id_hash = 'aa01'") == "fetched");  // not fixed
}

TEST_CASE("sweep --dry-run lists what would go and changes nothing") {
  Fixture f;
  const util::TimePoint old = kNow - days(31);
  f.AddCab("ab12", old, "0123456789");
  f.AddReport("201", old, {old, old});
  f.Write(f.dir / "store/cabs/zz/zz99.cab", "orphan");
  f.Write(f.dir / "store/tmp/cab-ab12.part", "partial");
  f.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  auto snapshot = [&] {
    std::vector<std::string> out;
    for (const std::string& p : FilesUnder(f.dir.path())) {
      // Readers take their read marks in -shm; it holds no data.
      if (!p.ends_with("-shm")) out.push_back(p + ":" + ReadAll(p));
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  const auto before = snapshot();
  const SweepReport r = f.Run(days(30), {}, true);
  CHECK(snapshot() == before);
  CHECK(r.dry_run);
  CHECK(r.cabs.count == 1);
  CHECK(r.cabs.bytes == 10);
  CHECK(r.cabs.oldest_clock == Text(old));
  CHECK(r.reports.count == 1);
  CHECK(r.rows.count == 2);
  CHECK(r.partials.count == 1);
  CHECK(r.orphans.count == 1);
  CHECK(f.One("SELECT count(*) FROM sweeps") == "0");
  CHECK(SweepSummary(r).starts_with("would sweep: 1 cab, 1 report, 2 rows"));
}

constexpr std::string_view kIndexesRebuilt = "indexes of failures built again";

// Both ways of deleting rows: a few row by row, most of the table with its
// indexes dropped and built again.
TEST_CASE("sweep byte scan: no DeviceId/HardwareId canary survives in db, wal, store or logs") {
  struct Shape {
    int old_rows, young_rows;
    bool rebuilds;
  };
  for (const Shape shape : {Shape{50, 1, true}, Shape{3, 40, false}}) {
    CAPTURE(shape.old_rows);
    LogCapture log;
    Fixture f;
    const util::TimePoint old = kNow - days(30) - seconds(1);
    f.AddCab("ab12", old, "MSCF CANARYCAB-1 crash dump");
    f.AddReport("201", old, std::vector<util::TimePoint>(shape.old_rows, old), "CANARY-DEV",
                "DeviceId\tHardwareId\r\nCANARY-DEV-0\tHW-CANARY-DEV-0\r\n");
    f.AddCab("cd34", old, "", "pending");
    f.Write(f.dir / "store/tmp/cab-cd34.part", "CANARYCAB-partial");
    // Young rows stay, so the database is not simply empty.
    f.AddReport("202", kNow - days(1),
                std::vector<util::TimePoint>(shape.young_rows, kNow - days(1)), "YOUNG");

    auto hits = [&] {
      int n = 0;
      for (const std::string& p : FilesUnder(f.dir.path())) {
        const std::string bytes = ReadAll(p);
        for (const char* canary : {"CANARY-DEV", "CANARYCAB"}) {
          for (auto at = bytes.find(canary); at != std::string::npos;
               at = bytes.find(canary, at + 1)) {
            ++n;
          }
        }
      }
      return n;
    };
    REQUIRE(hits() > 0);  // the scan can fail
    f.Run();
    CHECK(hits() == 0);
    CHECK(log.text().find("CANARY") == std::string::npos);
    CHECK(log.text().find("swept: 2 cabs, 1 report, " + std::to_string(shape.old_rows) + " rows") !=
          std::string::npos);
    CHECK((log.text().find(kIndexesRebuilt) != std::string::npos) == shape.rebuilds);
    CHECK(f.One("SELECT count(*) FROM failures") == std::to_string(shape.young_rows));
    CHECK(std::filesystem::file_size(f.dir / "state.db-wal") == 0);
  }
}

TEST_CASE(
    "sweep: from a quarter of the rows, the indexes of failures are built again as they were") {
  struct Shape {
    int old_rows, young_rows;
    bool rebuilds;
  };
  // 3 of 13 is under a quarter; 4 of 13 and all of them are not.
  for (const Shape shape : {Shape{3, 10, false}, Shape{4, 9, true}, Shape{6, 0, true}}) {
    CAPTURE(shape.old_rows);
    LogCapture log;
    Fixture f;
    const util::TimePoint old = kNow - days(31);
    const util::TimePoint young = kNow - days(1);
    f.AddReport("301", old, std::vector<util::TimePoint>(shape.old_rows, old), "OLD");
    f.AddReport("302", young, std::vector<util::TimePoint>(shape.young_rows, young), "YOUNG");
    const std::string indexes =
        "SELECT group_concat(name || ':' || sql, ';') FROM (SELECT name, sql FROM sqlite_schema "
        "WHERE type = 'index' AND tbl_name = 'failures' ORDER BY name)";
    const std::string before = f.One(indexes);
    REQUIRE(before.find("failures_clock") != std::string::npos);

    const SweepReport r = f.Run();
    CHECK(r.rows.count == shape.old_rows);
    CHECK((log.text().find(kIndexesRebuilt) != std::string::npos) == shape.rebuilds);
    CHECK(f.One(indexes) == before);
    CHECK(f.One("PRAGMA integrity_check") == "ok");
    // The kept rows are found through the rebuilt indexes.
    CHECK(f.One("SELECT count(*) FROM failures INDEXED BY failures_clock WHERE clock_start > ''") ==
          std::to_string(shape.young_rows));
    CHECK(f.One("SELECT count(*) FROM failures INDEXED BY failures_execution "
                "WHERE report_id = '302' AND report_datetime > ''") ==
          std::to_string(shape.young_rows));
  }
}

// Fails the nth call of op, then sweeps again with the real file system:
// the second sweep finishes the first. True when the nth call happened, so
// the first sweep really was cut short there; false when the sweep made
// fewer calls (then it must have completed).
bool CrashAndRestart(FaultFs::Op op, std::uint64_t nth) {
  Fixture f;
  const util::TimePoint old = kNow - days(31);
  std::vector<std::string> doomed, kept;
  for (int i = 0; i < 6; ++i) {
    doomed.push_back(f.AddCab("a" + std::to_string(i) + "x", old));
    kept.push_back(f.AddCab("b" + std::to_string(i) + "x", kNow - days(1)));
  }
  doomed.push_back(f.AddReport("701", old, {old, old}));
  kept.push_back(f.AddReport("702", kNow - days(1), {kNow - days(1)}));
  f.Write(f.dir / "store/cabs/zz/zz99.cab", "orphan");
  f.Write(f.dir / "store/tmp/cab-a0x.part", "partial");

  FaultFs faulty(f.fs);
  faulty.FailAt(op, nth, true);
  SweepOptions o;
  o.now = kNow;
  auto first = Sweep(*f.db, faulty, f.layout, o);
  const bool injected = faulty.calls(op) >= nth;
  CHECK_MESSAGE(first.ok() != injected, "first sweep: ", first.status().ToString());
  f.db.reset();
  f.Open();  // the restart
  const SweepReport second = f.Run();
  CHECK(f.One("SELECT count(*) FROM sweeps WHERE finished_at IS NULL") == "0");
  CHECK(f.One("SELECT count(*) FROM cabs WHERE sweep_id IS NOT NULL") == "0");
  CHECK(f.One("SELECT count(*) FROM executions WHERE sweep_id IS NOT NULL") == "0");
  for (const std::string& p : doomed) CHECK_FALSE(f.Exists(p));
  for (const std::string& p : kept) CHECK(f.Exists(p));
  CHECK(f.One("SELECT count(*) FROM cabs WHERE state = 'purged'") == "6");
  CHECK(f.One("SELECT count(*) FROM executions WHERE state = 'purged'") == "1");
  CHECK(f.One("SELECT count(*) FROM failures") == "1");
  // No live row names a missing file, no file lacks a row.
  CHECK(second.rows_missing_file == 0);
  for (const std::string& p : FilesUnder(f.dir / "store")) {
    CHECK_MESSAGE(std::find(kept.begin(), kept.end(), p) != kept.end(), p);
  }
  return injected;
}

TEST_CASE("sweep interrupted at every unlink and directory fsync is finished by the next one") {
  // The sweep removes nine files (6 doomed cabs, 1 report, the orphan and
  // the partial): each of n = 1..9 cuts one unlink short. It fsyncs their
  // directories and lists the store as often as its layout asks; n runs to
  // 12 so the last iterations may inject nothing, which is counted too.
  int removes = 0;
  int syncs = 0;
  int lists = 0;
  for (std::uint64_t n = 1; n <= 12; ++n) {
    CAPTURE(n);
    removes += CrashAndRestart(FaultFs::Op::kRemove, n) ? 1 : 0;
    syncs += CrashAndRestart(FaultFs::Op::kSyncDir, n) ? 1 : 0;
    lists += CrashAndRestart(FaultFs::Op::kList, n) ? 1 : 0;
  }
  MESSAGE("crashes injected: ", removes, " removes, ", syncs, " directory fsyncs, ", lists,
          " lists");
  CHECK(removes == 9);
  CHECK(syncs > 0);
  CHECK(lists > 0);
}

TEST_CASE("sweep finishes a sweep marked before a crash, with its own cutoff") {
  Fixture f;
  const std::string cab = f.AddCab("ab12", kNow - days(1));
  // As if a sweep with a later cutoff had marked it and died.
  f.Exec("INSERT INTO sweeps (id, started_at, cutoff) VALUES (7, '" + Text(kNow) + "', '" +
         Text(kNow) + "')");
  f.Exec("UPDATE cabs SET sweep_id = 7");
  const SweepReport r = f.Run();
  CHECK(r.resumed_sweeps == 1);
  CHECK_FALSE(f.Exists(cab));
  CHECK(f.One("SELECT state FROM cabs") == "purged");
  CHECK(f.One("SELECT cabs_deleted FROM sweeps WHERE id = 7") == "1");
  CHECK(f.One("SELECT count(*) FROM sweeps WHERE finished_at IS NULL") == "0");
}

TEST_CASE(
    "retention OldestPersonalClock is the earliest clock of live personal data; NextExpiry adds "
    "retention") {
  Fixture f;
  auto none = NextExpiry(*f.db, days(30));
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  f.AddCab("ab12", kNow - days(3));
  f.AddReport("201", kNow - days(2), {kNow - days(5)});
  f.AddCab("cd34", kNow - days(40), "", "skipped");  // holds nothing
  auto oldest = OldestPersonalClock(*f.db);          // the row's clock, five days ago
  REQUIRE(oldest.ok());
  REQUIRE(oldest->has_value());
  CHECK(**oldest == kNow - days(5));
  auto next = NextExpiry(*f.db, days(30));
  REQUIRE(next.ok());
  REQUIRE(next->has_value());
  CHECK(**next == kNow + days(25));
  f.Run(days(30), {}, false, kNow + days(25));
  CHECK(f.One("SELECT count(*) FROM failures") == "0");
}

}  // namespace
}  // namespace hdc::retention
