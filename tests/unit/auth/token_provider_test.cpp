#include "auth/token_provider.h"

#include <doctest/doctest.h>

#include "support/scripted_http.h"
#include "util/time_format.h"

namespace hdc::auth {
namespace {

using hdc::testing::ScriptedHttp;
using hdc::testing::ScriptedReply;

util::TimePoint T0() { return *util::ParseTimestamp("2026-11-01T00:00:00Z"); }

TokenOptions Options() {
  TokenOptions o;
  o.login_url = "http://127.0.0.1:9";
  o.tenant_id = "tenant-1";
  o.client_id = "client-1";
  return o;
}

// The identity platform refusing a sign-in, with its error body.
ScriptedReply RefusedWith(int status, std::string body) { return {status, std::move(body)}; }

constexpr const char* kInvalidSecret =
    R"J({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1","error_codes":[7000215]})J";

ScriptedReply TokenReply(const std::string& token, const std::string& expires_in = "\"3599\"") {
  return {200, R"J({"token_type":"Bearer","expires_in":)J" + expires_in +
                   R"J(,"resource":"https://manage.devcenter.microsoft.com","access_token":")J" +
                   token + "\"}"};
}

TEST_CASE("the token request is the documented client-credentials form post") {
  ScriptedHttp http([](const http::Request&) { return TokenReply("tok-1"); });
  util::ManualClock clock(T0());
  util::Random random(1);
  TokenProvider provider(Options(), Credential::FromSecret("s3cr&t=", "client secret"), http, clock,
                         random, {});
  CHECK(*provider.Token() == "tok-1");
  const auto requests = http.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "POST");
  CHECK(requests[0].url == "http://127.0.0.1:9/tenant-1/oauth2/token");
  CHECK(hdc::testing::HeaderOf(requests[0], "Content-Type") ==
        "application/x-www-form-urlencoded; charset=utf-8");
  CHECK(requests[0].body ==
        "grant_type=client_credentials&client_id=client-1&client_secret=s3cr%26t%3D"
        "&resource=https%3A%2F%2Fmanage.devcenter.microsoft.com");
}

TEST_CASE("a token is cached and renewed when less than five minutes remain") {
  int issued = 0;
  ScriptedHttp http(
      [&](const http::Request&) { return TokenReply("tok-" + std::to_string(++issued)); });
  util::ManualClock clock(T0());
  util::Random random(1);
  TokenProvider provider(Options(), Credential::FromSecret("secret-1", "client secret"), http,
                         clock, random, {});
  CHECK(*provider.Token() == "tok-1");
  clock.Advance(std::chrono::minutes(54));  // 59:59 lifetime, 5:59 left
  CHECK(*provider.Token() == "tok-1");
  clock.Advance(std::chrono::seconds(60));  // 4:59 left
  CHECK(*provider.Token() == "tok-2");
  CHECK(http.requests().size() == 2);
}

TEST_CASE("expires_in is accepted as a number, and short tokens renew at half-life") {
  int issued = 0;
  ScriptedHttp http(
      [&](const http::Request&) { return TokenReply("t" + std::to_string(++issued), "120"); });
  util::ManualClock clock(T0());
  util::Random random(1);
  TokenProvider provider(Options(), Credential::FromSecret("secret-1", "client secret"), http,
                         clock, random, {});
  CHECK(*provider.Token() == "t1");
  clock.Advance(std::chrono::seconds(59));
  CHECK(*provider.Token() == "t1");
  clock.Advance(std::chrono::seconds(1));
  CHECK(*provider.Token() == "t2");
}

TEST_CASE("invalidating the cached token fetches a new one, other tokens are ignored") {
  int issued = 0;
  ScriptedHttp http(
      [&](const http::Request&) { return TokenReply("tok-" + std::to_string(++issued)); });
  util::ManualClock clock(T0());
  util::Random random(1);
  TokenProvider provider(Options(), Credential::FromSecret("secret-1", "client secret"), http,
                         clock, random, {});
  CHECK(*provider.Token() == "tok-1");
  provider.Invalidate("something-else");
  CHECK(*provider.Token() == "tok-1");
  provider.Invalidate("tok-1");
  CHECK(*provider.Token() == "tok-2");
}

