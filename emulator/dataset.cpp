#include "emulator/dataset.h"

#include <cctype>
#include <cstdio>

#include "emulator/hash.h"
#include "util/strings.h"
#include "util/time_format.h"

namespace hdc::emulator {
namespace {

constexpr int kDrivers = 8;
constexpr int kFailures = 40;
constexpr std::uint64_t kHours = 3600;

template <size_t N>
std::string_view Pick(const std::array<std::string_view, N>& pool, std::uint64_t h) {
  return pool[h % N];
}

constexpr std::array<std::string_view, 8> kDriverBases{
    "contosonet", "fabrikamgpu", "northwindaudio", "litwarestor",
    "adatumwifi", "tailspinusb", "wingtipbt",      "proseware"};
constexpr std::array<std::string_view, 7> kBugchecks{
    "0x9F_3", "0xD1", "0x7E_c0000005", "0x50", "0x133_DPC", "0x1E_c0000005", "LKD_0x141_Tdr:6"};
constexpr std::array<std::string_view, 6> kFunctions{
    "DispatchPower", "IsrRoutine", "DpcForIsr", "EvtIoRead", "CompleteRequest", "ResetAdapter"};
constexpr std::array<std::string_view, 4> kOsBuilds{"10.0.19045.4291", "10.0.22621.3447",
                                                    "10.0.22631.3527", "10.0.26100.1150"};
constexpr std::array<std::string_view, 4> kReleases{"22H2", "22H2", "23H2", "24H2"};
constexpr std::array<std::string_view, 10> kMarkets{"US", "DE", "FR", "GB", "JP",
                                                    "CN", "IN", "BR", "CA", "KR"};
constexpr std::array<std::string_view, 8> kDeviceTypes{"PC", "PC",          "PC",  "PC",
                                                       "PC", "Holographic", "IoT", "Unknown"};
constexpr std::array<std::string_view, 5> kArchs{"x64", "x64", "x64", "arm64", "x86"};
constexpr std::array<std::string_view, 5> kOems{
    "Contoso", "Fabrikam, Inc.", "Northwind \"NW\" Traders", "Litware", "Adventure Works"};
constexpr std::array<std::string_view, 4> kModels{"Surface-like 9", "ProBook X13",
                                                  "ThinkStation P3", "Aspire 5"};
constexpr std::array<std::string_view, 3> kFamilies{"Laptop", "Desktop", "Tablet"};
constexpr std::array<std::string_view, 3> kBaseboards{"BB-1000", "MB-Z790", "AB-350"};
constexpr std::array<std::string_view, 4> kRings{"Retail", "Retail", "WIP Beta", "Release Preview"};
constexpr std::array<std::string_view, 4> kCpus{"Intel(R) Core(TM) i7-1185G7", "AMD Ryzen 7 7840U",
                                                "Snapdragon X Elite", "Intel(R) Core(TM) i5-12400"};
constexpr std::array<std::string_view, 4> kSkus{"Professional", "Core", "Enterprise", "Education"};
constexpr std::array<std::string_view, 3> kCabTypes{"Kernel", "MINI", "FULL"};

std::string Hex(std::uint64_t v, int digits) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return std::string(buf + 16 - digits);
}

// "PCI\\VEN_xxxx&DEV_xxxx&SUBSYS_xxxxxxxx&REV_0n", upper case: one of seven
// per driver, chosen by the device.
std::string HardwareId(std::uint64_t seed, int driver, std::uint64_t device) {
  const std::uint64_t hw = Hash({seed, 0x4a, std::uint64_t(driver), device % 7});
  std::string hardware = "PCI\\VEN_" + Hex(hw, 4) + "&DEV_" + Hex(hw >> 16, 4) + "&SUBSYS_" +
                         Hex(hw >> 32, 8) + "&REV_0" + std::to_string(device % 7);
  for (char& c : hardware) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return hardware;
}

}  // namespace

std::string Guid(std::uint64_t hi, std::uint64_t lo) {
  const std::string h = Hex(hi, 16), l = Hex(lo, 16);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + l.substr(0, 4) +
         "-" + l.substr(4);
}

std::string DataTime(TimePoint t) {
  std::string s = util::FormatTimestamp(t);  // 2024-05-01T00:00:00Z
  s[10] = ' ';
  s.pop_back();
  return s;
}

