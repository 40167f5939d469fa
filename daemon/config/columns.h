// The report views and their columns (docs/hdc-api.md §Columns), periods and
// aggregate functions: the vocabulary a job may use.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace hdc::config {

enum class View { kIhvDriver, kOemDriver };

std::optional<View> ParseView(std::string_view name);  // exact: IHVDriver, OEMDriver
std::string_view ViewName(View view);

// Every column of a view, in the order of Microsoft's "all columns" sample.
std::span<const std::string_view> ViewColumns(View view);
// The catalogue spelling of a column of the view, matched case-insensitively.
std::optional<std::string_view> CanonicalColumn(View view, std::string_view name);

// Yesterday, Last3Days, ..., Last90Days.
std::span<const std::string_view> ReportPeriods();
std::optional<std::string_view> CanonicalPeriod(std::string_view name);

// SUM AVG COUNT DCOUNT MAX MIN, matched case-insensitively, returned upper case.
std::optional<std::string_view> CanonicalFunction(std::string_view name);

// DeviceId and HardwareId: values identify a device (docs/hdc-api.md §Personal data).
bool IsPersonalColumn(std::string_view column);

// Case-insensitive ASCII comparison.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace hdc::config
