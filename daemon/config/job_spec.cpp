#include "config/job_spec.h"

#include <algorithm>
#include <array>
#include <filesystem>

#include "config/section_reader.h"
#include "config/service_config.h"
#include "config/template_json.h"
#include "util/strings.h"
#include "util/time_format.h"

namespace hdc::config {
namespace {

using util::Status;

constexpr std::array<std::string_view, 17> kJobKeys{
    "view",     "columns", "period",        "where",   "aggregate", "having",
    "order_by", "limit",   "template_file", "start",   "every",     "runs",
    "callback", "cabs",    "cab_types",     "enabled", "account"};

constexpr std::array<std::string_view, 8> kTemplateKeys{
    "view", "columns", "period", "where", "aggregate", "having", "order_by", "limit"};

constexpr std::array<std::string_view, 3> kCabTypes{"Kernel", "Mini", "Full"};

// "/x", and on Windows also "C:\\x", "C:/x" and "\\\\server\\share\\x".
bool IsAbsolutePath(const std::string& path) {
  return std::filesystem::path(path).is_absolute() || (!path.empty() && path[0] == '/');
}

// Also a folder name in the store on every system: no leading or trailing
// '.' (Windows drops the latter) and no Windows device name.
bool IsPlainName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
                              c == '.';
                     }) &&
         name.front() != '.' && name.back() != '.' && !util::IsWindowsDeviceName(name);
}

std::string ColumnSuffix(const FilterNode& node) {
  if (node.column <= 0) return "";  // from a template file: no expression text
  return " at column " + std::to_string(node.column);
}

// Calls fn on every comparison of the tree, allowing changes.
template <typename Fn>
Status ForEachComparison(FilterNode& node, Fn&& fn) {
  if (node.kind == FilterNode::Kind::kCompare) return fn(node);
  for (FilterNode& child : node.children) HDC_RETURN_IF_ERROR(ForEachComparison(child, fn));
  return Status::Ok();
}

// Canonicalises "sum( eventcount )" to "SUM(EventCount)"; error text on failure.
std::optional<std::string> CanonicalAggregate(View view, std::string_view text,
                                              std::string* error) {
  std::string function, column;
  if (!SplitAggregate(text, &function, &column)) {
    *error = "'" + std::string(text) + "' is not an aggregate such as SUM(EventCount)";
    return std::nullopt;
  }
  auto f = CanonicalFunction(function);
  if (!f) {
    *error = "unknown function '" + function + "' (use SUM, AVG, COUNT, DCOUNT, MAX or MIN)";
    return std::nullopt;
  }
  auto c = CanonicalColumn(view, column);
  if (!c) {
    *error = "unknown column '" + column + "' for view " + std::string(ViewName(view));
    return std::nullopt;
  }
  return std::string(*f) + "(" + std::string(*c) + ")";
}

Status CheckWhere(FilterNode& root, View view, const std::string& prefix) {
  return ForEachComparison(root, [&](FilterNode& node) {
    std::string function, column;
    if (SplitAggregate(node.attribute, &function, &column)) {
      return util::ConfigError(prefix + ": aggregate " + node.attribute +
                               " is only allowed in having" + ColumnSuffix(node));
    }
    auto canonical = CanonicalColumn(view, node.attribute);
    if (!canonical) {
      return util::ConfigError(prefix + ": unknown column '" + node.attribute + "' for view " +
                               std::string(ViewName(view)) + ColumnSuffix(node));
    }
    node.attribute = std::string(*canonical);
    return Status::Ok();
  });
}

Status CheckHaving(FilterNode& root, View view, const std::vector<std::string>& aggregates,
                   const std::string& prefix) {
  return ForEachComparison(root, [&](FilterNode& node) {
    std::string error;
    auto canonical = CanonicalAggregate(view, node.attribute, &error);
    if (!canonical) return util::ConfigError(prefix + ": " + error + ColumnSuffix(node));
    if (std::find(aggregates.begin(), aggregates.end(), *canonical) == aggregates.end()) {
      return util::ConfigError(prefix + ": " + *canonical + " is not listed in aggregate" +
                               ColumnSuffix(node));
    }
    node.attribute = *canonical;
    return Status::Ok();
  });
}

Status CheckOrderBy(TemplateSpec& spec, const std::string& prefix) {
  for (OrderBy& order : spec.order_by) {
    std::string error;
    if (auto aggregate = CanonicalAggregate(spec.view, order.attribute, &error)) {
      if (std::find(spec.aggregates.begin(), spec.aggregates.end(), *aggregate) ==
          spec.aggregates.end()) {
        return util::ConfigError(prefix + ": " + *aggregate + " is not listed in aggregate");
      }
      order.attribute = *aggregate;
      continue;
    }
    auto column = CanonicalColumn(spec.view, order.attribute);
    auto projected = std::find_if(spec.projection.begin(), spec.projection.end(),
                                  [&](const std::string& c) { return column && c == *column; });
    if (projected == spec.projection.end()) {
      return util::ConfigError(prefix + ": '" + order.attribute +
                               "' is neither a projected column nor a listed aggregate");
    }
    order.attribute = *projected;
  }
  return Status::Ok();
}

