#include "db/database.h"

#include <filesystem>
#include <string>

#include <doctest/doctest.h>

#include "support/file_mode.h"
#include "support/skip.h"
#include "support/temp_dir.h"

namespace hdc::db {
namespace {

std::unique_ptr<Database> OpenIn(const hdc::testing::TempDir& dir) {
  auto db = Database::Open({dir / "state.db"});
  REQUIRE_MESSAGE(db.ok(), db.status().message());
  return std::move(db).value();
}

std::string QueryText(Database& db, const std::string& sql) {
  auto stmt = db.Prepare(sql);
  REQUIRE_MESSAGE(stmt.ok(), stmt.status().message());
  auto row = stmt->Step();
  REQUIRE(row.ok());
  REQUIRE(*row);
  return stmt->ColumnText(0);
}

TEST_CASE("opening a new database sets every pragma and applies the migrations") {
  hdc::testing::TempDir dir;
  auto db = OpenIn(dir);
  CHECK(QueryText(*db, "PRAGMA journal_mode") == "wal");
  CHECK(QueryText(*db, "PRAGMA synchronous") == "2");  // FULL
  CHECK(QueryText(*db, "PRAGMA foreign_keys") == "1");
  CHECK(QueryText(*db, "PRAGMA secure_delete") == "1");
  CHECK(db->SchemaVersion() == LatestSchemaVersion());
  CHECK(LatestSchemaVersion() >= 1);
  CHECK(QueryText(*db, "PRAGMA user_version") == std::to_string(LatestSchemaVersion()));
  for (const char* table : {"jobs", "remote_templates", "remote_schedules", "intents", "executions",
                            "failures", "cabs", "sweeps"}) {
    INFO(table);
    CHECK(QueryText(*db, std::string("SELECT count(*) FROM sqlite_master WHERE name = '") + table +
                             "'") == "1");
  }
}

TEST_CASE("the database file is readable by its owner only") {
  HDC_SKIP_ON_WINDOWS("POSIX mode bits; on Windows access comes from the ACL of the state folder");
  hdc::testing::TempDir dir;
  auto db = OpenIn(dir);
  CHECK_POSIX_MODE(dir / "state.db", 0600u);
}

TEST_CASE("reopening keeps the data and applies nothing twice") {
  hdc::testing::TempDir dir;
  {
    auto db = OpenIn(dir);
    REQUIRE(db->Exec("INSERT INTO sweeps (started_at, cutoff) VALUES ('a', 'b')").ok());
  }
  auto db = OpenIn(dir);
  CHECK(QueryText(*db, "SELECT count(*) FROM sweeps") == "1");
}

// The schema exactly as db/003_typed_columns.sql left it (version 3), from
// a new database: no account on the jobs.
void UndoMigration4(Database& db) {
  REQUIRE(db.Exec("ALTER TABLE jobs DROP COLUMN account; PRAGMA user_version=3").ok());
}

// The schema exactly as db/002_query_indexes.sql left it (version 2), from
// a new database: migrations 4 and 3 undone (3's columns and wider indexes).
void UndoMigration3(Database& db) {
  UndoMigration4(db);
  REQUIRE(db.Exec("DROP INDEX failures_report_time; DROP INDEX failures_seen; "
                  "ALTER TABLE failures DROP COLUMN os_version; "
                  "ALTER TABLE failures DROP COLUMN market; "
                  "ALTER TABLE failures DROP COLUMN model; "
                  "CREATE INDEX failures_report_time ON failures (report_datetime, job_name, "
                  "event_count, driver_name, failure_name, failure_hash, driver_version); "
                  "CREATE INDEX failures_seen ON failures (coalesce(failure_time, "
                  "report_datetime), job_name, failure_hash, event_count, driver_name, "
                  "driver_version, failure_name, failure_time, report_datetime); "
                  "PRAGMA user_version=2")
              .ok());
}

// The name of the index a statement's plan reads the failures through.
std::string PlanOf(Database& db, const std::string& sql) {
  auto plan = db.Prepare("EXPLAIN QUERY PLAN " + sql);
  REQUIRE_MESSAGE(plan.ok(), plan.status().message());
  std::string out;
  while (true) {
    auto row = plan->Step();
    REQUIRE(row.ok());
    if (!*row) break;
    out += plan->ColumnText(3) + "\n";
  }
  return out;
}

TEST_CASE("a version 1 database is upgraded with the query indexes, its rows kept") {
  hdc::testing::TempDir dir;
  {
    // The schema exactly as db/001_initial.sql left it, with a row.
    auto db = OpenIn(dir);
    UndoMigration3(*db);
    REQUIRE(db->Exec("DROP INDEX failures_report_time; DROP INDEX failures_seen; "
                     "DROP INDEX failures_hash_seen; "
                     "CREATE INDEX failures_hash ON failures (failure_hash); "
                     "PRAGMA user_version=1")
                .ok());
    REQUIRE(db->Exec("INSERT INTO executions (report_id, report_datetime, job_name, "
                     "remote_status, first_seen, last_polled) VALUES ('R', 't', 'j', 'Completed', "
                     "'t', 't'); INSERT INTO failures (report_id, report_datetime, job_name, "
                     "failure_hash, row, clock_start) VALUES ('R', 't', 'j', 'h', '{}', 't')")
                .ok());
  }
  auto db = OpenIn(dir);
  CHECK(db->SchemaVersion() == LatestSchemaVersion());
  CHECK(LatestSchemaVersion() >= 2);
  CHECK(QueryText(*db,
                  "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE "
                  "type = 'index' AND tbl_name = 'failures' AND name LIKE 'failures_%' ORDER BY "
                  "name)") ==
        "failures_cab,failures_clock,failures_execution,failures_hash_seen,failures_report_time,"
        "failures_seen");
  CHECK(QueryText(*db, "SELECT failure_hash FROM failures") == "h");
  // A window over when the failure happened is read through its index.
  auto plan = db->Prepare(
      "EXPLAIN QUERY PLAN SELECT count(*) FROM failures WHERE "
      "coalesce(failure_time, report_datetime) >= '2026-11-01'");
  REQUIRE(plan.ok());
  REQUIRE(*plan->Step());
  CHECK(plan->ColumnText(3).find("failures_seen") != std::string::npos);
}

TEST_CASE("a version 3 database records every job as belonging to the account default") {
  hdc::testing::TempDir dir;
  {
    auto db = OpenIn(dir);
    UndoMigration4(*db);
    REQUIRE(db->Exec("INSERT INTO jobs (name, template_fingerprint, schedule_fingerprint, enabled, "
                     "first_seen, last_seen) VALUES ('kernel', 't', 's', 1, 't', 't')")
                .ok());
  }
  auto db = OpenIn(dir);
  CHECK(db->SchemaVersion() == LatestSchemaVersion());
  CHECK(LatestSchemaVersion() >= 4);
  CHECK(QueryText(*db, "SELECT account FROM jobs WHERE name = 'kernel'") == "default");
}

TEST_CASE("a version 2 database gets the typed columns, filled from each row's JSON") {
  hdc::testing::TempDir dir;
  {
    auto db = OpenIn(dir);
    UndoMigration3(*db);
    REQUIRE(db->Exec("INSERT INTO executions (report_id, report_datetime, job_name, "
                     "remote_status, first_seen, last_polled) VALUES ('R', 't', 'j', 'Completed', "
                     "'t', 't')")
                .ok());
    // OEM view, IHV view (OEMModel is not Model), a null and no keys at all.
    for (const char* row :
         {R"({"OSVersion":"10.0.26100","Market":"US","Model":"XPS 13","EventType":"BlueScreen"})",
          R"({"OSVersion":"10.0.22631","Market":"DE","OEMModel":"ThinkPad"})",
          R"({"OSVersion":null,"Market":"it's","Model":""})", "{}"}) {
      auto insert = db->Prepare(
          "INSERT INTO failures (report_id, report_datetime, job_name, failure_hash, row, "
          "clock_start) VALUES ('R', 't', 'j', 'h', ?1, 't')");
      REQUIRE(insert.ok());
      REQUIRE(insert->Bind(1, row).Run().ok());
    }
  }
  auto db = OpenIn(dir);
  CHECK(db->SchemaVersion() == LatestSchemaVersion());
  CHECK(LatestSchemaVersion() >= 3);
  CHECK(QueryText(*db,
                  "SELECT group_concat(coalesce(os_version, '-') || '|' || coalesce(market, '-') "
                  "|| '|' || coalesce(model, '-'), ';') FROM (SELECT * FROM failures ORDER BY "
                  "id)") == "10.0.26100|US|XPS 13;10.0.22631|DE|-;-|it's|;-|-|-");
  CHECK(QueryText(*db, "SELECT count(*) FROM failures WHERE json_valid(row)") == "4");
  CHECK(QueryText(*db,
                  "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE "
                  "type = 'index' AND tbl_name = 'failures' AND name LIKE 'failures_%' ORDER BY "
                  "name)") ==
        "failures_cab,failures_clock,failures_execution,failures_hash_seen,failures_report_time,"
        "failures_seen");
  // top, trend and compare over the new columns read a covering index only.
  const std::string top = PlanOf(
      *db,
      "SELECT os_version, market, count(*), sum(event_count) FROM failures WHERE "
      "report_datetime >= '2026-11-01' AND report_datetime <= '2026-11-08' AND job_name = 'j' "
      "AND model = 'x' GROUP BY 1, 2");
  CHECK(top.find("COVERING INDEX failures_report_time") != std::string::npos);
  const std::string trend =
      PlanOf(*db,
             "SELECT substr(coalesce(failure_time, report_datetime), 1, 10), market, failure_hash, "
             "failure_name, sum(event_count) FROM failures WHERE coalesce(failure_time, "
             "report_datetime) >= '2026-11-01' AND os_version IN ('a', 'b') GROUP BY 1, 2, 3, 4");
  CHECK(trend.find("COVERING INDEX failures_seen") != std::string::npos);
}

TEST_CASE("a database from a newer hdc-reportd is refused with the versions named") {
  hdc::testing::TempDir dir;
  {
    auto db = OpenIn(dir);
    REQUIRE(db->Exec("PRAGMA user_version=999").ok());
  }
  auto db = Database::Open({dir / "state.db"});
  REQUIRE_FALSE(db.ok());
  CHECK(db.status().message() ==
        (dir / "state.db") + ": schema version 999 is newer than this hdc-reportd understands (" +
            std::to_string(LatestSchemaVersion()) +
            "); run the newer hdc-reportd or restore a backup");
}

TEST_CASE("a write transaction rolls back unless committed") {
  hdc::testing::TempDir dir;
  auto db = OpenIn(dir);
  {
    auto tx = db->BeginWrite();
    REQUIRE(tx.ok());
    REQUIRE(db->Exec("INSERT INTO sweeps (started_at, cutoff) VALUES ('a', 'b')").ok());
  }
  CHECK(QueryText(*db, "SELECT count(*) FROM sweeps") == "0");
  {
    auto tx = db->BeginWrite();
    REQUIRE(tx.ok());
    REQUIRE(db->Exec("INSERT INTO sweeps (started_at, cutoff) VALUES ('a', 'b')").ok());
    CHECK(tx->Commit().ok());
  }
  CHECK(QueryText(*db, "SELECT count(*) FROM sweeps") == "1");
}

TEST_CASE("statements bind and read integers, text, nulls and optionals") {
  hdc::testing::TempDir dir;
  auto db = OpenIn(dir);
  auto insert = db->Prepare(
      "INSERT INTO sweeps (started_at, cutoff, cabs_deleted, finished_at) VALUES (?, ?, ?, ?)");
  REQUIRE(insert.ok());
  insert->Bind(1, "2026-01-01T00:00:00Z").Bind(2, std::string("cut")).Bind(3, 7);
  insert->Bind(4, std::optional<std::string>());
  CHECK(*insert->Run() == 1);
  insert->Reset();
  insert->Bind(1, "x").Bind(2, "y").Bind(3, std::int64_t{1} << 40);
  insert->Bind(4, std::optional<std::string>("done"));
  CHECK(*insert->Run() == 1);
  CHECK(db->LastInsertRowId() == 2);

  auto select = db->Prepare("SELECT cabs_deleted, finished_at, cutoff FROM sweeps ORDER BY id");
  REQUIRE(select.ok());
  REQUIRE(*select->Step());
  CHECK(select->ColumnInt(0) == 7);
  CHECK(select->ColumnIsNull(1));
  CHECK_FALSE(select->ColumnOptionalText(1).has_value());
  CHECK(select->ColumnText(2) == "cut");
  REQUIRE(*select->Step());
  CHECK(select->ColumnOptionalInt(0) == (std::int64_t{1} << 40));
  CHECK(select->ColumnOptionalText(1) == "done");
  CHECK_FALSE(*select->Step());
}

TEST_CASE("a statement prepared again is the kept one, reset, with no bindings left") {
  hdc::testing::TempDir dir;
  auto db = OpenIn(dir);
  const std::size_t opened = db->KeptStatements();  // Open's own pragma queries
  {
    auto first = db->Prepare("SELECT ?1");
    REQUIRE(first.ok());
    first->Bind(1, 42);
    REQUIRE(*first->Step());
    CHECK(first->ColumnInt(0) == 42);
  }  // ended with its row unread to the end
  CHECK(db->KeptStatements() == opened + 1);
  {
    auto again = db->Prepare("SELECT ?1");
    REQUIRE(again.ok());
    CHECK(db->KeptStatements() == opened);  // taken, not compiled again
    REQUIRE(*again->Step());
    CHECK(again->ColumnIsNull(0));  // the old binding is gone
    // Two of one text at once: the second is compiled; both are kept after.
    auto second = db->Prepare("SELECT ?1");
    REQUIRE(second.ok());
    second->Bind(1, 7);
    REQUIRE(*second->Step());
    CHECK(second->ColumnInt(0) == 7);
  }
  CHECK(db->KeptStatements() == opened + 2);
}

TEST_CASE("a kept statement holds no read snapshot: a checkpoint still empties the WAL") {
  hdc::testing::TempDir dir;
  auto db = OpenIn(dir);
  REQUIRE(db->Exec("INSERT INTO sweeps (started_at, cutoff) VALUES ('a', 'b'), ('c', 'd')").ok());
  const std::size_t opened = db->KeptStatements();
  {
    auto select = db->Prepare("SELECT id FROM sweeps ORDER BY id");
    REQUIRE(select.ok());
    REQUIRE(*select->Step());  // one of two rows read: a read transaction is open
  }
  REQUIRE(db->KeptStatements() == opened + 1);
  REQUIRE(db->Exec("INSERT INTO sweeps (started_at, cutoff) VALUES ('e', 'f')").ok());
  REQUIRE(db->CheckpointTruncate().ok());
  CHECK(std::filesystem::file_size(dir / "state.db-wal") == 0);
}

TEST_CASE("a statement whose step failed is kept and runs again with new bindings") {
  hdc::testing::TempDir dir;
  auto db = OpenIn(dir);
  const std::string insert = "INSERT INTO sweeps (started_at, cutoff) VALUES (?1, ?2)";
  {
    auto bad = db->Prepare(insert);
    REQUIRE(bad.ok());
    bad->Bind(1, "a");  // cutoff NULL: NOT NULL constraint
    CHECK_FALSE(bad->Run().ok());
  }
  auto good = db->Prepare(insert);
  REQUIRE(good.ok());
  good->Bind(1, "a").Bind(2, "b");
  auto changed = good->Run();
  REQUIRE_MESSAGE(changed.ok(), changed.status().message());
  CHECK(*changed == 1);
}

TEST_CASE("database: releasing memory empties the page cache, and the data reads the same") {
  hdc::testing::TempDir dir;
  auto db = OpenIn(dir);
  REQUIRE(db->Exec("CREATE TABLE filler (x TEXT)").ok());
  REQUIRE(db->Exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
                   "INSERT INTO filler SELECT printf('%.200c', 'x') FROM n")
              .ok());
  const std::string sum = QueryText(*db, "SELECT sum(length(x)) FROM filler");
  REQUIRE(sum == "400000");
  const std::int64_t held = db->CacheBytes();
  REQUIRE(held > 400000);  // the table's ~100 pages were read into the cache
  db->ReleaseMemory();
  CHECK(db->CacheBytes() < held / 10);
  CHECK(QueryText(*db, "SELECT sum(length(x)) FROM filler") == sum);
}

TEST_CASE("statements kept are bounded, and a text SQLite would shorten is never kept") {
  hdc::testing::TempDir dir;
  auto db = OpenIn(dir);
  for (std::size_t i = 0; i < kMaxKeptStatements + 10; ++i) {
    auto stmt = db->Prepare("SELECT " + std::to_string(i));
    REQUIRE(stmt.ok());
  }
  CHECK(db->KeptStatements() == kMaxKeptStatements);

  auto fresh = OpenIn(dir);
  const std::size_t opened = fresh->KeptStatements();
  { REQUIRE(fresh->Prepare("SELECT 1;\n").ok()); }  // SQLite keeps "SELECT 1;": never found
  CHECK(fresh->KeptStatements() == opened);
}

TEST_CASE("SQL errors name the database file and the statement") {
  hdc::testing::TempDir dir;
  auto db = OpenIn(dir);
  auto bad = db->Prepare("SELECT nope FROM sweeps");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == (dir / "state.db") +
                                      ": no such column: nope (while preparing SELECT nope FROM "
                                      "sweeps)");
  auto violation = db->Exec(
      "INSERT INTO intents (job_name, action, fingerprint, body, state, "
      "created_at) VALUES ('j', 'delete', 'f', '{}', 'pending', 't')");
  REQUIRE_FALSE(violation.ok());
  CHECK(violation.message().find("CHECK constraint failed") != std::string::npos);
}

TEST_CASE("database: QueryInt reads one integer, and its errors name the file and the statement") {
  hdc::testing::TempDir dir;
  auto db = OpenIn(dir);
  REQUIRE(db->Exec("INSERT INTO sweeps (started_at, cutoff) VALUES ('a', 'b'), ('c', 'd')").ok());
  auto count = QueryInt(*db, "SELECT count(*) FROM sweeps");
  REQUIRE_MESSAGE(count.ok(), count.status().message());
  CHECK(*count == 2);

  auto bad = QueryInt(*db, "SELECT count(*) FROM nope");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() ==
        (dir / "state.db") + ": no such table: nope (while preparing SELECT count(*) FROM nope)");
  auto none = QueryInt(*db, "SELECT id FROM sweeps WHERE id < 0");
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().kind() == util::ErrorKind::kInternal);
  CHECK(none.status().message() ==
        (dir / "state.db") + ": no row (while running SELECT id FROM sweeps WHERE id < 0)");
}

