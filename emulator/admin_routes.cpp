// Test control under /_emulator/ (not part of HDC): clock, faults, settings,
// clients, the request log, remote-object inspection and reset. No token,
// no faults, not logged.
#include <cmath>

#include "emulator/executions.h"
#include "emulator/json_util.h"
#include "emulator/routes.h"
#include "util/scaled_clock.h"
#include "util/time_format.h"

namespace hdc::emulator {
namespace {
using util::ScaledClock;

void Reply(Exchange& ex, int status, const Json& j) {
  SendBody(ex, status, "application/json; charset=utf-8", j.dump());
}

void Refuse(Exchange& ex, int status, const std::string& message) {
  Reply(ex, status, {{"error", message}});
}

std::optional<Json> Body(Exchange& ex) {
  Json j = Json::parse(ex.body.empty() ? "{}" : ex.body, nullptr, false);
  if (j.is_discarded()) {
    Refuse(ex, 400, "body is not JSON");
    return std::nullopt;
  }
  return j;
}

void GetClock(Exchange& ex) {
  const bool manual = dynamic_cast<util::ManualClock*>(&ex.ctx.clock) != nullptr;
  const bool scaled = dynamic_cast<ScaledClock*>(&ex.ctx.clock) != nullptr;
  Reply(ex, 200,
        {{"now", util::FormatTimestamp(ex.ctx.clock.Now(), true)},
         {"mode", manual ? "manual" : (scaled ? "scaled" : "real")}});
}

// {"set":"2024-05-01T00:00:00Z"} or {"advance":"90m"} / {"advance":5400} (seconds);
// {"freeze":true|false} holds a scaled clock still (checks that must see one instant).
void SetClock(Exchange& ex) {
  auto body = Body(ex);
  if (!body) return;
  auto* manual = dynamic_cast<util::ManualClock*>(&ex.ctx.clock);
  auto* scaled = dynamic_cast<ScaledClock*>(&ex.ctx.clock);
  if (manual == nullptr && scaled == nullptr)
    return Refuse(ex, 409, "the clock is real; start with --clock manual");
  if (const Json* set = FindMember(*body, "set")) {
    auto t = set->is_string() ? util::ParseTimestamp(set->get<std::string>())
                              : util::Result<util::TimePoint>(util::UsageError("x"));
    if (!t.ok()) return Refuse(ex, 400, "set: bad timestamp");
    manual ? manual->Set(*t) : scaled->Set(*t);
  }
  if (const Json* adv = FindMember(*body, "advance")) {
    util::Duration d{0};
    if (adv->is_number()) {
      // Seconds; beyond about 3,000 years the milliseconds would not fit.
      const double seconds = adv->get<double>();
      if (!std::isfinite(seconds) || std::fabs(seconds) > 1e11) {
        return Refuse(ex, 400, "advance: seconds out of range");
      }
      d = util::Duration(static_cast<long long>(seconds * 1000));
    } else if (auto p = adv->is_string()
                            ? util::ParseDuration(adv->get<std::string>())
                            : util::Result<std::chrono::seconds>(util::UsageError("x"));
               p.ok()) {
      d = *p;
    } else {
      return Refuse(ex, 400, "advance: expected seconds or a duration like 90m");
    }
    manual ? manual->Advance(d) : scaled->Advance(d);
  }
  if (const Json* freeze = FindMember(*body, "freeze")) {
    if (!freeze->is_boolean()) return Refuse(ex, 400, "freeze: expected true or false");
    if (scaled == nullptr)
      return Refuse(ex, 409, "freeze: the clock is manual, it moves only when told");
    scaled->Freeze(freeze->get<bool>());
  }
  GetClock(ex);
}

void GetFaults(Exchange& ex) { Reply(ex, 200, FaultRulesToJson(ex.ctx.faults.rules())); }

void SetFaults(Exchange& ex) {
  auto body = Body(ex);
  if (!body) return;
  auto rules = ParseFaultRules(*body);
  if (!rules.ok()) return Refuse(ex, 400, rules.status().message());
  ex.ctx.faults.Set(*rules);
  GetFaults(ex);
}

void ClearFaults(Exchange& ex) {
  ex.ctx.faults.Set({});
  GetFaults(ex);
}

void GetRequests(Exchange& ex) {
  Json out = Json::array();
  for (const auto& r : ex.ctx.log.Records()) {
    out.push_back({{"host", r.host},
                   {"method", r.method},
                   {"path", r.path},
                   {"status", r.status},
                   {"authorization", r.authorization}});
  }
  Reply(ex, 200, out);
}

void ClearRequests(Exchange& ex) {
  ex.ctx.log.Clear();
  Reply(ex, 200, Json::array());
}

void GetState(Exchange& ex) {
  Json j;
  {
    std::lock_guard lock(ex.ctx.mu);
    j = ex.ctx.state.ObjectsToJson();
    std::size_t runs = 0;
    for (const auto& [id, s] : ex.ctx.state.schedules)
      runs += ExecutionsOf(s, ex.ctx.clock.Now(), ex.ctx.settings, ex.ctx.options.seed).size();
    j["counts"] = {{"templates", ex.ctx.state.templates.size()},
                   {"schedules", ex.ctx.state.schedules.size()},
                   {"executions", runs},
                   {"tokens", ex.ctx.state.tokens.size()}};
  }
  j["now"] = util::FormatTimestamp(ex.ctx.clock.Now(), true);
  j["seed"] = ex.ctx.options.seed;
  Reply(ex, 200, j);
}

void Reset(Exchange& ex) {
  {
    std::lock_guard lock(ex.ctx.mu);
    RemoteState fresh;
    fresh.clients = ex.ctx.state.clients;
    for (auto& c : fresh.clients) c.revoked = false, c.data_access = true;
    ex.ctx.state = std::move(fresh);
    ex.ctx.settings = ex.ctx.options.settings;
  }
  {
    std::lock_guard lock(ex.ctx.meta_mu);
    ex.ctx.meta.clear();
  }
  ex.ctx.faults.Set({});
  ex.ctx.log.Clear();
  ex.ctx.Changed();
  Reply(ex, 200, {{"reset", true}});
}

void GetSettings(Exchange& ex) { Reply(ex, 200, SettingsToJson(ex.ctx.GetSettings())); }

void SetSettings(Exchange& ex) {
  auto body = Body(ex);
  if (!body) return;
  util::Status st;
  {
    std::lock_guard lock(ex.ctx.mu);
    st = ApplySettings(ex.ctx.settings, *body);
  }
  if (!st.ok()) return Refuse(ex, 400, st.message());
  ex.ctx.Changed();  // durations changed: re-plan callbacks
  GetSettings(ex);
}

// {"tenant","client_id","secret","data_access":true}: adds or replaces.
void AddClient(Exchange& ex) {
  auto body = Body(ex);
  if (!body) return;
  Client c;
  try {
    c.tenant = body->at("tenant").get<std::string>();
    c.id = body->at("client_id").get<std::string>();
    c.secret = body->at("secret").get<std::string>();
    c.data_access = body->value("data_access", true);
  } catch (const nlohmann::json::exception&) {
    return Refuse(ex, 400, "expected tenant, client_id, secret");
  }
  {
    std::lock_guard lock(ex.ctx.mu);
    if (Client* old = ex.ctx.state.FindClient(c.id))
      *old = c;
    else
      ex.ctx.state.clients.push_back(c);
  }
  Reply(ex, 200, {{"client_id", c.id}});
}

// {"subject", "lifetime_seconds": 3600, "issuer": IssuerUrl(), "audience":
// api://AzureADTokenExchange}: a workload token of the emulator's issuer, as
// a Kubernetes or CI identity provider would hand a workload.
void MintFederatedToken(Exchange& ex) {
  auto body = Body(ex);
  if (!body) return;
  WorkloadIssuer::Claims claims;
  try {
    claims.subject = body->at("subject").get<std::string>();
    claims.issuer = body->value("issuer", ex.ctx.IssuerUrl());
    claims.audience = body->value("audience", std::string(kTokenExchangeAudience));
    claims.lifetime = std::chrono::seconds(body->value("lifetime_seconds", 3600));
  } catch (const nlohmann::json::exception&) {
    return Refuse(ex, 400, "expected subject, and optionally lifetime_seconds, issuer, audience");
  }
  claims.issued = ex.ctx.clock.Now();
  const std::string token = ex.ctx.issuer.Mint(claims);
  Reply(ex, 200, {{"token", token}, {"issuer", claims.issuer}});
}

void SetRevoked(Exchange& ex, bool revoked) {
  bool found = false;
  {
    std::lock_guard lock(ex.ctx.mu);
    if (Client* c = ex.ctx.state.FindClient(ex.params.at(0))) c->revoked = revoked, found = true;
  }
  if (!found) return Refuse(ex, 404, "no such client");
  Reply(ex, 200, {{"client_id", ex.params.at(0)}, {"revoked", revoked}});
}

}  // namespace

void RegisterAdminRoutes(Router& router) {
  auto add = [&](std::string method, std::string path, Handler h) {
    router.Add(
        {std::move(method), "/_emulator/" + path, "admin", HostKind::kApi, false, std::move(h)});
  };
  add("GET", "clock", GetClock);
  add("POST", "clock", SetClock);
  add("GET", "faults", GetFaults);
  add("POST", "faults", SetFaults);
  add("DELETE", "faults", ClearFaults);
  add("GET", "requests", GetRequests);
  add("DELETE", "requests", ClearRequests);
  add("GET", "state", GetState);
  add("POST", "reset", Reset);
  add("GET", "settings", GetSettings);
  add("POST", "settings", SetSettings);
  add("POST", "clients", AddClient);
  add("POST", "federated-token", MintFederatedToken);
  add("POST", "clients/{id}/revoke", [](Exchange& ex) { SetRevoked(ex, true); });
  add("POST", "clients/{id}/restore", [](Exchange& ex) { SetRevoked(ex, false); });
}

}  // namespace hdc::emulator
