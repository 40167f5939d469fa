// Power cuts at every point of the store's work (docs/reliability.md
// §Durability): each scenario runs once through a PowerCutFileSystem
// (tests/support/power_cut_fs.h) counting its mutating file-system calls,
// then again from the same start state for every cut point n, the power
// going off right after the n-th call. The surviving image of the state
// directory (the store as the model keeps it, state.db as SQLite's online
// backup sees its committed transactions at that instant) is "restarted":
// start-up recovery as the daemon runs it (engine::Cycle::Recover, that is
// download::RecoverDownloads), a clean run on the real file system, and the
// invariants checked. Every violation is counted and printed; there must be
// none.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>
#include <doctest/doctest.h>
#include <sqlite3.h>

#include "download/cab_fetcher.h"
#include "download/partials.h"
#include "download/report_fetcher.h"
#include "integration/harness.h"
#include "platform/filesystem.h"
#include "poll/poller.h"
#include "retention/sweeper.h"
#include "store/atomic_writer.h"
#include "store/layout.h"
#include "support/power_cut_fs.h"
#include "util/logging.h"

namespace hdc::testing {
namespace {

namespace stdfs = std::filesystem;

// The most cut points one scenario tries: every call up to this many, else an
// even spread of this many plus both ends. Chosen so that the whole binary
// stays well under a minute here (and a few under ASan).
constexpr std::uint64_t kMaxPoints = 300;

const std::set<std::string> kDatabaseFiles = {"state.db", "state.db-wal", "state.db-shm",
                                              "state.db-journal"};

std::string Sha256(std::string_view data) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(data.data(), static_cast<unsigned>(data.size()));
  return Poco::DigestEngine::digestToHex(engine.digest());
}

// Copies the committed state of the database at `from` into a new file `to`
// with SQLite's online backup, from a new read-only connection (what a power
// cut would leave: SQLite promises committed transactions survive). Returns
// an error text, empty when it worked; callable from any thread.
std::string BackupDatabase(const std::string& from, const std::string& to) {
  sqlite3* source = nullptr;
  sqlite3* target = nullptr;
  std::string error;
  if (sqlite3_open_v2(from.c_str(), &source, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK ||
      sqlite3_open(to.c_str(), &target) != SQLITE_OK) {
    error = "cannot open " + from + " or " + to;
  } else if (sqlite3_backup* backup = sqlite3_backup_init(target, "main", source, "main")) {
    const int step = sqlite3_backup_step(backup, -1);
    sqlite3_backup_finish(backup);
    if (step != SQLITE_DONE) error = "backup of " + from + ": " + sqlite3_errstr(step);
  } else {
    error = "backup of " + from + ": " + sqlite3_errmsg(target);
  }
  sqlite3_close(source);
  sqlite3_close(target);
  return error;
}

std::unique_ptr<db::Database> OpenDb(const std::string& state_dir) {
  auto db = db::Database::Open({state_dir + "/state.db"});
  REQUIRE_MESSAGE(db.ok(), db.status().message());
  return std::move(db).value();
}

std::int64_t Scalar(db::Database& db, const std::string& sql) {
  auto stmt = db.Prepare(sql);
  REQUIRE_MESSAGE(stmt.ok(), stmt.status().message());
  auto row = stmt->Step();
  REQUIRE(row.ok());
  REQUIRE(*row);
  return stmt->ColumnInt(0);
}

// Rows of a query as lists of text (NULL as "").
std::vector<std::vector<std::string>> Rows(db::Database& db, const std::string& sql, int columns) {
  std::vector<std::vector<std::string>> out;
  auto stmt = db.Prepare(sql);
  REQUIRE_MESSAGE(stmt.ok(), stmt.status().message());
  while (true) {
    auto row = stmt->Step();
    REQUIRE(row.ok());
    if (!*row) break;
    std::vector<std::string>& values = out.emplace_back();
    for (int c = 0; c < columns; ++c) values.push_back(stmt->ColumnText(c));
  }
  return out;
}

// The cut points for a run of `calls` mutating calls.
std::vector<std::uint64_t> CutPoints(std::uint64_t calls) {
  std::set<std::uint64_t> points;
  if (calls <= kMaxPoints) {
    for (std::uint64_t n = 1; n <= calls; ++n) points.insert(n);
  } else {
    for (std::uint64_t i = 0; i < kMaxPoints; ++i)
      points.insert(1 + i * (calls - 1) / (kMaxPoints - 1));
    points.insert(calls);
  }
  return {points.begin(), points.end()};
}

// Silences the daemon's logs (every cut point logs its recovery) for a scope.
class QuietLogs {
 public:
  QuietLogs() {
    util::LogOptions options;
    options.level = "off";
    util::SetupLogging(options, &sink_);
  }
  ~QuietLogs() { util::SetupLogging(util::LogOptions{}); }
  QuietLogs(const QuietLogs&) = delete;
  QuietLogs& operator=(const QuietLogs&) = delete;

 private:
  std::ostringstream sink_;
};

// What a restarted run must end with, but did not.
struct Violations {
  std::vector<std::string> found;
  void Add(std::string what) { found.push_back(std::move(what)); }
};

// The store against the database (INV2 to INV4 and INV6 of
// docs/reliability.md §Invariants): every row's file exists under its final name with the row's
// size and SHA-256, which are the expected ones (the server's bytes);
// every expected file is named by a row; no file under store/reports or
// store/cabs without a row; nothing left in store/tmp; integrity_check ok.
// `expected`: relative path -> SHA-256 of every file that must be there.
void CheckStore(db::Database& db, const std::string& state_dir,
                const std::map<std::string, std::string>& expected, Violations& v) {
  const store::StoreLayout layout(state_dir);
  const auto integrity = Rows(db, "PRAGMA integrity_check", 1);
  if (integrity.size() != 1 || integrity[0][0] != "ok") v.Add("integrity_check is not ok");
  std::set<std::string> named;
  for (const auto& r : Rows(db,
                            "SELECT file_path, file_size, file_sha256 FROM executions WHERE "
                            "file_path IS NOT NULL UNION ALL SELECT file_path, file_size, "
                            "file_sha256 FROM cabs WHERE file_path IS NOT NULL",
                            3)) {
    if (!named.insert(r[0]).second) v.Add("two rows name " + r[0]);
    auto data = platform::RealFileSystem().ReadFile(layout.root() + "/" + r[0]);
    if (!data.ok()) {
      v.Add("a row names a missing file: " + r[0]);
      continue;
    }
    const std::string sha = Sha256(*data);
    if (std::to_string(data->size()) != r[1] || sha != r[2]) v.Add("size or hash differ: " + r[0]);
    const auto want = expected.find(r[0]);
    if (want == expected.end()) v.Add("a row names a file that should not be there: " + r[0]);
    if (want != expected.end() && want->second != sha) v.Add("not the server's bytes: " + r[0]);
  }
  for (const auto& [relative, sha] : expected) {
    if (!named.contains(relative)) v.Add("lost: " + relative);
  }
  for (const char* top : {"reports", "cabs", "tmp"}) {
    const stdfs::path dir = stdfs::path(layout.root()) / top;
    if (!stdfs::exists(dir)) continue;
    for (const auto& entry : stdfs::recursive_directory_iterator(dir)) {
      if (entry.is_directory()) continue;
      const std::string relative = stdfs::relative(entry.path(), layout.root()).generic_string();
      if (std::string(top) == "tmp") {
        v.Add("left in store/tmp: " + relative);
      } else if (!named.contains(relative)) {
        v.Add("a file without a row: " + relative);
      }
    }
  }
}

// One scenario: its start state, the work under test, the restart, the checks.
class Scenario {
 public:
  virtual ~Scenario() = default;
  virtual std::string name() const = 0;
  // Makes the start state in `state_dir` (an empty folder).
  virtual void Prepare(const std::string& state_dir) = 0;
  // The work under test; it fails once the power is off.
  virtual util::Status Run(db::Database& db, platform::FileSystem& fs,
                           const std::string& state_dir) = 0;
  // Start-up recovery, then a clean run, on the real file system.
  virtual util::Status Restart(db::Database& db, const std::string& state_dir) = 0;
  // After the uncut run: learns what every end state must hold.
  virtual void Learn(db::Database& db, const std::string& state_dir) = 0;
  virtual void Check(db::Database& db, const std::string& state_dir, Violations& v) = 0;
};

struct Figures {
  std::uint64_t calls = 0;
  std::size_t points = 0;
  std::size_t violations = 0;
  std::size_t after_end = 0;  // cut points the run did not reach (fewer calls that time)
  double seconds = 0;
};

// A scratch folder for the runs, on a RAM file system where there is one:
// every cut point opens, migrates and commits to SQLite databases with
// synchronous=FULL, and the model makes real fsyncs pointless (about 8 ms a
// cut point on /dev/shm here, 250 ms on the disk).
class ScratchDir {
 public:
  ScratchDir() {
    std::error_code ec;
    if (stdfs::is_directory("/dev/shm", ec)) {
      path_ = stdfs::path("/dev/shm") / ("hdc-power-cut-" + std::to_string(std::random_device{}()));
      if (!stdfs::create_directory(path_, ec)) path_.clear();
    }
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) stdfs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string operator/(const std::string& name) const {
    return path_.empty() ? fallback_ / name : (path_ / name).generic_string();
  }

 private:
  stdfs::path path_;
  TempDir fallback_;
};

// Runs the scenario with the power going off right after call n, restarts
// on what survived and counts the violations (each printed) into f.
void CutAt(Scenario& s, const ScratchDir& work, std::uint64_t n, Figures& f) {
  const std::string dir = work / "run";
  const std::string cut = work / "cut";
  stdfs::remove_all(dir);
  stdfs::remove_all(cut);
  stdfs::create_directories(dir);
  s.Prepare(dir);
  std::string backup_error = "the power never went off";
  {
    auto db = OpenDb(dir);
    PowerCutFileSystem fs(platform::RealFileSystem(), dir, kDatabaseFiles);
    fs.SetOnCut([&](const std::string& cut_dir) {
      backup_error = BackupDatabase(dir + "/state.db", cut_dir + "/state.db");
    });
    fs.CutAfter(n, cut);
    (void)s.Run(*db, fs, dir);  // fails from the cut on
    REQUIRE_MESSAGE(fs.cut_status().ok(), fs.cut_status().message());
    if (!fs.cut()) {
      // This run made fewer calls than the counted one (how many Appends a
      // download makes depends on how its body arrives): the power goes
      // off after its end instead.
      ++f.after_end;
      REQUIRE(fs.WriteImage(cut).ok());
      backup_error = BackupDatabase(dir + "/state.db", cut + "/state.db");
    }
  }
  REQUIRE_MESSAGE(backup_error.empty(), backup_error);
  Violations v;
  auto db = OpenDb(cut);
  if (const util::Status restarted = s.Restart(*db, cut); !restarted.ok()) {
    v.Add("the restart failed: " + restarted.ToString());
  }
  s.Check(*db, cut, v);
  for (const std::string& what : v.found) {
    std::cout << "power cut " << s.name() << ", after call " << n << ": " << what << "\n";
  }
  f.violations += v.found.size();
}

// The uncut run (counting), then every cut point; prints the figures.
Figures Drive(Scenario& s) {
  const auto started = std::chrono::steady_clock::now();
  QuietLogs quiet;
  ScratchDir work;
  Figures f;
  {
    const std::string dir = work / "clean";
    stdfs::create_directories(dir);
    s.Prepare(dir);
    auto db = OpenDb(dir);
    PowerCutFileSystem fs(platform::RealFileSystem(), dir, kDatabaseFiles);
    const util::Status ran = s.Run(*db, fs, dir);
    REQUIRE_MESSAGE(ran.ok(), ran.ToString());
    f.calls = fs.calls();
    s.Learn(*db, dir);
    Violations v;
    s.Check(*db, dir, v);
    for (const std::string& what : v.found) std::cout << "uncut run: " << what << "\n";
    REQUIRE(v.found.empty());
  }
  const std::vector<std::uint64_t> points = CutPoints(f.calls);
  f.points = points.size();
  for (const std::uint64_t n : points) CutAt(s, work, n, f);
  f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "power cut " << s.name() << ": " << f.calls << " calls counted, " << f.points
            << " cut points tried (" << f.after_end << " after the end of a shorter run), "
            << f.violations << " violations, " << f.seconds << " s\n";
  return f;
}

}  // namespace
}  // namespace hdc::testing

