#include "emulator/state.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "emulator/json_util.h"
#include "util/strings.h"
#include "util/time_format.h"

namespace hdc::emulator {
namespace {

using Json = nlohmann::json;

long long Ms(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint FromMs(long long ms) { return TimePoint(util::Duration(ms)); }

Json TemplateToJson(const RemoteTemplate& t) {
  Json versions = Json::array();
  for (const auto& v : t.versions) versions.push_back({{"from", Ms(v.from)}, {"json", v.json}});
  return {{"id", t.id},
          {"tenant", t.tenant},
          {"created", Ms(t.created)},
          {"modified", Ms(t.modified)},
          {"versions", versions}};
}

RemoteTemplate TemplateFromJson(const Json& j) {
  RemoteTemplate t;
  t.id = j.at("id").get<std::int64_t>();
  t.tenant = j.value("tenant", "");
  t.created = FromMs(j.at("created").get<long long>());
  t.modified = FromMs(j.at("modified").get<long long>());
  for (const auto& v : j.at("versions"))
    t.versions.push_back({FromMs(v.at("from").get<long long>()), v.at("json").get<std::string>()});
  return t;
}

Json ScheduleToJson(const RemoteSchedule& s) {
  Json pauses = Json::array(), past = Json::array();
  for (const auto& [from, to] : s.pauses) pauses.push_back({Ms(from), Ms(to)});
  for (const auto& r : s.past_runs) past.push_back({Ms(r.slot), r.template_id});
  return {{"id", s.id},
          {"tenant", s.tenant},
          {"templateId", s.template_id},
          {"start", Ms(s.spec.start)},
          {"interval", s.spec.interval_hours},
          {"recurrence", s.spec.recurrence},
          {"callbackUrl", s.spec.callback_url},
          {"active", s.active},
          {"created", Ms(s.created)},
          {"modified", Ms(s.modified)},
          {"effectiveFrom", Ms(s.effective_from)},
          {"pauses", pauses},
          {"pastRuns", past}};
}

RemoteSchedule ScheduleFromJson(const Json& j) {
  RemoteSchedule s;
  s.id = j.at("id").get<std::int64_t>();
  s.tenant = j.value("tenant", "");
  s.template_id = j.at("templateId").get<std::int64_t>();
  s.spec.start = FromMs(j.at("start").get<long long>());
  s.spec.interval_hours = j.at("interval").get<std::int64_t>();
  s.spec.recurrence = j.at("recurrence").get<std::int64_t>();
  s.spec.callback_url = j.at("callbackUrl").get<std::string>();
  s.active = j.at("active").get<bool>();
  s.created = FromMs(j.at("created").get<long long>());
  s.modified = FromMs(j.at("modified").get<long long>());
  s.effective_from = FromMs(j.at("effectiveFrom").get<long long>());
  for (const auto& p : j.at("pauses"))
    s.pauses.emplace_back(FromMs(p.at(0).get<long long>()), FromMs(p.at(1).get<long long>()));
  for (const auto& r : j.at("pastRuns"))
    s.past_runs.push_back({FromMs(r.at(0).get<long long>()), r.at(1).get<std::int64_t>()});
  return s;
}

}  // namespace

bool OwnedBy(std::string_view owner, std::string_view tenant) {
  return owner.empty() || util::EqualsIgnoreCase(owner, tenant);
}

Client* RemoteState::FindClient(std::string_view id) {
  for (auto& c : clients) {
    if (util::EqualsIgnoreCase(c.id, id)) return &c;
  }
  return nullptr;
}

const TemplateVersion* RemoteState::TemplateAt(std::int64_t template_id, TimePoint t) const {
  auto it = templates.find(template_id);
  if (it == templates.end() || it->second.versions.empty()) return nullptr;
  const TemplateVersion* chosen = &it->second.versions.front();
  for (const auto& v : it->second.versions) {
    if (v.from <= t) chosen = &v;
  }
  return chosen;
}

std::string ScheduleText(const ScheduleSpec& spec) {
  Json j = {{"startTime", util::FormatTimestamp(spec.start)},
            {"recurrenceInterval", spec.interval_hours},
            {"recurrence", spec.recurrence}};
  if (!spec.callback_url.empty()) j["callbackUrl"] = spec.callback_url;
  return j.dump();
}

Json RemoteState::ObjectsToJson() const {
  Json t = Json::array(), s = Json::array();
  for (const auto& [id, tpl] : templates) {
    t.push_back({{"templateId", id},
                 {"tenant", tpl.tenant},
                 {"template", Json::parse(tpl.versions.back().json)},
                 {"versions", tpl.versions.size()},
                 {"createdDatetime", ListingDatetime(tpl.created)},
                 {"modifiedDatetime", ListingDatetime(tpl.modified)}});
  }
  for (const auto& [id, sch] : schedules) {
    s.push_back({{"reportId", id},
                 {"tenant", sch.tenant},
                 {"templateId", sch.template_id},
                 {"schedule", Json::parse(ScheduleText(sch.spec))},
                 {"isActive", sch.active},
                 {"createdDatetime", ListingDatetime(sch.created)},
                 {"modifiedDatetime", ListingDatetime(sch.modified)}});
  }
  return {{"templates", t}, {"schedules", s}};
}

Json RemoteState::ToJson() const {
  Json t = Json::array(), s = Json::array(), tok = Json::object();
  for (const auto& [id, tpl] : templates) t.push_back(TemplateToJson(tpl));
  for (const auto& [id, sch] : schedules) s.push_back(ScheduleToJson(sch));
  for (const auto& [text, token] : tokens)
    tok[text] = {{"client", token.client_id}, {"expires", Ms(token.expires)}};
  return {{"version", 1},
          {"templates", t},
          {"schedules", s},
          {"tokens", tok},
          {"nextTemplateId", next_template_id},
          {"nextReportId", next_report_id},
          {"tokenCounter", token_counter}};
}

util::Result<RemoteState> RemoteState::FromJson(const Json& j) {
  RemoteState s;
  try {
    for (const auto& t : j.at("templates")) {
      auto tpl = TemplateFromJson(t);
      s.templates[tpl.id] = tpl;
    }
    for (const auto& e : j.at("schedules")) {
      auto sch = ScheduleFromJson(e);
      s.schedules[sch.id] = sch;
    }
    for (const auto& [text, token] : j.at("tokens").items())
      s.tokens[text] = {token.at("client").get<std::string>(),
                        FromMs(token.at("expires").get<long long>())};
    s.next_template_id = j.at("nextTemplateId").get<std::int64_t>();
    s.next_report_id = j.at("nextReportId").get<std::int64_t>();
    s.token_counter = j.at("tokenCounter").get<std::uint64_t>();
  } catch (const nlohmann::json::exception& e) {
    return util::ConfigError(std::string("state file: ") + e.what());
  }
  return s;
}

util::Status SaveStateFile(const std::string& path, const RemoteState& state) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << state.ToJson().dump(1) << "\n";
    out.flush();
    if (!out) return util::TemporaryError("cannot write " + tmp);
  }
  // std::filesystem::rename replaces an existing file on Windows too, where
  // std::rename refuses to.
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return util::TemporaryError("cannot rename " + tmp + ": " + ec.message());
  return {};
}

util::Result<RemoteState> LoadStateFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return RemoteState{};
  std::stringstream buffer;
  buffer << in.rdbuf();
  Json j = Json::parse(buffer.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return util::ConfigError(path + ": not valid JSON");
  auto s = RemoteState::FromJson(j);
  if (!s.ok()) return s.status().WithContext(path + ": ");
  return s;
}

}  // namespace hdc::emulator