TEST_CASE("a second writer gets a temporary error instead of waiting forever") {
  hdc::testing::TempDir dir;
  auto first = OpenIn(dir);
  auto second = Database::Open({dir / "state.db", std::chrono::milliseconds(0)});
  REQUIRE(second.ok());
  auto tx = first->BeginWrite();
  REQUIRE(tx.ok());
  auto blocked = (*second)->BeginWrite();
  REQUIRE_FALSE(blocked.ok());
  CHECK(blocked.status().kind() == util::ErrorKind::kTemporary);
  CHECK(blocked.status().message().find("database is locked") != std::string::npos);
}

TEST_CASE("a WAL checkpoint with TRUNCATE empties the -wal file") {
  hdc::testing::TempDir dir;
  auto db = OpenIn(dir);
  REQUIRE(db->Exec("INSERT INTO sweeps (started_at, cutoff) VALUES ('a', 'b')").ok());
  CHECK(std::filesystem::file_size(dir / "state.db-wal") > 0);
  REQUIRE(db->CheckpointTruncate().ok());
  CHECK(std::filesystem::file_size(dir / "state.db-wal") == 0);
}

TEST_CASE("an unopenable path is a temporary error naming it") {
  auto db = Database::Open({"/nonexistent-dir/state.db"});
  REQUIRE_FALSE(db.ok());
  CHECK(db.status().kind() == util::ErrorKind::kTemporary);
  CHECK(db.status().message().starts_with("/nonexistent-dir/state.db: cannot open"));
}

