// JobSpec -> the JSON bodies sent to Hardware Dev Center
// (docs/hdc-api.md §Template body, docs/hdc-api.md §Schedule body), in canonical
// form: keys sorted, no insignificant whitespace, names canonicalised by config
// validation. Reconciliation compares remote objects with these, and
// --check-config prints them.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "config/job_spec.h"

namespace hdc::reconcile {

// The template body of "create template" / "edit template".
nlohmann::json BuildTemplate(const config::JobSpec& job);

// The schedule object: {"startTime", "recurrenceInterval", "recurrence"
// [, "callbackUrl"]}. callback_url is used only when the job asks for it.
nlohmann::json BuildSchedule(const config::JobSpec& job, const std::string& callback_url);

// The URL HDC calls when a job's report is ready: [service] callback_url +
// "/callback/" + the daemon's callback token (the control listener's route);
// "" when callback_url is unset.
std::string CallbackUrl(std::string base, const std::string& token);

// "create schedule" body (camelCase): {"templateId": id, "schedule": {...}}.
nlohmann::json BuildCreateScheduleBody(const nlohmann::json& schedule, std::int64_t template_id);
// "edit schedule" body (PascalCase inside, as documented).
nlohmann::json BuildEditScheduleBody(const nlohmann::json& schedule, std::int64_t template_id);

// The condition JSON of a filter tree: {"and": [...]} or {"or": [...]};
// a single comparison is wrapped as {"and": [item]}.
nlohmann::json BuildCondition(const config::FilterNode& node);

// Canonical text: sorted keys, compact.
std::string Canonical(const nlohmann::json& value);

}  // namespace hdc::reconcile
