// Report downloads against the emulator: every completed run stored once with
// the emulator's bytes, rows ingested, links refreshed when they expire.
#include <atomic>
#include <condition_variable>
#include <mutex>

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>
#include <doctest/doctest.h>

#include "api/listed_links.h"
#include "db/executions_table.h"
#include "download/cab_fetcher.h"
#include "download/report_fetcher.h"
#include "integration/harness.h"
#include "platform/filesystem.h"
#include "poll/poller.h"
#include "store/layout.h"
#include "support/fault_fs.h"

namespace hdc::testing {
namespace {

const char* kJob =
    "[job kernel]\nview = IHVDriver\ncolumns = FailureName, FailureHash, CabIdHash, CabType, "
    "CabExpirationTime, CabCollectionTime, ApplicationId, DeviceId, EventCount, FailureDateTime\n"
    "start = 2024-05-01T02:00:00Z\nevery = 24h\nruns = 10\n";

std::string Sha256(const std::string& data) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(data.data(), static_cast<unsigned>(data.size()));
  return Poco::DigestEngine::digestToHex(engine.digest());
}

std::int64_t Count(db::Database& db, const std::string& sql) {
  auto stmt = db.Prepare(sql);
  REQUIRE(stmt.ok());
  REQUIRE(*stmt->Step());
  return stmt->ColumnInt(0);
}

download::FetchContext ContextOf(Harness& h, const store::StoreLayout& layout,
                                 util::Random& random) {
  return {h.Connection().http(), h.Db(), platform::RealFileSystem(), layout, h.clock(), random, {}};
}

struct Pipeline {
  explicit Pipeline(Harness& h) : h_(h), layout(h.dir().path()) {
    REQUIRE(layout.EnsureDirectories(platform::RealFileSystem()).ok());
  }
  util::Result<download::ReportFetchSummary> Run(download::ReportFetchOptions options = {}) {
    auto schedules = poll::Poller::RecordedSchedules(h_.Db());
    REQUIRE(schedules.ok());
    poll::Poller poller(h_.Connection().api(), h_.Db(), h_.clock(), links);
    REQUIRE(poller.Poll(*schedules).ok());
    if (options.listed_links == nullptr) options.listed_links = links;
    download::ReportFetcher fetcher(ContextOf(h_, layout, random), h_.Connection().api(), options,
                                    {{"kernel", {true, true, {}}}});
    return fetcher.FetchReady();
  }
  Harness& h_;
  store::StoreLayout layout;
  util::Random random{3};
  api::ListedLinks* links = nullptr;  // the poll's links for the fetch, as a cycle hands them
};

// Get Report Data calls the emulator has logged.
int ReportDataCalls(Harness& h) {
  int calls = 0;
  for (const auto& r : h.emu().Admin("GET", "requests").json()) {
    if (r["path"].get<std::string>().find("/reportdata/") != std::string::npos) ++calls;
  }
  return calls;
}

TEST_CASE("every completed run is stored once with the emulator's bytes and its rows ingested") {
  Harness h;
  REQUIRE(h.Reconcile(kJob).ok());
  h.clock().Advance(std::chrono::hours(75));  // May 4 03:00: the 02:00 runs of May 1-4 completed
  Pipeline p(h);
  auto first = p.Run();
  REQUIRE_MESSAGE(first.ok(), first.status().message());
  REQUIRE_MESSAGE(first->problems.empty(), first->problems[0].message());
  CHECK(first->reports == 4);
  CHECK(first->rows > 0);
  CHECK(Count(h.Db(), "SELECT count(*) FROM failures") == first->rows);
  CHECK(Count(h.Db(), "SELECT count(*) FROM executions WHERE state = 'ingested'") == 4);
  CHECK(Count(h.Db(), "SELECT count(*) FROM cabs WHERE state = 'pending'") == first->cabs_new);

  // The stored bytes are the emulator's bytes.
  auto stmt = h.Db().Prepare(
      "SELECT report_id, report_datetime, file_path, file_sha256 FROM "
      "executions WHERE state = 'ingested'");
  REQUIRE(stmt.ok());
  int compared = 0;
  while (*stmt->Step()) {
    const std::string day = stmt->ColumnText(1).substr(0, 10);
    auto listed = h.emu().Get("/analytics/driver/reportdata/" + stmt->ColumnText(0) +
                              "?startDate=" + day + "&endDate=" + day);
    REQUIRE(listed.status == 200);
    const std::string link = listed.json()["data"][0]["ReportLocation"].get<std::string>();
    auto blob = emulator::testing::Http("GET", link);
    REQUIRE(blob.status == 200);
    CHECK(Sha256(blob.body) == stmt->ColumnText(3));
    auto stored =
        platform::RealFileSystem().ReadFile(h.dir().path() + "/store/" + stmt->ColumnText(2));
    REQUIRE(stored.ok());
    CHECK(*stored == blob.body);
    ++compared;
  }
  CHECK(compared == 4);

  auto second = p.Run();
  REQUIRE(second.ok());
  CHECK(second->reports == 0);  // nothing downloaded twice
  CHECK(Count(h.Db(), "SELECT count(*) FROM failures") == first->rows);
  for (const auto& r : h.emu().Admin("GET", "requests").json()) {
    if (r["host"].get<std::string>().find("127.0.0.2") != std::string::npos) {
      CHECK_FALSE(r["authorization"].get<bool>());
    }
  }
}

TEST_CASE("the links a poll listed serve the report fetches after it, each once") {
  for (const bool handed : {true, false}) {
    CAPTURE(handed);
    Harness h;
    REQUIRE(h.Reconcile(kJob).ok());
    h.clock().Advance(std::chrono::hours(75));  // four completed runs
    REQUIRE(h.emu().Admin("DELETE", "requests").status < 300);
    Pipeline p(h);
    api::ListedLinks links;
    if (handed) p.links = &links;
    auto run = p.Run();
    REQUIRE_MESSAGE(run.ok(), run.status().message());
    REQUIRE_MESSAGE(run->problems.empty(), run->problems[0].message());
    CHECK(run->reports == 4);
    CHECK(Count(h.Db(), "SELECT count(*) FROM executions WHERE state = 'ingested'") == 4);
    // The poll's one listing; without the links, one more per report (the control).
    CHECK(ReportDataCalls(h) == (handed ? 1 : 5));
    CHECK(links.size() == 0);  // each link handed out once
  }
}

TEST_CASE("a listed link the blob host refuses as expired is replaced by a fresh one") {
  Harness h;
  REQUIRE(h.Reconcile(kJob).ok());
  h.clock().Advance(std::chrono::hours(3));  // one completed run
  // The poll's listing hands out an already expired link.
  h.SetFaults({{{"endpoint", "reportdata"}, {"kind", "sas_expired"}, {"nth", 1}, {"count", 1}}});
  REQUIRE(h.emu().Admin("DELETE", "requests").status < 300);
  Pipeline p(h);
  api::ListedLinks links;
  p.links = &links;
  auto run = p.Run();
  REQUIRE_MESSAGE(run.ok(), run.status().message());
  REQUIRE_MESSAGE(run->problems.empty(), run->problems[0].message());
  CHECK(run->reports == 1);
  CHECK(ReportDataCalls(h) == 2);  // the poll's listing, then the fresh link after the 403
}

TEST_CASE("an expired link is refreshed and truncated bodies are fetched again") {
  Harness h;
  REQUIRE(h.Reconcile(kJob).ok());
  h.clock().Advance(std::chrono::hours(3));  // 03:00: one completed run
  // The link asked for before the download (the second listing) has expired; the blob host's
  // 403 asks for a third. (A sas_expired rule on blob.report never fires: links are signed by
  // reportdata.)
  h.SetFaults({{{"endpoint", "reportdata"}, {"kind", "sas_expired"}, {"nth", 2}, {"count", 1}},
               {{"endpoint", "blob.report"}, {"kind", "short_body"}, {"nth", 2}, {"count", 1}}});
  Pipeline p(h);
  auto run = p.Run();
  REQUIRE_MESSAGE(run.ok(), run.status().message());
  REQUIRE_MESSAGE(run->problems.empty(), run->problems[0].message());
  CHECK(run->reports == 1);
  CHECK(ReportDataCalls(h) == 3);
  CHECK(Count(h.Db(), "SELECT count(*) FROM executions WHERE state = 'ingested'") == 1);
  auto tmp = platform::RealFileSystem().List(h.dir().path() + "/store/tmp");
  REQUIRE(tmp.ok());
  CHECK(tmp->empty());
}

TEST_CASE("a blob host that keeps failing leaves the run for the next time and no file") {
  Harness h;
  REQUIRE(h.Reconcile(kJob).ok());
  h.clock().Advance(std::chrono::hours(3));
  h.SetFaults({{{"endpoint", "blob.report"}, {"kind", "status"}, {"status", 500}}});
  Pipeline p(h);
  auto run = p.Run();
  REQUIRE(run.ok());
  CHECK(run->reports == 0);
  REQUIRE(run->problems.size() == 1);
  CHECK(run->problems[0].kind() == util::ErrorKind::kUnavailable);
  CHECK(run->problems[0].message().find("sig=") == std::string::npos);
  CHECK(Count(h.Db(), "SELECT count(*) FROM executions WHERE state = 'new'") == 1);
  CHECK(Count(h.Db(), "SELECT count(*) FROM failures") == 0);
  h.SetFaults(nlohmann::json::array());
  auto retried = p.Run();
  REQUIRE(retried.ok());
  CHECK(retried->reports == 1);
}

}  // namespace
}  // namespace hdc::testing