Status ParseOrderBy(SectionReader& reader, TemplateSpec* spec) {
  std::vector<std::string> items;
  HDC_RETURN_IF_ERROR(reader.GetList("order_by", &items));
  for (const std::string& item : items) {
    OrderBy order;
    std::string_view text = item;
    const size_t space = text.find_last_of(" \t");
    if (space != std::string_view::npos) {
      const std::string_view direction = text.substr(space + 1);
      if (EqualsIgnoreCase(direction, "desc") || EqualsIgnoreCase(direction, "asc")) {
        order.descending = EqualsIgnoreCase(direction, "desc");
        text = text.substr(0, space);
        while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
      }
    }
    order.attribute = std::string(text);
    spec->order_by.push_back(order);
  }
  return Status::Ok();
}

Status ParseExpression(SectionReader& reader, std::string_view key,
                       std::optional<FilterNode>* out) {
  const IniEntry* e = reader.Find(key);
  if (e == nullptr || e->value.empty()) return Status::Ok();
  auto tree = ParseFilter(e->value);
  if (!tree.ok()) return reader.KeyError(*e, tree.status().message());
  *out = std::move(tree).value();
  return Status::Ok();
}

// view, columns, period, where, aggregate, having, order_by, limit.
Status ParseIniTemplate(SectionReader& reader, TemplateSpec* spec) {
  std::string view;
  HDC_RETURN_IF_ERROR(reader.RequireString("view", &view));
  auto parsed_view = ParseView(view);
  if (!parsed_view) {
    return reader.KeyError(*reader.Find("view"),
                           "unknown view '" + view + "'; use IHVDriver or OEMDriver");
  }
  spec->view = *parsed_view;
  if (!reader.Has("columns")) return reader.SectionError("missing required key 'columns'");
  HDC_RETURN_IF_ERROR(reader.GetList("columns", &spec->projection));
  HDC_RETURN_IF_ERROR(reader.GetString("period", &spec->period));
  HDC_RETURN_IF_ERROR(ParseExpression(reader, "where", &spec->where));
  HDC_RETURN_IF_ERROR(reader.GetList("aggregate", &spec->aggregates));
  HDC_RETURN_IF_ERROR(ParseExpression(reader, "having", &spec->having));
  HDC_RETURN_IF_ERROR(ParseOrderBy(reader, spec));
  return reader.GetInt("limit", 0, 1'000'000'000, &spec->limit);
}

Status ParseSchedule(SectionReader& reader, ScheduleSpec* schedule) {
  std::string start;
  HDC_RETURN_IF_ERROR(reader.RequireString("start", &start));
  auto start_time = util::ParseUtcStrict(start);
  if (!start_time.ok())
    return reader.KeyError(*reader.Find("start"), start_time.status().message());
  schedule->start = *start_time;

  if (!reader.Has("every")) return reader.SectionError("missing required key 'every'");
  std::chrono::seconds every{0};
  HDC_RETURN_IF_ERROR(
      reader.GetDuration("every", std::chrono::hours(12), std::chrono::hours(24 * 366), &every));
  if (every % std::chrono::hours(1) != std::chrono::seconds(0)) {
    return reader.KeyError(*reader.Find("every"),
                           "must be a whole number of hours (the API schedules in hours)");
  }
  schedule->every = std::chrono::duration_cast<std::chrono::hours>(every);

  if (!reader.Has("runs")) return reader.SectionError("missing required key 'runs'");
  HDC_RETURN_IF_ERROR(reader.GetInt("runs", 1, 1'000'000, &schedule->runs));
  return reader.GetBool("callback", &schedule->callback);
}

Status ParseCabs(SectionReader& reader, JobSpec* job) {
  const auto& projection = job->report.projection;
  auto projected = [&](std::string_view column) {
    return std::find(projection.begin(), projection.end(), column) != projection.end();
  };
  const bool needs_application_id = job->report.view == View::kIhvDriver;
  const bool can_fetch =
      projected("CabIdHash") && (!needs_application_id || projected("ApplicationId"));
  job->cabs = can_fetch;  // default: fetch cabs when the rows name them
  if (const IniEntry* e = reader.Find("cabs")) {
    bool cabs = false;
    HDC_RETURN_IF_ERROR(reader.GetBool("cabs", &cabs));
    if (cabs && !can_fetch) {
      return reader.KeyError(*e, needs_application_id
                                     ? "cabs = yes needs CabIdHash and ApplicationId in columns"
                                     : "cabs = yes needs CabIdHash in columns");
    }
    job->cabs = cabs;
  }
  std::vector<std::string> types;
  HDC_RETURN_IF_ERROR(reader.GetList("cab_types", &types));
  for (const std::string& type : types) {
    auto match = std::find_if(kCabTypes.begin(), kCabTypes.end(),
                              [&](std::string_view t) { return EqualsIgnoreCase(t, type); });
    if (match == kCabTypes.end()) {
      return reader.KeyError(*reader.Find("cab_types"),
                             "unknown cab type '" + type + "'; use Kernel, Mini or Full");
    }
    job->cab_types.emplace_back(*match);
  }
  return Status::Ok();
}

}  // namespace

