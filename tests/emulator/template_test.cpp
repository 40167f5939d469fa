// Templates: create, list, get, edit, and validation (docs/hdc-api.md §Templates,
// docs/hdc-api.md §Template body, docs/hdc-api.md §Columns).
#include "emulator_fixture.h"

namespace hdc::emulator::testing {
namespace {

const char* kExample = R"json({"view":"IHVDriver",
 "projection":["DriverName","DriverVersion","FailureHash"],
 "dateRange":{"reportPeriod":"Last7Days"},
 "condition":{"and":[{"attribute":"EventType","operator":"eq","value":"Kernel"},
   {"condition":{"or":[{"attribute":"Market","operator":"eq","value":"DE"},
                       {"attribute":"Market","operator":"eq","value":"FR"}]}}]},
 "aggregation":{"aggregatedColumns":["SUM(EventCount)","DCOUNT(DeviceId)"],
   "condition":{"and":[{"attribute":"SUM(EventCount)","operator":"gte","value":"50"}]}},
 "orderby":[{"attribute":"SUM(EventCount)","sort":"desc"}],
 "limit":25})json";

HttpResult Create(EmulatorFixture& emu, const Json& t) {
  return emu.Post("/analytics/driver/reporttemplate", t);
}

std::string ErrorCode(const HttpResult& r) {
  return r.json()["errors"][0]["code"].get<std::string>();
}

}  // namespace

TEST_CASE("creating a template answers 201 with a numeric id and errors null") {
  EmulatorFixture emu;
  auto r = Create(emu, Json::parse(kExample));
  REQUIRE(r.status == 201);
  CHECK(r.json()["data"]["templateId"].is_number_integer());
  CHECK(r.json()["errors"].is_null());
}

TEST_CASE("listing templates gives the template as a JSON string with datetimes") {
  EmulatorFixture emu;
  const auto id = emu.CreateTemplate(Json::parse(kExample));
  emu.Advance(std::chrono::milliseconds(1500));
  emu.CreateTemplate();
  auto r = emu.Get("/analytics/driver/reporttemplate");
  REQUIRE(r.status == 200);
  Json data = r.json()["data"];
  REQUIRE(data.size() == 2);
  CHECK(data[0]["templateId"] == id);
  REQUIRE(data[0]["template"].is_string());
  CHECK(Json::parse(data[0]["template"].get<std::string>())["limit"] == 25);
  CHECK(data[0]["createdDatetime"] == "2024-05-01T00:00:00");
  CHECK(data[1]["createdDatetime"] == "2024-05-01T00:00:01.5");
  CHECK(r.json()["errors"] == Json::array());
}

TEST_CASE("getting one template, and 404 for an unknown id") {
  EmulatorFixture emu;
  const auto id = emu.CreateTemplate();
  auto r = emu.Get("/analytics/driver/reporttemplate/" + std::to_string(id));
  REQUIRE(r.status == 200);
  CHECK(r.json()["data"]["templateId"] == id);
  CHECK(Json::parse(r.json()["data"]["template"].get<std::string>())["view"] == "IHVDriver");
  CHECK(emu.Get("/analytics/driver/reporttemplate/999999").status == 404);
  CHECK(emu.Get("/analytics/driver/reporttemplate/abc").status == 404);
}

TEST_CASE("editing a template is a POST answering 201 with the id quoted") {
  EmulatorFixture emu;
  const auto id = emu.CreateTemplate();
  Json t = SimpleTemplate();
  t["condition"] = Json::object();
  t["dateRange"]["reportPeriod"] = "Last30Days";
  emu.Advance(std::chrono::hours(1));
  auto r = emu.Post("/analytics/driver/reporttemplate/" + std::to_string(id), t);
  REQUIRE(r.status == 201);
  CHECK(r.json()["data"]["templateId"] == std::to_string(id));
  auto got = emu.Get("/analytics/driver/reporttemplate/" + std::to_string(id)).json()["data"];
  CHECK(Json::parse(got["template"].get<std::string>())["dateRange"]["reportPeriod"] ==
        "Last30Days");
  CHECK(got["modifiedDatetime"] == "2024-05-01T01:00:00");
  CHECK(emu.Post("/analytics/driver/reporttemplate/424242", t).status == 404);
}

TEST_CASE("the /v1.0/my prefix is accepted before report paths") {
  EmulatorFixture emu;
  emu.CreateTemplate();
  CHECK(emu.Get("/v1.0/my/analytics/driver/reporttemplate").status == 200);
}

