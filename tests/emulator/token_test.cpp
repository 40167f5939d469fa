// Token endpoint (docs/hdc-api.md §Authentication) and the 401/403 of HDC routes.
#include "emulator_fixture.h"

namespace hdc::emulator::testing {

TEST_CASE("a client-credentials request gets a bearer token with string expiry fields") {
  EmulatorFixture emu;
  auto r = emu.TokenRequest(EmulatorFixture::Form());
  REQUIRE(r.status == 200);
  Json j = r.json();
  CHECK(j["token_type"] == "Bearer");
  CHECK(j["expires_in"] == "3600");
  CHECK(j["expires_on"].is_string());
  CHECK(j["resource"] == "https://manage.devcenter.microsoft.com");
  CHECK(j["access_token"].get<std::string>().rfind("eyJ", 0) == 0);
}

TEST_CASE("token errors have Azure AD shapes") {
  EmulatorFixture emu;
  ClientCredential wrong = DemoClient();
  wrong.secret = "nope";
  auto bad_secret = emu.TokenRequest(EmulatorFixture::Form(wrong));
  CHECK(bad_secret.status == 401);
  CHECK(bad_secret.json()["error"] == "invalid_client");
  CHECK(bad_secret.json()["error_codes"][0] == 7000215);
  CHECK(bad_secret.json()["error_description"].get<std::string>().rfind("AADSTS7000215", 0) == 0);

  ClientCredential unknown = DemoClient();
  unknown.client_id = "99999999-0000-0000-0000-000000000000";
  CHECK(emu.TokenRequest(EmulatorFixture::Form(unknown)).json()["error"] == "invalid_client");

  auto other_tenant = emu.TokenRequest(EmulatorFixture::Form(), "another-tenant");
  CHECK(other_tenant.status == 400);
  CHECK(other_tenant.json()["error"] == "unauthorized_client");

  auto resource = emu.TokenRequest(EmulatorFixture::Form(DemoClient(), "https://example.com"));
  CHECK(resource.status == 400);
  CHECK(resource.json()["error"] == "invalid_resource");

  auto no_grant = emu.TokenRequest("client_id=x&client_secret=y");
  CHECK(no_grant.status == 400);
  CHECK(no_grant.json()["error"] == "invalid_request");
}

TEST_CASE("HDC routes answer 401 without a valid, unexpired token") {
  EmulatorFixture emu;
  auto none = Http("GET", emu.Url("/analytics/driver/reporttemplate"));
  CHECK(none.status == 401);
  CHECK(none.json()["errors"][0]["code"] == "Unauthorized");
  auto garbage = Http("GET", emu.Url("/analytics/driver/reporttemplate"), "",
                      {{"Authorization", "Bearer not-a-token"}});
  CHECK(garbage.status == 401);

  const std::string token = emu.Token();
  const Headers auth{{"Authorization", "Bearer " + token}};
  CHECK(Http("GET", emu.Url("/analytics/driver/reporttemplate"), "", auth).status == 200);
  emu.Advance(std::chrono::minutes(59));
  CHECK(Http("GET", emu.Url("/analytics/driver/reporttemplate"), "", auth).status == 200);
  emu.Advance(std::chrono::minutes(1));
  CHECK(Http("GET", emu.Url("/analytics/driver/reporttemplate"), "", auth).status == 401);
}

TEST_CASE("the token lifetime is a knob and expires_in can be a number") {
  ServerOptions o;
  o.settings.token_lifetime = std::chrono::seconds(600);
  o.settings.expires_in_number = true;
  EmulatorFixture emu(o);
  auto r = emu.TokenRequest(EmulatorFixture::Form());
  CHECK(r.json()["expires_in"] == 600);
}

TEST_CASE("a revoked client gets no token and its tokens stop working") {
  EmulatorFixture emu;
  const std::string token = emu.Token();
  const Headers auth{{"Authorization", "Bearer " + token}};
  REQUIRE(emu.Admin("POST", "clients/" + DemoClient().client_id + "/revoke").status == 200);
  CHECK(Http("GET", emu.Url("/analytics/driver/report"), "", auth).status == 401);
  auto r = emu.TokenRequest(EmulatorFixture::Form());
  CHECK(r.status == 400);
  CHECK(r.json()["error"] == "unauthorized_client");
  REQUIRE(emu.Admin("POST", "clients/" + DemoClient().client_id + "/restore").status == 200);
  CHECK(Http("GET", emu.Url("/analytics/driver/report"), "", auth).status == 201);
}

TEST_CASE("configured clients replace the demo client, and an app without data access gets 403") {
  ServerOptions o;
  o.clients.push_back({"tenant-a", "client-a", "s3cret&+=", "", ""});
  EmulatorFixture emu(o);
  CHECK(emu.TokenRequest(EmulatorFixture::Form()).status == 401);
  auto ok = emu.TokenRequest(EmulatorFixture::Form({"tenant-a", "client-a", "s3cret&+=", "", ""}),
                             "tenant-a");
  REQUIRE(ok.status == 200);
  REQUIRE(emu.Admin("POST", "clients",
                    {{"tenant", "tenant-a"},
                     {"client_id", "client-b"},
                     {"secret", "b"},
                     {"data_access", false}})
              .status == 200);
  auto b =
      emu.TokenRequest(EmulatorFixture::Form({"tenant-a", "client-b", "b", "", ""}), "tenant-a");
  REQUIRE(b.status == 200);
  auto r = Http("GET", emu.Url("/analytics/driver/report"), "",
                {{"Authorization", "Bearer " + b.json()["access_token"].get<std::string>()}});
  CHECK(r.status == 403);
}

}  // namespace hdc::emulator::testing
