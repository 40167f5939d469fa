// Report templates: create, list, get, edit (docs/hdc-api.md §Templates).
#include "emulator/json_util.h"
#include "emulator/routes.h"
#include "emulator/template_spec.h"

namespace hdc::emulator {
namespace {

// Parses and validates the body; on refusal answers 400 and returns null.
std::optional<std::string> AcceptTemplate(Exchange& ex) {
  const Json body = Json::parse(ex.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    SendEnvelopeError(ex, 400, "MalformedBody", "the body is not valid JSON");
    return std::nullopt;
  }
  auto spec = ParseTemplate(body);
  if (!spec.ok()) {
    const std::string& m = spec.status().message();
    const size_t colon = m.find(": ");
    SendEnvelopeError(ex, 400, m.substr(0, colon), m.substr(colon + 2));
    return std::nullopt;
  }
  return body.dump();
}

std::optional<std::int64_t> IdParam(const Exchange& ex) {
  Json wrapper = {{"id", ex.params.at(0)}};
  return IntMember(wrapper, "id");
}

Json Listing(const RemoteTemplate& t) {
  return {{"templateId", t.id},
          {"template", t.versions.back().json},
          {"createdDatetime", ListingDatetime(t.created)},
          {"modifiedDatetime", ListingDatetime(t.modified)}};
}

void Create(Exchange& ex) {
  auto text = AcceptTemplate(ex);
  if (!text) return;
  std::int64_t id = 0;
  {
    std::lock_guard lock(ex.ctx.mu);
    const util::TimePoint now = ex.ctx.clock.Now();
    id = ex.ctx.state.next_template_id++;
    ex.ctx.state.templates[id] = {id, ex.tenant, {{now, *text}}, now, now};
  }
  ex.ctx.Changed(/*plan=*/false);
  SendEnvelope(ex, 201, {{"templateId", id}}, ErrorsDefault::kNull);
}

void List(Exchange& ex) {
  Json data = Json::array();
  {
    std::lock_guard lock(ex.ctx.mu);
    for (const auto& [id, t] : ex.ctx.state.templates) {
      if (OwnedBy(t.tenant, ex.tenant)) data.push_back(Listing(t));
    }
  }
  SendEnvelope(ex, 200, data);
}

void Get(Exchange& ex) {
  auto id = IdParam(ex);
  Json data;
  {
    std::lock_guard lock(ex.ctx.mu);
    auto it = id ? ex.ctx.state.templates.find(*id) : ex.ctx.state.templates.end();
    if (it != ex.ctx.state.templates.end() && OwnedBy(it->second.tenant, ex.tenant))
      data = Listing(it->second);
  }
  if (data.is_null())
    return SendEnvelopeError(ex, 404, "NotFound", "no template " + ex.params.at(0));
  SendEnvelope(ex, 200, data);
}

void Edit(Exchange& ex) {
  auto id = IdParam(ex);
  bool known = false;
  {
    std::lock_guard lock(ex.ctx.mu);
    auto it = id ? ex.ctx.state.templates.find(*id) : ex.ctx.state.templates.end();
    known = it != ex.ctx.state.templates.end() && OwnedBy(it->second.tenant, ex.tenant);
  }
  if (!known) return SendEnvelopeError(ex, 404, "NotFound", "no template " + ex.params.at(0));
  auto text = AcceptTemplate(ex);
  if (!text) return;
  {
    std::lock_guard lock(ex.ctx.mu);
    auto it = ex.ctx.state.templates.find(*id);
    known = it != ex.ctx.state.templates.end();  // false after a concurrent reset
    if (known) {
      const util::TimePoint now = ex.ctx.clock.Now();
      it->second.versions.push_back({now, *text});
      it->second.modified = now;
    }
  }
  if (!known) return SendEnvelopeError(ex, 404, "NotFound", "no template " + ex.params.at(0));
  ex.ctx.Changed(/*plan=*/false);
  SendEnvelope(ex, 201, {{"templateId", std::to_string(*id)}});  // quoted, as documented
}

}  // namespace

void RegisterTemplateRoutes(Router& router) {
  const std::string base = "/analytics/driver/reporttemplate";
  router.Add({"POST", base, "template.create", HostKind::kApi, true, Create});
  router.Add({"GET", base, "template.list", HostKind::kApi, true, List});
  router.Add({"GET", base + "/{id}", "template.get", HostKind::kApi, true, Get});
  router.Add({"POST", base + "/{id}", "template.edit", HostKind::kApi, true, Edit});
}

}  // namespace hdc::emulator