namespace hdc::testing {
namespace {

// The cab fetcher of the job kernel over `http` and `fs` (else the
// harness's client and the real file system), its API clients the harness's.
download::CabFetcher CabFetcherOver(Harness& h, Pipeline& p, download::CabFetchOptions options,
                                    http::HttpClient* http = nullptr,
                                    platform::FileSystem* fs = nullptr) {
  return download::CabFetcher({http != nullptr ? *http : h.Connection().http(),
                               h.Db(),
                               fs != nullptr ? *fs : platform::RealFileSystem(),
                               p.layout,
                               h.clock(),
                               p.random,
                               {}},
                              [&h](util::Random& r) { return h.Connection().NewApiClient(r); },
                              options, {{"kernel", {true, true, {}}}});
}

util::Result<download::CabFetchSummary> FetchCabs(Harness& h, Pipeline& p,
                                                  download::CabFetchOptions options = {}) {
  return CabFetcherOver(h, p, options).FetchPending();
}

TEST_CASE(
    "cabs are fetched once, a failing blob host leaves them pending, a hostile id is refused") {
  Harness h;
  REQUIRE(h.Reconcile(kJob).ok());
  h.clock().Advance(std::chrono::hours(3));
  Pipeline p(h);
  REQUIRE(p.Run().ok());
  const std::int64_t pending = Count(h.Db(), "SELECT count(*) FROM cabs WHERE state = 'pending'");
  REQUIRE(pending > 0);
  // A cab id from the server that is not a plain token never becomes a path.
  REQUIRE(h.Db()
              .Exec("INSERT INTO cabs (cab_id_hash, job_name, application_id, first_seen) "
                    "VALUES ('../../etc/passwd', 'kernel', '1', 'x')")
              .ok());

  h.SetFaults({{{"endpoint", "blob.cab"}, {"kind", "status"}, {"status", 503}}});
  auto failing = FetchCabs(h, p);
  REQUIRE(failing.ok());
  CHECK(failing->fetched == 0);
  CHECK(Count(h.Db(), "SELECT count(*) FROM cabs WHERE state = 'pending'") == pending);
  CHECK(Count(h.Db(),
              "SELECT count(*) FROM cabs WHERE cab_id_hash = '../../etc/passwd' AND "
              "state = 'failed' AND last_error LIKE '%not a plain token%'") == 1);

  // Each failed cab waits before its next attempt, across runs.
  CHECK(Count(h.Db(),
              "SELECT count(*) FROM cabs WHERE state = 'pending' AND attempts = 1 AND "
              "next_attempt_at IS NOT NULL") == pending);
  h.SetFaults(nlohmann::json::array());
  auto too_soon = FetchCabs(h, p);  // the retries of the failing run moved the clock on
  REQUIRE(too_soon.ok());
  CHECK(too_soon->deferred > 0);
  CHECK(too_soon->fetched + too_soon->skipped + too_soon->deferred == pending);
  h.clock().Advance(std::chrono::minutes(15));  // retry_base: the longest first wait
  auto fetched = FetchCabs(h, p);
  REQUIRE(fetched.ok());
  CHECK(fetched->deferred == 0);
  const int all_fetched = too_soon->fetched + fetched->fetched;
  CHECK(all_fetched + too_soon->skipped + fetched->skipped == pending);
  CHECK(Count(h.Db(), "SELECT count(*) FROM cabs WHERE state = 'fetched' AND container = 'MSCF'") ==
        all_fetched);
  auto again = FetchCabs(h, p);
  REQUIRE(again.ok());
  CHECK(again->fetched == 0);

  // Past its expiration a cab is skipped without asking the service.
  REQUIRE(h.Db()
              .Exec("INSERT INTO cabs (cab_id_hash, job_name, application_id, expires_at, "
                    "first_seen) VALUES ('c-expired', 'kernel', '1', '2024-04-01T00:00:00Z', 'x')")
              .ok());
  auto expired = FetchCabs(h, p);
  REQUIRE(expired.ok());
  CHECK(expired->skipped == 1);
  CHECK(Count(h.Db(),
              "SELECT count(*) FROM cabs WHERE cab_id_hash = 'c-expired' AND state = 'skipped'") ==
        1);

  // The skips of a run are one transaction (after a long outage thousands
  // of them, a commit each cost more than the downloads): when the last one
  // cannot be written, none is.
  for (int i = 0; i < 40; ++i) {
    REQUIRE(h.Db()
                .Exec("INSERT INTO cabs (cab_id_hash, job_name, application_id, expires_at, "
                      "first_seen) VALUES ('c-gone" +
                      std::to_string(i) + "', 'kernel', '1', '2024-04-01T00:00:00Z', 'x')")
                .ok());
  }
  REQUIRE(h.Db()
              .Exec("CREATE TRIGGER refuse_skip BEFORE UPDATE OF state ON cabs WHEN "
                    "NEW.cab_id_hash = 'c-gone39' BEGIN SELECT RAISE(ABORT, 'disk I/O error'); "
                    "END")
              .ok());
  CHECK_FALSE(FetchCabs(h, p).ok());
  CHECK(Count(h.Db(),
              "SELECT count(*) FROM cabs WHERE cab_id_hash LIKE 'c-gone%' AND "
              "state = 'pending'") == 40);
  REQUIRE(h.Db().Exec("DROP TRIGGER refuse_skip").ok());
  auto gone = FetchCabs(h, p);
  REQUIRE(gone.ok());
  CHECK(gone->skipped == 40);
  CHECK(gone->fetched == 0);
  CHECK(Count(h.Db(),
              "SELECT count(*) FROM cabs WHERE cab_id_hash LIKE 'c-gone%' AND "
              "state = 'skipped' AND last_error = 'expired before download'") == 40);

  // Past the retention cutoff a cab is skipped too: never fetched only to be purged.
  REQUIRE(h.Db()
              .Exec("INSERT INTO cabs (cab_id_hash, job_name, application_id, clock_start, "
                    "first_seen) VALUES ('c-old', 'kernel', '1', '2020-01-01T00:00:00Z', 'x')")
              .ok());
  download::CabFetchOptions options;
  options.retention_cutoff = h.clock().Now() - std::chrono::days(30);
  auto old = FetchCabs(h, p, options);
  REQUIRE(old.ok());
  CHECK(old->skipped == 1);
  CHECK(old->fetched == 0);
  CHECK(Count(h.Db(),
              "SELECT count(*) FROM cabs WHERE cab_id_hash = 'c-old' AND state = 'skipped' "
              "AND last_error LIKE 'retention window%'") == 1);
}

}  // namespace
}  // namespace hdc::testing

