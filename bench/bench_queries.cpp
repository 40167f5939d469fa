// Query speed (docs/contributing.md §Benchmarks): builds the state database
// bench/bench_queries.sh times hdc-reportctl's top, trend, new and compare
// over, against the sqlite3 shell running the same SQL.
//
// Usage: bench_queries populate STATE_DIR ROWS [DAYS]
//          ROWS failures rows over DAYS (default 60) days ending
//          2026-12-01, one report per job (4 jobs) per day, skewed as real
//          reports are: a few failure buckets, drivers, OS versions and
//          markets take most rows (a cubic draw over each list), a tenth of
//          the 5,000 buckets appear only from their own day on (so `new`
//          finds some), events per row mostly 1. Each row's JSON has 18 of
//          the OEM view's columns by HDC name (about 600 bytes), as the
//          ingest writes it; DeviceId and HardwareId included. The typed
//          columns are filled from the same values as the ingest fills
//          them (OSVersion, Market and Model too, schema version 3).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>

#include "db/database.h"
#include "util/time_format.h"

namespace {

constexpr int kJobs = 4;
constexpr std::int64_t kBuckets = 5000;
constexpr std::int64_t kDrivers = 300;
constexpr const char* kEnd = "2026-12-01T00:00:00Z";

int Fail(const hdc::util::Status& s) {
  std::cerr << "bench_queries: " << s.ToString() << "\n";
  return 1;
}

// 0 .. n-1, small values far more often (u^3).
std::int64_t Skewed(std::mt19937_64& rng, std::int64_t n) {
  const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  return std::min<std::int64_t>(n - 1, static_cast<std::int64_t>(u * u * u * n));
}

std::string Pick(std::mt19937_64& rng, std::initializer_list<const char*> values) {
  return *(values.begin() + Skewed(rng, static_cast<std::int64_t>(values.size())));
}

struct Generated {
  std::string hash, name, driver, version, os, market, model, json;
  std::int64_t events = 1;
  std::string failure_time;
};

Generated MakeRow(std::mt19937_64& rng, std::int64_t day, std::int64_t days, std::int64_t i,
                  const std::string& failure_time) {
  Generated g;
  std::int64_t bucket = Skewed(rng, kBuckets);
  // The last tenth of the buckets are born one after another over the days.
  const std::int64_t born = (bucket - kBuckets * 9 / 10) * days / (kBuckets / 10);
  if (bucket >= kBuckets * 9 / 10 && born > day) bucket %= kBuckets * 9 / 10;
  const std::int64_t driver = bucket % kDrivers;
  g.hash = "fh" + std::to_string(bucket * 7919 % 100003) + "x" + std::to_string(bucket);
  g.name = "0x" + std::to_string(bucket % 250) + "_driver" + std::to_string(driver) + "!Func" +
           std::to_string(bucket);
  g.driver = "drv" + std::to_string(driver) + ".sys";
  g.version = "10." + std::to_string(driver % 7) + "." + std::to_string(bucket % 13) + ".1";
  g.os = Pick(rng,
              {"10.0.26100", "10.0.22631", "10.0.22621", "10.0.19045", "10.0.26200", "10.0.17763"});
  g.market = Pick(rng, {"US", "CN", "DE", "JP", "GB", "FR", "IN", "BR", "KR", "CA", "IT", "ES"});
  g.model = "Model-" + std::to_string(Skewed(rng, 500));
  g.events = 1 + Skewed(rng, 4) * Skewed(rng, 20);
  g.failure_time = failure_time;
  const std::string device = "DEV-" + std::to_string(i);
  g.json = "{\"ReportId\":\"1152921505695178386\",\"FailureDate\":\"" + failure_time.substr(0, 10) +
           "\",\"FailureDateTime\":\"" + failure_time + "\",\"FailureName\":\"" + g.name +
           "\",\"FailureHash\":\"" + g.hash + "\",\"Symbol\":\"driver" + std::to_string(driver) +
           "!Func\",\"OSVersion\":\"" + g.os + "\",\"EventType\":\"BlueScreen\",\"Market\":\"" +
           g.market + "\",\"DeviceType\":\"Laptop\",\"DriverName\":\"" + g.driver +
           "\",\"DriverVersion\":\"" + g.version + "\",\"Architecture\":\"amd64\",\"Model\":\"" +
           g.model + "\",\"CabIdHash\":\"cab" + std::to_string(i) + "\",\"DeviceId\":\"" + device +
           "\",\"HardwareId\":\"PCI\\\\VEN_8086&DEV_" + std::to_string(i % 9999) +
           "\",\"EventCount\":\"" + std::to_string(g.events) + "\"}";
  return g;
}

int Populate(const std::string& dir, std::int64_t rows, std::int64_t days) {
  std::filesystem::create_directories(dir);
  auto db = hdc::db::Database::Open({dir + "/state.db"});
  if (!db.ok()) return Fail(db.status());
  auto end = hdc::util::ParseTimestamp(kEnd);
  auto tx = (*db)->BeginWrite();
  if (!tx.ok()) return Fail(tx.status());
  auto exec = (*db)->Prepare(
      "INSERT INTO executions (report_id, report_datetime, job_name, remote_status, state,"
      " row_count, first_seen, last_polled) VALUES (?1, ?2, ?3, 'Completed', 'ingested', ?4, ?2,"
      " ?2)");
  auto row = (*db)->Prepare(
      "INSERT INTO failures (report_id, report_datetime, job_name, failure_hash, failure_name,"
      " driver_name, driver_version, cab_id_hash, event_count, failure_time, device_id,"
      " hardware_id, row, clock_start, os_version, market, model) VALUES (?1, ?2, ?3, ?4, ?5,"
      " ?6, ?7, NULL, ?8, ?9, 'DEV', 'HW', ?10, ?2, ?11, ?12, ?13)");
  if (!exec.ok()) return Fail(exec.status());
  if (!row.ok()) return Fail(row.status());
  std::mt19937_64 rng(19);
  const std::int64_t per_report = rows / (days * kJobs);
  std::int64_t i = 0;
  for (std::int64_t day = 0; day < days; ++day) {
    const auto run_time = *end - std::chrono::days(days - day) + std::chrono::hours(2);
    const std::string run = hdc::util::FormatTimestamp(run_time);
    for (int job = 0; job < kJobs; ++job) {
      const std::string job_name = "job" + std::to_string(job);
      const std::string report_id = std::to_string(1152921505695178386LL + job);
      const std::int64_t n = day == days - 1 && job == kJobs - 1 ? rows - i : per_report;
      exec->Reset();
      exec->Bind(1, report_id).Bind(2, run).Bind(3, job_name).Bind(4, n);
      if (auto r = exec->Run(); !r.ok()) return Fail(r.status());
      for (std::int64_t k = 0; k < n; ++k, ++i) {
        // The failure happened within the day before the run; a few rows
        // have no FailureDateTime (their day is the run's).
        const auto when =
            run_time - std::chrono::seconds(1 + (k * 86399 / std::max<std::int64_t>(1, n)));
        const bool timeless = k % 50 == 0;
        const Generated g = MakeRow(rng, day, days, i, hdc::util::FormatTimestamp(when));
        row->Reset();
        row->Bind(1, report_id).Bind(2, run).Bind(3, job_name).Bind(4, g.hash).Bind(5, g.name);
        row->Bind(6, g.driver).Bind(7, g.version).Bind(8, g.events);
        if (timeless) {
          row->BindNull(9);
        } else {
          row->Bind(9, g.failure_time);
        }
        row->Bind(10, g.json).Bind(11, g.os).Bind(12, g.market).Bind(13, g.model);
        if (auto r = row->Run(); !r.ok()) return Fail(r.status());
      }
    }
  }
  if (auto s = tx->Commit(); !s.ok()) return Fail(s);
  if (auto s = (*db)->CheckpointTruncate(); !s.ok()) return Fail(s);
  std::cout << "populated " << dir << ": " << i << " rows over " << days << " days\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "populate" && (argc == 4 || argc == 5)) {
    return Populate(argv[2], std::atoll(argv[3]), argc == 5 ? std::atoll(argv[4]) : 60);
  }
  std::cerr << "usage: bench_queries populate STATE_DIR ROWS [DAYS]\n";
  return 64;
}