TEST_CASE("database: a read-only connection reads, refuses writes and sees other commits") {
  hdc::testing::TempDir dir;
  auto writer = OpenIn(dir);
  DatabaseOptions options{dir / "state.db"};
  options.read_only = true;
  auto reader = Database::Open(options);
  REQUIRE_MESSAGE(reader.ok(), reader.status().message());
  CHECK((*reader)->SchemaVersion() == LatestSchemaVersion());
  auto before = (*reader)->DataVersion();
  REQUIRE(before.ok());
  CHECK_FALSE((*reader)->Exec("CREATE TABLE t (x)").ok());
  REQUIRE(writer
              ->Exec("INSERT INTO jobs VALUES ('a', 'f', 'g', 1, '2026-11-30T00:00:00Z', "
                     "'2026-11-30T00:00:00Z', 'default')")
              .ok());
  auto after = (*reader)->DataVersion();
  REQUIRE(after.ok());
  CHECK(*after != *before);
}

TEST_CASE("database: a read-only open creates nothing") {
  hdc::testing::TempDir dir;
  DatabaseOptions options{dir / "state.db"};
  options.read_only = true;
  CHECK_FALSE(Database::Open(options).ok());
  CHECK_FALSE(std::filesystem::exists(dir / "state.db"));
}

}  // namespace
}  // namespace hdc::db