namespace hdc::testing {
namespace {

TEST_CASE("cab downloads share max_bandwidth: the clock moves at least bytes / rate") {
  Harness h;
  REQUIRE(h.Reconcile(kJob).ok());
  h.clock().Advance(std::chrono::hours(3));
  Pipeline p(h);
  REQUIRE(p.Run().ok());
  download::CabFetchOptions options;
  options.concurrency = 4;
  options.max_bandwidth = 256 * 1024;  // bytes/s over all four workers
  const util::TimePoint before = h.clock().Now();
  auto fetched = FetchCabs(h, p, options);
  REQUIRE_MESSAGE(fetched.ok(), fetched.status().ToString());
  REQUIRE(fetched->fetched > 4);
  const auto elapsed = h.clock().Now() - before;
  // The limiter lets a 250 ms burst through at once; everything else waits.
  const auto floor = std::chrono::milliseconds(
      static_cast<std::int64_t>(fetched->bytes * 1000 / options.max_bandwidth) - 250);
  CHECK(elapsed >= floor);
  CHECK(Count(h.Db(), "SELECT count(*) FROM cabs WHERE state = 'fetched'") == fetched->fetched);
}

}  // namespace
}  // namespace hdc::testing

namespace hdc::testing {
namespace {

std::size_t FilesUnder(const std::string& dir) {
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    files += entry.is_regular_file() ? 1 : 0;
  }
  return files;
}

// A full disk refuses the row after the file was promoted (SQLITE_FULL in
// the run that filled the tmpfs of e2e.disk_full_test); a trigger refuses it
// here, deterministically. The file must leave again: no file without a row.
TEST_CASE("a promoted file whose row cannot be written leaves the store again") {
  Harness h;
  REQUIRE(h.Reconcile(kJob).ok());
  h.clock().Advance(std::chrono::hours(3));
  Pipeline p(h);
  REQUIRE(h.Db()
              .Exec("CREATE TRIGGER refuse_report BEFORE UPDATE OF state ON executions "
                    "WHEN NEW.state = 'fetched' BEGIN SELECT RAISE(ABORT, 'database or disk "
                    "is full'); END")
              .ok());
  auto report = p.Run();
  CHECK_FALSE((report.ok() && report->problems.empty()));
  CHECK(FilesUnder(p.layout.reports_dir()) == 0);
  CHECK(Count(h.Db(), "SELECT count(*) FROM executions WHERE file_path IS NOT NULL") == 0);
  REQUIRE(h.Db().Exec("DROP TRIGGER refuse_report").ok());
  auto stored = p.Run();
  REQUIRE(stored.ok());
  CHECK(stored->reports == 1);
  CHECK(FilesUnder(p.layout.reports_dir()) == 1);

  const std::int64_t pending = Count(h.Db(), "SELECT count(*) FROM cabs WHERE state = 'pending'");
  REQUIRE(pending > 0);
  REQUIRE(h.Db()
              .Exec("CREATE TRIGGER refuse_cab BEFORE UPDATE OF state ON cabs "
                    "WHEN NEW.state = 'fetched' BEGIN SELECT RAISE(ABORT, 'database or disk "
                    "is full'); END")
              .ok());
  for (int concurrency : {1, 4}) {
    CAPTURE(concurrency);
    download::CabFetchOptions options;
    options.concurrency = concurrency;
    auto refused = FetchCabs(h, p, options);
    CHECK_FALSE((refused.ok() && refused->problems.empty()));
    CHECK(FilesUnder(p.layout.cabs_dir()) == 0);
    CHECK(Count(h.Db(), "SELECT count(*) FROM cabs WHERE state = 'fetched'") == 0);
    REQUIRE(h.Db().Exec("UPDATE cabs SET next_attempt_at = NULL").ok());
  }
  REQUIRE(h.Db().Exec("DROP TRIGGER refuse_cab").ok());
  auto fetched = FetchCabs(h, p);
  REQUIRE(fetched.ok());
  CHECK(Count(h.Db(), "SELECT count(*) FROM cabs WHERE state = 'fetched'") == fetched->fetched);
  CHECK(FilesUnder(p.layout.cabs_dir()) == static_cast<std::size_t>(fetched->fetched));
  CHECK(fetched->fetched + fetched->skipped == pending);
}

}  // namespace
}  // namespace hdc::testing