TEST_CASE("a refused credential is an auth error with the server's code and no secret") {
  ScriptedHttp http([](const http::Request&) { return RefusedWith(401, kInvalidSecret); });
  util::ManualClock clock(T0());
  util::Random random(1);
  TokenProvider provider(Options(), Credential::FromSecret("the-secret-value", "client secret"),
                         http, clock, random, {});
  auto token = provider.Token();
  REQUIRE_FALSE(token.ok());
  CHECK(token.status().kind() == util::ErrorKind::kAuth);
  CHECK(token.status().exit_code() == 77);
  CHECK(token.status().message() ==
        "token request to http://127.0.0.1:9/tenant-1/oauth2/token refused (HTTP 401): "
        "invalid_client: AADSTS7000215: Invalid client secret provided.");
  CHECK(token.status().message().find("the-secret-value") == std::string::npos);
}

TEST_CASE("an expired client secret (AADSTS7000222) says so and how to replace it") {
  ScriptedHttp http([](const http::Request&) {
    return RefusedWith(
        401,
        R"J({"error":"invalid_client","error_description":"AADSTS7000222: The provided client secret keys for app 'client-1' are expired.","error_codes":[7000222]})J");
  });
  util::ManualClock clock(T0());
  util::Random random(1);
  TokenProvider provider(Options(), Credential::FromSecret("the-secret-value", "client secret"),
                         http, clock, random, {});
  auto token = provider.Token();
  REQUIRE_FALSE(token.ok());
  CHECK(token.status().kind() == util::ErrorKind::kAuth);
  CHECK(token.status().message() ==
        "token request to http://127.0.0.1:9/tenant-1/oauth2/token refused: the client secret has "
        "expired (AADSTS7000222); create a new one in Partner Center or the Azure portal (the app "
        "registration's Certificates & secrets) and write it to client_secret_file");
  CHECK(token.status().message().find('\n') == std::string::npos);
}

TEST_CASE("an unauthorized_client answer on 400 is an auth error too") {
  ScriptedHttp http([](const http::Request&) {
    return RefusedWith(
        400,
        R"J({"error":"unauthorized_client","error_description":"AADSTS700016: app not found"})J");
  });
  util::ManualClock clock(T0());
  util::Random random(1);
  TokenProvider provider(Options(), Credential::FromSecret("secret-1", "client secret"), http,
                         clock, random, {});
  CHECK(provider.Token().status().message().ends_with(
      "refused (HTTP 400): unauthorized_client: AADSTS700016: app not found"));
}

// A service that accepts one secret only: "rotated" after the operator's
// rewrite, refusing the old one.
ScriptedReply AcceptsOnly(const http::Request& request, const std::string& secret) {
  if (request.body.find("client_secret=" + secret + "&") == std::string::npos) {
    return RefusedWith(401, kInvalidSecret);
  }
  return TokenReply("tok-for-" + secret);
}

// Options whose re-read finds `secret` in the file, counting the reads.
TokenOptions RereadingOptions(int& reads, std::string secret) {
  TokenOptions options = Options();
  options.reload = [&reads, secret]() -> util::Result<Credential> {
    ++reads;
    return Credential::FromSecret(secret, "client secret from file /run/s");
  };
  return options;
}

TEST_CASE(
    "a refused secret is re-read once and a rotated one signs in within the same Token() call") {
  ScriptedHttp http([](const http::Request& r) { return AcceptsOnly(r, "new-secret"); });
  util::ManualClock clock(T0());
  util::Random random(1);
  int reads = 0;
  const TokenOptions options = RereadingOptions(reads, "new-secret");
  TokenProvider provider(options, Credential::FromSecret("old-secret", "client secret"), http,
                         clock, random, {});
  CHECK(*provider.Token() == "tok-for-new-secret");
  CHECK(reads == 1);
  CHECK(http.requests().size() == 2);  // the refused one, then the new secret's
  // The new secret is kept: later tokens need no re-read.
  clock.Advance(std::chrono::hours(1));
  CHECK(*provider.Token() == "tok-for-new-secret");
  CHECK(reads == 1);
}

TEST_CASE("a refused secret that re-reads the same is refused without a second request") {
  ScriptedHttp http([](const http::Request& r) { return AcceptsOnly(r, "new-secret"); });
  util::ManualClock clock(T0());
  util::Random random(1);
  int reads = 0;
  const TokenOptions options = RereadingOptions(reads, "old-secret");
  TokenProvider provider(options, Credential::FromSecret("old-secret", "client secret"), http,
                         clock, random, {});
  auto token = provider.Token();
  REQUIRE_FALSE(token.ok());
  CHECK(token.status().kind() == util::ErrorKind::kAuth);
  CHECK(reads == 1);
  CHECK(http.requests().size() == 1);
}

