#include "config/columns.h"

#include <array>
#include <cctype>

#include "util/strings.h"

namespace hdc::config {
namespace {

constexpr std::array<std::string_view, 30> kIhvColumns{
    "ReportId",          "FailureDate", "FailureDateTime", "ApplicationId",     "SubmissionId",
    "FailureName",       "FailureHash", "Symbol",          "OSVersion",         "OSName",
    "EventType",         "Market",      "DeviceType",      "DriverName",        "DriverVersion",
    "Architecture",      "OEMName",     "OEMModel",        "FlightRing",        "Mode",
    "CPUName",           "OSSKUType",   "ReleaseName",     "CabType",           "CabIdHash",
    "CabExpirationTime", "DeviceId",    "HardwareId",      "CabCollectionTime", "EventCount"};

constexpr std::array<std::string_view, 28> kOemColumns{
    "ReportId",     "FailureDate", "FailureDateTime",   "FailureName",
    "FailureHash",  "Symbol",      "OSVersion",         "EventType",
    "Market",       "DeviceType",  "DriverName",        "DriverVersion",
    "Architecture", "Model",       "Baseboard",         "ModelFamily",
    "FlightRing",   "Mode",        "CPUName",           "OSSKUType",
    "ReleaseName",  "CabType",     "CabIdHash",         "CabExpirationTime",
    "DeviceId",     "HardwareId",  "CabCollectionTime", "EventCount"};

constexpr std::array<std::string_view, 8> kPeriods{"Yesterday",  "Last3Days",  "Last7Days",
                                                   "Last10Days", "Last15Days", "Last30Days",
                                                   "Last60Days", "Last90Days"};

constexpr std::array<std::string_view, 6> kFunctions{"SUM", "AVG", "COUNT", "DCOUNT", "MAX", "MIN"};

template <typename Container>
std::optional<std::string_view> FindIgnoreCase(const Container& names, std::string_view name) {
  for (std::string_view candidate : names) {
    if (EqualsIgnoreCase(candidate, name)) return candidate;
  }
  return std::nullopt;
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return util::EqualsIgnoreCase(a, b);
}

std::optional<View> ParseView(std::string_view name) {
  if (name == "IHVDriver") return View::kIhvDriver;
  if (name == "OEMDriver") return View::kOemDriver;
  return std::nullopt;
}

std::string_view ViewName(View view) {
  return view == View::kIhvDriver ? "IHVDriver" : "OEMDriver";
}

std::span<const std::string_view> ViewColumns(View view) {
  if (view == View::kIhvDriver) return kIhvColumns;
  return kOemColumns;
}

std::optional<std::string_view> CanonicalColumn(View view, std::string_view name) {
  return FindIgnoreCase(ViewColumns(view), name);
}

std::span<const std::string_view> ReportPeriods() { return kPeriods; }

std::optional<std::string_view> CanonicalPeriod(std::string_view name) {
  return FindIgnoreCase(kPeriods, name);
}

std::optional<std::string_view> CanonicalFunction(std::string_view name) {
  return FindIgnoreCase(kFunctions, name);
}

bool IsPersonalColumn(std::string_view column) {
  return EqualsIgnoreCase(column, "DeviceId") || EqualsIgnoreCase(column, "HardwareId");
}

}  // namespace hdc::config
