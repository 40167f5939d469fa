// Report files on the blob host: content, format variants, SAS expiry,
// Range/If-Range, determinism (docs/hdc-api.md §Report data, docs/hdc-api.md §Report files).
#include <sstream>

#include "emulator_fixture.h"

namespace hdc::emulator::testing {
namespace {

using std::chrono::hours;

std::vector<std::vector<std::string>> ParseTsv(const std::string& text, char delim = '\t') {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> cells;
    std::string cell;
    std::istringstream ls(line);
    while (std::getline(ls, cell, delim)) cells.push_back(cell);
    if (!line.empty() && line.back() == delim) cells.emplace_back();
    rows.push_back(cells);
  }
  return rows;
}

// Creates a schedule for the template, advances until its first run is
// Completed, and returns the report link.
std::string FirstReportUrl(EmulatorFixture& emu, const Json& tpl) {
  const auto rid =
      emu.CreateSchedule(emu.CreateTemplate(tpl), util::FormatTimestamp(emu.clock().Now()), 24, 5);
  emu.Advance(hours(1));
  Json e = emu.Executions(rid);
  REQUIRE(e.size() == 1);
  REQUIRE(e[0]["ReportStatus"] == "Completed");
  return e[0]["ReportLocation"].get<std::string>();
}

}  // namespace

TEST_CASE(
    "a report file has a header of the projection and one row per generated row, tab and CRLF") {
  EmulatorFixture emu;
  const std::string url = FirstReportUrl(emu, SimpleTemplate());
  auto r = Http("GET", url);
  REQUIRE(r.status == 200);
  CHECK(r.body.find("\r\n") != std::string::npos);
  auto rows = ParseTsv(r.body);
  REQUIRE(rows.size() == 201);
  CHECK(rows[0] == std::vector<std::string>{"FailureHash", "DriverName", "CabIdHash",
                                            "CabExpirationTime", "ApplicationId", "EventCount"});
  CHECK(rows[1].size() == 6);
  CHECK(rows[1][0].size() == 36);
  CHECK(rows[1][4].size() == 17);
  CHECK(r.Header("content-md5").size() == 24);
  CHECK(r.Header("etag").rfind("\"0x8DC", 0) == 0);
  CHECK(r.Header("content-length") == std::to_string(r.body.size()));
}

TEST_CASE("conditions, aggregation, having, order and limit shape the rows") {
  EmulatorFixture emu;
  Json t = {
      {"view", "IHVDriver"},
      {"projection", {"DriverName"}},
      {"dateRange", {{"reportPeriod", "Last30Days"}}},
      {"condition",
       {{"and", {{{"attribute", "EventType"}, {"operator", "eq"}, {"value", "kernel"}}}}}},
      {"aggregation",
       {{"aggregatedColumns", {"SUM(EventCount)", "DCOUNT(DeviceId)", "COUNT(EventCount)"}},
        {"condition",
         {{"and", {{{"attribute", "COUNT(EventCount)"}, {"operator", "gte"}, {"value", "2"}}}}}}}},
      {"orderby", {{{"attribute", "SUM(EventCount)"}, {"sort", "desc"}}}},
      {"limit", 3}};
  auto rows = ParseTsv(Http("GET", FirstReportUrl(emu, t)).body);
  REQUIRE(rows.size() == 4);
  CHECK(rows[0] == std::vector<std::string>{"DriverName", "SUM(EventCount)", "DCOUNT(DeviceId)",
                                            "COUNT(EventCount)"});
  for (size_t i = 1; i < rows.size(); ++i) CHECK(std::stoi(rows[i][3]) >= 2);
  CHECK(std::stoi(rows[1][1]) >= std::stoi(rows[2][1]));
  CHECK(std::stoi(rows[2][1]) >= std::stoi(rows[3][1]));

  Json filter = {{"view", "OEMDriver"},
                 {"projection", {"Market", "EventType", "Model"}},
                 {"dateRange", {{"reportPeriod", "Last7Days"}}},
                 {"condition",
                  {{"and", {{{"attribute", "EventType"}, {"operator", "eq"}, {"value", "Kernel"}}}},
                   {"or",
                    {{{"attribute", "Market"}, {"operator", "in"}, {"value", {"DE", "FR"}}},
                     {{"attribute", "Market"}, {"operator", "like"}, {"value", "j%"}}}}}}};
  auto filtered = ParseTsv(Http("GET", FirstReportUrl(emu, filter)).body);
  REQUIRE(filtered.size() > 1);
  for (size_t i = 1; i < filtered.size(); ++i) {
    CHECK(filtered[i][1] == "Kernel");
    CHECK((filtered[i][0] == "DE" || filtered[i][0] == "FR" || filtered[i][0] == "JP"));
  }
}

TEST_CASE("format knobs: comma, BOM, LF, every field quoted, rows per execution") {
  ServerOptions o;
  o.settings.delimiter = ',';
  o.settings.bom = true;
  o.settings.crlf = false;
  o.settings.quote_all = true;
  o.settings.rows_per_execution = 7;
  EmulatorFixture emu(o);
  Json t = SimpleTemplate();
  t["projection"] = {"OEMName", "EventCount"};
  auto body = Http("GET", FirstReportUrl(emu, t)).body;
  REQUIRE(body.rfind("\xEF\xBB\xBF\"OEMName\",\"EventCount\"\n", 0) == 0);
  CHECK(body.find('\r') == std::string::npos);
  size_t lines = 0;
  for (char c : body) lines += c == '\n';
  CHECK(lines == 8);
}

