#include "ctl/export_rows.h"

#include "util/strings.h"

namespace hdc::ctl {
namespace {

// The characters that make a leading cell a formula to a spreadsheet.
constexpr std::string_view kFormulaStarts("=+-@\t\r\0", 7);

}  // namespace

std::vector<std::string_view> ExportColumns(bool with_device_ids) {
  std::vector<std::string_view> columns{
      "job_name",    "report_id",      "report_datetime", "failure_hash", "failure_name",
      "driver_name", "driver_version", "cab_id_hash",     "event_count",  "failure_time"};
  if (with_device_ids) {
    columns.push_back("device_id");
    columns.push_back("hardware_id");
  }
  return columns;
}

std::string CsvCell(std::string_view raw) {
  const bool formula = !raw.empty() && kFormulaStarts.find(raw.front()) != std::string_view::npos;
  // No control character reaches the file raw: escaped as in every other
  // output (util::Printable), line breaks and tabs kept (quoted below).
  const std::string text = util::Printable(raw, util::kNoCap, /*keep_line_breaks=*/true);
  if (!formula && text.find_first_of(",\"\r\n") == std::string_view::npos) return text;
  std::string cell = "\"";
  if (formula) cell += '\'';
  for (char c : text) {
    if (c == '"') cell += '"';
    cell += c;
  }
  cell += '"';
  return cell;
}

Json FailureJson(const db::FailureRow& row, bool with_device_ids) {
  Json doc{{"job_name", row.job_name},
           {"report_id", row.report_id},
           {"report_datetime", row.report_datetime},
           {"failure_hash", OrNull(row.failure_hash)},
           {"failure_name", OrNull(row.failure_name)},
           {"driver_name", OrNull(row.driver_name)},
           {"driver_version", OrNull(row.driver_version)},
           {"cab_id_hash", OrNull(row.cab_id_hash)},
           {"event_count", OrNull(row.event_count)},
           {"failure_time", OrNull(row.failure_time)}};
  if (with_device_ids) {
    doc["device_id"] = OrNull(row.device_id);
    doc["hardware_id"] = OrNull(row.hardware_id);
  }
  return doc;
}

void WriteCsvHeader(std::ostream& out, bool with_device_ids) {
  std::string line;
  for (std::string_view column : ExportColumns(with_device_ids)) {
    if (!line.empty()) line += ',';
    line += column;
  }
  out << line << "\r\n";
}

void WriteCsvRow(std::ostream& out, const db::FailureRow& row, bool with_device_ids) {
  std::string line;
  bool first = true;
  for (const Json& value : FailureJson(row, with_device_ids)) {  // in column order
    if (!first) line += ',';
    first = false;
    if (value.is_string()) {
      line += CsvCell(value.get_ref<const std::string&>());
    } else if (value.is_number_integer()) {
      line += std::to_string(value.get<std::int64_t>());
    }  // null: an empty cell
  }
  out << line << "\r\n";
}

void WriteJsonLine(std::ostream& out, const db::FailureRow& row, bool with_device_ids) {
  out << FailureJson(row, with_device_ids).dump(-1, ' ', false, Json::error_handler_t::replace)
      << "\n";
}

}  // namespace hdc::ctl
