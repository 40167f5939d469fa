// Row ingest speed: a deterministic IHV report (30 columns, tab, CRLF, a fixed
// seed) is parsed alone, then ingested with IngestReport into a fresh
// state.db (schema, indexes, WAL and synchronous=FULL as the daemon has them;
// one transaction, one commit). bench/bench_ingest.sh runs the sqlite3 shell
// on the same file and prints the ratio.
//
// Usage: bench_ingest [ROWS] [--runs N] [--dir DIR] [--no-cabs]
//   ROWS      data rows to generate (default 1000000)
//   --runs    ingest runs, each into a fresh state.db; the best is reported
//   --dir     keep report.tsv and state.db in DIR (default: a temporary folder,
//             removed at the end)
//   --no-cabs ingest without recording cab references (the shell cannot)
// The last lines are "RESULT key=value" for scripts.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.h"
#include "download/report_parser.h"
#include "download/row_ingest.h"
#include "util/time_format.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kSeed = 0x5eed2024;
constexpr const char* kReportId = "1152921505695178386";
constexpr const char* kReportDatetime = "2024-05-10T02:00:00Z";

std::uint64_t Mix(std::uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

template <size_t N>
std::string_view Pick(const std::string_view (&pool)[N], std::uint64_t h) {
  return pool[h % N];
}

void Hex(std::string& out, std::uint64_t v, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out.push_back(kHex[(v >> (4 * i)) & 15]);
}

void Guid(std::string& out, std::uint64_t a, std::uint64_t b) {
  Hex(out, a >> 32, 8);
  out.push_back('-');
  Hex(out, (a >> 16) & 0xffff, 4);
  out.push_back('-');
  Hex(out, a & 0xffff, 4);
  out.push_back('-');
  Hex(out, b >> 48, 4);
  out.push_back('-');
  Hex(out, b & 0xffffffffffffULL, 12);
}

void Time(std::string& out, std::int64_t epoch_seconds) {
  out += hdc::util::FormatTimestamp(hdc::util::TimePoint(std::chrono::seconds(epoch_seconds)));
  out[out.size() - 10] = ' ';  // "2024-05-01 10:20:30", as the emulator writes
  out.pop_back();
}

constexpr std::string_view kColumns[] = {
    "ReportId",          "FailureDate", "FailureDateTime", "ApplicationId",
    "SubmissionId",      "FailureName", "FailureHash",     "Symbol",
    "OSVersion",         "OSName",      "EventType",       "Market",
    "DeviceType",        "DriverName",  "DriverVersion",   "Architecture",
    "OEMName",           "OEMModel",    "FlightRing",      "Mode",
    "CPUName",           "OSSKUType",   "ReleaseName",     "CabType",
    "CabIdHash",         "DeviceId",    "HardwareId",      "CabCollectionTime",
    "CabExpirationTime", "EventCount"};
constexpr std::string_view kDrivers[] = {"contosonet",  "fabrikamgpu", "northwindaudio",
                                         "litwarestor", "adatumwifi",  "tailspinusb",
                                         "wingtipbt",   "proseware"};
constexpr std::string_view kBugchecks[] = {"0x9F_3",    "0xD1",          "0x7E_c0000005",  "0x50",
                                           "0x133_DPC", "0x1E_c0000005", "LKD_0x141_Tdr:6"};
constexpr std::string_view kFunctions[] = {"DispatchPower", "IsrRoutine",      "DpcForIsr",
                                           "EvtIoRead",     "CompleteRequest", "ResetAdapter"};
constexpr std::string_view kOsBuilds[] = {"10.0.19045.4291", "10.0.22621.3447", "10.0.22631.3527",
                                          "10.0.26100.1150"};
constexpr std::string_view kReleases[] = {"22H2", "22H2", "23H2", "24H2"};
constexpr std::string_view kMarkets[] = {"US", "DE", "FR", "GB", "JP",
                                         "CN", "IN", "BR", "CA", "KR"};
constexpr std::string_view kDeviceTypes[] = {"PC", "PC",          "PC",  "PC",
                                             "PC", "Holographic", "IoT", "Unknown"};
constexpr std::string_view kArchs[] = {"x64", "x64", "x64", "arm64", "x86"};
// Written as the emulator writes them: a value holding '"' is quoted.
constexpr std::string_view kOems[] = {
    "Contoso", "Fabrikam, Inc.", "\"Northwind \"\"NW\"\" Traders\"", "Litware", "Adventure Works"};
constexpr std::string_view kModels[] = {"Surface-like 9", "ProBook X13", "ThinkStation P3",
                                        "Aspire 5"};
constexpr std::string_view kRings[] = {"Retail", "Retail", "WIP Beta", "Release Preview"};
constexpr std::string_view kCpus[] = {"Intel(R) Core(TM) i7-1185G7", "AMD Ryzen 7 7840U",
                                      "Snapdragon X Elite", "Intel(R) Core(TM) i5-12400"};
constexpr std::string_view kSkus[] = {"Professional", "Core", "Enterprise", "Education"};
constexpr std::string_view kCabTypes[] = {"Kernel", "MINI", "FULL"};

// One report line (CRLF included) for row i: 40 failures over 8 drivers,
// 5,000 devices, a cab on about 80% of rows shared by about two rows each.
void Line(std::string& out, std::uint64_t i) {
  const std::uint64_t h = Mix(kSeed ^ Mix(i));
  auto field = [h](std::uint64_t n) { return Mix(h + n); };
  const std::uint64_t failure = field(1) % 40, driver = failure % 8;
  const std::int64_t base = 1714521600;  // 2024-05-01T00:00:00Z
  const std::int64_t failed = base + static_cast<std::int64_t>(field(2) % (9 * 86400));
  const bool has_cab = field(3) % 10 < 8;
  const std::uint64_t cab = i / 2;
  const std::uint64_t device = field(9) % 5000;
  const std::uint64_t oem = field(10);
  const std::uint64_t os = field(4) % 4;
  const std::string app = std::to_string(13900000000000001ULL + driver * 1117ULL);
  auto tab = [&out] { out.push_back('\t'); };

  out += kReportId;
  tab();
  std::string when;
  Time(when, failed);
  out.append(when, 0, 10);
  tab();
  out += when;
  tab();
  out += app;
  tab();
  out += "29900001_" + app + "_" + std::to_string(1152900000000000001ULL + driver);
  tab();
  out += std::string(Pick(kBugchecks, Mix(failure))) + "_" + std::string(kDrivers[driver]) +
         ".sys!" + std::string(Pick(kFunctions, Mix(failure + 99)));
  tab();
  Guid(out, Mix(kSeed + failure), Mix(kSeed + failure + 1000));
  tab();
  out += std::string(kDrivers[driver]) + "!" + std::string(Pick(kFunctions, Mix(failure + 99)));
  tab();
  out += kOsBuilds[os];
  tab();
  out += os == 0 ? "Windows 10" : "Windows 11";
  tab();
  const bool kernel = field(5) % 10 < 7;
  out += kernel ? "Kernel" : "System";
  tab();
  out += Pick(kMarkets, field(6));
  tab();
  out += Pick(kDeviceTypes, field(7));
  tab();
  out += std::string(kDrivers[driver]) + ".sys";
  tab();
  out += "10." + std::to_string(driver + 1) + "." + std::to_string(field(8) % 3) + "." +
         std::to_string(100 + driver * 37);
  tab();
  out += Pick(kArchs, field(11));
  tab();
  out += Pick(kOems, oem);
  tab();
  out += Pick(kModels, oem >> 8);
  tab();
  out += Pick(kRings, field(12));
  tab();
  out += kernel ? "Kernel mode" : "User mode";
  tab();
  out += Pick(kCpus, field(13));
  tab();
  out += Pick(kSkus, field(14));
  tab();
  out += kReleases[os];
  tab();
  if (has_cab) out += Pick(kCabTypes, Mix(cab + 7));
  tab();
  if (has_cab) Guid(out, Mix(kSeed ^ (cab << 1)), Mix(kSeed ^ (cab << 1 | 1)));
  tab();
  Guid(out, Mix(0xde + device), Mix(0xdf + device));
  tab();
  const std::uint64_t hw = Mix(driver * 7 + device % 7);
  out += "PCI\\VEN_";
  Hex(out, hw & 0xffff, 4);
  out += "&DEV_";
  Hex(out, (hw >> 16) & 0xffff, 4);
  out += "&SUBSYS_";
  Hex(out, hw >> 32, 8);
  out += "&REV_0" + std::to_string(device % 7);
  tab();
  if (has_cab) Time(out, failed + 600);
  tab();
  if (has_cab) Time(out, failed + 600 + 30 * 86400);
  tab();
  const std::uint64_t burst = field(15) % 100;
  out += std::to_string(burst < 90 ? 1 + field(16) % 5 : 10 + field(16) % 200);
  out += "\r\n";
}

std::uintmax_t WriteReport(const std::string& path, std::uint64_t rows) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  std::string buf;
  for (size_t c = 0; c < std::size(kColumns); ++c) {
    if (c > 0) buf.push_back('\t');
    buf += kColumns[c];
  }
  buf += "\r\n";
  for (std::uint64_t i = 0; i < rows; ++i) {
    Line(buf, i);
    if (buf.size() > (1 << 20)) {
      file.write(buf.data(), static_cast<std::streamsize>(buf.size()));
      buf.clear();
    }
  }
  file.write(buf.data(), static_cast<std::streamsize>(buf.size()));
  file.close();
  return std::filesystem::file_size(path);
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

[[noreturn]] void Die(const std::string& message) {
  std::cerr << "bench_ingest: " << message << "\n";
  std::exit(1);
}

// Parse only, from the file, in 1 MiB reads: the parser's ceiling.
double ParseOnly(const std::string& path, std::uint64_t expected_rows) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) Die("cannot open " + path);
  std::uint64_t bytes_seen = 0;
  hdc::download::ReportParser parser([&bytes_seen](const hdc::download::ReportRow& row) {
    bytes_seen += row.value(0).size();
    return hdc::util::Status::Ok();
  });
  std::vector<char> block(1 << 20);
  const auto start = Clock::now();
  while (size_t got = std::fread(block.data(), 1, block.size(), file.get())) {
    if (auto s = parser.Feed(std::string_view(block.data(), got)); !s.ok()) Die(s.message());
  }
  if (auto s = parser.Finish(); !s.ok()) Die(s.message());
  const double secs = Seconds(Clock::now() - start);
  if (parser.rows() != static_cast<std::int64_t>(expected_rows) || bytes_seen == 0) {
    Die("parse-only saw " + std::to_string(parser.rows()) + " rows");
  }
  return secs;
}

