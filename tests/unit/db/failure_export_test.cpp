#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "db/listings.h"
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

// An execution and `n` failure rows of it, named "<when>#<i>".
void AddRun(Database& db, const std::string& job, const std::string& report_id,
            const std::string& when, int n) {
  Exec(db,
       "INSERT INTO executions (report_id, report_datetime, job_name, remote_status, state, "
       "first_seen, last_polled) VALUES ('" +
           report_id + "', '" + when + "', '" + job + "', 'Completed', 'ingested', '" + when +
           "', '" + when + "')");
  for (int i = 0; i < n; ++i) {
    auto stmt = db.Prepare(
        "INSERT INTO failures (report_id, report_datetime, job_name, failure_name, event_count, "
        "device_id, hardware_id, row, clock_start) VALUES (?1, ?2, ?3, ?4, ?5, 'DEV', 'HW', '{}', "
        "?2)");
    REQUIRE(stmt.ok());
    stmt->Bind(1, report_id).Bind(2, when).Bind(3, job).Bind(4, when + "#" + std::to_string(i));
    stmt->Bind(5, i);
    auto run = stmt->Run();
    REQUIRE_MESSAGE(run.ok(), run.status().message());
  }
}

std::vector<FailureRow> Export(Database& db, const ExportQuery& query) {
  std::vector<FailureRow> rows;
  const util::Status status = ForEachFailure(db, query, [&](const FailureRow& row) {
    rows.push_back(row);
    return util::Status::Ok();
  });
  REQUIRE_MESSAGE(status.ok(), status.message());
  return rows;
}

std::vector<std::string> Names(const std::vector<FailureRow>& rows) {
  std::vector<std::string> names;
  for (const FailureRow& r : rows) names.push_back(r.job_name + " " + r.failure_name.value_or("-"));
  return names;
}

TEST_CASE("export query: rows oldest first (then by id), filtered by job and since") {
  hdc::testing::TempDir dir;
  auto db = OpenIn(dir);
  AddRun(*db, "kernel", "1", "2026-11-03T02:00:00Z", 2);
  AddRun(*db, "usb", "2", "2026-11-01T02:00:00Z", 1);
  AddRun(*db, "kernel", "1", "2026-11-02T02:00:00Z", 1);
  CHECK(Names(Export(*db, {})) ==
        std::vector<std::string>{"usb 2026-11-01T02:00:00Z#0", "kernel 2026-11-02T02:00:00Z#0",
                                 "kernel 2026-11-03T02:00:00Z#0", "kernel 2026-11-03T02:00:00Z#1"});
  ExportQuery kernel;
  kernel.job = "kernel";
  CHECK(Export(*db, kernel).size() == 3);
  ExportQuery since;
  since.since = "2026-11-02T02:00:00Z";  // inclusive
  CHECK(Names(Export(*db, since)) == std::vector<std::string>{"kernel 2026-11-02T02:00:00Z#0",
                                                              "kernel 2026-11-03T02:00:00Z#0",
                                                              "kernel 2026-11-03T02:00:00Z#1"});
  ExportQuery both;
  both.job = "usb";
  both.since = "2026-11-02T00:00:00Z";
  CHECK(Export(*db, both).empty());
  ExportQuery injected;
  injected.job = "kernel' OR '1'='1";
  CHECK(Export(*db, injected).empty());
}

TEST_CASE("export query: device and hardware ids are read only when asked for") {
  hdc::testing::TempDir dir;
  auto db = OpenIn(dir);
  AddRun(*db, "kernel", "1", "2026-11-01T02:00:00Z", 1);
  const auto without = Export(*db, {});
  REQUIRE(without.size() == 1);
  CHECK_FALSE(without[0].device_id);
  CHECK_FALSE(without[0].hardware_id);
  CHECK(without[0].event_count == 0);
  ExportQuery query;
  query.with_device_ids = true;
  const auto with = Export(*db, query);
  REQUIRE(with.size() == 1);
  CHECK(with[0].device_id == "DEV");
  CHECK(with[0].hardware_id == "HW");
}

TEST_CASE("export query: the first error of the callback stops the export and is returned") {
  hdc::testing::TempDir dir;
  auto db = OpenIn(dir);
  AddRun(*db, "kernel", "1", "2026-11-01T02:00:00Z", 3);
  int calls = 0;
  const util::Status status = ForEachFailure(*db, {}, [&](const FailureRow&) {
    ++calls;
    return util::TemporaryError("stdout closed");
  });
  CHECK(calls == 1);
  CHECK(status.message() == "stdout closed");
}

}  // namespace
}  // namespace hdc::db
