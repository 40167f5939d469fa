// Several tenants at once (docs/hdc-api.md §Tenants): each Hardware Dev
// Center account's client sees and reaches only its own templates and
// schedules; the demo tenant's calls, made through the fixture, are the
// control that the objects exist.
#include "emulator_fixture.h"

namespace hdc::emulator::testing {
// Named: the unity build puts this file beside the other contract tests.
namespace tenants {

constexpr const char* kOtherTenant = "00000000-0000-0000-0000-0000000000b2";
const ClientCredential kOther{kOtherTenant, "b2b2b2b2-0000-0000-0000-000000000001", "other-secret",
                              "", ""};

ServerOptions TwoTenants() {
  ServerOptions o;
  o.clients = {DemoClient(), kOther};
  return o;
}

// Calls as the other tenant's client.
struct OtherTenant {
  explicit OtherTenant(EmulatorFixture& emu) : emu(emu) {
    auto r = emu.TokenRequest(EmulatorFixture::Form(kOther), kOtherTenant);
    REQUIRE_MESSAGE(r.status == 200, r.body);
    token = r.json()["access_token"].get<std::string>();
  }
  HttpResult Call(const std::string& method, const std::string& path, const Json& body = nullptr) {
    return Http(method, emu.Url(path), body.is_null() ? "" : body.dump(),
                {{"Authorization", "Bearer " + token}});
  }
  EmulatorFixture& emu;
  std::string token;
};

TEST_CASE("another tenant's templates and schedules are neither listed nor reached") {
  EmulatorFixture emu(TwoTenants());
  const std::int64_t tid = emu.CreateTemplate();
  const std::int64_t rid = emu.CreateSchedule(tid);
  const std::string t = std::to_string(tid), r = std::to_string(rid);
  OtherTenant other(emu);
  auto templates = other.Call("GET", "/analytics/driver/reporttemplate");
  REQUIRE(templates.status == 200);
  CHECK(templates.json()["data"].empty());
  auto schedules = other.Call("GET", "/analytics/driver/report");
  REQUIRE(schedules.status == 201);
  CHECK(schedules.json()["data"].empty());
  CHECK(other.Call("GET", "/analytics/driver/reporttemplate/" + t).status == 404);
  CHECK(other.Call("POST", "/analytics/driver/reporttemplate/" + t, SimpleTemplate()).status ==
        404);
  CHECK(other.Call("GET", "/analytics/driver/reportdata/" + r).status == 404);
  CHECK(other.Call("POST", "/analytics/driver/report/pause/" + r).status == 404);
  const Json schedule = {
      {"startTime", "2024-05-02T00:00:00Z"}, {"recurrenceInterval", 24}, {"recurrence", 3}};
  auto borrowed =
      other.Call("POST", "/analytics/driver/report", {{"templateId", tid}, {"schedule", schedule}});
  CHECK(borrowed.status == 400);
  CHECK(borrowed.json()["errors"][0]["code"] == "UnknownTemplate");
  // Control: the owner lists and reaches both.
  CHECK(emu.Get("/analytics/driver/reporttemplate").json()["data"].size() == 1);
  CHECK(emu.Get("/analytics/driver/reporttemplate/" + t).status == 200);
  CHECK(emu.Get("/analytics/driver/reportdata/" + r).status == 200);
}

TEST_CASE("two tenants may hold the same template, each listing its own under its own id") {
  EmulatorFixture emu(TwoTenants());
  const std::int64_t mine = emu.CreateTemplate();
  OtherTenant other(emu);
  auto created = other.Call("POST", "/analytics/driver/reporttemplate", SimpleTemplate());
  REQUIRE_MESSAGE(created.status == 201, created.body);
  const std::int64_t theirs = created.json()["data"]["templateId"].get<std::int64_t>();
  CHECK(theirs != mine);
  const Json listed = other.Call("GET", "/analytics/driver/reporttemplate").json()["data"];
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["templateId"] == theirs);
  const Json own = emu.Get("/analytics/driver/reporttemplate").json()["data"];
  REQUIRE(own.size() == 1);
  CHECK(own[0]["templateId"] == mine);
  // The test view names each object's tenant.
  const Json state = emu.Admin("GET", "state").json();
  REQUIRE(state["templates"].size() == 2);
  CHECK(state["templates"][0]["tenant"] == DemoClient().tenant);
  CHECK(state["templates"][1]["tenant"] == kOtherTenant);
}

TEST_CASE("the state file keeps each object's tenant, and an object without one is everyone's") {
  RemoteState state;
  state.templates[1] = {1, kOtherTenant, {{util::TimePoint{}, "{}"}}, {}, {}};
  state.templates[2] = {2, "", {{util::TimePoint{}, "{}"}}, {}, {}};
  auto back = RemoteState::FromJson(state.ToJson());
  REQUIRE(back.ok());
  CHECK(back->templates.at(1).tenant == kOtherTenant);
  CHECK(back->templates.at(2).tenant.empty());
  CHECK(OwnedBy(kOtherTenant, "00000000-0000-0000-0000-0000000000B2"));  // GUIDs ignore case
  CHECK_FALSE(OwnedBy(kOtherTenant, DemoClient().tenant));
  CHECK(OwnedBy("", DemoClient().tenant));
}

}  // namespace tenants
}  // namespace hdc::emulator::testing
