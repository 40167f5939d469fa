#include "db/listings.h"

#include <doctest/doctest.h>

#include "support/temp_dir.h"

namespace hdc::db {
namespace {

std::unique_ptr<Database> OpenIn(const hdc::testing::TempDir& dir) {
  auto db = Database::Open({dir / "state.db"});
  REQUIRE_MESSAGE(db.ok(), db.status().message());
  return std::move(db).value();
}

void Exec(Database& db, const std::string& sql) {
  const util::Status status = db.Exec(sql);
  REQUIRE_MESSAGE(status.ok(), status.message());
}

// An execution row; the state's file columns filled when it claims a file.
void AddExecution(Database& db, const std::string& job, const std::string& report_id,
                  const std::string& when, const std::string& state, std::int64_t size = 0,
                  std::int64_t rows = -1) {
  auto stmt = db.Prepare(
      "INSERT INTO executions (report_id, report_datetime, job_name, remote_status, state, "
      "attempts, file_path, file_size, file_sha256, row_count, first_seen, last_polled, "
      "last_error) VALUES (?1, ?2, ?3, 'Completed', ?4, 1, ?5, ?6, ?7, ?8, ?2, ?2, ?9)");
  REQUIRE(stmt.ok());
  const bool stored = size > 0;
  stmt->Bind(1, report_id).Bind(2, when).Bind(3, job).Bind(4, state);
  stmt->Bind(5, stored ? std::optional<std::string>("reports/" + job + "/" + report_id + "/" +
                                                    when + ".txt")
                       : std::nullopt);
  stmt->Bind(6, stored ? std::optional<std::int64_t>(size) : std::nullopt);
  stmt->Bind(7, stored ? std::optional<std::string>("sha-" + report_id + when) : std::nullopt);
  stmt->Bind(8, rows >= 0 ? std::optional<std::int64_t>(rows) : std::nullopt);
  stmt->Bind(9, state == "failed" ? std::optional<std::string>("gave up") : std::nullopt);
  auto run = stmt->Run();
  REQUIRE_MESSAGE(run.ok(), run.status().message());
}

void AddCab(Database& db, const std::string& hash, const std::string& job, const std::string& state,
            const std::string& first_seen, std::int64_t size = 0) {
  auto stmt = db.Prepare(
      "INSERT INTO cabs (cab_id_hash, job_name, state, attempts, file_path, file_size, "
      "file_sha256, container, expires_at, first_seen) "
      "VALUES (?1, ?2, ?3, 2, ?4, ?5, ?6, ?7, '2026-12-31T00:00:00Z', ?8)");
  REQUIRE(stmt.ok());
  const bool stored = size > 0;
  stmt->Bind(1, hash).Bind(2, job).Bind(3, state);
  stmt->Bind(4, stored
                    ? std::optional<std::string>("cabs/" + hash.substr(0, 2) + "/" + hash + ".cab")
                    : std::nullopt);
  stmt->Bind(5, stored ? std::optional<std::int64_t>(size) : std::nullopt);
  stmt->Bind(6, stored ? std::optional<std::string>("sha-" + hash) : std::nullopt);
  stmt->Bind(7, stored ? std::optional<std::string>("MSCF") : std::nullopt);
  stmt->Bind(8, first_seen);
  auto run = stmt->Run();
  REQUIRE_MESSAGE(run.ok(), run.status().message());
}

void AddFailure(Database& db, const std::string& job, const std::string& report_id,
                const std::string& when, const std::optional<std::string>& driver,
                std::optional<std::int64_t> events, const std::string& failure = "F") {
  auto stmt = db.Prepare(
      "INSERT INTO failures (report_id, report_datetime, job_name, driver_name, failure_name, "
      "failure_hash, driver_version, event_count, device_id, row, clock_start) "
      "VALUES (?1, ?2, ?3, ?4, ?5, 'h-' || ?5, '1.0', ?6, 'DEVICE-SECRET', '{}', ?2)");
  REQUIRE(stmt.ok());
  stmt->Bind(1, report_id).Bind(2, when).Bind(3, job).Bind(4, driver).Bind(5, failure);
  stmt->Bind(6, events);
  auto run = stmt->Run();
  REQUIRE_MESSAGE(run.ok(), run.status().message());
}

std::int64_t CountOf(const StateCounts& counts, const std::string& state) {
  for (const auto& [s, n] : counts) {
    if (s == state) return n;
  }
  return 0;
}

TEST_CASE("listings: every listing of an empty database is empty") {
  hdc::testing::TempDir dir;
  auto db = OpenIn(dir);
  auto status = ReadStatus(*db);
  REQUIRE_MESSAGE(status.ok(), status.status().message());
  CHECK(status->jobs.empty());
  CHECK(status->totals.executions.empty());
  CHECK(status->totals.cabs.empty());
  CHECK_FALSE(status->totals.last_ingested.has_value());
  CHECK(status->totals.rows == 0);
  CHECK(status->totals.report_bytes + status->totals.cab_bytes == 0);
  CHECK_FALSE(status->last_sweep.has_value());
  auto executions = ListExecutions(*db, {});
  REQUIRE(executions.ok());
  CHECK(executions->empty());
  auto cabs = ListCabs(*db, {});
  REQUIRE(cabs.ok());
  CHECK(cabs->empty());
  auto claims = ReadStoreClaims(*db);
  REQUIRE(claims.ok());
  CHECK(claims->files.empty());
  CHECK(claims->named_paths.empty());
}

TEST_CASE("listings: an in-memory database (no state.db yet) lists nothing") {
  auto db = Database::Open({":memory:"});
  REQUIRE(db.ok());
  auto status = ReadStatus(**db);
  REQUIRE(status.ok());
  CHECK(status->jobs.empty());
  auto claims = ReadStoreClaims(**db);
  REQUIRE(claims.ok());
  CHECK(claims->files.empty());
}

TEST_CASE(
    "listings: status counts each job's executions, cabs, rows and stored bytes, and the totals") {
  hdc::testing::TempDir dir;
  auto db = OpenIn(dir);
  Exec(*db,
       "INSERT INTO jobs VALUES ('kernel', 'tf', 'sf', 1, 't', 't', 'default'), ('user', 'tf', "
       "'sf', 0, 't', 't', 'default');"
       "INSERT INTO remote_templates VALUES ('T1', 'kernel', 'f', 0, 't', 't');"
       "INSERT INTO remote_schedules VALUES ('R1', 'kernel', 'T1', 'f', 1, 1, 't', 't');"
       "INSERT INTO remote_schedules VALUES ('R2', 'user', 'T2', 'f', 0, 0, 't', 't')");
  AddExecution(*db, "kernel", "R1", "2026-11-01T02:00:00Z", "ingested", 100, 3);
  AddExecution(*db, "kernel", "R1", "2026-11-02T02:00:00Z", "ingested", 200, 2);
  AddExecution(*db, "kernel", "R1", "2026-11-03T02:00:00Z", "fetched", 400);
  AddExecution(*db, "kernel", "R1", "2026-11-04T02:00:00Z", "new");
  AddExecution(*db, "kernel", "R1", "2026-11-05T02:00:00Z", "new");
  AddExecution(*db, "user", "R2", "2026-10-01T02:00:00Z", "purged", 0, 7);
  AddExecution(*db, "gone", "R9", "2026-09-01T02:00:00Z", "failed");
  AddFailure(*db, "kernel", "R1", "2026-11-01T02:00:00Z", "a.sys", 1);
  AddFailure(*db, "kernel", "R1", "2026-11-01T02:00:00Z", "a.sys", 1);
  AddFailure(*db, "kernel", "R1", "2026-11-02T02:00:00Z", "b.sys", 1);
  AddCab(*db, "aa01", "kernel", "fetched", "2026-11-01T03:00:00Z", 1000);
  AddCab(*db, "bb02", "kernel", "fetched", "2026-11-01T03:00:00Z", 24);
  AddCab(*db, "cc03", "kernel", "skipped", "2026-11-01T03:00:00Z");
  AddCab(*db, "dd04", "user", "purged", "2026-10-01T03:00:00Z");
  Exec(*db,
       "INSERT INTO sweeps (started_at, finished_at, cutoff, cabs_deleted, cab_bytes) VALUES "
       "('2026-11-01T00:00:00Z', '2026-11-01T00:00:01Z', '2026-10-02T00:00:00Z', 1, 10),"
       "('2026-11-02T00:00:00Z', NULL, '2026-10-03T00:00:00Z', 2, 20)");

  auto status = ReadStatus(*db);
  REQUIRE_MESSAGE(status.ok(), status.status().message());
  REQUIRE(status->jobs.size() == 3);
  const JobStatus& gone = status->jobs[0];
  const JobStatus& kernel = status->jobs[1];
  const JobStatus& user = status->jobs[2];
  CHECK(gone.name == "gone");
  CHECK_FALSE(gone.enabled.has_value());
  CHECK_FALSE(gone.report_id.has_value());
  CHECK(CountOf(gone.data.executions, "failed") == 1);

  CHECK(kernel.name == "kernel");
  CHECK(kernel.enabled == true);
  CHECK(kernel.template_id == "T1");
  CHECK(kernel.report_id == "R1");
  CHECK(kernel.is_active == true);
  // Life-cycle order, states without rows left out.
  CHECK(kernel.data.executions == StateCounts{{"new", 2}, {"fetched", 1}, {"ingested", 2}});
  CHECK(kernel.data.last_ingested == "2026-11-02T02:00:00Z");
  CHECK(kernel.data.rows == 3);
  CHECK(kernel.data.cabs == StateCounts{{"fetched", 2}, {"skipped", 1}});
  CHECK(kernel.data.report_bytes == 700);
  CHECK(kernel.data.cab_bytes == 1024);

  CHECK(user.enabled == false);
  CHECK_FALSE(user.template_id.has_value());
  CHECK(user.report_id == "R2");
  CHECK(user.is_active == false);
  CHECK(user.data.last_ingested == "2026-10-01T02:00:00Z");  // ingested, purged since
  CHECK(user.data.report_bytes == 0);                        // purged files are not stored

  const DataSummary& t = status->totals;
  CHECK(t.executions ==
        StateCounts{{"new", 2}, {"fetched", 1}, {"ingested", 2}, {"failed", 1}, {"purged", 1}});
  CHECK(t.cabs == StateCounts{{"fetched", 2}, {"skipped", 1}, {"purged", 1}});
  CHECK(t.last_ingested == "2026-11-02T02:00:00Z");
  CHECK(t.rows == 3);
  CHECK(t.report_bytes == 700);
  CHECK(t.cab_bytes == 1024);

  REQUIRE(status->last_sweep.has_value());
  CHECK(status->last_sweep->id == 2);
  CHECK(status->last_sweep->started_at == "2026-11-02T00:00:00Z");
  CHECK_FALSE(status->last_sweep->finished_at.has_value());
  CHECK(status->last_sweep->cabs_deleted == 2);
  CHECK(status->last_sweep->cab_bytes == 20);
}

TEST_CASE("listings: executions are listed newest first and filtered by job, state and limit") {
  hdc::testing::TempDir dir;
  auto db = OpenIn(dir);
  AddExecution(*db, "kernel", "R1", "2026-11-01T02:00:00Z", "ingested", 100, 3);
  AddExecution(*db, "kernel", "R1", "2026-11-03T02:00:00Z", "new");
  AddExecution(*db, "user", "R2", "2026-11-02T02:00:00Z", "failed");
  AddExecution(*db, "kernel", "R1", "2026-11-02T02:00:00Z", "ingested", 50, 0);

  auto all = ListExecutions(*db, {});
  REQUIRE(all.ok());
  REQUIRE(all->size() == 4);
  CHECK((*all)[0].report_datetime == "2026-11-03T02:00:00Z");
  CHECK((*all)[1].report_datetime == "2026-11-02T02:00:00Z");
  CHECK((*all)[1].report_id == "R2");  // same time: report id descending
  CHECK((*all)[2].report_id == "R1");
  CHECK((*all)[3].report_datetime == "2026-11-01T02:00:00Z");
  const ExecutionRow& oldest = (*all)[3];
  CHECK(oldest.job == "kernel");
  CHECK(oldest.remote_status == "Completed");
  CHECK(oldest.state == "ingested");
  CHECK(oldest.attempts == 1);
  CHECK(oldest.rows == 3);
  CHECK(oldest.size == 100);
  CHECK_FALSE(oldest.last_error.has_value());
  CHECK((*all)[0].rows == std::nullopt);
  CHECK((*all)[0].size == std::nullopt);
  CHECK((*all)[1].last_error == "gave up");

  auto kernel = ListExecutions(*db, {"kernel", std::nullopt, 50, std::nullopt});
  REQUIRE(kernel.ok());
  CHECK(kernel->size() == 3);
  auto ingested = ListExecutions(*db, {"kernel", "ingested", 50, std::nullopt});
  REQUIRE(ingested.ok());
  REQUIRE(ingested->size() == 2);
  CHECK((*ingested)[0].report_datetime == "2026-11-02T02:00:00Z");
  auto none = ListExecutions(*db, {"nobody", std::nullopt, 50, std::nullopt});
  REQUIRE(none.ok());
  CHECK(none->empty());
  auto two = ListExecutions(*db, {std::nullopt, std::nullopt, 2, std::nullopt});
  REQUIRE(two.ok());
  CHECK(two->size() == 2);
  auto unlimited = ListExecutions(*db, {std::nullopt, std::nullopt, 0, std::nullopt});
  REQUIRE(unlimited.ok());
  CHECK(unlimited->size() == 4);
}

TEST_CASE("listings: cabs are listed newest first and filtered by job, state and limit") {
  hdc::testing::TempDir dir;
  auto db = OpenIn(dir);
  AddCab(*db, "aa01", "kernel", "fetched", "2026-11-01T03:00:00Z", 1000);
  AddCab(*db, "bb02", "kernel", "pending", "2026-11-02T03:00:00Z");
  AddCab(*db, "cc03", "user", "fetched", "2026-11-02T03:00:00Z", 5);

  auto all = ListCabs(*db, {});
  REQUIRE(all.ok());
  REQUIRE(all->size() == 3);
  CHECK((*all)[0].cab_id_hash == "bb02");
  CHECK((*all)[1].cab_id_hash == "cc03");
  CHECK((*all)[2].cab_id_hash == "aa01");
  const CabRow& a = (*all)[2];
  CHECK(a.job == "kernel");
  CHECK(a.state == "fetched");
  CHECK(a.attempts == 2);
  CHECK(a.size == 1000);
  CHECK(a.container == "MSCF");
  CHECK(a.expires_at == "2026-12-31T00:00:00Z");
  CHECK_FALSE(a.last_error.has_value());
  CHECK_FALSE((*all)[0].size.has_value());

  auto fetched = ListCabs(*db, {std::nullopt, "fetched", 50, std::nullopt});
  REQUIRE(fetched.ok());
  CHECK(fetched->size() == 2);
  auto kernel_fetched = ListCabs(*db, {"kernel", "fetched", 50, std::nullopt});
  REQUIRE(kernel_fetched.ok());
  REQUIRE(kernel_fetched->size() == 1);
  CHECK((*kernel_fetched)[0].cab_id_hash == "aa01");
  auto one = ListCabs(*db, {std::nullopt, std::nullopt, 1, std::nullopt});
  REQUIRE(one.ok());
  CHECK(one->size() == 1);
}

TEST_CASE("listings: an unknown execution or cab state is a usage error naming the states") {
  hdc::testing::TempDir dir;
  auto db = OpenIn(dir);
  auto executions = ListExecutions(*db, {std::nullopt, "done", 50, std::nullopt});
  REQUIRE_FALSE(executions.ok());
  CHECK(executions.status().kind() == util::ErrorKind::kUsage);
  CHECK(executions.status().message() ==
        "unknown execution state 'done' (one of new, fetching, fetched, ingested, failed, "
        "purged)");
  auto cabs = ListCabs(*db, {std::nullopt, "ingested", 50, std::nullopt});
  REQUIRE_FALSE(cabs.ok());
  CHECK(cabs.status().kind() == util::ErrorKind::kUsage);
  CHECK(cabs.status().message() ==
        "unknown cab state 'ingested' (one of pending, fetching, fetched, skipped, failed, "
        "purged)");
  CHECK(CheckFilter(ExecutionFilter{std::nullopt, "ingested", 50, std::nullopt}).ok());
  CHECK(CheckFilter(CabFilter{std::nullopt, "skipped", 50, std::nullopt}).ok());
}

TEST_CASE(
    "listings: store claims list every row that says its file is stored, and every name in use") {
  hdc::testing::TempDir dir;
  auto db = OpenIn(dir);
  AddExecution(*db, "kernel", "R1", "2026-11-02T02:00:00Z", "ingested", 100, 3);
  AddExecution(*db, "kernel", "R1", "2026-11-01T02:00:00Z", "fetched", 50);
  AddExecution(*db, "kernel", "R1", "2026-11-03T02:00:00Z", "new", 70);  // ingest failed: retry
  AddExecution(*db, "kernel", "R1", "2026-11-04T02:00:00Z", "purged", 80);
  AddExecution(*db, "kernel", "R1", "2026-11-05T02:00:00Z", "new");
  AddCab(*db, "bb02", "kernel", "fetched", "2026-11-01T03:00:00Z", 24);
  AddCab(*db, "aa01", "kernel", "fetched", "2026-11-01T03:00:00Z", 1000);
  AddCab(*db, "cc03", "kernel", "purged", "2026-11-01T03:00:00Z", 5);
  AddCab(*db, "dd04", "kernel", "skipped", "2026-11-01T03:00:00Z");
  // A row that says "fetched" but recorded no file is listed too (verify
  // reports it).
  Exec(*db,
       "INSERT INTO cabs (cab_id_hash, job_name, state, first_seen) VALUES ('ee05', 'kernel', "
       "'fetched', 't')");

  auto claims = ReadStoreClaims(*db);
  REQUIRE_MESSAGE(claims.ok(), claims.status().message());
  REQUIRE(claims->files.size() == 5);
  const StoredFile& first = claims->files[0];
  CHECK(first.kind == "report");
  CHECK(first.id == "R1");
  CHECK(first.run == "2026-11-01T02:00:00Z");
  CHECK(first.job == "kernel");
  CHECK(first.state == "fetched");
  CHECK(first.path == "reports/kernel/R1/2026-11-01T02:00:00Z.txt");
  CHECK(first.size == 50);
  CHECK(first.sha256 == "sha-R12026-11-01T02:00:00Z");
  CHECK(claims->files[1].run == "2026-11-02T02:00:00Z");
  CHECK(claims->files[1].state == "ingested");
  CHECK(claims->files[2].kind == "cab");
  CHECK(claims->files[2].id == "aa01");
  CHECK(claims->files[2].run.empty());
  CHECK(claims->files[2].path == "cabs/aa/aa01.cab");
  CHECK(claims->files[2].size == 1000);
  CHECK(claims->files[2].sha256 == "sha-aa01");
  CHECK(claims->files[3].id == "bb02");
  CHECK(claims->files[4].id == "ee05");
  CHECK_FALSE(claims->files[4].path.has_value());
  CHECK_FALSE(claims->files[4].sha256.has_value());

  // Also the file of the run that waits for a retry; not those of purged rows.
  CHECK(claims->named_paths == std::set<std::string>{"reports/kernel/R1/2026-11-01T02:00:00Z.txt",
                                                     "reports/kernel/R1/2026-11-02T02:00:00Z.txt",
                                                     "reports/kernel/R1/2026-11-03T02:00:00Z.txt",
                                                     "cabs/aa/aa01.cab", "cabs/bb/bb02.cab"});
}

namespace listings_accounts {

void AddJob(Database& db, const std::string& name, const std::string& account) {
  auto stmt = db.Prepare(
      "INSERT INTO jobs (name, template_fingerprint, schedule_fingerprint, enabled, first_seen, "
      "last_seen, account) VALUES (?1, 't', 's', 1, 't', 't', ?2)");
  REQUIRE(stmt.ok());
  stmt->Bind(1, name).Bind(2, account);
  REQUIRE(stmt->Run().ok());
}

}  // namespace listings_accounts

TEST_CASE("executions and cabs filtered by account list only the jobs recorded under it") {
  hdc::testing::TempDir dir;
  auto db = OpenIn(dir);
  listings_accounts::AddJob(*db, "kernel", "a");
  listings_accounts::AddJob(*db, "oem", "b");
  AddExecution(*db, "kernel", "R1", "2026-12-01T00:00:00Z", "new");
  AddExecution(*db, "oem", "R2", "2026-12-02T00:00:00Z", "new");
  AddCab(*db, "aa11", "kernel", "pending", "2026-12-01T00:00:00Z");
  AddCab(*db, "bb22", "oem", "pending", "2026-12-02T00:00:00Z");
  ExecutionFilter executions;
  executions.account = "b";
  auto listed = ListExecutions(*db, executions);
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  CHECK((*listed)[0].job == "oem");
  CabFilter cabs;
  cabs.account = "a";
  auto cab_rows = ListCabs(*db, cabs);
  REQUIRE(cab_rows.ok());
  REQUIRE(cab_rows->size() == 1);
  CHECK((*cab_rows)[0].job == "kernel");
  executions.account = "nobody";
  auto none = ListExecutions(*db, executions);
  REQUIRE(none.ok());
  CHECK(none->empty());
  executions.account.reset();
  auto all = ListExecutions(*db, executions);
  REQUIRE(all.ok());
  CHECK(all->size() == 2);
}

TEST_CASE("a status report kept to some jobs totals only those jobs") {
  hdc::testing::TempDir dir;
  auto db = OpenIn(dir);
  AddExecution(*db, "kernel", "R1", "2026-12-01T00:00:00Z", "new");
  AddExecution(*db, "oem", "R2", "2026-12-02T00:00:00Z", "new");
  AddExecution(*db, "oem", "R3", "2026-12-03T00:00:00Z", "new");
  auto report = ReadStatus(*db);
  REQUIRE(report.ok());
  KeepJobs(*report, {"oem"});
  REQUIRE(report->jobs.size() == 1);
  CHECK(report->jobs[0].name == "oem");
  CHECK(report->totals.executions == StateCounts{{"new", 2}});
}

}  // namespace
}  // namespace hdc::db