// (a) The atomic writer publishes three cab files, each followed by the
// commit of the row that records it (as the cab fetcher does).
namespace hdc::testing {
namespace {

constexpr int kWriterCabs = 3;

std::string WriterCabId(int i) {
  return std::string(1, static_cast<char>('a' + i)) + "0cab" + std::to_string(i);
}

std::string WriterCabBytes(int i) {
  std::string bytes = "MSCF";
  for (int k = 0; bytes.size() < 6000u + 1000u * static_cast<unsigned>(i); ++k) {
    bytes += static_cast<char>('a' + (k * 7 + i) % 26);
  }
  return bytes;
}

util::Status PublishCab(db::Database& db, platform::FileSystem& fs,
                        const store::StoreLayout& layout, int i) {
  const std::string bytes = WriterCabBytes(i);
  HDC_ASSIGN_OR_RETURN(const std::string temp, layout.TempPath("cab", WriterCabId(i)));
  HDC_ASSIGN_OR_RETURN(const std::string final_path, layout.CabPath(WriterCabId(i)));
  HDC_ASSIGN_OR_RETURN(auto writer, store::AtomicWriter::Create(fs, temp, final_path, false));
  for (std::size_t at = 0; at < bytes.size(); at += 2500) {
    HDC_RETURN_IF_ERROR(writer->Append(std::string_view(bytes).substr(at, 2500)));
  }
  HDC_ASSIGN_OR_RETURN(const store::Committed done, writer->Commit(bytes.size(), std::nullopt));
  HDC_ASSIGN_OR_RETURN(const std::string relative, layout.Relative(done.path));
  HDC_ASSIGN_OR_RETURN(auto tx, db.BeginWrite());
  HDC_ASSIGN_OR_RETURN(auto record,
                       db.Prepare("UPDATE cabs SET state = 'fetched', file_path = ?2, "
                                  "file_size = ?3, file_sha256 = ?4, container = 'MSCF', "
                                  "downloaded_at = first_seen WHERE cab_id_hash = ?1"));
  record.Bind(1, WriterCabId(i)).Bind(2, relative);
  record.Bind(3, static_cast<std::int64_t>(done.size)).Bind(4, done.sha256_hex);
  HDC_RETURN_IF_ERROR(record.Run().status());
  return tx.Commit();
}

// Publishes every cab still pending.
util::Status PublishPending(db::Database& db, platform::FileSystem& fs,
                            const store::StoreLayout& layout) {
  for (int i = 0; i < kWriterCabs; ++i) {
    const std::int64_t pending =
        Scalar(db, "SELECT count(*) FROM cabs WHERE state = 'pending' AND cab_id_hash = '" +
                       WriterCabId(i) + "'");
    if (pending != 0) HDC_RETURN_IF_ERROR(PublishCab(db, fs, layout, i));
  }
  return util::Status::Ok();
}

class WriterScenario final : public Scenario {
 public:
  std::string name() const override { return "(a) atomic writer + row commit"; }
  void Prepare(const std::string& state_dir) override {
    auto db = OpenDb(state_dir);
    for (int i = 0; i < kWriterCabs; ++i) {
      REQUIRE(db->Exec("INSERT INTO cabs (cab_id_hash, job_name, application_id, first_seen) "
                       "VALUES ('" +
                       WriterCabId(i) + "', 'kernel', '1', '2024-05-01T00:00:00Z')")
                  .ok());
    }
    REQUIRE(store::StoreLayout(state_dir).EnsureDirectories(platform::RealFileSystem()).ok());
  }
  util::Status Run(db::Database& db, platform::FileSystem& fs,
                   const std::string& state_dir) override {
    return PublishPending(db, fs, store::StoreLayout(state_dir));
  }
  util::Status Restart(db::Database& db, const std::string& state_dir) override {
    const store::StoreLayout layout(state_dir);
    HDC_RETURN_IF_ERROR(
        download::RecoverDownloads(db, platform::RealFileSystem(), layout).status());
    return PublishPending(db, platform::RealFileSystem(), layout);
  }
  void Learn(db::Database&, const std::string& state_dir) override {
    const store::StoreLayout layout(state_dir);
    for (int i = 0; i < kWriterCabs; ++i) {
      auto relative = layout.Relative(*layout.CabPath(WriterCabId(i)));
      REQUIRE(relative.ok());
      expected_[*relative] = Sha256(WriterCabBytes(i));
    }
  }
  void Check(db::Database& db, const std::string& state_dir, Violations& v) override {
    CheckStore(db, state_dir, expected_, v);
    if (Scalar(db, "SELECT count(*) FROM cabs WHERE state = 'fetched'") != kWriterCabs) {
      v.Add("not every cab is recorded fetched");
    }
  }

