// A job: one report template plus its schedule, as the operator wrote it in
// a "[job NAME]" section, typed and validated.
//
// Validation follows docs/hdc-api.md §Template body: columns, aggregates and
// ordering attributes must exist in the job's view; "having" may use only the
// listed aggregates; order_by names a projected column or a listed aggregate;
// every >= 12h in whole hours; runs >= 1; limit >= 0. Names are canonicalised
// (catalogue spelling, upper-case functions, lower-case operators) so two
// spellings of one job produce one fingerprint.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/columns.h"
#include "config/filter_expr.h"
#include "config/ini_parser.h"
#include "util/clock.h"
#include "util/result.h"

namespace hdc::config {

struct OrderBy {
  std::string attribute;  // a column or an aggregate such as DCOUNT(DeviceId)
  bool descending = false;
  bool operator==(const OrderBy&) const = default;
};

struct TemplateSpec {
  View view = View::kIhvDriver;
  std::vector<std::string> projection;
  std::string period = "Last7Days";
  std::optional<FilterNode> where;
  std::vector<std::string> aggregates;  // "SUM(EventCount)"
  std::optional<FilterNode> having;
  std::vector<OrderBy> order_by;
  std::int64_t limit = 0;  // 0 = all rows
};

struct ScheduleSpec {
  util::TimePoint start;
  std::chrono::hours every{24};
  std::int64_t runs = 1;
  bool callback = false;
};

struct JobSpec {
  std::string name;
  std::string where;  // "jobs.d/a.ini:12" of the section header, for messages
  // The [account NAME] whose tenant holds this job's template and schedule
  // ("default": the unnamed [account]). Job names are unique across the
  // whole configuration, whatever their account (docs/operations.md
  // §Several accounts).
  std::string account = "default";
  // "jobs.d/a.ini:13: [job x] account"; the section's line when the key is
  // not set (the account is then the default).
  std::string account_where;
  std::string template_file;  // set when the template came from a JSON file
  TemplateSpec report;
  ScheduleSpec schedule;
  bool enabled = true;
  bool cabs = false;                   // download the cabs the rows reference
  std::vector<std::string> cab_types;  // canonical: Kernel, Mini, Full; empty = all
};

// Reads a template_file (path relative to the job file's folder already
// resolved); returns its text.
using FileReader = std::function<util::Result<std::string>(const std::string& path)>;

class SectionReader;

// Builds a job from its "[job NAME]" section. `dir` is the folder of the file
// the section came from (template_file is relative to it).
util::Result<JobSpec> BuildJob(SectionReader& reader, std::string_view name, const std::string& dir,
                               const FileReader& read_file);

// Validates and canonicalises a template in place. `where(key)` returns the
// prefix for an error about that key ("a.ini:3: [job x] columns").
using WhereFn = std::function<std::string(std::string_view key)>;
util::Status ValidateTemplate(TemplateSpec& spec, const WhereFn& where);

// The job keys, for documentation and tests.
std::span<const std::string_view> JobKeys();

}  // namespace hdc::config
