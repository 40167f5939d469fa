// Canonical form of a template as the server lists it, so that a remote
// template and a job's template compare equal exactly when they mean the
// same report (docs/hdc-api.md §Template body: property names and operators in any case,
// functions in any case, values as strings or numbers, "in" as an array or a
// comma-separated string, "view" with stray spaces, {"or": [x]} the same as
// {"and": [x]}, an empty condition the same as none, limit 0 the same as none,
// sort defaulting to asc). Pure functions.
#pragma once

#include <nlohmann/json.hpp>

namespace hdc::reconcile {

nlohmann::json NormaliseTemplate(const nlohmann::json& body);

}  // namespace hdc::reconcile
