// Cab download (302), cab blobs (valid MSCF), expiry, bulk listing
// (docs/hdc-api.md §Cab download, docs/hdc-api.md §Bulk cab listing).
#include <sstream>

#include "emulator_fixture.h"

namespace hdc::emulator::testing {
namespace {

using std::chrono::hours;

struct CabRow {
  std::string failure_hash, cab_id, expiration, application_id;
};

// Rows of a first report with cab columns.
std::vector<CabRow> ReportCabs(EmulatorFixture& emu) {
  const auto rid = emu.CreateSchedule(emu.CreateTemplate(), "2024-05-01T00:00:00Z", 24, 5);
  emu.Advance(hours(1));
  auto body = Http("GET", emu.Executions(rid)[0]["ReportLocation"].get<std::string>()).body;
  std::istringstream in(body);
  std::string line;
  std::getline(in, line);
  std::vector<CabRow> out;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    CabRow r;
    std::string driver, count;
    std::getline(ls, r.failure_hash, '\t');
    std::getline(ls, driver, '\t');
    std::getline(ls, r.cab_id, '\t');
    std::getline(ls, r.expiration, '\t');
    std::getline(ls, r.application_id, '\t');
    out.push_back(r);
  }
  return out;
}

}  // namespace

TEST_CASE("driver and hardware cab download answer 302 to a blob SAS URL that serves an MSCF cab") {
  EmulatorFixture emu;
  auto cabs = ReportCabs(emu);
  REQUIRE(!cabs.empty());
  const CabRow& c = cabs[0];
  REQUIRE(c.cab_id.size() == 36);
  auto r = emu.Get("/v1.0/my/analytics/driver/cabdownload?applicationId=" + c.application_id +
                   "&cabIdHash=" + c.cab_id);
  REQUIRE(r.status == 302);
  const std::string location = r.Header("location");
  CHECK(location.rfind(emu.server().blob_base_url() + "/drivers/Cabs/" + c.cab_id + ".cab?", 0) ==
        0);
  CHECK(location.find("sig=") != std::string::npos);
  auto cab = Http("GET", location);
  REQUIRE(cab.status == 200);
  CHECK(cab.body.substr(0, 4) == "MSCF");
  CHECK(cab.body.size() == 64 * 1024);
  CHECK(cab.Header("content-type") == "application/vnd.ms-cab-compressed");
  auto hw = emu.Get("/v1.0/my/analytics/hardware/cabdownload?cabIdHash=" + c.cab_id);
  CHECK(hw.status == 302);
  CHECK(emu.Get("/v1.0/my/analytics/ihvdriver/cabdownload?cabIdHash=" + c.cab_id).status == 302);
  auto requests = emu.Admin("GET", "requests").json();
  const Json& last_blob = requests[requests.size() - 3];
  CHECK(last_blob["host"] == "127.0.0.2");
  CHECK(last_blob["authorization"] == false);
}

TEST_CASE(
    "cab download errors: Store-style 400 for missing parameters, 404 for unknown and expired "
    "cabs") {
  EmulatorFixture emu;
  auto cabs = ReportCabs(emu);
  auto missing = emu.Get("/v1.0/my/analytics/driver/cabdownload?cabIdHash=" + cabs[0].cab_id);
  CHECK(missing.status == 400);
  CHECK(missing.json()["code"] == "BadRequest");
  CHECK(missing.json()["source"] == "AnalyticsAPI");
  CHECK(missing.json()["innererror"]["code"] == "InvalidQueryParameters");
  CHECK(emu.Get("/v1.0/my/analytics/hardware/cabdownload").status == 400);
  CHECK(emu.Get("/v1.0/my/analytics/hardware/"
                "cabdownload?cabIdHash=12345678-1234-1234-1234-123456789abc")
            .status == 404);
  CHECK(emu.Get("/v1.0/my/analytics/driver/cabdownload?applicationId=1&cabIdHash=" + cabs[0].cab_id)
            .status == 404);

  // The row's CabExpirationTime is honoured, on the 302 and on the blob.
  const CabRow& c = cabs[0];
  emu.clock().Set(At(c.expiration.substr(0, 10) + "T" + c.expiration.substr(11) + "Z"));
  CHECK(emu.Get("/v1.0/my/analytics/hardware/cabdownload?cabIdHash=" + c.cab_id).status == 302);
  emu.Advance(std::chrono::seconds(1));
  auto expired = emu.Get("/v1.0/my/analytics/hardware/cabdownload?cabIdHash=" + c.cab_id);
  CHECK(expired.status == 404);
  CHECK(expired.json()["innererror"]["code"] == "CabExpired");
}

