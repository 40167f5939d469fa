// The token endpoint's federated clients
// (docs/hdc-api.md §Federated credentials): a workload token of the emulator's issuer, minted by
// POST /_emulator/federated-token, signs in; each refusal comes with the
// identity platform's AADSTS code, and each has a control that passes.
#include <Poco/URI.h>

#include "emulator/cli.h"
#include "emulator_fixture.h"

namespace hdc::emulator::testing {
// Named: the unity build puts this file beside client_assertion_test.cpp.
namespace federated {

constexpr const char* kTenant = "00000000-0000-0000-0000-0000000000f1";
constexpr const char* kClient = "f1f1f1f1-0000-0000-0000-000000000001";
constexpr const char* kSubject = "system:serviceaccount:hdc:hdc-reportd";
constexpr const char* kJwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

struct FederatedEmulator {
  FederatedEmulator() : emu(Options()) {}

  static ServerOptions Options() {
    ServerOptions o;
    o.clients = {DemoClient(), ClientCredential{kTenant, kClient, "", "", kSubject}};
    return o;
  }

  // A token from the emulator's issuer; `fields` overrides the request's.
  std::string Mint(Json fields = Json::object()) {
    Json request = {{"subject", kSubject}, {"lifetime_seconds", 3600}};
    request.update(fields);
    auto r = emu.Admin("POST", "federated-token", request);
    REQUIRE_MESSAGE(r.status == 200, r.body);
    return r.json()["token"].get<std::string>();
  }

  HttpResult SignIn(const std::string& assertion, const std::string& extra = "") {
    std::string encoded;
    Poco::URI::encode(assertion, "&=+", encoded);
    return emu.TokenRequest(std::string("grant_type=client_credentials&client_id=") + kClient +
                                "&client_assertion_type=" + kJwtBearer +
                                "&client_assertion=" + encoded + extra +
                                "&resource=https%3A%2F%2Fmanage.devcenter.microsoft.com",
                            kTenant);
  }

  // The AADSTS code of a refusal, 0 for a token.
  static int Code(const HttpResult& r) {
    if (r.status == 200) return 0;
    const Json j = r.json();
    return j.contains("error_codes") ? j["error_codes"][0].get<int>() : -1;
  }

  EmulatorFixture emu;
};

TEST_CASE(
    "a workload token of the emulator's issuer signs a federated client in, again and again") {
  FederatedEmulator f;
  const std::string token = f.Mint();
  auto first = f.SignIn(token);
  REQUIRE_MESSAGE(first.status == 200, first.body);
  CHECK_FALSE(first.json()["access_token"].get<std::string>().empty());
  // Unlike a client assertion, the same workload token is presented until it expires.
  CHECK(FederatedEmulator::Code(f.SignIn(token)) == 0);
}

TEST_CASE(
    "an expired workload token is refused with AADSTS700024, within 5 minutes of skew it passes") {
  FederatedEmulator f;
  const std::string token = f.Mint({{"lifetime_seconds", 600}});
  f.emu.Advance(std::chrono::minutes(14));
  CHECK(FederatedEmulator::Code(f.SignIn(token)) == 0);  // control: 4 minutes past exp
  f.emu.Advance(std::chrono::minutes(2));
  auto late = f.SignIn(token);
  CHECK(late.status == 400);
  CHECK(FederatedEmulator::Code(late) == 700024);
}

TEST_CASE("a token for another subject or audience is refused with AADSTS70021 naming them") {
  FederatedEmulator f;
  auto other = f.SignIn(f.Mint({{"subject", "system:serviceaccount:other:app"}}));
  CHECK(FederatedEmulator::Code(other) == 70021);
  CHECK(other.json()["error_description"].get<std::string>().find(
            "Assertion Subject: 'system:serviceaccount:other:app'") != std::string::npos);
  CHECK(FederatedEmulator::Code(f.SignIn(f.Mint({{"audience", "api://other"}}))) == 70021);
}

TEST_CASE("a token naming another issuer is refused with AADSTS700211") {
  FederatedEmulator f;
  CHECK(FederatedEmulator::Code(f.SignIn(f.Mint({{"issuer", "https://issuer.example"}}))) ==
        700211);
}

TEST_CASE("a workload token whose signature does not verify is refused with AADSTS700027") {
  FederatedEmulator f;
  std::string token = f.Mint();
  // Another claims part under the original signature.
  const std::string forged = f.Mint({{"lifetime_seconds", 7200}});
  const std::size_t dot = token.find('.'), last = token.rfind('.');
  const std::string claims = forged.substr(forged.find('.'), forged.rfind('.') - forged.find('.'));
  token = token.substr(0, dot) + claims + token.substr(last);
  CHECK(FederatedEmulator::Code(f.SignIn(token)) == 700027);
  CHECK(FederatedEmulator::Code(f.SignIn(forged)) == 0);  // control
}

TEST_CASE("a federated client sending a secret is refused, and a secret client's token passes") {
  FederatedEmulator f;
  CHECK(FederatedEmulator::Code(f.SignIn(f.Mint(), "&client_secret=x")) == 7000215);
  CHECK(f.emu.TokenRequest(EmulatorFixture::Form()).status == 200);
}

TEST_CASE("--client-federated registers a federated client and refuses a bad value in one line") {
  auto ok = ParseCommandLine(
      {"--client-federated", std::string(kTenant) + "/" + kClient + ":" + kSubject});
  REQUIRE_MESSAGE(ok.ok(), ok.status().message());
  REQUIRE(ok->server.clients.size() == 1);
  CHECK(ok->server.clients[0].federated_subject == kSubject);
  auto bad = ParseCommandLine({"--client-federated", "no-slash"});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == "--client-federated expects TENANT/CLIENT_ID:SUBJECT");
}

}  // namespace federated
}  // namespace hdc::emulator::testing
