// Reads a template_file: Microsoft's template JSON (docs/hdc-api.md §Template body) into a
// TemplateSpec, so templates copied from the samples go through the same
// validation as INI-written ones. Private to config/.
#pragma once

#include <string>
#include <string_view>

#include "config/job_spec.h"
#include "util/result.h"

namespace hdc::config {

// `source` names the file in errors ("jobs.d/sample.json: condition: ...").
util::Result<TemplateSpec> ParseTemplateJson(std::string_view text, const std::string& source);

}  // namespace hdc::config