namespace hdc::testing {
namespace {

// The folder fsyncs of a group of cabs run once per group, before its
// commit. When one fails the names may not be durable: no row may say
// fetched, the files leave again, and the batch stops without charging the
// cabs (a store problem, not theirs).
TEST_CASE("a failed folder fsync before a cab group's commit records nothing and keeps no file") {
  Harness h;
  REQUIRE(h.Reconcile(kJob).ok());
  h.clock().Advance(std::chrono::hours(3));
  Pipeline p(h);
  REQUIRE(p.Run().ok());
  const std::int64_t pending = Count(h.Db(), "SELECT count(*) FROM cabs WHERE state = 'pending'");
  REQUIRE(pending > 1);
  FaultFs fs(platform::RealFileSystem());
  fs.SetRealSync(false);
  auto fetch = [&](int concurrency) {
    download::CabFetchOptions options;
    options.concurrency = concurrency;
    return CabFetcherOver(h, p, options, nullptr, &fs).FetchPending();
  };
  for (int concurrency : {1, 4}) {
    CAPTURE(concurrency);
    fs.FailAt(FaultFs::Op::kSyncDir, 1, /*persistent=*/true);
    auto refused = fetch(concurrency);
    fs.HealAll();
    const bool stopped =
        !refused.ok() || (!refused->problems.empty() && refused->problems.front().IsLocalStorage());
    CHECK(stopped);
    CHECK(FilesUnder(p.layout.cabs_dir()) == 0);
    CHECK(Count(h.Db(), "SELECT count(*) FROM cabs WHERE state = 'fetched'") == 0);
    CHECK(Count(h.Db(), "SELECT count(*) FROM cabs WHERE attempts > 0") == 0);
  }
  const std::uint64_t syncdirs = fs.calls(FaultFs::Op::kSyncDir);
  auto fetched = fetch(1);
  REQUIRE(fetched.ok());
  CHECK(fetched->fetched + fetched->skipped == pending);
  CHECK(FilesUnder(p.layout.cabs_dir()) == static_cast<std::size_t>(fetched->fetched));
  // One at a time, each group is one cab: its folder and the folder above.
  CHECK(fs.calls(FaultFs::Op::kSyncDir) - syncdirs <=
        2 * static_cast<std::uint64_t>(fetched->fetched));
}

// Holds the first `gate` fdatasyncs of cab files until gate + 1 cab temp
// files have opened, or 20 s pass: with one thread per transfer and `gate`
// transfers that never happens, and `overlapped` stays false.
class SyncGateFs final : public platform::FileSystem {
 public:
  SyncGateFs(platform::FileSystem& base, int gate) : base_(base), gate_(gate) {}

