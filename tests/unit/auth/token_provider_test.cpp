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

ScriptedReply TokenReply(const std::string& token, const std::string& expires_in = "\"3599\"") {
  return {200, R"J({"token_type":"Bearer","expires_in":)J" + expires_in +
                   R"J(,"resource":"https://manage.devcenter.microsoft.com","access_token":")J" +
                   token + "\"}"};
}

TEST_CASE("the token request is the documented client-credentials form post") {
  ScriptedHttp http([](const http::Request&) { return TokenReply("tok-1"); });
  util::ManualClock clock(T0());
  util::Random random(1);
  TokenProvider provider(Options(), "s3cr&t=", http, clock, random, {});
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
  TokenProvider provider(Options(), "secret-1", http, clock, random, {});
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
  TokenProvider provider(Options(), "secret-1", http, clock, random, {});
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
  TokenProvider provider(Options(), "secret-1", http, clock, random, {});
  CHECK(*provider.Token() == "tok-1");
  provider.Invalidate("something-else");
  CHECK(*provider.Token() == "tok-1");
  provider.Invalidate("tok-1");
  CHECK(*provider.Token() == "tok-2");
}

TEST_CASE("a refused credential is an auth error with the server's code and no secret") {
  ScriptedHttp http([](const http::Request&) {
    return ScriptedReply{
        401,
        R"J({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1","error_codes":[7000215]})J"};
  });
  util::ManualClock clock(T0());
  util::Random random(1);
  TokenProvider provider(Options(), "the-secret-value", http, clock, random, {});
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
    return ScriptedReply{
        401,
        R"J({"error":"invalid_client","error_description":"AADSTS7000222: The provided client secret keys for app 'client-1' are expired.","error_codes":[7000222]})J"};
  });
  util::ManualClock clock(T0());
  util::Random random(1);
  TokenProvider provider(Options(), "the-secret-value", http, clock, random, {});
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
    return ScriptedReply{
        400,
        R"J({"error":"unauthorized_client","error_description":"AADSTS700016: app not found"})J"};
  });
  util::ManualClock clock(T0());
  util::Random random(1);
  TokenProvider provider(Options(), "secret-1", http, clock, random, {});
  CHECK(provider.Token().status().message().ends_with(
      "refused (HTTP 400): unauthorized_client: AADSTS700016: app not found"));
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
