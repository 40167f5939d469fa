#include "reconcile/template_builder.h"

#include "util/time_format.h"

namespace hdc::reconcile {
namespace {

using nlohmann::json;

json BuildItem(const config::FilterNode& node) {
  if (node.kind != config::FilterNode::Kind::kCompare) {
    return json{{"condition", BuildCondition(node)}};
  }
  json item{{"attribute", node.attribute}, {"operator", node.op}};
  // docs/hdc-api.md §Template body: values are strings; "in" takes an array of strings.
  item["value"] = node.op == "in" ? json(node.values) : json(node.values.at(0));
  return item;
}

}  // namespace

json BuildCondition(const config::FilterNode& node) {
  json items = json::array();
  if (node.kind == config::FilterNode::Kind::kCompare) {
    items.push_back(BuildItem(node));
    return json{{"and", items}};
  }
  for (const config::FilterNode& child : node.children) items.push_back(BuildItem(child));
  return json{{node.kind == config::FilterNode::Kind::kAnd ? "and" : "or", items}};
}

json BuildTemplate(const config::JobSpec& job) {
  const config::TemplateSpec& spec = job.report;
  json body{{"view", std::string(config::ViewName(spec.view))},
            {"projection", spec.projection},
            {"dateRange", {{"reportPeriod", spec.period}}}};
  if (spec.where) body["condition"] = BuildCondition(*spec.where);
  if (!spec.aggregates.empty()) {
    json aggregation{{"aggregatedColumns", spec.aggregates}};
    if (spec.having) aggregation["condition"] = BuildCondition(*spec.having);
    body["aggregation"] = aggregation;
  }
  if (!spec.order_by.empty()) {
    json order = json::array();
    for (const config::OrderBy& o : spec.order_by) {
      order.push_back({{"attribute", o.attribute}, {"sort", o.descending ? "desc" : "asc"}});
    }
    body["orderby"] = order;
  }
  if (spec.limit > 0) body["limit"] = spec.limit;
  return body;
}

json BuildSchedule(const config::JobSpec& job, const std::string& callback_url) {
  json schedule{{"startTime", util::FormatTimestamp(job.schedule.start)},
                {"recurrenceInterval", job.schedule.every.count()},
                {"recurrence", job.schedule.runs}};
  if (job.schedule.callback && !callback_url.empty()) schedule["callbackUrl"] = callback_url;
  return schedule;
}

json BuildCreateScheduleBody(const json& schedule, std::int64_t template_id) {
  return json{{"templateId", template_id}, {"schedule", schedule}};
}

json BuildEditScheduleBody(const json& schedule, std::int64_t template_id) {
  json pascal{{"StartTime", schedule.at("startTime")},
              {"RecurrenceInterval", schedule.at("recurrenceInterval")},
              {"Recurrence", schedule.at("recurrence")}};
  if (schedule.contains("callbackUrl")) pascal["CallbackUrl"] = schedule.at("callbackUrl");
  return json{{"templateId", template_id}, {"Schedule", pascal}};
}

std::string Canonical(const json& value) { return value.dump(); }

std::string CallbackUrl(std::string base, const std::string& token) {
  if (base.empty()) return base;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/callback/" + token;
}

}  // namespace hdc::reconcile
