// Hardware Dev Center's JSON, parsed into structs: the client's half of
// the calls in docs/hdc-api.md §Endpoints, tolerant of every documented quirk.
//
// - Property names match case-insensitively (and trimmed: the documented
//   " template" key has a leading space).
// - "errors" may be [], null or absent; items may be strings or objects.
// - IDs come as numbers or strings; they are kept as strings.
// - Templates and schedules in listings come as JSON-encoded strings or as
//   objects; schedules in camelCase or PascalCase.
// - Report statuses compare case-insensitively ignoring spaces; unknown
//   statuses and "Completed" without a link count as not ready; duplicate
//   ReportDatetime entries collapse (the most advanced status wins).
// Every parser takes the text and the endpoint path (for messages) and
// returns kBadData with "<path>: <problem>" when the server sent something
// unusable. Texts nested deeper than 64 levels are refused before parsing.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/clock.h"
#include "util/result.h"

namespace hdc::api {

struct RemoteTemplate {
  std::string template_id;
  nlohmann::json body;  // the template object, decoded from its JSON string
  std::string created;
  std::string modified;
};

struct RemoteSchedule {
  std::string report_id;
  std::string template_id;
  // Normalised to the create form: {"startTime", "recurrenceInterval",
  // "recurrence"[, "callbackUrl"]}; numbers as numbers, startTime as
  // "yyyy-MM-ddTHH:mm:ssZ".
  nlohmann::json schedule;
  bool is_active = true;
};

enum class ExecutionStatus { kPending, kInProgress, kCompleted, kFailed, kUnknown };
std::string_view StatusName(ExecutionStatus status);

struct Execution {
  util::TimePoint time;         // ReportDatetime, zone-less = UTC
  std::string report_datetime;  // normalised "yyyy-MM-ddTHH:mm:ssZ"
  ExecutionStatus status = ExecutionStatus::kUnknown;
  std::string raw_status;  // as sent
  std::string location;    // SAS URL when Completed, else empty
  bool ready() const { return status == ExecutionStatus::kCompleted && !location.empty(); }
};

struct CabLink {
  std::string application_id;
  std::string submission_id;
  std::string failure_hash;
  std::string cab_id_hash;
  std::string cab_url;
  std::optional<util::TimePoint> date;
  std::optional<util::TimePoint> expiration;
};

struct CabPage {
  std::vector<CabLink> cabs;
  std::string next_link;  // "@nextLink" when present
};

// Member lookup: trimmed, case-insensitive.
const nlohmann::json* Member(const nlohmann::json& object, std::string_view key);

// Parses text as JSON with the depth guard; kBadData naming `path`.
util::Result<nlohmann::json> ParseJson(std::string_view text, std::string_view path);

// The envelope's errors as one line ("" when none).
std::string EnvelopeErrors(const nlohmann::json& envelope);

util::Result<std::string> ParseCreatedTemplateId(std::string_view text, std::string_view path);
util::Result<std::string> ParseReportId(std::string_view text, std::string_view path);
util::Result<std::vector<RemoteTemplate>> ParseTemplateList(std::string_view text,
                                                            std::string_view path);
util::Result<RemoteTemplate> ParseTemplate(std::string_view text, std::string_view path);
util::Result<std::vector<RemoteSchedule>> ParseScheduleList(std::string_view text,
                                                            std::string_view path);
util::Result<std::vector<Execution>> ParseReportData(std::string_view text, std::string_view path);
util::Result<CabPage> ParseCabPage(std::string_view text, std::string_view path);

}  // namespace hdc::api
