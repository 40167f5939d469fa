// The column catalogue of docs/hdc-api.md §Columns, written independently of the
// daemon's config/columns: which columns each view has and which are numeric.
// Immutable tables; thread-safe.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace hdc::emulator {

enum class View { kIhvDriver, kOemDriver };

enum Column : int {
  kReportId,
  kFailureDate,
  kFailureDateTime,
  kApplicationId,
  kSubmissionId,
  kFailureName,
  kFailureHash,
  kSymbol,
  kOSVersion,
  kOSName,
  kEventType,
  kMarket,
  kDeviceType,
  kDriverName,
  kDriverVersion,
  kArchitecture,
  kOEMName,
  kOEMModel,
  kModel,
  kFlightRing,
  kMode,
  kCPUName,
  kOSSKUType,
  kReleaseName,
  kBaseboard,
  kModelFamily,
  kCabType,
  kCabIdHash,
  kDeviceId,
  kHardwareId,
  kCabCollectionTime,
  kCabExpirationTime,
  kEventCount,
  kColumnCount
};

std::string_view ColumnName(int column);
// Case-insensitive lookup over all columns.
std::optional<int> FindColumn(std::string_view name);
bool ColumnInView(int column, View view);
bool ColumnIsNumeric(int column);
// The view's columns in the order of the published sample templates 1 and 2.
const std::vector<int>& ViewColumns(View view);

std::optional<View> ParseView(std::string_view name);  // exact after trimming
std::string_view ViewName(View view);

// "Last7Days" → 7 (Yesterday → 1); case-insensitive.
std::optional<int> PeriodDays(std::string_view period);

}  // namespace hdc::emulator