 private:
  std::map<std::string, std::string> expected_;
};

TEST_CASE("power cut at every call of the atomic writer and its row commit: nothing lost") {
  WriterScenario scenario;
  const Figures f = Drive(scenario);
  CHECK(f.calls > 0);
  CHECK(f.points > 0);
  CHECK(f.violations == 0);
}

}  // namespace
}  // namespace hdc::testing

// (b) A download run: start-up recovery on a state directory without a
// store yet, the completed report downloaded and ingested, then its cabs
// (one download worker, so the calls come in one order).
namespace hdc::testing {
namespace {

const char* kPowerJob =
    "[job kernel]\nview = IHVDriver\ncolumns = FailureName, FailureHash, CabIdHash, CabType, "
    "CabExpirationTime, CabCollectionTime, ApplicationId, DeviceId, EventCount, FailureDateTime\n"
    "start = 2024-05-01T02:00:00Z\nevery = 24h\nruns = 10\n";

// A small data set: fewer rows, cabs and bytes make fewer calls, so that
// every call can be a cut point within the time budget.
emulator::ServerOptions SmallDataSet() {
  emulator::ServerOptions options;
  options.settings.rows_per_execution = 40;
  options.settings.cab_size = 16 * 1024;
  return options;
}

// Reconciles, lets `hours` pass and polls: the executions wait for download.
void PollCompleted(Harness& h, int hours) {
  REQUIRE(h.Reconcile(kPowerJob).ok());
  h.clock().Advance(std::chrono::hours(hours));
  auto schedules = poll::Poller::RecordedSchedules(h.Db());
  REQUIRE(schedules.ok());
  poll::Poller poller(h.Connection().api(), h.Db(), h.clock());
  REQUIRE(poller.Poll(*schedules).ok());
}

// Recovery as the daemon runs it at start, every ready report, every pending cab.
util::Status DownloadAll(Harness& h, db::Database& db, platform::FileSystem& fs,
                         const std::string& state_dir) {
  const store::StoreLayout layout(state_dir);
  HDC_RETURN_IF_ERROR(download::RecoverDownloads(db, fs, layout).status());
  util::Random random(7);
  const download::FetchContext context{
      h.Connection().http(), db, fs, layout, h.clock(), random, {}};
  const std::map<std::string, download::JobIngestRules> rules = {{"kernel", {true, true, {}}}};
  download::ReportFetcher reports(context, h.Connection().api(), {}, rules);
  HDC_ASSIGN_OR_RETURN(const download::ReportFetchSummary fetched, reports.FetchReady());
  if (!fetched.problems.empty()) return fetched.problems[0];
  download::CabFetchOptions options;
  options.concurrency = 1;
  download::CabFetcher cabs(
      context, [&h](util::Random& r) { return h.Connection().NewApiClient(r); }, options, rules);
  HDC_ASSIGN_OR_RETURN(const download::CabFetchSummary got, cabs.FetchPending());
  if (!got.problems.empty()) return got.problems[0];
  return util::Status::Ok();
}

// relative path -> SHA-256 of every file a row names.
std::map<std::string, std::string> RecordedFiles(db::Database& db, const std::string& where = "") {
  std::map<std::string, std::string> files;
  for (const auto& r : Rows(db,
                            "SELECT file_path, file_sha256 FROM executions WHERE file_path IS NOT "
                            "NULL " +
                                where +
                                " UNION ALL SELECT file_path, file_sha256 FROM cabs WHERE "
                                "file_path IS NOT NULL " +
                                where,
                            2)) {
    files[r[0]] = r[1];
  }
  return files;
}

class DownloadScenario final : public Scenario {
 public:
  explicit DownloadScenario(Harness& h) : h_(h), template_(h.dir().path() + "/template") {
    PollCompleted(h_, 3);  // 03:00: the 02:00 run completed
    stdfs::create_directories(template_);
    REQUIRE(BackupDatabase(h_.dir() / "state.db", template_ + "/state.db").empty());
    template_db_ = OpenDb(template_);  // held open, so that it can be read as it is
  }
  std::string name() const override { return "(b) download run"; }
  void Prepare(const std::string& state_dir) override {
    REQUIRE(BackupDatabase(template_ + "/state.db", state_dir + "/state.db").empty());
  }
  util::Status Run(db::Database& db, platform::FileSystem& fs,
                   const std::string& state_dir) override {
    return DownloadAll(h_, db, fs, state_dir);
  }
  util::Status Restart(db::Database& db, const std::string& state_dir) override {
    return DownloadAll(h_, db, platform::RealFileSystem(), state_dir);
  }
  void Learn(db::Database& db, const std::string& state_dir) override;
  void Check(db::Database& db, const std::string& state_dir, Violations& v) override {
    CheckStore(db, state_dir, files_, v);
    if (Scalar(db, "SELECT count(*) FROM failures") != rows_) v.Add("rows not ingested once");
    if (Scalar(db, "SELECT count(*) FROM executions WHERE state = 'ingested'") != reports_) {
      v.Add("a completed report is not ingested");
    }
    if (Scalar(db, "SELECT count(*) FROM cabs WHERE state = 'fetched'") != cabs_ ||
        Scalar(db, "SELECT count(*) FROM cabs WHERE state IN ('pending', 'fetching')") != 0) {
      v.Add("a cab is not fetched");
    }
  }