TEST_CASE("values holding the delimiter or quotes are quoted RFC 4180 style") {
  ServerOptions o;
  o.settings.delimiter = ',';
  o.settings.rows_per_execution = 400;
  EmulatorFixture emu(o);
  Json t = SimpleTemplate();
  t["projection"] = {"OEMName"};
  auto body = Http("GET", FirstReportUrl(emu, t)).body;
  CHECK(body.find("\"Fabrikam, Inc.\"") != std::string::npos);
  CHECK(body.find("\"Northwind \"\"NW\"\" Traders\"") != std::string::npos);
}

TEST_CASE(
    "report links expire after 12 hours with 403 AuthenticationFailed, a fresh call gives a fresh "
    "link") {
  EmulatorFixture emu;
  const std::string url = FirstReportUrl(emu, SimpleTemplate());
  CHECK(url.find("se=2024-05-01T13%3A00%3A00Z") != std::string::npos);
  emu.Advance(hours(12) + std::chrono::seconds(1));
  auto r = Http("GET", url);
  CHECK(r.status == 403);
  CHECK(r.body.find("<Code>AuthenticationFailed</Code>") != std::string::npos);
  CHECK(r.Header("x-ms-error-code") == "AuthenticationFailed");
  auto rid = emu.Get("/analytics/driver/report").json()["data"][0]["reportId"].get<std::int64_t>();
  CHECK(Http("GET", emu.Executions(rid)[0]["ReportLocation"].get<std::string>()).status == 200);
}

TEST_CASE("an altered or missing signature gets 403") {
  EmulatorFixture emu;
  std::string url = FirstReportUrl(emu, SimpleTemplate());
  const size_t sig = url.find("sig=") + 4;
  std::string altered = url;
  altered[sig] = altered[sig] == 'A' ? 'B' : 'A';
  CHECK(Http("GET", altered).status == 403);
  CHECK(Http("GET", url.substr(0, url.find('?'))).status == 403);
  std::string other_blob = url;
  other_blob.replace(other_blob.find("/Reports/") + 9, 4, "1234");
  CHECK(Http("GET", other_blob).status == 403);
}

TEST_CASE(
    "Range gives 206 with Content-Range, If-Range with a stale ETag gives 200, bad ranges 416") {
  EmulatorFixture emu;
  const std::string url = FirstReportUrl(emu, SimpleTemplate());
  auto full = Http("GET", url);
  const std::string etag = full.Header("etag");
  auto part = Http("GET", url, "", {{"Range", "bytes=100-"}, {"If-Range", etag}});
  REQUIRE(part.status == 206);
  CHECK(part.body == full.body.substr(100));
  CHECK(part.Header("content-range") == "bytes 100-" + std::to_string(full.body.size() - 1) + "/" +
                                            std::to_string(full.body.size()));
  CHECK(part.Header("x-ms-blob-content-md5") == full.Header("content-md5"));
  auto mid = Http("GET", url, "", {{"Range", "bytes=10-19"}});
  CHECK(mid.status == 206);
  CHECK(mid.body == full.body.substr(10, 10));
  auto suffix = Http("GET", url, "", {{"Range", "bytes=-5"}});
  CHECK(suffix.body == full.body.substr(full.body.size() - 5));
  auto stale =
      Http("GET", url, "", {{"Range", "bytes=100-"}, {"If-Range", "\"0x8DC000000000000\""}});
  CHECK(stale.status == 200);
  CHECK(stale.body == full.body);
  auto beyond = Http("GET", url, "", {{"Range", "bytes=999999999-"}});
  CHECK(beyond.status == 416);
  auto head = Http("HEAD", url);
  CHECK(head.status == 200);
  CHECK(head.Header("content-length") == std::to_string(full.body.size()));
}

TEST_CASE("large reports stream in bounded memory and honour limit") {
  ServerOptions o;
  o.settings.rows_per_execution = 50000;
  EmulatorFixture emu(o);
  Json t = SimpleTemplate();
  t["projection"] = {"DeviceId"};
  auto r = Http("GET", FirstReportUrl(emu, t));
  REQUIRE(r.status == 200);
  CHECK(r.body.size() == 10 + 50000ULL * 38);
  t["limit"] = 5;
  auto limited = Http("GET", FirstReportUrl(emu, t));
  CHECK(ParseTsv(limited.body).size() == 6);
}

TEST_CASE("template edits apply from the next execution") {
  EmulatorFixture emu;
  const auto tid = emu.CreateTemplate();
  const auto rid = emu.CreateSchedule(tid, "2024-05-01T00:00:00Z", 24, 5);
  emu.Advance(hours(1));
  Json t = SimpleTemplate();
  t["projection"] = {"Market"};
  REQUIRE(emu.Post("/analytics/driver/reporttemplate/" + std::to_string(tid), t).status == 201);
  emu.Advance(hours(24));
  Json e = emu.Executions(rid);
  REQUIRE(e.size() == 2);
  CHECK(ParseTsv(Http("GET", e[0]["ReportLocation"].get<std::string>()).body)[0].size() == 6);
  CHECK(ParseTsv(Http("GET", e[1]["ReportLocation"].get<std::string>()).body)[0] ==
        std::vector<std::string>{"Market"});
}

TEST_CASE("same seed and clock give byte-identical reports, another seed differs") {
  auto fetch = [](std::uint64_t seed) {
    ServerOptions o;
    o.seed = seed;
    EmulatorFixture emu(o);
    return Http("GET", FirstReportUrl(emu, SimpleTemplate())).body;
  };
  const std::string a = fetch(7), b = fetch(7), c = fetch(8);
  CHECK(a == b);
  CHECK(a != c);
}

}  // namespace hdc::emulator::testing