TEST_CASE("a credential that cannot be re-read keeps the refusal, and an outage is not re-read") {
  bool refuse = true;
  ScriptedHttp http([&refuse](const http::Request&) {
    return refuse ? RefusedWith(401, kInvalidSecret) : ScriptedReply{503, "busy"};
  });
  util::ManualClock clock(T0());
  util::Random random(1);
  int reads = 0;
  TokenOptions options = Options();
  options.retry.max_attempts = 1;
  options.reload = [&reads]() -> util::Result<Credential> {
    ++reads;
    return util::ConfigError("client_secret_file /run/s: file not found");
  };
  TokenProvider provider(options, Credential::FromSecret("old-secret", "client secret"), http,
                         clock, random, {});
  CHECK(provider.Token().status().message().ends_with("Invalid client secret provided."));
  CHECK(reads == 1);
  refuse = false;  // an outage is not the credential's fault
  CHECK(provider.Token().status().kind() == util::ErrorKind::kUnavailable);
  CHECK(reads == 1);
}

TEST_CASE("Use() swaps the credential and drops the token only when it differs") {
  std::string accepted = "secret-1";
  int issued = 0;
  ScriptedHttp http([&](const http::Request& r) {
    ++issued;
    return AcceptsOnly(r, accepted);
  });
  util::ManualClock clock(T0());
  util::Random random(1);
  TokenProvider provider(Options(), Credential::FromSecret("secret-1", "client secret"), http,
                         clock, random, {});
  CHECK(*provider.Token() == "tok-for-secret-1");
  CHECK_FALSE(provider.Use(Credential::FromSecret("secret-1", "client secret from file /x")));
  CHECK(*provider.Token() == "tok-for-secret-1");
  CHECK(issued == 1);  // the cached token stayed
  accepted = "secret-2";
  CHECK(provider.Use(Credential::FromSecret("secret-2", "client secret from file /x")));
  CHECK(*provider.Token() == "tok-for-secret-2");
  CHECK(issued == 2);
}

TEST_CASE("a credential is the same by its secret, wherever it was read from") {
  const Credential a = Credential::FromSecret("s-1", "client secret from file /a");
  CHECK(a.SameAs(Credential::FromSecret("s-1", "client secret from file /b")));
  CHECK_FALSE(a.SameAs(Credential::FromSecret("s-2", "client secret from file /a")));
  Credential moved = Credential::FromSecret("s-3", "d");
  Credential target = std::move(moved);
  CHECK(target.secret() == "s-3");
  CHECK(moved.secret().empty());  // NOLINT(bugprone-use-after-move): the source is emptied
}

// A JWT-shaped workload token whose claims carry `exp` (seconds since the epoch).
std::string WorkloadToken(const std::string& name, std::int64_t exp) {
  // base64url of {"exp":N}: built by hand so the test does not share the provider's decoder.
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const std::string json = "{\"exp\":" + std::to_string(exp) + "}";
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (unsigned char c : json) {
    bits = (bits << 8) | c;
    count += 8;
    while (count >= 6) out += kAlphabet[(bits >> (count -= 6)) & 0x3f];
  }
  if (count > 0) out += kAlphabet[(bits << (6 - count)) & 0x3f];
  return "eyJhbGciOiJSUzI1NiJ9." + out + "." + name;
}

std::string FormField(const std::string& body, const std::string& name) {
  const std::size_t at = body.find(name + "=");
  if (at == std::string::npos) return "";
  const std::size_t from = at + name.size() + 1;
  return body.substr(from, body.find('&', from) - from);
}

TEST_CASE("a federated token file is read for every token request and sent as the assertion") {
  int issued = 0;
  ScriptedHttp http([&issued](const http::Request&) {
    return TokenReply("tok-" + std::to_string(++issued), "600");
  });
  util::ManualClock clock(T0());
  util::Random random(1);
  int reads = 0;
  const std::int64_t exp = std::chrono::duration_cast<std::chrono::seconds>(
                               (T0() + std::chrono::hours(1)).time_since_epoch())
                               .count();
  auto reader = [&reads, exp]() -> util::Result<std::string> {
    return WorkloadToken("w" + std::to_string(++reads), exp);
  };
  TokenProvider provider(Options(),
                         Credential::FromFederatedToken(reader, "/run/t",
                                                        "federated token from "
                                                        "federated_token_file /run/t"),
                         http, clock, random, {});
  const std::string first = *provider.Token();
  CHECK(reads == 1);
  const auto requests = http.requests();
  REQUIRE(requests.size() == 1);
  CHECK(FormField(requests[0].body, "client_assertion_type") ==
        "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer");
  CHECK(FormField(requests[0].body, "client_assertion") == WorkloadToken("w1", exp));
  CHECK(FormField(requests[0].body, "client_secret").empty());
  // Cached like any token; the next request reads the file again.
  CHECK(*provider.Token() == first);
  CHECK(reads == 1);
  clock.Advance(std::chrono::minutes(10));
  CHECK(*provider.Token() != first);
  CHECK(reads == 2);
  CHECK(FormField(http.requests().back().body, "client_assertion") == WorkloadToken("w2", exp));
}