 private:
  Harness& h_;
  const std::string template_;
  std::unique_ptr<db::Database> template_db_;
  std::map<std::string, std::string> files_;
  std::int64_t rows_ = 0, reports_ = 0, cabs_ = 0;
};

// The uncut run stored the emulator's bytes: learns its files and counts.
void DownloadScenario::Learn(db::Database& db, const std::string& state_dir) {
  files_ = RecordedFiles(db);
  rows_ = Scalar(db, "SELECT count(*) FROM failures");
  reports_ = Scalar(db, "SELECT count(*) FROM executions WHERE state = 'ingested'");
  cabs_ = Scalar(db, "SELECT count(*) FROM cabs WHERE state = 'fetched'");
  REQUIRE(reports_ == 1);
  REQUIRE(rows_ > 0);
  REQUIRE(cabs_ > 0);
  for (const auto& r : Rows(db,
                            "SELECT report_id, report_datetime, file_path FROM executions "
                            "WHERE state = 'ingested'",
                            3)) {
    const std::string day = r[1].substr(0, 10);
    auto listed = h_.emu().Get("/analytics/driver/reportdata/" + r[0] + "?startDate=" + day +
                               "&endDate=" + day);
    REQUIRE(listed.status == 200);
    auto blob = emulator::testing::Http(
        "GET", listed.json()["data"][0]["ReportLocation"].get<std::string>());
    REQUIRE(blob.status == 200);
    CHECK(Sha256(blob.body) == files_[r[2]]);
  }
  (void)state_dir;
}

TEST_CASE("power cut at every call of a download run: every report and cab stored once") {
  Harness h(SmallDataSet());
  DownloadScenario scenario(h);
  const Figures f = Drive(scenario);
  CHECK(f.calls > 0);
  CHECK(f.violations == 0);
}

}  // namespace
}  // namespace hdc::testing