TEST_CASE("cab links carry a one-hour SAS") {
  EmulatorFixture emu;
  auto cabs = ReportCabs(emu);
  auto location = emu.Get("/v1.0/my/analytics/hardware/cabdownload?cabIdHash=" + cabs[0].cab_id)
                      .Header("location");
  emu.Advance(std::chrono::minutes(59));
  CHECK(Http("GET", location).status == 200);
  emu.Advance(std::chrono::minutes(2));
  CHECK(Http("GET", location).status == 403);
}

TEST_CASE("the cab size is a knob and cabs are deterministic") {
  ServerOptions o;
  o.settings.cab_size = 300000;
  EmulatorFixture a(o), b(o);
  auto cab_a = ReportCabs(a)[0], cab_b = ReportCabs(b)[0];
  CHECK(cab_a.cab_id == cab_b.cab_id);
  auto get = [](EmulatorFixture& emu, const std::string& id) {
    return Http(
        "GET",
        emu.Get("/v1.0/my/analytics/hardware/cabdownload?cabIdHash=" + id).Header("location"));
  };
  auto x = get(a, cab_a.cab_id), y = get(b, cab_b.cab_id);
  CHECK(x.body.size() == 300000);
  CHECK(x.body == y.body);
  CHECK(x.Header("content-md5") == y.Header("content-md5"));
  auto part = Http(
      "GET",
      a.Get("/v1.0/my/analytics/hardware/cabdownload?cabIdHash=" + cab_a.cab_id).Header("location"),
      "", {{"Range", "bytes=65000-200000"}});
  CHECK(part.status == 206);
  CHECK(part.body == x.body.substr(65000, 135001));
}

TEST_CASE("bulk listing pages with top and skip, without the envelope, with @nextLink") {
  EmulatorFixture emu;
  auto cabs = ReportCabs(emu);
  const CabRow& c = cabs[0];
  const std::string base =
      "/v1.0/my/analytics/driver/cabdownloadbatch?applicationId=" + c.application_id +
      "&failureHash=" + c.failure_hash;
  auto all = emu.Get(base);
  REQUIRE(all.status == 200);
  Json j = all.json();
  CHECK_FALSE(j.contains("data"));
  REQUIRE(j["Value"].is_array());
  const size_t total = j["TotalCount"].get<size_t>();
  CHECK(total > 10);
  Json first = j["Value"][0];
  CHECK(first["applicationId"] == c.application_id);
  CHECK(first["failureHash"] == c.failure_hash);
  CHECK(first["date"].get<std::string>().size() == 19);
  CHECK(first["cabUrl"].get<std::string>().find("sr=b") != std::string::npos);
  CHECK(Http("GET", first["cabUrl"].get<std::string>()).body.substr(0, 4) == "MSCF");

  auto page = emu.Get(base + "&top=5").json();
  CHECK(page["Value"].size() == 5);
  REQUIRE(page.contains("@nextLink"));
  const std::string next = page["@nextLink"].get<std::string>();
  CHECK(next.find("skip=5") != std::string::npos);
  auto page2 = emu.Get(next.substr(emu.server().base_url().size())).json();
  CHECK(page2["Value"][0]["cabIdHash"] == j["Value"][5]["cabIdHash"]);
  auto tail = emu.Get(base + "&top=5&skip=" + std::to_string(total - 2)).json();
  CHECK(tail["Value"].size() == 2);
  CHECK_FALSE(tail.contains("@nextLink"));
  CHECK(emu.Get(base + "&top=101").status == 400);
  CHECK(
      emu.Get("/v1.0/my/analytics/driver/cabdownloadbatch?failureHash=" + c.failure_hash).status ==
      400);
}

}  // namespace hdc::emulator::testing