TEST_CASE("a refused federated token that has expired says so, an unreadable file is kAuth") {
  ScriptedHttp http([](const http::Request&) {
    return RefusedWith(
        400,
        R"J({"error":"invalid_client","error_description":"AADSTS700024: Client assertion is not within its valid time range.","error_codes":[700024]})J");
  });
  util::ManualClock clock(T0());
  util::Random random(1);
  const std::int64_t exp = std::chrono::duration_cast<std::chrono::seconds>(
                               (T0() - std::chrono::minutes(30)).time_since_epoch())
                               .count();
  bool readable = true;
  auto reader = [&readable, exp]() -> util::Result<std::string> {
    if (!readable) return util::ConfigError("federated_token_file /run/t: file not found");
    return WorkloadToken("stale", exp);
  };
  TokenOptions options = Options();
  options.retry.max_attempts = 1;
  TokenProvider provider(
      options, Credential::FromFederatedToken(reader, "/run/t", "federated token from /run/t"),
      http, clock, random, {});
  auto stale = provider.Token();
  REQUIRE_FALSE(stale.ok());
  CHECK(stale.status().kind() == util::ErrorKind::kAuth);
  CHECK(stale.status().message().find("AADSTS700024") != std::string::npos);
  CHECK(stale.status().message().ends_with(
      " (the federated token from /run/t expired at 2026-10-31T23:30:00Z; whatever writes that "
      "file has stopped renewing it)"));
  CHECK(stale.status().message().find("stale") == std::string::npos);  // never the token
  readable = false;
  auto missing = provider.Token();
  CHECK(missing.status().kind() == util::ErrorKind::kAuth);
  CHECK(missing.status().message() == "federated_token_file /run/t: file not found");
}

TEST_CASE("federated credentials are the same by their file, and never the same as a secret") {
  auto reader = []() -> util::Result<std::string> { return std::string("a.b.c"); };
  const Credential a = Credential::FromFederatedToken(reader, "/run/t", "d");
  CHECK(a.SameAs(Credential::FromFederatedToken(reader, "/run/t", "other description")));
  CHECK_FALSE(a.SameAs(Credential::FromFederatedToken(reader, "/run/u", "d")));
  CHECK_FALSE(a.SameAs(Credential::FromSecret("a.b.c", "d")));
  CHECK_FALSE(Credential::FromSecret("a.b.c", "d").SameAs(a));
}

TEST_CASE("the credential in use is published without waiting for a token request") {
  util::ManualClock clock(T0());
  util::Random random(1);
  TokenProvider* self = nullptr;
  std::string seen;
  ScriptedHttp http([&](const http::Request&) {
    // Called with the provider's lock held: CredentialInUse must not need it.
    seen = self->CredentialInUse().description;
    return TokenReply("tok");
  });
  TokenProvider provider(Options(), Credential::FromSecret("s", "client secret from file /a"), http,
                         clock, random, {});
  self = &provider;
  CHECK(*provider.Token() == "tok");
  CHECK(seen == "client secret from file /a");
  CHECK(provider.Use(Credential::FromSecret("t", "client secret from file /b")));
  CHECK(provider.CredentialInUse().description == "client secret from file /b");
}

TEST_CASE("token responses without a token or lifetime are bad data") {
  CHECK(ParseTokenResponse(R"J({"expires_in":"3599"})J", "w").status().message() ==
        "w: token response without access_token");
  CHECK(
      ParseTokenResponse(R"J({"access_token":"a","expires_in":"soon"})J", "w").status().message() ==
      "w: token response without a valid expires_in");
  CHECK(ParseTokenResponse("<html>", "w").status().kind() == util::ErrorKind::kBadData);
  auto ok = ParseTokenResponse(R"J({"access_token":"a","expires_in":3599})J", "w");
  REQUIRE(ok.ok());
  CHECK(ok->expires_in == std::chrono::seconds(3599));
}

TEST_CASE("a token lifetime longer than a day counts as a day") {
  for (const char* lifetime : {"999999999999999999", "9999999999999999", "\"86401\""}) {
    CAPTURE(lifetime);
    auto token = ParseTokenResponse(
        std::string(R"J({"access_token":"a","expires_in":)J") + lifetime + "}", "w");
    REQUIRE(token.ok());
    CHECK(token->expires_in == std::chrono::hours(24));
  }
}

}  // namespace
}  // namespace hdc::auth