TEST_CASE("template validation refuses bad templates with 400 and an error code") {
  EmulatorFixture emu;
  struct Case {
    const char* what;
    std::function<void(Json&)> change;
    const char* code;
  };
  const std::vector<Case> cases = {
      {"unknown view", [](Json& t) { t["view"] = "Drivers"; }, "InvalidView"},
      {"OEM-only column in IHV view", [](Json& t) { t["projection"].push_back("Baseboard"); },
       "InvalidColumn"},
      {"IHV-only column in OEM view", [](Json& t) { t["view"] = "OEMDriver"; }, "InvalidColumn"},
      {"unknown period", [](Json& t) { t["dateRange"]["reportPeriod"] = "Last8Days"; },
       "InvalidReportPeriod"},
      {"missing period", [](Json& t) { t.erase("dateRange"); }, "InvalidReportPeriod"},
      {"empty projection", [](Json& t) { t["projection"] = Json::array(); }, "InvalidProjection"},
      {"unknown operator",
       [](Json& t) {
         t["condition"] = {
             {"and", {{{"attribute", "Market"}, {"operator", "approx"}, {"value", "DE"}}}}};
       },
       "InvalidOperator"},
      {"unknown function",
       [](Json& t) {
         t["aggregation"] = {{"aggregatedColumns", {"MEDIAN(EventCount)"}}};
       },
       "InvalidFunction"},
      {"SUM of a text column",
       [](Json& t) {
         t["aggregation"] = {{"aggregatedColumns", {"SUM(DriverName)"}}};
       },
       "InvalidFunction"},
      {"negative limit", [](Json& t) { t["limit"] = -1; }, "InvalidLimit"},
      {"fractional limit", [](Json& t) { t["limit"] = 2.5; }, "InvalidLimit"},
      {"unknown member", [](Json& t) { t["colour"] = "red"; }, "UnknownProperty"},
      {"bad sort",
       [](Json& t) {
         t["orderby"] = {{{"attribute", "DriverName"}, {"sort", "up"}}};
       },
       "InvalidOrderBy"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    Json t = SimpleTemplate();
    c.change(t);
    auto r = Create(emu, t);
    CHECK(r.status == 400);
    CHECK(ErrorCode(r) == c.code);
    CHECK(r.json()["errors"][0]["message"].is_string());
  }
  auto malformed = emu.Call("POST", "/analytics/driver/reporttemplate", "{not json");
  CHECK(malformed.status == 400);
  CHECK(ErrorCode(malformed) == "MalformedBody");
}

TEST_CASE(
    "template names, operators and functions are matched ignoring case, the view is trimmed") {
  EmulatorFixture emu;
  Json t = {{"View", " IHVDriver"},
            {"Projection", {"drivername"}},
            {"DateRange", {{"ReportPeriod", "last7days"}}},
            {"condition",
             {{"AND", {{{"attribute", "EventType"}, {"operator", "EQ"}, {"value", "Kernel"}}}},
              {"or", Json::array()}}},
            {"aggregation", {{"aggregatedColumns", {"sum(EventCount)", "Dcount(DeviceId)"}}}},
            {"orderby", {{{"attribute", "SUM(EventCount)"}, {"sort", "DESC"}}}},
            {"limit", 0}};
  CHECK(Create(emu, t).status == 201);
}

TEST_CASE("the five published sample templates are accepted") {
  EmulatorFixture emu;
  const Json ihv_all = {
      "ReportId",          "FailureDate", "FailureDateTime", "ApplicationId",     "SubmissionId",
      "FailureName",       "FailureHash", "Symbol",          "OSVersion",         "OSName",
      "EventType",         "Market",      "DeviceType",      "DriverName",        "DriverVersion",
      "Architecture",      "OEMName",     "OEMModel",        "FlightRing",        "Mode",
      "CPUName",           "OSSKUType",   "ReleaseName",     "CabType",           "CabIdHash",
      "CabExpirationTime", "DeviceId",    "HardwareId",      "CabCollectionTime", "EventCount"};
  const Json oem_all = {"ReportId",     "FailureDate", "FailureDateTime",   "FailureName",
                        "FailureHash",  "Symbol",      "OSVersion",         "EventType",
                        "Market",       "DeviceType",  "DriverName",        "DriverVersion",
                        "Architecture", "Model",       "Baseboard",         "ModelFamily",
                        "FlightRing",   "Mode",        "CPUName",           "OSSKUType",
                        "ReleaseName",  "CabType",     "CabIdHash",         "CabExpirationTime",
                        "DeviceId",     "HardwareId",  "CabCollectionTime", "EventCount"};
  const std::vector<Json> samples = {
      {{"view", "IHVDriver"},
       {"projection", ihv_all},
       {"dateRange", {{"reportPeriod", "Last7Days"}}}},
      {{"view", "OEMDriver"},
       {"projection", oem_all},
       {"dateRange", {{"reportPeriod", "Last7Days"}}}},
      {{"view", "IHVDriver"},
       {"projection", {"DriverName", "DriverVersion", "FailureName", "FailureHash"}},
       {"dateRange", {{"reportPeriod", "Last30Days"}}},
       {"aggregation", {{"aggregatedColumns", {"SUM(EventCount)", "DCOUNT(DeviceId)"}}}},
       {"orderby", {{{"attribute", "DCOUNT(DeviceId)"}, {"sort", "desc"}}}}},
      {{"view", "OEMDriver"},
       {"projection", {"FailureName", "FailureHash"}},
       {"dateRange", {{"reportPeriod", "Last7Days"}}},
       {"condition",
        {{"and", {{{"attribute", "EventType"}, {"operator", "eq"}, {"value", "Kernel"}}}}}},
       {"aggregation",
        {{"aggregatedColumns", {"SUM(EventCount)"}},
         {"condition",
          {{"or", {{{"attribute", "SUM(EventCount)"}, {"operator", "gt"}, {"value", "1000"}}}}}}}}},
      {{"view", "IHVDriver"},
       {"projection", {"DriverName"}},
       {"dateRange", {{"reportPeriod", "Last90Days"}}},
       {"aggregation", {{"aggregatedColumns", {"DCOUNT(DeviceId)"}}}},
       {"orderby", {{{"attribute", "DCOUNT(DeviceId)"}, {"sort", "desc"}}}},
       {"limit", 10}},
  };
  for (size_t i = 0; i < samples.size(); ++i) {
    CAPTURE(i);
    CHECK(Create(emu, samples[i]).status == 201);
  }
}

}  // namespace hdc::emulator::testing
