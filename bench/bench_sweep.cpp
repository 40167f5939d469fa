// Retention sweep speed (docs/contributing.md §Benchmarks): builds a state
// directory whose personal data has all run out, then times one
// retention::Sweep over it.
// bench/bench_sweep.sh times `rm -rf` of the same store plus the sqlite3
// shell's DELETE of the same rows on a copy and prints the ratio.
//
// Usage: bench_sweep populate STATE_DIR FILES ROWS
//          FILES files: one report file per 10 (one execution each, the
//          rows spread over them), the rest cab files in store/cabs/<xx>/;
//          ROWS failures rows (DeviceId, HardwareId, a 200-byte JSON row).
//          Every clock is 2020-01-01, so everything goes.
//        bench_sweep sweep STATE_DIR
//          opens state.db and runs one sweep (30 days, now); prints
//          "RESULT seconds=S cabs=N reports=N rows=N".
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "db/database.h"
#include "platform/filesystem.h"
#include "retention/sweeper.h"
#include "store/layout.h"
#include "store/link_guard.h"
#include "util/logging.h"
#include "util/time_format.h"

namespace {

constexpr const char* kClock = "2020-01-01T00:00:00Z";
constexpr const char* kRun = "2019-12-31T02:00:00Z";

int Fail(const hdc::util::Status& s) {
  std::cerr << "bench_sweep: " << s.ToString() << "\n";
  return 1;
}

std::string CabId(std::uint64_t i) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ULL;
  std::string out;
  for (int d = 0; d < 16; ++d) out.push_back(kHex[(x >> (d * 4)) & 15]);
  return out + std::to_string(1000000000000000ULL + i);  // 32 characters, unique
}

int Populate(const std::string& dir, std::int64_t files, std::int64_t rows) {
  std::filesystem::create_directories(dir);
  auto db = hdc::db::Database::Open({dir + "/state.db"});
  if (!db.ok()) return Fail(db.status());
  const hdc::store::StoreLayout layout(dir);
  if (auto s = layout.EnsureDirectories(hdc::platform::RealFileSystem()); !s.ok()) return Fail(s);
  const std::int64_t reports = std::max<std::int64_t>(1, files / 10);
  const std::int64_t cabs = files - reports;
  const std::string cab_bytes(1024, 'c');
  const std::string report_bytes(4096, 'r');
  auto tx = (*db)->BeginWrite();
  if (!tx.ok()) return Fail(tx.status());
  auto run = hdc::util::ParseTimestamp(kRun);
  auto exec = (*db)->Prepare(
      "INSERT INTO executions (report_id, report_datetime, job_name, remote_status, state,"
      " file_path, file_size, file_sha256, row_count, first_seen, last_polled, downloaded_at,"
      " clock_start) VALUES (?1, ?2, 'bench', 'Completed', 'ingested', ?3, ?4, 'x', ?5, ?6, ?6,"
      " ?6, ?6)");
  if (!exec.ok()) return Fail(exec.status());
  for (std::int64_t i = 0; i < reports; ++i) {
    const std::string id = std::to_string(1152921505695178386LL + i);
    auto path = layout.ReportPath("bench", id, *run, "txt");
    if (!path.ok()) return Fail(path.status());
    std::filesystem::create_directories(std::filesystem::path(*path).parent_path());
    std::ofstream(*path, std::ios::binary) << report_bytes;
    exec->Reset();
    exec->Bind(1, id).Bind(2, kRun).Bind(3, *layout.Relative(*path));
    exec->Bind(4, static_cast<std::int64_t>(report_bytes.size()));
    exec->Bind(5, rows / reports).Bind(6, kClock);
    if (auto r = exec->Run(); !r.ok()) return Fail(r.status());
  }
  auto cab = (*db)->Prepare(
      "INSERT INTO cabs (cab_id_hash, job_name, state, file_path, file_size, file_sha256,"
      " first_seen, downloaded_at, clock_start) VALUES (?1, 'bench', 'fetched', ?2, ?3, 'x',"
      " ?4, ?4, ?4)");
  if (!cab.ok()) return Fail(cab.status());
  for (std::int64_t i = 0; i < cabs; ++i) {
    const std::string id = CabId(static_cast<std::uint64_t>(i));
    auto path = layout.CabPath(id);
    if (!path.ok()) return Fail(path.status());
    std::filesystem::create_directories(std::filesystem::path(*path).parent_path());
    std::ofstream(*path, std::ios::binary) << cab_bytes;
    cab->Reset();
    cab->Bind(1, id).Bind(2, *layout.Relative(*path));
    cab->Bind(3, static_cast<std::int64_t>(cab_bytes.size())).Bind(4, kClock);
    if (auto r = cab->Run(); !r.ok()) return Fail(r.status());
  }
  auto row = (*db)->Prepare(
      "INSERT INTO failures (report_id, report_datetime, job_name, failure_hash, failure_name,"
      " driver_name, driver_version, cab_id_hash, event_count, failure_time, device_id,"
      " hardware_id, row, clock_start) VALUES (?1, ?2, 'bench', ?3, 'KERNEL_FAILURE_0x1',"
      " 'bench.sys', '1.0.0.1', ?4, 1, ?5, ?6, ?7, ?8, ?5)");
  if (!row.ok()) return Fail(row.status());
  for (std::int64_t i = 0; i < rows; ++i) {
    const std::string id = std::to_string(1152921505695178386LL + i % reports);
    const std::string device = "DEV-" + std::to_string(i);
    const std::string hw = "PCI\\VEN_8086&DEV_" + std::to_string(i % 9999);
    const std::string cab_id =
        CabId(static_cast<std::uint64_t>(i % std::max<std::int64_t>(1, cabs)));
    const std::string failure = "fh" + std::to_string(i % 5000);
    std::string json = "{\"FailureHash\":\"" + failure + "\",\"DeviceId\":\"" + device +
                       "\",\"HardwareId\":\"" + hw + "\",\"CabIdHash\":\"" + cab_id +
                       "\",\"FailureName\":\"KERNEL_FAILURE_0x1\",\"DriverName\":\"bench.sys\"}";
    row->Reset();
    row->Bind(1, id).Bind(2, kRun).Bind(3, failure).Bind(4, cab_id).Bind(5, kClock);
    row->Bind(6, device).Bind(7, hw).Bind(8, json);
    if (auto r = row->Run(); !r.ok()) return Fail(r.status());
  }
  if (auto s = tx->Commit(); !s.ok()) return Fail(s);
  if (auto s = (*db)->CheckpointTruncate(); !s.ok()) return Fail(s);
  std::cout << "populated " << dir << ": " << reports << " report files, " << cabs << " cab files, "
            << rows << " rows\n";
  return 0;
}