  bool overlapped() {
    std::lock_guard lock(mu_);
    return released_ > 0 && timed_out_ == 0;
  }

  util::Result<std::unique_ptr<platform::WritableFile>> OpenForWrite(const std::string& path,
                                                                     bool append) override {
    HDC_ASSIGN_OR_RETURN(auto file, base_.OpenForWrite(path, append));
    if (path.find("/cab-") == std::string::npos) return file;
    {
      std::lock_guard lock(mu_);
      ++opened_;
    }
    opened_cv_.notify_all();
    return std::unique_ptr<platform::WritableFile>(new Watched(*this, std::move(file)));
  }
  util::Result<std::unique_ptr<platform::ReadableFile>> OpenForRead(
      const std::string& path) override {
    return base_.OpenForRead(path);
  }
  util::Result<std::string> ReadFile(const std::string& path) override {
    return base_.ReadFile(path);
  }
  util::Status Rename(const std::string& from, const std::string& to) override {
    return base_.Rename(from, to);
  }
  util::Status SyncDir(const std::string& dir) override { return base_.SyncDir(dir); }
  util::Status Remove(const std::string& path) override { return base_.Remove(path); }
  util::Status CreateDirectories(const std::string& path) override {
    return base_.CreateDirectories(path);
  }
  util::Result<std::vector<platform::DirEntry>> List(const std::string& dir) override {
    return base_.List(dir);
  }
  util::Result<std::uint64_t> FileSize(const std::string& path) override {
    return base_.FileSize(path);
  }
  util::Result<std::uint64_t> FreeSpace(const std::string& path) override {
    return base_.FreeSpace(path);
  }
  bool Exists(const std::string& path) override { return base_.Exists(path); }

