#include "dashboard/data.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "support/temp_dir.h"
#include "util/time_format.h"

namespace hdc::dashboard {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kXss = "<script>alert(1)</script>";
constexpr std::string_view kDeviceCanary = "DEVICE-CANARY-7f3a";
constexpr std::string_view kHardwareCanary = "HARDWARE-CANARY-91bc";
constexpr std::string_view kCabCanary = "CAB-CANARY-55d0";

std::unique_ptr<db::Database> OpenDb(const hdc::testing::TempDir& dir) {
  auto db = db::Database::Open({dir / "state.db"});
  REQUIRE_MESSAGE(db.ok(), db.status().message());
  return std::move(db).value();
}

void Exec(db::Database& db, const std::string& sql) {
  const util::Status done = db.Exec(sql);
  REQUIRE_MESSAGE(done.ok(), done.message());
}

// One job's execution and a failure row of it with the canaries in every
// personal column (and the whole-row JSON), and a cab named by a canary.
void AddRow(db::Database& db, const std::string& hash, const std::string& name,
            const std::string& driver, const std::string& time, std::int64_t events) {
  auto exec = db.Prepare(
      "INSERT OR IGNORE INTO executions (report_id, report_datetime, job_name, remote_status, "
      "state, first_seen, last_polled) VALUES ('R1', '2026-11-29T02:00:00Z', 'kernel', "
      "'Completed', 'ingested', '2026-11-29T02:00:00Z', '2026-11-29T02:00:00Z')");
  REQUIRE(exec.ok());
  REQUIRE(exec->Run().ok());
  const Json row{{"FailureHash", hash},           {"FailureName", name},
                 {"DriverName", driver},          {"DeviceId", kDeviceCanary},
                 {"HardwareId", kHardwareCanary}, {"CabIdHash", kCabCanary}};
  auto stmt = db.Prepare(
      "INSERT INTO failures (report_id, report_datetime, job_name, failure_hash, failure_name, "
      "driver_name, driver_version, event_count, failure_time, device_id, hardware_id, "
      "cab_id_hash, row, clock_start) VALUES ('R1', '2026-11-29T02:00:00Z', 'kernel', ?1, ?2, "
      "?3, '1.0', ?4, ?5, ?6, ?7, ?8, ?9, '2026-11-29T02:00:00Z')");
  REQUIRE(stmt.ok());
  stmt->Bind(1, hash).Bind(2, name).Bind(3, driver).Bind(4, events).Bind(5, time);
  stmt->Bind(6, kDeviceCanary).Bind(7, kHardwareCanary).Bind(8, kCabCanary).Bind(9, row.dump());
  auto run = stmt->Run();
  REQUIRE_MESSAGE(run.ok(), run.status().message());
}

Window At(std::string_view now, std::int64_t days = 14) {
  auto t = util::ParseUtcStrict(now);
  REQUIRE(t.ok());
  return {*t, days};
}

void CheckNoCanary(const std::string& text) {
  CHECK(text.find(kDeviceCanary) == std::string::npos);
  CHECK(text.find(kHardwareCanary) == std::string::npos);
  CHECK(text.find(kCabCanary) == std::string::npos);
}

struct Sample {
  hdc::testing::TempDir dir;
  std::unique_ptr<db::Database> db = OpenDb(dir);
  Sample() {
    AddRow(*db, "h-xss", std::string(kXss), "a.sys", "2026-11-28T10:00:00Z", 5);
    AddRow(*db, "h-old", "old bucket", "b.sys", "2026-11-20T10:00:00Z", 3);
    AddRow(*db, "h-old", "old bucket", "b.sys", "2026-11-28T11:00:00Z", 4);
    Exec(*db, "INSERT INTO cabs (cab_id_hash, job_name, state, first_seen, file_size) VALUES ('" +
                  std::string(kCabCanary) +
                  "', 'kernel', 'fetched', '2026-11-29T02:00:00Z', 1000)");
  }
};

TEST_CASE("dashboard: the documents carry no device id, hardware id or cab name") {
  Sample s;
  const Window window = At("2026-11-30T12:00:00Z");
  auto summary = SummaryJson(*s.db, {window, std::nullopt, 86400 * 30});
  REQUIRE_MESSAGE(summary.ok(), summary.status().message());
  auto trend = TrendJson(*s.db, "DriverName", window);
  REQUIRE_MESSAGE(trend.ok(), trend.status().message());
  auto fresh = NewJson(*s.db, window);
  REQUIRE_MESSAGE(fresh.ok(), fresh.status().message());
  auto bundle = BundleJson(*s.db, {window, std::nullopt, std::nullopt});
  REQUIRE_MESSAGE(bundle.ok(), bundle.status().message());
  for (const std::string* text : {&*summary, &*trend, &*fresh, &*bundle}) CheckNoCanary(*text);
}

TEST_CASE("dashboard: an XSS failure name stays a JSON string, unchanged") {
  Sample s;
  auto summary = SummaryJson(*s.db, {At("2026-11-30T12:00:00Z"), std::nullopt, std::nullopt});
  REQUIRE(summary.ok());
  const Json doc = Json::parse(*summary);
  bool found = false;
  for (const Json& bucket : doc["top"]) {
    if (bucket["failure_hash"] == "h-xss") {
      CHECK(bucket["failure_name"].get<std::string>() == kXss);
      found = true;
    }
  }
  CHECK(found);
}

TEST_CASE("dashboard: the summary counts this week against last week and the jobs' state") {
  Sample s;
  const std::vector<JobLive> live{
      {"kernel", false, "2026-11-30T10:00:00Z", std::nullopt, "2026-11-30T12:15:00Z", 2}};
  auto summary = SummaryJson(*s.db, {At("2026-11-30T12:00:00Z"), live, 3600});
  REQUIRE(summary.ok());
  const Json doc = Json::parse(*summary);
  REQUIRE(doc["top"].size() == 2);
  // top keeps report_datetime (all three rows ran on the 29th): this week.
  CHECK(doc["top"][0]["failure_hash"] == "h-old");
  CHECK(doc["top"][0]["this_week"] == 7);
  CHECK(doc["top"][0]["last_week"] == 0);
  CHECK(doc["top"][1]["this_week"] == 5);
  CHECK(doc["retention_seconds"] == 3600);
  REQUIRE(doc["jobs"].size() == 1);
  const Json& job = doc["jobs"][0];
  CHECK(job["name"] == "kernel");
  CHECK(job["healthy"] == false);
  CHECK(job["next_due"] == "2026-11-30T12:15:00Z");
  CHECK(job["consecutive_failures"] == 2);
  CHECK(job["rows"] == 3);
  CHECK(job["cabs"]["fetched"] == 1);
  CHECK(job["executions"]["ingested"] == 1);
  CHECK(doc["daemon_answered"] == true);
  CHECK(doc["totals"]["rows"] == 3);
}

TEST_CASE("dashboard: each top bucket carries its events per day over 14 days") {
  Sample s;
  auto summary = SummaryJson(*s.db, {At("2026-11-30T12:00:00Z"), std::nullopt, 3600});
  REQUIRE(summary.ok());
  const Json doc = Json::parse(*summary);
  REQUIRE(doc["top_days"].size() == 14);
  CHECK(doc["top_days"][0] == "2026-11-17");
  CHECK(doc["top_days"][13] == "2026-11-30");
  REQUIRE(doc["top"].size() == 2);
  // By failure time, as trend counts: h-old on the 20th (3) and 28th (4).
  std::vector<std::int64_t> old_daily(14);
  old_daily[3] = 3;
  old_daily[11] = 4;
  CHECK(doc["top"][0]["failure_hash"] == "h-old");
  CHECK(doc["top"][0]["daily"].get<std::vector<std::int64_t>>() == old_daily);
  std::vector<std::int64_t> xss_daily(14);
  xss_daily[11] = 5;
  CHECK(doc["top"][1]["daily"].get<std::vector<std::int64_t>>() == xss_daily);
}

TEST_CASE("dashboard: the retention horizon is the oldest personal datum plus the retention") {
  Sample s;
  // The rows' and the cab's clocks all start on the 29th at 02:00; a cab
  // with no file to hold (skipped) and a purged one do not count.
  Exec(*s.db,
       "INSERT INTO cabs (cab_id_hash, job_name, state, first_seen) VALUES "
       "('c-skipped', 'kernel', 'skipped', '2026-11-01T00:00:00Z'), "
       "('c-purged', 'kernel', 'purged', '2026-11-01T00:00:00Z')");
  auto summary = SummaryJson(*s.db, {At("2026-11-30T12:00:00Z"), std::nullopt, 3600});
  REQUIRE(summary.ok());
  const Json doc = Json::parse(*summary);
  CHECK(doc["retention_horizon"]["oldest_personal_datum"] == "2026-11-29T02:00:00Z");
  CHECK(doc["retention_horizon"]["removed_by"] == "2026-11-29T03:00:00Z");
  auto unknown = ReadRetentionHorizon(*s.db, std::nullopt);
  REQUIRE(unknown.ok());
  CHECK(unknown->oldest_personal_datum == "2026-11-29T02:00:00Z");
  CHECK_FALSE(unknown->removed_by.has_value());

  hdc::testing::TempDir empty_dir;
  auto empty = OpenDb(empty_dir);
  auto none = SummaryJson(*empty, {At("2026-11-30T12:00:00Z"), std::nullopt, 3600});
  REQUIRE(none.ok());
  const Json nothing = Json::parse(*none);
  CHECK(nothing["retention_horizon"]["oldest_personal_datum"].is_null());
  CHECK(nothing["retention_horizon"]["removed_by"].is_null());
  CHECK(nothing["top"].empty());
}

TEST_CASE("dashboard: without the daemon a job's cycle fields are null") {
  Sample s;
  auto summary = SummaryJson(*s.db, {At("2026-11-30T12:00:00Z"), std::nullopt, std::nullopt});
  REQUIRE(summary.ok());
  const Json doc = Json::parse(*summary);
  CHECK(doc["daemon_answered"] == false);
  CHECK(doc["jobs"][0]["healthy"].is_null());
  CHECK(doc["jobs"][0]["next_due"].is_null());
  CHECK(doc["retention_seconds"].is_null());
}

TEST_CASE("dashboard: trend and new have hdc-reportctl's shapes and windows") {
  Sample s;
  const Window window = At("2026-11-30T12:00:00Z", 7);
  auto trend = TrendJson(*s.db, "DriverName", window);
  REQUIRE(trend.ok());
  const Json t = Json::parse(*trend);
  CHECK(t["by"] == "DriverName");
  CHECK(t["since"] == "2026-11-24T00:00:00Z");  // 7 whole UTC days ending with now's day
  CHECK(t["days_list"].size() == 7);
  REQUIRE(t["series"].size() == 2);
  CHECK(t["series"][0]["value"] == "a.sys");  // 5 events in the window; b.sys 4
  auto fresh = NewJson(*s.db, window);
  REQUIRE(fresh.ok());
  const Json n = Json::parse(*fresh);
  CHECK(n["since"] == "2026-11-23T12:00:00Z");  // 7 times 24 hours
  REQUIRE(n["new"].size() == 1);                // h-old was seen on the 20th
  CHECK(n["new"][0]["failure_hash"] == "h-xss");
  CHECK(n["new"][0]["events"] == 5);
}

TEST_CASE("dashboard: a personal column is refused as a trend's by") {
  Sample s;
  auto trend = TrendJson(*s.db, "DeviceId", At("2026-11-30T12:00:00Z"));
  REQUIRE_FALSE(trend.ok());
  CHECK(trend.status().kind() == util::ErrorKind::kUsage);
  CHECK(trend.status().message().find(kDeviceCanary) == std::string::npos);
}

}  // namespace
}  // namespace hdc::dashboard