int RunSweep(const std::string& dir) {
  hdc::util::LogOptions log;
  log.level = std::getenv("BENCH_DEBUG") ? "debug" : "info";
  hdc::util::SetupLogging(log);
  const auto start = std::chrono::steady_clock::now();
  auto db = hdc::db::Database::Open({dir + "/state.db"});
  if (!db.ok()) return Fail(db.status());
  const hdc::store::StoreLayout layout(dir);
  hdc::retention::SweepOptions options;
  options.now = hdc::util::SystemClock().Now();
  auto report = hdc::retention::Sweep(**db, hdc::platform::RealFileSystem(), layout, options);
  if (!report.ok()) return Fail(report.status());
  db->reset();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("RESULT seconds=%.3f cabs=%lld reports=%lld rows=%lld\n", seconds,
              static_cast<long long>(report->cabs.count),
              static_cast<long long>(report->reports.count),
              static_cast<long long>(report->rows.count));
  return 0;
}

// The start-up check for links under the state directory
// (store/link_guard.h), timed alone: one readdir and one lstat per entry.
int RunLinkCheck(const std::string& dir) {
  const auto start = std::chrono::steady_clock::now();
  auto links = hdc::store::FindLinksUnder(hdc::platform::RealFileSystem(), dir);
  if (!links.ok()) return Fail(links.status());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("RESULT seconds=%.3f links=%zu\n", seconds, links->size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "populate" && argc == 5) {
    return Populate(argv[2], std::atoll(argv[3]), std::atoll(argv[4]));
  }
  if (mode == "sweep" && argc == 3) return RunSweep(argv[2]);
  if (mode == "links" && argc == 3) return RunLinkCheck(argv[2]);
  std::cerr << "usage: bench_sweep populate STATE_DIR FILES ROWS | sweep STATE_DIR | links "
               "STATE_DIR\n";
  return 64;
}