Dataset::Dataset(std::uint64_t seed) : seed_(seed) {
  for (int d = 0; d < kDrivers; ++d) {
    const std::string app = std::to_string(13900000000000001ULL + d * 1117ULL);
    drivers_.push_back({std::string(kDriverBases[d]) + ".sys",
                        "10." + std::to_string(Hash({seed, 0xd0, std::uint64_t(d)}) % 9 + 1) + ".",
                        app, "29900001_" + app + "_" + std::to_string(1152900000000000001ULL + d)});
  }
  for (int f = 0; f < kFailures; ++f) {
    const std::uint64_t h = Hash({seed, 0xf1, std::uint64_t(f)});
    FailureInfo info;
    info.driver = f % kDrivers;
    info.hash = Guid(h, Hash({h, 1}));
    const std::string base(kDriverBases[info.driver]);
    const std::string function(Pick(kFunctions, h >> 8));
    info.name = std::string(Pick(kBugchecks, h)) + "_" + base + "!" + function;
    info.symbol = base + "!" + function + "+0x" + Hex(h >> 20, 3);
    failures_.push_back(info);
  }
}

std::optional<int> Dataset::FindFailure(std::string_view hash) const {
  for (size_t i = 0; i < failures_.size(); ++i) {
    if (util::EqualsIgnoreCase(failures_[i].hash, util::Trim(hash))) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::optional<CabRef> Dataset::CabInHour(int failure, std::int64_t hour, int every_hours) const {
  if (every_hours < 1) return std::nullopt;  // 0: one cab per row, no hourly lattice (FillRow)
  const std::uint64_t h = Hash({seed_, 0xcab, std::uint64_t(failure), std::uint64_t(hour)});
  if (h % static_cast<std::uint64_t>(every_hours) != 0) return std::nullopt;
  const auto secs = std::chrono::seconds(hour * kHours + (h >> 32) % kHours);
  return CabRef{failure, TimePoint(std::chrono::duration_cast<util::Duration>(secs))};
}

std::vector<CabRef> Dataset::CabsBetween(int failure, TimePoint from, TimePoint to,
                                         int every_hours) const {
  using std::chrono::floor;
  using std::chrono::hours;
  std::vector<CabRef> out;
  const auto first = floor<hours>(from.time_since_epoch()).count();
  const auto last = floor<hours>(to.time_since_epoch()).count();
  for (auto hour = first; hour <= last; ++hour) {
    auto cab = CabInHour(failure, hour, every_hours);
    if (cab && cab->collected >= from && cab->collected <= to) out.push_back(*cab);
  }
  return out;
}

std::string Dataset::CabIdHash(const CabRef& cab) const {
  const auto secs = std::chrono::floor<std::chrono::seconds>(cab.collected.time_since_epoch());
  const std::uint64_t x = (std::uint64_t(cab.failure) << 40) | std::uint64_t(secs.count());
  return Guid(x ^ Hash({seed_, 0x3a5c}), Hash({seed_, 0xc4ec, x}));
}

std::optional<CabRef> Dataset::DecodeCabIdHash(std::string_view text) const {
  std::string hex;
  for (char c : util::Trim(text)) {
    if (c != '-') hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (hex.size() != 32 || hex.find_first_not_of("0123456789abcdef") != std::string::npos)
    return std::nullopt;
  const std::uint64_t a = std::stoull(hex.substr(0, 16), nullptr, 16);
  const std::uint64_t b = std::stoull(hex.substr(16), nullptr, 16);
  const std::uint64_t x = a ^ Hash({seed_, 0x3a5c});
  if (b != Hash({seed_, 0xc4ec, x})) return std::nullopt;
  const int failure = static_cast<int>(x >> 40);
  if (failure >= kFailures) return std::nullopt;
  const auto secs = std::chrono::seconds(x & ((std::uint64_t(1) << 40) - 1));
  return CabRef{failure, TimePoint(std::chrono::duration_cast<util::Duration>(secs))};
}

std::string_view Dataset::CabType(const CabRef& cab) const {
  return Pick(kCabTypes,
              Hash({seed_, 0xc7, std::uint64_t(cab.collected.time_since_epoch().count())}));
}

TimePoint Dataset::CabExpiration(const CabRef& cab) {
  return cab.collected + std::chrono::days(30);
}

std::optional<CabRef> Dataset::RowCab(int failure, std::int64_t exec_hour, std::int64_t hour,
                                      std::uint64_t index, int every_hours) const {
  std::optional<CabRef> cab;
  if (every_hours == 0) {
    // Every row its own cab (cab_every_hours = 0, for benchmarks): collected
    // `index` + 1 seconds before the execution's hour, so N rows reference
    // exactly N distinct cabs.
    cab =
        CabRef{failure, TimePoint(std::chrono::hours(exec_hour)) - std::chrono::seconds(index + 1)};
  }
  for (int step = 0; step < every_hours * 8 && !cab; ++step) {
    cab = CabInHour(failure, hour - step, every_hours);
  }
  return cab;
}

void Dataset::FillRow(std::int64_t report_id, TimePoint exec_time, int period_days,
                      std::uint64_t index, int every_hours, Row& row) const {
  const std::uint64_t h = Hash({seed_, std::uint64_t(report_id),
                                std::uint64_t(exec_time.time_since_epoch().count()), index});
  auto field = [h](std::uint64_t n) { return Hash({h, n}); };
  const double u = Unit(field(1));
  const int f = static_cast<int>(u * u * kFailures);
  const FailureInfo& failure = failures_[f];
  const DriverInfo& drv = drivers_[failure.driver];
  const auto exec_hour =
      std::chrono::floor<std::chrono::hours>(exec_time.time_since_epoch()).count();
  std::int64_t hour = exec_hour - 1 - std::int64_t(field(2) % (std::uint64_t(period_days) * 24));
  const std::optional<CabRef> cab = RowCab(f, exec_hour, hour, index, every_hours);
  const TimePoint failed_at =
      cab ? cab->collected - std::chrono::seconds(field(3) % kHours)
          : TimePoint(std::chrono::hours(hour)) + std::chrono::seconds(field(3) % kHours);
  const std::uint64_t os = field(4) % kOsBuilds.size();
  const std::uint64_t device = field(9) % 5000;
  const std::uint64_t oem = field(10);
  std::string date_time = DataTime(failed_at);
  row[kReportId] = std::to_string(report_id);
  row[kFailureDate] = date_time.substr(0, 10);
  row[kFailureDateTime] = date_time;
  row[kApplicationId] = drv.application_id;
  row[kSubmissionId] = drv.submission_id;
  row[kFailureName] = failure.name;
  row[kFailureHash] = failure.hash;
  row[kSymbol] = failure.symbol;
  row[kOSVersion] = kOsBuilds[os];
  row[kOSName] = os == 0 ? "Windows 10" : "Windows 11";
  row[kEventType] = field(5) % 10 < 7 ? "Kernel" : "System";
  row[kMarket] = Pick(kMarkets, field(6));
  row[kDeviceType] = Pick(kDeviceTypes, field(7));
  row[kDriverName] = drv.name;
  row[kDriverVersion] =
      drv.version_prefix + std::to_string(field(8) % 3) + "." +
      std::to_string(100 + Hash({seed_, 0x5e, std::uint64_t(failure.driver)}) % 900);
  row[kArchitecture] = Pick(kArchs, field(11));
  row[kOEMName] = Pick(kOems, oem);
  row[kOEMModel] = Pick(kModels, oem >> 8);
  row[kModel] = row[kOEMModel];
  row[kFlightRing] = Pick(kRings, field(12));
  row[kMode] = row[kEventType] == "Kernel" ? "Kernel mode" : "User mode";
  row[kCPUName] = Pick(kCpus, field(13));
  row[kOSSKUType] = Pick(kSkus, field(14));
  row[kReleaseName] = kReleases[os];
  row[kBaseboard] = Pick(kBaseboards, oem >> 16);
  row[kModelFamily] = Pick(kFamilies, oem >> 24);
  row[kCabType] = cab ? std::string(CabType(*cab)) : "";
  row[kCabIdHash] = cab ? CabIdHash(*cab) : "";
  row[kDeviceId] = Guid(Hash({seed_, 0xde, device}), Hash({seed_, 0xdf, device}));
  row[kHardwareId] = HardwareId(seed_, failure.driver, device);
  row[kCabCollectionTime] = cab ? DataTime(cab->collected) : "";
  row[kCabExpirationTime] = cab ? DataTime(CabExpiration(*cab)) : "";
  const std::uint64_t burst = field(15) % 100;
  row[kEventCount] = std::to_string(burst < 90 ? 1 + field(16) % 5 : 10 + field(16) % 200);
}

}  // namespace hdc::emulator
