// Fault rules with a `target`: only requests whose path or query contain it
// (one cab's cabdownload and blob requests) get the fault; the others of the
// same endpoint are the control.
#include <algorithm>
#include <sstream>

#include "emulator/faults_file.h"
#include "emulator_fixture.h"

namespace hdc::emulator::testing {
namespace {

// The distinct CabIdHash values of a report made from SimpleTemplate().
std::vector<std::string> CabIds(const std::string& report) {
  std::vector<std::string> out;
  std::istringstream in(report);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string cell;
    for (int i = 0; i < 3 && std::getline(fields, cell, '\t'); ++i) {
    }
    if (!cell.empty() && std::find(out.begin(), out.end(), cell) == out.end()) out.push_back(cell);
  }
  return out;
}

}  // namespace

TEST_CASE("a fault with a target hits only the requests naming it") {
  EmulatorFixture emu;
  const auto rid = emu.CreateSchedule(emu.CreateTemplate());
  emu.Advance(std::chrono::hours(1));
  auto report = Http("GET", emu.Executions(rid)[0]["ReportLocation"].get<std::string>());
  REQUIRE(report.status == 200);
  const std::vector<std::string> ids = CabIds(report.body);
  REQUIRE(ids.size() >= 2);
  const std::string& hit = ids[0];
  const std::string& other = ids[1];
  auto download = [&](const std::string& id) {
    return emu.Get("/v1.0/my/analytics/hardware/cabdownload?cabIdHash=" + id);
  };
  // Control: both links work before the fault.
  auto link = download(hit);
  REQUIRE(link.status == 302);
  CHECK(Http("GET", link.Header("location")).status == 200);

  emu.SetFaults(
      {{{"endpoint", "cabdownload"}, {"target", hit}, {"kind", "429"}, {"retry_after", 0}},
       {{"endpoint", "blob.cab"}, {"target", hit}, {"kind", "status"}, {"status", 500}}});
  CHECK(download(hit).status == 429);
  CHECK(download(hit).status == 429);  // always, not once
  CHECK(Http("GET", link.Header("location")).status == 500);
  auto fine = download(other);
  CHECK(fine.status == 302);
  CHECK(Http("GET", fine.Header("location")).status == 200);
  CHECK(emu.Admin("GET", "faults").json()["faults"][0]["target"] == hit);
}

TEST_CASE("nth counts only the requests a target matches") {
  EmulatorFixture emu;
  emu.SetFaults({{{"endpoint", "template.get"},
                  {"target", "/7"},
                  {"kind", "status"},
                  {"status", 503},
                  {"nth", 2}}});
  CHECK(emu.Get("/analytics/driver/reporttemplate/8").status == 404);  // not counted
  CHECK(emu.Get("/analytics/driver/reporttemplate/7").status == 404);  // 1st match
  CHECK(emu.Get("/analytics/driver/reporttemplate/7").status == 503);  // 2nd match
  CHECK(emu.Get("/analytics/driver/reporttemplate/7").status == 404);
}

TEST_CASE("target is a key of faults files too") {
  auto ini = ParseFaultsFile(
      "[fault one-cab]\nendpoint = blob.cab\ntarget = abc-123\nkind = reset\n", "f.ini", {});
  REQUIRE(ini.ok());
  CHECK(ini->rules[0].target == "abc-123");
  auto json = ParseFaultsFile(
      R"({"faults":[{"endpoint":"blob.cab","target":"abc-123","kind":"reset"}]})", "f.json", {});
  REQUIRE(json.ok());
  CHECK(FaultRulesToJson(ini->rules) == FaultRulesToJson(json->rules));
}

}  // namespace hdc::emulator::testing
