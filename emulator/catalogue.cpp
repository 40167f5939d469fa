#include "emulator/catalogue.h"

#include <array>
#include <utility>

#include "util/strings.h"

namespace hdc::emulator {
namespace {

constexpr std::array<std::string_view, kColumnCount> kNames{"ReportId",
                                                            "FailureDate",
                                                            "FailureDateTime",
                                                            "ApplicationId",
                                                            "SubmissionId",
                                                            "FailureName",
                                                            "FailureHash",
                                                            "Symbol",
                                                            "OSVersion",
                                                            "OSName",
                                                            "EventType",
                                                            "Market",
                                                            "DeviceType",
                                                            "DriverName",
                                                            "DriverVersion",
                                                            "Architecture",
                                                            "OEMName",
                                                            "OEMModel",
                                                            "Model",
                                                            "FlightRing",
                                                            "Mode",
                                                            "CPUName",
                                                            "OSSKUType",
                                                            "ReleaseName",
                                                            "Baseboard",
                                                            "ModelFamily",
                                                            "CabType",
                                                            "CabIdHash",
                                                            "DeviceId",
                                                            "HardwareId",
                                                            "CabCollectionTime",
                                                            "CabExpirationTime",
                                                            "EventCount"};

constexpr std::array<std::pair<std::string_view, int>, 8> kPeriods{{
    {"Yesterday", 1},
    {"Last3Days", 3},
    {"Last7Days", 7},
    {"Last10Days", 10},
    {"Last15Days", 15},
    {"Last30Days", 30},
    {"Last60Days", 60},
    {"Last90Days", 90},
}};

}  // namespace

std::string_view ColumnName(int column) { return kNames.at(column); }

std::optional<int> FindColumn(std::string_view name) {
  for (int i = 0; i < kColumnCount; ++i) {
    if (util::EqualsIgnoreCase(kNames[i], name)) return i;
  }
  return std::nullopt;
}

bool ColumnInView(int column, View view) {
  switch (column) {
    case kModel:
    case kBaseboard:
    case kModelFamily:
      return view == View::kOemDriver;
    case kApplicationId:
    case kSubmissionId:
    case kOSName:
    case kOEMName:
    case kOEMModel:
      return view == View::kIhvDriver;
    default:
      return column >= 0 && column < kColumnCount;
  }
}

bool ColumnIsNumeric(int column) { return column == kEventCount; }

// Function-local, so building them happens on first use, not before main().
const std::vector<int>& ViewColumns(View view) {
  static const std::vector<int> ihv{
      kReportId,          kFailureDate, kFailureDateTime, kApplicationId,     kSubmissionId,
      kFailureName,       kFailureHash, kSymbol,          kOSVersion,         kOSName,
      kEventType,         kMarket,      kDeviceType,      kDriverName,        kDriverVersion,
      kArchitecture,      kOEMName,     kOEMModel,        kFlightRing,        kMode,
      kCPUName,           kOSSKUType,   kReleaseName,     kCabType,           kCabIdHash,
      kCabExpirationTime, kDeviceId,    kHardwareId,      kCabCollectionTime, kEventCount};

  static const std::vector<int> oem{
      kReportId,     kFailureDate, kFailureDateTime,   kFailureName,
      kFailureHash,  kSymbol,      kOSVersion,         kEventType,
      kMarket,       kDeviceType,  kDriverName,        kDriverVersion,
      kArchitecture, kModel,       kBaseboard,         kModelFamily,
      kFlightRing,   kMode,        kCPUName,           kOSSKUType,
      kReleaseName,  kCabType,     kCabIdHash,         kCabExpirationTime,
      kDeviceId,     kHardwareId,  kCabCollectionTime, kEventCount};
  return view == View::kIhvDriver ? ihv : oem;
}

std::optional<View> ParseView(std::string_view name) {
  const std::string t(util::Trim(name));
  if (t == "IHVDriver") return View::kIhvDriver;
  if (t == "OEMDriver") return View::kOemDriver;
  return std::nullopt;
}

std::string_view ViewName(View view) {
  return view == View::kIhvDriver ? "IHVDriver" : "OEMDriver";
}

std::optional<int> PeriodDays(std::string_view period) {
  for (const auto& [name, days] : kPeriods) {
    if (util::EqualsIgnoreCase(name, util::Trim(period))) return days;
  }
  return std::nullopt;
}

}  // namespace hdc::emulator