 private:
  class Watched final : public platform::WritableFile {
   public:
    Watched(SyncGateFs& fs, std::unique_ptr<platform::WritableFile> base)
        : fs_(fs), base_(std::move(base)) {}
    util::Status Append(std::string_view data) override { return base_->Append(data); }
    util::Status Sync() override {
      fs_.BeforeSync();
      return base_->Sync();
    }
    util::Status Close() override { return base_->Close(); }

   private:
    SyncGateFs& fs_;
    std::unique_ptr<platform::WritableFile> base_;
  };

  void BeforeSync() {
    std::unique_lock lock(mu_);
    if (++syncs_ > gate_) return;
    const bool opened =
        opened_cv_.wait_for(lock, std::chrono::seconds(20), [&] { return opened_ > gate_; });
    ++(opened ? released_ : timed_out_);
  }

  platform::FileSystem& base_;
  const int gate_;
  std::mutex mu_;
  std::condition_variable opened_cv_;
  int opened_ = 0, syncs_ = 0, released_ = 0, timed_out_ = 0;
};

// Counts the blob downloads in flight (a body streams into its sink inside
// Send) and the most at once.
class InFlightHttp final : public http::HttpClient {
 public:
  explicit InFlightHttp(http::HttpClient& base) : base_(base) {}
  int most() const { return most_; }
  util::Result<http::Response> Send(const http::Request& request, util::ByteSink& sink) override {
    const int now = ++in_flight_;
    for (int seen = most_; now > seen && !most_.compare_exchange_weak(seen, now);) {
    }
    auto response = base_.Send(request, sink);
    --in_flight_;
    return response;
  }

