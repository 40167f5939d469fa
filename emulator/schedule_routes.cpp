// Schedules ("reports") and their executions: create, list, get (extension),
// edit, pause, resume, report data (docs/hdc-api.md §Schedules, docs/hdc-api.md §Report data).
#include "emulator/executions.h"
#include "emulator/json_util.h"
#include "emulator/routes.h"
#include "util/time_format.h"

namespace hdc::emulator {
namespace {

constexpr auto kReportLinkLifetime = std::chrono::hours(12);

std::optional<std::int64_t> IdParam(const Exchange& ex) {
  Json wrapper = {{"id", ex.params.at(0)}};
  return IntMember(wrapper, "id");
}

struct ParsedSchedule {
  std::int64_t template_id = 0;
  ScheduleSpec spec;
};

// Reads {"templateId", "schedule": {...}} in any key case; on refusal
// answers 400 and returns nullopt.
std::optional<ParsedSchedule> AcceptSchedule(Exchange& ex) {
  const Json body = Json::parse(ex.body, nullptr, false);
  auto refuse = [&](std::string_view code, std::string_view m) {
    SendEnvelopeError(ex, 400, code, m);
    return std::nullopt;
  };
  if (body.is_discarded() || !body.is_object())
    return refuse("MalformedBody", "the body is not a JSON object");
  ParsedSchedule p;
  auto tid = IntMember(body, "templateId");
  if (!tid) return refuse("InvalidTemplateId", "templateId is required");
  p.template_id = *tid;
  const Json* s = FindMember(body, "schedule");
  if (s == nullptr || !s->is_object())
    return refuse("InvalidSchedule", "schedule object is required");
  const Json* start = FindMember(*s, "startTime");
  auto t = start && start->is_string() ? util::ParseTimestamp(start->get<std::string>())
                                       : util::Result<util::TimePoint>(util::BadDataError("x"));
  if (!t.ok()) return refuse("InvalidStartTime", "startTime must be yyyy-MM-ddTHH:mm:ssZ");
  p.spec.start = *t;
  auto interval = IntMember(*s, "recurrenceInterval");
  if (!interval || *interval < 12)
    return refuse("InvalidRecurrenceInterval", "recurrenceInterval must be at least 12 (hours)");
  p.spec.interval_hours = *interval;
  auto count = IntMember(*s, "recurrence");
  if (!count || *count < 1) return refuse("InvalidRecurrence", "recurrence must be at least 1");
  p.spec.recurrence = *count;
  const Json* cb = FindMember(*s, "callbackUrl");
  if (cb == nullptr) cb = FindMember(body, "callbackUrl");
  if (cb != nullptr && cb->is_string()) p.spec.callback_url = cb->get<std::string>();
  bool known = false;
  {
    std::lock_guard lock(ex.ctx.mu);
    auto it = ex.ctx.state.templates.find(p.template_id);
    known = it != ex.ctx.state.templates.end() && OwnedBy(it->second.tenant, ex.tenant);
  }
  if (!known) return refuse("UnknownTemplate", "no template " + std::to_string(p.template_id));
  return p;
}

Json Listing(const RemoteSchedule& s) {
  return {{"reportId", s.id},
          {"templateId", s.template_id},
          {"schedule", ScheduleText(s.spec)},
          {"isActive", s.active},
          {"createdDatetime", ListingDatetime(s.created)},
          {"modifiedDatetime", ListingDatetime(s.modified)}};
}

void Create(Exchange& ex) {
  auto p = AcceptSchedule(ex);
  if (!p) return;
  std::int64_t id = 0;
  {
    std::lock_guard lock(ex.ctx.mu);
    const util::TimePoint now = ex.ctx.clock.Now();
    id = ex.ctx.state.next_report_id++;
    RemoteSchedule s;
    s.id = id;
    s.tenant = ex.tenant;
    s.template_id = p->template_id;
    s.spec = p->spec;
    s.created = s.modified = s.effective_from = now;
    ex.ctx.state.schedules[id] = s;
  }
  ex.ctx.Changed();
  SendEnvelope(ex, 201, {{"reportId", id}});
}

void List(Exchange& ex) {
  Json data = Json::array();
  {
    std::lock_guard lock(ex.ctx.mu);
    for (const auto& [id, s] : ex.ctx.state.schedules) {
      if (OwnedBy(s.tenant, ex.tenant)) data.push_back(Listing(s));
    }
  }
  SendEnvelope(ex, 201, data);  // 201 for a GET, as documented
}

// Runs `change` on the schedule named in the path; 404 when unknown.
template <typename Fn>
bool WithSchedule(Exchange& ex, Fn change) {
  auto id = IdParam(ex);
  bool found = false;
  {
    std::lock_guard lock(ex.ctx.mu);
    auto it = id ? ex.ctx.state.schedules.find(*id) : ex.ctx.state.schedules.end();
    if (it != ex.ctx.state.schedules.end() && OwnedBy(it->second.tenant, ex.tenant)) {
      found = true;
      change(it->second);
    }
  }
  if (!found) SendEnvelopeError(ex, 404, "NotFound", "no report " + ex.params.at(0));
  return found;
}

void GetOne(Exchange& ex) {
  Json data = Json::array();
  if (WithSchedule(ex, [&](RemoteSchedule& s) { data.push_back(Listing(s)); }))
    SendEnvelope(ex, 200, data);
}

void Edit(Exchange& ex) {
  if (!WithSchedule(ex, [](RemoteSchedule&) {})) return;
  auto p = AcceptSchedule(ex);
  if (!p) return;
  const util::TimePoint now = ex.ctx.clock.Now();
  if (!WithSchedule(ex, [&](RemoteSchedule& s) {
        ReplaceSpec(s, p->spec, p->template_id, now, ex.ctx.settings, ex.ctx.options.seed);
      }))
    return;
  ex.ctx.Changed();
  SendEnvelope(ex, 201, {{"reportId", *IdParam(ex)}});
}

void SetActive(Exchange& ex, bool active) {
  const util::TimePoint now = ex.ctx.clock.Now();
  bool changed = false;
  if (!WithSchedule(ex, [&](RemoteSchedule& s) {
        if (s.active == active) return;
        changed = true;
        s.active = active;
        s.modified = now;
        if (!active)
          s.pauses.emplace_back(now, util::TimePoint::max());
        else if (!s.pauses.empty())
          s.pauses.back().second = now;
      }))
    return;
  if (changed) ex.ctx.Changed();
  SendEnvelope(ex, 201, {{"reportId", *IdParam(ex)}});
}

// "yyyy-MM-dd" → that day's start; nullopt (and 400 sent) when malformed.
std::optional<util::TimePoint> DateParam(Exchange& ex, std::string_view name, bool* bad) {
  auto v = ex.Query(name);
  if (!v || v->empty()) return std::nullopt;
  auto t = v->size() == 10 ? util::ParseTimestamp(*v)
                           : util::Result<util::TimePoint>(util::BadDataError(""));
  if (!t.ok()) {
    *bad = true;
    SendEnvelopeError(ex, 400, "InvalidDate", std::string(name) + " must be yyyy-MM-dd");
    return std::nullopt;
  }
  return *t;
}

void ReportData(Exchange& ex) {
  bool bad = false;
  const auto from = DateParam(ex, "startDate", &bad);
  if (bad) return;
  const auto to = DateParam(ex, "endDate", &bad);
  if (bad) return;
  std::vector<Execution> runs;
  const util::TimePoint now = ex.ctx.clock.Now();
  if (!WithSchedule(ex, [&](RemoteSchedule& s) {
        runs = ExecutionsOf(s, now, ex.ctx.settings, ex.ctx.options.seed);
      }))
    return;
  Json data = Json::array();
  for (const auto& e : runs) {
    if (from && e.slot < *from) continue;
    if (to && e.slot >= *to + std::chrono::days(1)) continue;
    std::string when = util::FormatTimestamp(e.slot);
    when.pop_back();  // no zone, as documented
    const bool done = e.status == RunStatus::kCompleted;
    Json entry = {
        {"ReportDatetime", when},
        {"ReportStatus", RunStatusName(e.status)},
        {"ReportLocation",
         done ? BlobUrl(ex, ReportBlobPath(e.report_id, e.slot), kReportLinkLifetime) : ""}};
    data.push_back(entry);
    if (ex.HasFault(FaultKind::kDuplicateExecutions)) data.push_back(entry);
  }
  SendEnvelope(ex, 200, data);
}

}  // namespace

std::string ReportBlobPath(std::int64_t report_id, util::TimePoint slot) {
  return "/drivers/Reports/" + std::to_string(report_id) + "/" + util::FormatCompact(slot) + ".txt";
}

void RegisterScheduleRoutes(Router& router) {
  const std::string base = "/analytics/driver/report";
  router.Add({"POST", base, "schedule.create", HostKind::kApi, true, Create});
  router.Add({"GET", base, "schedule.list", HostKind::kApi, true, List});
  router.Add({"POST", base + "/pause/{id}", "schedule.pause", HostKind::kApi, true,
              [](Exchange& ex) { SetActive(ex, false); }});
  router.Add({"POST", base + "/resume/{id}", "schedule.resume", HostKind::kApi, true,
              [](Exchange& ex) { SetActive(ex, true); }});
  router.Add({"GET", base + "/{id}", "schedule.get", HostKind::kApi, true, GetOne});
  router.Add({"POST", base + "/{id}", "schedule.edit", HostKind::kApi, true, Edit});
  router.Add(
      {"GET", "/analytics/driver/reportdata/{id}", "reportdata", HostKind::kApi, true, ReportData});
}

}  // namespace hdc::emulator