double IngestOnce(const std::string& dir, const std::string& report, bool cabs, std::uint64_t rows,
                  hdc::download::IngestSummary* summary) {
  const std::string db_path = dir + "/state.db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_path + suffix);
  auto db = hdc::db::Database::Open({db_path});
  if (!db.ok()) Die(db.status().message());
  if (auto s = (*db)->Exec(std::string("INSERT INTO executions (report_id, report_datetime,"
                                       " job_name, remote_status, state, first_seen,"
                                       " last_polled) VALUES ('") +
                           kReportId + "', '" + kReportDatetime +
                           "', 'bench', 'Completed', 'fetched', '" + kReportDatetime + "', '" +
                           kReportDatetime + "')");
      !s.ok()) {
    Die(s.message());
  }
  hdc::download::IngestTarget target;
  target.job_name = "bench";
  target.report_id = kReportId;
  target.report_datetime = kReportDatetime;
  target.downloaded_at = *hdc::util::ParseTimestamp("2024-05-10T03:00:00Z");
  target.cabs_enabled = cabs;
  const auto start = Clock::now();
  auto result =
      hdc::download::IngestReportFile(**db, hdc::platform::RealFileSystem(), target, report);
  const double secs = Seconds(Clock::now() - start);
  if (!result.ok()) Die(result.status().message());
  if (result->rows != static_cast<std::int64_t>(rows)) {
    Die("ingested " + std::to_string(result->rows) + " rows, expected " + std::to_string(rows));
  }
  *summary = *result;
  return secs;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t rows = 1000000;
  int runs = 1;
  bool cabs = true;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--runs" && i + 1 < argc)
      runs = std::max(1, std::atoi(argv[++i]));
    else if (arg == "--dir" && i + 1 < argc)
      dir = argv[++i];
    else if (arg == "--no-cabs")
      cabs = false;
    else if (!arg.empty() && arg[0] != '-')
      rows = std::strtoull(argv[i], nullptr, 10);
    else
      Die("usage: bench_ingest [ROWS] [--runs N] [--dir DIR] [--no-cabs]");
  }
  const bool temporary = dir.empty();
  if (temporary) {
    std::string pattern = (std::filesystem::temp_directory_path() / "bench-ingest-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) Die("cannot create a temporary folder");
    dir = pattern;
  }
  std::filesystem::create_directories(dir);
  const std::string report = dir + "/report.tsv";

  auto start = Clock::now();
  const std::uintmax_t bytes = WriteReport(report, rows);
  std::printf(
      "report: %llu rows, 30 columns, %.1f MiB (tab, CRLF, seed %#llx),"
      " written in %.2f s\n",
      static_cast<unsigned long long>(rows), bytes / 1048576.0,
      static_cast<unsigned long long>(kSeed), Seconds(Clock::now() - start));

  const double parse = ParseOnly(report, rows);
  std::printf("parse only: %.3f s = %.0f rows/s, %.0f MiB/s\n", parse, rows / parse,
              bytes / 1048576.0 / parse);

  std::vector<double> times;
  hdc::download::IngestSummary summary;
  for (int r = 0; r < runs; ++r) {
    times.push_back(IngestOnce(dir, report, cabs, rows, &summary));
    std::printf("ingest run %d: %.3f s = %.0f rows/s\n", r + 1, times.back(), rows / times.back());
  }
  const double best = *std::min_element(times.begin(), times.end());
  const double worst = *std::max_element(times.begin(), times.end());
  const auto db_bytes = std::filesystem::file_size(dir + "/state.db");
  std::printf(
      "ingest: best %.3f s = %.0f rows/s (worst %.3f s over %d runs), cabs %s: %lld new,"
      " %lld skipped; state.db %.1f MiB\n",
      best, rows / best, worst, runs, cabs ? "on" : "off", static_cast<long long>(summary.cabs_new),
      static_cast<long long>(summary.cabs_skipped), db_bytes / 1048576.0);
  std::printf(
      "RESULT rows=%llu\nRESULT parse_rows_per_s=%.0f\nRESULT ingest_rows_per_s=%.0f\n"
      "RESULT ingest_worst_rows_per_s=%.0f\n",
      static_cast<unsigned long long>(rows), rows / parse, rows / best, rows / worst);
  if (temporary) std::filesystem::remove_all(dir);
  return 0;
}