 private:
  http::HttpClient& base_;
  std::atomic<int> in_flight_{0}, most_{0};
};

// download_concurrency bounds the transfers, not the files being finished:
// while finished cabs fsync, the next ones download (a small cab's fsync
// takes as long as its download).
TEST_CASE("the next cabs download while finished ones sync, two transfers at a time") {
  Harness h;
  REQUIRE(h.Reconcile(kJob).ok());
  h.clock().Advance(std::chrono::hours(3));
  Pipeline p(h);
  REQUIRE(p.Run().ok());
  const std::int64_t pending = Count(h.Db(), "SELECT count(*) FROM cabs WHERE state = 'pending'");
  REQUIRE(pending > 2);
  SyncGateFs fs(platform::RealFileSystem(), /*gate=*/2);
  InFlightHttp blobs(h.Connection().http());
  download::CabFetchOptions options;
  options.concurrency = 2;
  auto fetched = CabFetcherOver(h, p, options, &blobs, &fs).FetchPending();
  REQUIRE(fetched.ok());
  CHECK(fetched->problems.empty());
  CHECK(fetched->fetched + fetched->skipped == pending);
  CHECK(fs.overlapped());
  CHECK(blobs.most() >= 1);
  CHECK(blobs.most() <= 2);
  CHECK(Count(h.Db(), "SELECT count(*) FROM cabs WHERE state = 'fetched'") == fetched->fetched);
  CHECK(FilesUnder(p.layout.cabs_dir()) == static_cast<std::size_t>(fetched->fetched));
}

// The typed checks of the fetchers: a full store (Status::IsLocalStorage)
// stops the batch without charging the items; a cab link answered 404
// (Status::http_status) is skipped.
TEST_CASE("below min_free_space the report and cab batches stop at once, nothing charged") {
  Harness h;
  REQUIRE(h.Reconcile(kJob).ok());
  h.clock().Advance(std::chrono::hours(75));  // four completed runs
  Pipeline p(h);
  download::ReportFetchOptions full;
  full.min_free_space = ~std::uint64_t{0};
  auto refused = p.Run(full);
  REQUIRE(refused.ok());
  CHECK(refused->reports == 0);
  REQUIRE(refused->problems.size() == 1);  // the first report stopped the batch
  CHECK(refused->problems[0].IsLocalStorage());
  CHECK(refused->problems[0].message().find("store: ") != std::string::npos);
  CHECK(Count(h.Db(), "SELECT count(*) FROM executions WHERE state = 'new'") == 4);

  auto stored = p.Run();
  REQUIRE(stored.ok());
  REQUIRE(stored->reports == 4);
  const std::int64_t pending = Count(h.Db(), "SELECT count(*) FROM cabs WHERE state = 'pending'");
  REQUIRE(pending > 1);
  download::CabFetchOptions no_space;
  no_space.min_free_space = ~std::uint64_t{0};
  no_space.concurrency = 1;  // one worker: exactly one problem, then the halt
  auto cabs = FetchCabs(h, p, no_space);
  REQUIRE(cabs.ok());
  CHECK(cabs->fetched == 0);
  REQUIRE(cabs->problems.size() == 1);
  CHECK(cabs->problems[0].IsLocalStorage());
  CHECK(Count(h.Db(),
              "SELECT count(*) FROM cabs WHERE state = 'pending' AND attempts = 0 AND "
              "next_attempt_at IS NULL") == pending);
}

TEST_CASE("with only_listed_jobs, the fetchers take only the jobs of their rules") {
  Harness h;
  REQUIRE(h.Reconcile(kJob).ok());
  h.clock().Advance(std::chrono::hours(51));  // the runs of May 1-3 completed
  Pipeline p(h);
  auto schedules = poll::Poller::RecordedSchedules(h.Db());
  REQUIRE(schedules.ok());
  poll::Poller poller(h.Connection().api(), h.Db(), h.clock(), nullptr);
  REQUIRE(poller.Poll(*schedules).ok());
  // Another account's fetcher: its rules name only its own job.
  const std::map<std::string, download::JobIngestRules> others{{"other", {true, true, {}}}};
  download::ReportFetchOptions report_options;
  report_options.only_listed_jobs = true;
  download::ReportFetcher reports_elsewhere(ContextOf(h, p.layout, p.random), h.Connection().api(),
                                            report_options, others);
  auto none = reports_elsewhere.FetchReady();
  REQUIRE(none.ok());
  CHECK(none->reports == 0);
  CHECK(Count(h.Db(), "SELECT count(*) FROM executions WHERE state = 'ingested'") == 0);
  // Control: the job's own account fetches them.
  auto own = p.Run(report_options);
  REQUIRE(own.ok());
  CHECK(own->reports == 3);
  REQUIRE(Count(h.Db(), "SELECT count(*) FROM cabs WHERE state = 'pending'") > 0);

  download::CabFetchOptions cab_options;
  cab_options.only_listed_jobs = true;
  download::CabFetcher cabs_elsewhere(
      ContextOf(h, p.layout, p.random),
      [&h](util::Random& r) { return h.Connection().NewApiClient(r); }, cab_options, others);
  auto no_cabs = cabs_elsewhere.FetchPending();
  REQUIRE(no_cabs.ok());
  CHECK(no_cabs->fetched == 0);
  CHECK(no_cabs->deferred == 0);
  CHECK(Count(h.Db(), "SELECT count(*) FROM cabs WHERE state = 'fetched'") == 0);
  auto own_cabs = CabFetcherOver(h, p, cab_options).FetchPending();
  REQUIRE(own_cabs.ok());
  CHECK(own_cabs->fetched > 0);
  CHECK(Count(h.Db(), "SELECT count(*) FROM cabs WHERE state = 'pending'") == 0);
}

TEST_CASE("a cab the service answers 404 for is skipped, not retried") {
  Harness h;
  REQUIRE(h.Reconcile(kJob).ok());
  Pipeline p(h);
  REQUIRE(h.Db()
              .Exec("INSERT INTO cabs (cab_id_hash, job_name, application_id, first_seen) "
                    "VALUES ('c-gone', 'kernel', '1', 'x')")
              .ok());
  auto gone = FetchCabs(h, p);
  REQUIRE(gone.ok());
  CHECK(gone->skipped == 1);
  CHECK(gone->problems.empty());
  CHECK(Count(h.Db(),
              "SELECT count(*) FROM cabs WHERE cab_id_hash = 'c-gone' AND "
              "state = 'skipped' AND attempts = 0 AND "
              "last_error = 'the service no longer has it (404)'") == 1);
}

}  // namespace
}  // namespace hdc::testing