// (c) The retention sweep over a store with aged files: half the cabs, the
// first report and its rows are past the window; an orphan file and an
// unowned partial are planted too.
namespace hdc::testing {
namespace {

constexpr const char* kAged = "2024-01-01T00:00:00Z";

class SweepScenario final : public Scenario {
 public:
  explicit SweepScenario(Harness& h) : template_(h.dir().path() + "/template") {
    PollCompleted(h, 27);  // May 2 05:00: the runs of May 1 and May 2 completed
    stdfs::create_directories(template_);
    REQUIRE(BackupDatabase(h.dir() / "state.db", template_ + "/state.db").empty());
    template_db_ = OpenDb(template_);
    const util::Status downloaded =
        DownloadAll(h, *template_db_, platform::RealFileSystem(), template_);
    REQUIRE_MESSAGE(downloaded.ok(), downloaded.ToString());
    options_.now = h.clock().Now();
    Age(*template_db_);
    stdfs::create_directories(template_ + "/store/cabs/zz");
    std::ofstream(template_ + "/store/cabs/zz/zzorphan.cab") << "MSCF orphan";
    std::ofstream(template_ + "/store/tmp/cab-nobody.part") << "MSCF partial";
  }
  std::string name() const override { return "(c) retention sweep"; }
  void Prepare(const std::string& state_dir) override {
    REQUIRE(BackupDatabase(template_ + "/state.db", state_dir + "/state.db").empty());
    stdfs::copy(template_ + "/store", state_dir + "/store", stdfs::copy_options::recursive);
  }
  util::Status Run(db::Database& db, platform::FileSystem& fs,
                   const std::string& state_dir) override {
    return retention::Sweep(db, fs, store::StoreLayout(state_dir), options_).status();
  }
  util::Status Restart(db::Database& db, const std::string& state_dir) override {
    const store::StoreLayout layout(state_dir);
    HDC_RETURN_IF_ERROR(
        download::RecoverDownloads(db, platform::RealFileSystem(), layout).status());
    return retention::Sweep(db, platform::RealFileSystem(), layout, options_).status();
  }
  void Learn(db::Database&, const std::string&) override {}
  void Check(db::Database& db, const std::string& state_dir, Violations& v) override;

