// Azure AD v1 token endpoint (docs/hdc-api.md §Authentication) and the bearer check of
// every HDC route. A client signs in with its secret, or, when a certificate is
// registered for it, with a client_assertion (docs/hdc-api.md §Certificate credentials),
// or, when it is a federated client, with a workload token (§Federated credentials).
#include <Poco/URI.h>

#include "emulator/client_assertion.h"
#include "emulator/hash.h"
#include "emulator/json_util.h"
#include "emulator/routes.h"
#include "util/strings.h"
#include "util/time_format.h"

namespace hdc::emulator {
namespace {

constexpr std::string_view kResource = "https://manage.devcenter.microsoft.com";
constexpr std::string_view kJwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

QueryParams ParseForm(const std::string& body) {
  QueryParams out;
  size_t b = 0;
  while (b < body.size()) {
    size_t e = body.find('&', b);
    if (e == std::string::npos) e = body.size();
    const std::string pair = body.substr(b, e - b);
    const size_t eq = pair.find('=');
    std::string k, v;
    Poco::URI::decode(pair.substr(0, eq), k, true);
    if (eq != std::string::npos) Poco::URI::decode(pair.substr(eq + 1), v, true);
    out.emplace_back(k, v);
    b = e + 1;
  }
  return out;
}

std::string Field(const QueryParams& form, std::string_view name) {
  for (const auto& [k, v] : form) {
    if (k == name) return v;
  }
  return "";
}

void SendAadError(Exchange& ex, const AadError& e) {
  const std::string now = util::FormatTimestamp(ex.ctx.clock.Now());
  const std::string trace = Guid(Hash({ex.ctx.options.seed, 0x7ace, std::uint64_t(e.code)}), 1);
  const std::string aad = "AADSTS" + std::to_string(e.code);
  Json body = {
      {"error", e.error},
      {"error_description", aad + ": " + e.text + "\r\nTrace ID: " + trace +
                                "\r\nCorrelation ID: " + trace + "\r\nTimestamp: " + now},
      {"error_codes", {e.code}},
      {"timestamp", now},
      {"trace_id", trace},
      {"correlation_id", trace},
      {"error_uri", "https://login.microsoftonline.com/error?code=" + std::to_string(e.code)}};
  SendBody(ex, e.status, "application/json; charset=utf-8", body.dump());
}

std::string Base64Url(std::string_view bytes) {
  std::string s = Base64(bytes);
  for (char& c : s) c = c == '+' ? '-' : (c == '/' ? '_' : c);
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

// The aud values a client assertion may carry: this endpoint's own URL as the
// request reached it, and the documented v2.0 token endpoint of the same tenant.
std::vector<std::string> Audiences(const Exchange& ex, const std::string& tenant) {
  const std::string base = ex.ctx.api_base + "/" + tenant + "/oauth2/";
  return {base + "token", base + "v2.0/token"};
}

// A certificate client's assertion: verified, and its jti not seen before
// (each is remembered until its exp plus the skew). REQUIRES: ex.ctx.mu held.
std::optional<AadError> CheckAssertion(Exchange& ex, const Client& c, const QueryParams& form) {
  if (!Field(form, "client_secret").empty())
    return AadError{401, "invalid_client", 7000215,
                    "Invalid client secret provided. Ensure the secret being sent in the request "
                    "is the client secret value, not the client secret ID."};
  const util::TimePoint now = ex.ctx.clock.Now();
  AcceptedAssertion accepted;
  if (auto e = VerifyClientAssertion({Field(form, "client_assertion"), Field(form, "client_id"),
                                      c.certificate_pem, Audiences(ex, ex.params.at(0)), now},
                                     &accepted))
    return e;
  auto& seen = ex.ctx.state.assertion_jtis;
  std::erase_if(seen, [&](const auto& entry) { return entry.second <= now; });
  if (!seen.emplace(c.id + " " + accepted.jti, accepted.expires).second)
    return AadError{401, "invalid_client", 50013,
                    "Assertion is invalid: the jti '" + accepted.jti +
                        "' of this client assertion has been used before."};
  return std::nullopt;
}

// A federated client's workload token (emulator/client_assertion.h).
// REQUIRES: ex.ctx.mu held.
std::optional<AadError> CheckFederated(Exchange& ex, const Client& c, const QueryParams& form) {
  if (!Field(form, "client_secret").empty())
    return AadError{401, "invalid_client", 7000215,
                    "Invalid client secret provided. Ensure the secret being sent in the request "
                    "is the client secret value, not the client secret ID."};
  return ex.ctx.issuer.Verify({Field(form, "client_assertion"), ex.ctx.IssuerUrl(),
                               c.federated_subject, ex.ctx.clock.Now()});
}

// A secret client's secret (an assertion is refused: no key is registered).
// REQUIRES: ex.ctx.mu held.
std::optional<AadError> CheckSecret(Exchange& ex, const Client& c, const QueryParams& form) {
  if (!Field(form, "client_assertion").empty())
    return AadError{401, "invalid_client", 700027,
                    "Client assertion failed signature validation. [Reason - The key was not "
                    "found., no certificate is registered for application '" +
                        c.id + "']"};
  if (ex.HasFault(FaultKind::kClientSecretExpired))
    return AadError{401, "invalid_client", 7000222,
                    "The provided client secret keys for app '" + c.id +
                        "' are expired. Visit the Azure portal to create new keys for your app, "
                        "or consider using certificate credentials for added security."};
  if (c.secret != Field(form, "client_secret"))
    return AadError{401, "invalid_client", 7000215,
                    "Invalid client secret provided. Ensure the secret being sent in the request "
                    "is the client secret value, not the client secret ID."};
  return std::nullopt;
}

std::optional<AadError> CheckForm(const QueryParams& form) {
  const std::string grant = Field(form, "grant_type"), id = Field(form, "client_id");
  const std::string assertion = Field(form, "client_assertion");
  if (grant.empty())
    return AadError{400, "invalid_request", 900144,
                    "The request body must contain the following parameter: 'grant_type'."};
  if (grant != "client_credentials")
    return AadError{400, "invalid_request", 70003,
                    "The app requested an unsupported grant type '" + grant + "'."};
  if (id.empty())
    return AadError{400, "invalid_request", 900144,
                    "The request body must contain the following parameter: 'client_id'."};
  if (Field(form, "client_secret").empty() && assertion.empty())
    return AadError{401, "invalid_client", 7000216,
                    "'client_assertion', 'client_secret' or 'request' is required for the "
                    "'client_credentials' grant type."};
  if (!assertion.empty() && Field(form, "client_assertion_type") != kJwtBearer)
    return AadError{400, "invalid_request", 50027,
                    "JWT token is invalid or malformed: client_assertion_type must be " +
                        std::string(kJwtBearer) + "."};
  return std::nullopt;
}

// Checks the form and the client; fills *client on success.
std::optional<AadError> CheckRequest(Exchange& ex, const QueryParams& form, Client* client) {
  const std::string tenant = ex.params.at(0);
  const std::string id = Field(form, "client_id"), resource = Field(form, "resource");
  if (auto e = CheckForm(form)) return e;
  std::lock_guard lock(ex.ctx.mu);
  Client* c = ex.ctx.state.FindClient(id);
  if (c == nullptr)
    return AadError{401, "invalid_client", 700016,
                    "Application with identifier '" + id + "' was not found in the directory '" +
                        tenant + "'."};
  if (!util::EqualsIgnoreCase(c->tenant, tenant))
    return AadError{400, "unauthorized_client", 700016,
                    "Application with identifier '" + id + "' was not found in the directory '" +
                        tenant + "'. The application may not be enabled in this tenant."};
  if (c->revoked)
    return AadError{400, "unauthorized_client", 7000112, "Application '" + id + "' is disabled."};
  auto credential = !c->certificate_pem.empty()     ? CheckAssertion(ex, *c, form)
                    : !c->federated_subject.empty() ? CheckFederated(ex, *c, form)
                                                    : CheckSecret(ex, *c, form);
  if (credential) return credential;
  if (resource.empty())
    return AadError{400, "invalid_request", 50001, "The resource is missing from the request."};
  if (resource != kResource && resource != std::string(kResource) + "/")
    return AadError{400, "invalid_resource", 500011,
                    "The resource principal named " + resource +
                        " was not found in the tenant named " + tenant + "."};
  *client = *c;
  return std::nullopt;
}

void IssueToken(Exchange& ex) {
  const QueryParams form = ParseForm(ex.body);
  Client client;
  if (auto error = CheckRequest(ex, form, &client)) return SendAadError(ex, *error);
  const util::TimePoint now = ex.ctx.clock.Now();
  const auto lifetime = ex.settings.token_lifetime;
  const long long nbf = std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
  const long long exp = nbf + lifetime.count();
  std::string token;
  {
    std::lock_guard lock(ex.ctx.mu);
    const std::uint64_t n = ++ex.ctx.state.token_counter;
    Json claims = {
        {"aud", kResource},     {"iss", "https://sts.windows.net/" + client.tenant + "/"},
        {"iat", nbf},           {"nbf", nbf},
        {"exp", exp},           {"appid", client.id},
        {"tid", client.tenant}, {"jti", std::to_string(n)}};
    token = Base64Url(R"({"typ":"JWT","alg":"RS256"})") + "." + Base64Url(claims.dump()) + "." +
            Base64Url(HmacSha256(std::to_string(ex.ctx.options.seed), std::to_string(n)));
    util::TimePoint expires = now + lifetime;
    if (ex.HasFault(FaultKind::kTokenEarlyExpiry))
      expires = now + std::chrono::seconds(ex.fault.rule.seconds);
    ex.ctx.state.tokens[token] = {client.id, expires};
  }
  ex.ctx.Changed(/*plan=*/false);
  auto num = [&](long long v) -> Json {
    return ex.settings.expires_in_number ? Json(v) : Json(std::to_string(v));
  };
  Json body = {{"token_type", "Bearer"},
               {"expires_in", num(lifetime.count())},
               {"ext_expires_in", num(lifetime.count())},
               {"expires_on", num(exp)},
               {"not_before", num(nbf)},
               {"resource", kResource},
               {"access_token", token}};
  SendBody(ex, 200, "application/json; charset=utf-8", body.dump());
}

void Unauthorized(Exchange& ex, std::string_view why) {
  ex.response.set("WWW-Authenticate", "Bearer error=\"invalid_token\"");
  SendEnvelopeError(ex, 401, "Unauthorized", why);
}

}  // namespace

bool Authorize(Exchange& ex) {
  const std::string header = ex.request.get("Authorization", "");
  if (header.size() < 8 || !util::EqualsIgnoreCase(header.substr(0, 7), "Bearer ")) {
    Unauthorized(ex, "missing bearer token");
    return false;
  }
  const std::string token(util::Trim(header.substr(7)));
  bool access = true;
  std::string_view why;
  {
    std::lock_guard lock(ex.ctx.mu);
    auto it = ex.ctx.state.tokens.find(token);
    Client* c =
        it == ex.ctx.state.tokens.end() ? nullptr : ex.ctx.state.FindClient(it->second.client_id);
    if (c == nullptr)
      why = "invalid token";
    else if (c->revoked)
      why = "client revoked";
    else if (ex.ctx.clock.Now() >= it->second.expires)
      why = "token expired";
    else
      access = c->data_access, ex.tenant = c->tenant;
  }
  if (!why.empty()) {
    Unauthorized(ex, why);
    return false;
  }
  if (!access) {
    SendEnvelopeError(ex, 403, "Forbidden",
                      "the application is not enabled for secure data sharing");
    return false;
  }
  return true;
}

void RegisterTokenRoutes(Router& router) {
  router.Add({"POST", "/{tenant}/oauth2/token", "token", HostKind::kApi, false, IssueToken});
}

}  // namespace hdc::emulator