std::span<const std::string_view> JobKeys() { return kJobKeys; }

Status ValidateTemplate(TemplateSpec& spec, const WhereFn& where) {
  if (spec.projection.empty()) return util::ConfigError(where("columns") + ": no columns given");
  for (std::string& column : spec.projection) {
    auto canonical = CanonicalColumn(spec.view, column);
    if (!canonical) {
      return util::ConfigError(where("columns") + ": unknown column '" + column + "' for view " +
                               std::string(ViewName(spec.view)));
    }
    column = std::string(*canonical);
  }
  for (size_t i = 0; i < spec.projection.size(); ++i) {
    if (std::count(spec.projection.begin(), spec.projection.end(), spec.projection[i]) > 1) {
      return util::ConfigError(where("columns") + ": column " + spec.projection[i] +
                               " is listed twice");
    }
  }
  auto period = CanonicalPeriod(spec.period);
  if (!period) {
    return util::ConfigError(where("period") + ": unknown period '" + spec.period +
                             "'; use Yesterday, Last3Days, Last7Days, Last10Days, Last15Days, "
                             "Last30Days, Last60Days or Last90Days");
  }
  spec.period = std::string(*period);
  if (spec.where) HDC_RETURN_IF_ERROR(CheckWhere(*spec.where, spec.view, where("where")));
  for (std::string& aggregate : spec.aggregates) {
    std::string error;
    auto canonical = CanonicalAggregate(spec.view, aggregate, &error);
    if (!canonical) return util::ConfigError(where("aggregate") + ": " + error);
    aggregate = *canonical;
  }
  if (spec.having) {
    HDC_RETURN_IF_ERROR(CheckHaving(*spec.having, spec.view, spec.aggregates, where("having")));
  }
  HDC_RETURN_IF_ERROR(CheckOrderBy(spec, where("order_by")));
  if (spec.limit < 0) return util::ConfigError(where("limit") + ": must be 0 or more");
  return Status::Ok();
}

util::Result<JobSpec> BuildJob(SectionReader& reader, std::string_view name, const std::string& dir,
                               const FileReader& read_file) {
  JobSpec job;
  job.name = std::string(name);
  job.where = reader.source() + ":" + std::to_string(reader.section().line);
  if (!IsPlainName(name)) {
    return reader.SectionError("job name '" + job.name +
                               "' must be 1-64 letters, digits, '.', '_' or '-', not "
                               "start or end with '.', and not be a Windows device name (CON, "
                               "NUL, COM1, ...)");
  }
  if (const IniEntry* file = reader.Find("template_file")) {
    for (std::string_view key : kTemplateKeys) {
      if (reader.Has(key)) {
        return reader.KeyError(*reader.Find(key), "cannot be combined with template_file");
      }
    }
    job.template_file = file->value;
    const std::string path = IsAbsolutePath(file->value) ? file->value : dir + "/" + file->value;
    auto text = read_file(path);
    if (!text.ok()) return reader.KeyError(*file, text.status().message());
    auto spec = ParseTemplateJson(*text, path);
    if (!spec.ok()) return spec.status();
    job.report = std::move(spec).value();
    HDC_RETURN_IF_ERROR(ValidateTemplate(
        job.report, [&](std::string_view key) { return path + ": " + std::string(key); }));
  } else {
    HDC_RETURN_IF_ERROR(ParseIniTemplate(reader, &job.report));
    HDC_RETURN_IF_ERROR(ValidateTemplate(job.report, [&](std::string_view key) {
      const IniEntry* e = reader.Find(key);
      return e ? reader.Where(*e)
               : reader.source() + ":" + std::to_string(reader.section().line) + ": [" +
                     reader.section().name + "] " + std::string(key);
    }));
  }
  HDC_RETURN_IF_ERROR(ParseSchedule(reader, &job.schedule));
  HDC_RETURN_IF_ERROR(ParseCabs(reader, &job));
  HDC_RETURN_IF_ERROR(reader.GetBool("enabled", &job.enabled));
  job.account_where = job.where + ": [job " + job.name + "] account";  // the default's
  if (const IniEntry* e = reader.Find("account")) {
    if (!IsAccountName(e->value)) return reader.KeyError(*e, kAccountNameRule);
    job.account = e->value;
    job.account_where = reader.Where(*e);
  }
  HDC_RETURN_IF_ERROR(reader.CheckAllKeysRead());
  return job;
}

}  // namespace hdc::config