 private:
  void Age(db::Database& db);

  const std::string template_;
  std::unique_ptr<db::Database> template_db_;
  retention::SweepOptions options_;
  std::map<std::string, std::string> kept_;  // files not due: relative path -> SHA-256
  std::int64_t aged_cabs_ = 0, aged_cab_bytes_ = 0, aged_report_bytes_ = 0;
  std::int64_t kept_rows_ = 0, aged_rows_ = 0;
};

// Ages half the cabs, the first report and its rows; learns what must go and stay.
void SweepScenario::Age(db::Database& db) {
  const std::string aged = std::string("'") + kAged + "'";
  REQUIRE(db.Exec("UPDATE cabs SET clock_start = " + aged +
                  " WHERE state = 'fetched' AND rowid % 2 = 0")
              .ok());
  const std::string first =
      "(SELECT min(report_datetime) FROM executions WHERE state = 'ingested')";
  REQUIRE(db.Exec("UPDATE failures SET clock_start = " + aged + " WHERE report_datetime = " + first)
              .ok());
  REQUIRE(
      db.Exec("UPDATE executions SET clock_start = " + aged + " WHERE report_datetime = " + first)
          .ok());
  const std::string is_aged = "clock_start = " + aged;
  kept_ = RecordedFiles(db, "AND coalesce(clock_start, '') <> " + aged);
  aged_cabs_ = Scalar(db, "SELECT count(*) FROM cabs WHERE " + is_aged);
  aged_cab_bytes_ = Scalar(db, "SELECT coalesce(sum(file_size), 0) FROM cabs WHERE " + is_aged);
  aged_report_bytes_ = Scalar(db, "SELECT sum(file_size) FROM executions WHERE " + is_aged);
  aged_rows_ = Scalar(db, "SELECT count(*) FROM failures WHERE " + is_aged);
  kept_rows_ = Scalar(db, "SELECT count(*) FROM failures") - aged_rows_;
  REQUIRE(aged_cabs_ > 0);
  REQUIRE(aged_rows_ > 0);
  REQUIRE(kept_rows_ > 0);
  REQUIRE(Scalar(db, "SELECT count(*) FROM executions WHERE state = 'ingested'") == 2);
  // Nothing else is due: everything not aged lies within the window.
  const std::string cutoff = util::FormatTimestamp(retention::SweepCutoff(options_));
  REQUIRE(Scalar(db, "SELECT count(*) FROM failures WHERE clock_start < '" + cutoff + "'") ==
          aged_rows_);
  REQUIRE(Scalar(db,
                 "SELECT count(*) FROM cabs WHERE state = 'fetched' AND "
                 "coalesce(clock_start, downloaded_at, first_seen) < '" +
                     cutoff + "'") == aged_cabs_);
}

// Nothing due remains, nothing not due is lost, and the audit adds up.
void SweepScenario::Check(db::Database& db, const std::string& state_dir, Violations& v) {
  CheckStore(db, state_dir, kept_, v);  // also: the aged files, the orphan, the partial gone
  if (Scalar(db, "SELECT count(*) FROM cabs WHERE state = 'purged'") != aged_cabs_) {
    v.Add("not every aged cab is purged");
  }
  if (Scalar(db, "SELECT count(*) FROM executions WHERE state = 'purged'") != 1 ||
      Scalar(db, "SELECT count(*) FROM executions WHERE state = 'ingested'") != 1) {
    v.Add("the aged report is not purged, or the other one not kept");
  }
  if (Scalar(db, "SELECT count(*) FROM failures") != kept_rows_) v.Add("rows: wrong count left");
  if (Scalar(db, "SELECT count(*) FROM sweeps WHERE finished_at IS NULL") != 0) {
    v.Add("a sweep's audit row is not finished");
  }
  const auto audit = Rows(db,
                          "SELECT sum(cabs_deleted), sum(cab_bytes), sum(reports_deleted), "
                          "sum(report_bytes), sum(rows_deleted), sum(partials_deleted) FROM sweeps",
                          6);
  const std::vector<std::string> want = {
      std::to_string(aged_cabs_), std::to_string(aged_cab_bytes_), "1",
      std::to_string(aged_report_bytes_), std::to_string(aged_rows_)};
  if (audit.size() != 1 ||
      std::vector<std::string>(audit[0].begin(), audit[0].begin() + 5) != want ||
      std::stoll(audit[0][5]) > 1) {
    v.Add("the audit rows do not add up to what went");
  }
}

TEST_CASE("power cut at every call of a retention sweep: nothing due left, nothing else lost") {
  Harness h(SmallDataSet());
  SweepScenario scenario(h);
  const Figures f = Drive(scenario);
  CHECK(f.calls > 0);
  CHECK(f.violations == 0);
}

}  // namespace
}  // namespace hdc::testing
