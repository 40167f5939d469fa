#include "download/partials.h"

#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>

#include "store/verify.h"
#include "support/temp_dir.h"

namespace hdc::download {
namespace {

std::int64_t Count(db::Database& db, const std::string& sql) {
  auto stmt = db.Prepare(sql);
  REQUIRE(stmt.ok());
  REQUIRE(*stmt->Step());
  return stmt->ColumnInt(0);
}

TEST_CASE("download recovery: resumable partials stay, the rest of store/tmp goes, rows reset") {
  testing::TempDir dir;
  auto db = db::Database::Open({dir / "state.db"});
  REQUIRE(db.ok());
  REQUIRE(
      (*db)
          ->Exec(
              "INSERT INTO cabs (cab_id_hash, job_name, state, partial_etag, first_seen) VALUES "
              "('keep', 'k', 'pending', '\"e1\"', 'x'), ('noetag', 'k', 'pending', NULL, 'x'), "
              "('done', 'k', 'fetched', '\"e2\"', 'x'), ('busy', 'k', 'fetching', '\"e3\"', 'x');"
              "INSERT INTO executions (report_id, report_datetime, job_name, remote_status, state, "
              "partial_etag, first_seen, last_polled) VALUES "
              "('5001', '2026-11-01T02:00:00Z', 'k', 'Completed', 'fetching', '\"r1\"', 'x', 'x'), "
              "('5001', '2026-11-02T02:00:00Z', 'k', 'Completed', 'ingested', '\"r2\"', 'x', 'x')")
          .ok());
  const store::StoreLayout layout(dir.path());
  const std::string tmp = dir.path() + "/store/tmp/";
  for (const char* name :
       {"cab-keep.part", "cab-noetag.part", "cab-done.part", "cab-busy.part", "cab-unknown.part",
        "report-5001-20261101T020000Z.part", "report-5001-20261102T020000Z.part", "leftover.tmp"}) {
    dir.Write("store/tmp/" + std::string(name), "partial bytes");
  }

  auto counts = RecoverDownloads(**db, platform::RealFileSystem(), layout);
  REQUIRE_MESSAGE(counts.ok(), counts.status().ToString());
  CHECK(counts->rows_reset == 2);  // the execution and the cab "fetching"
  CHECK(counts->partials_kept == 3);
  CHECK(counts->partials_removed == 4);
  CHECK(counts->strays_removed == 1);
  CHECK(std::filesystem::exists(tmp + "cab-keep.part"));
  CHECK(std::filesystem::exists(tmp + "cab-busy.part"));
  CHECK(std::filesystem::exists(tmp + "report-5001-20261101T020000Z.part"));
  CHECK_FALSE(std::filesystem::exists(tmp + "cab-noetag.part"));
  CHECK_FALSE(std::filesystem::exists(tmp + "cab-done.part"));
  CHECK_FALSE(std::filesystem::exists(tmp + "report-5001-20261102T020000Z.part"));
  CHECK(Count(**db, "SELECT count(*) FROM cabs WHERE state = 'fetching'") == 0);
  CHECK(Count(**db, "SELECT count(*) FROM executions WHERE state = 'fetching'") == 0);
}

}  // namespace
}  // namespace hdc::download

namespace hdc::download {
namespace {

TEST_CASE(
    "download recovery: a cab stored before its record was lost is adopted, not fetched again") {
  testing::TempDir dir;
  auto db = db::Database::Open({dir / "state.db"});
  REQUIRE(db.ok());
  REQUIRE((*db)
              ->Exec("INSERT INTO cabs (cab_id_hash, job_name, state, first_seen) VALUES "
                     "('abc123', 'k', 'pending', '2026-11-01T00:00:00Z'), "
                     "('def456', 'k', 'pending', '2026-11-01T00:00:00Z')")
              .ok());
  const store::StoreLayout layout(dir.path());
  REQUIRE(layout.EnsureDirectories(platform::RealFileSystem()).ok());
  auto path = layout.CabPath("abc123");
  REQUIRE(path.ok());
  std::filesystem::create_directories(std::filesystem::path(*path).parent_path());
  std::ofstream(*path, std::ios::binary) << "MSCF and the rest";

  auto counts = RecoverDownloads(**db, platform::RealFileSystem(), layout);
  REQUIRE_MESSAGE(counts.ok(), counts.status().ToString());
  CHECK(counts->files_adopted == 1);
  CHECK(Count(**db,
              "SELECT count(*) FROM cabs WHERE cab_id_hash = 'abc123' AND state = 'fetched' "
              "AND file_size = 17 AND container = 'MSCF' AND file_sha256 = "
              "'" +
                  *store::Sha256OfFile(platform::RealFileSystem(), *path) + "'") == 1);
  CHECK(Count(**db,
              "SELECT count(*) FROM cabs WHERE cab_id_hash = 'def456' AND state = 'pending'") == 1);
  CHECK(store::RecoverySummary(*counts).find("1 stored file adopted") != std::string::npos);
}

}  // namespace
}  // namespace hdc::download
