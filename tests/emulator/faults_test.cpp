// Every fault knob, each next to its control without the fault.
#include <sstream>

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include "emulator_fixture.h"

namespace hdc::emulator::testing {
namespace {

using std::chrono::hours;

// The whole answer to a GET as bytes, read to the end of the connection (a
// bad Content-Length is beyond what Poco's client reads).
std::string RawGet(const std::string& url, const std::string& token = "") {
  Poco::URI uri(url);
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress(uri.getHost(), uri.getPort()));
  socket.setReceiveTimeout(Poco::Timespan(10, 0));
  std::string request = "GET " + uri.getPathEtc() + " HTTP/1.1\r\nHost: " + uri.getHost() +
                        "\r\nConnection: close\r\n";
  if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
  request += "\r\n";
  socket.sendBytes(request.data(), static_cast<int>(request.size()));
  std::string answer;
  char buffer[8192];
  for (int n; (n = socket.receiveBytes(buffer, sizeof buffer)) > 0;)
    answer.append(buffer, static_cast<size_t>(n));
  return answer;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("status faults hit the Nth request of an endpoint for a burst, then stop") {
  EmulatorFixture emu;
  CHECK(emu.Get("/analytics/driver/reporttemplate").status == 200);  // control
  emu.SetFaults({{{"endpoint", "template.list"},
                  {"kind", "status"},
                  {"status", 503},
                  {"nth", 2},
                  {"count", 2}}});
  CHECK(emu.Get("/analytics/driver/reporttemplate").status == 200);
  auto r = emu.Get("/analytics/driver/reporttemplate");
  CHECK(r.status == 503);
  CHECK(r.json()["errors"][0]["code"] == "ServiceUnavailable");
  CHECK(emu.Get("/analytics/driver/reporttemplate").status == 503);
  CHECK(emu.Get("/analytics/driver/reporttemplate").status == 200);
  CHECK(emu.Get("/analytics/driver/report").status == 201);  // other endpoints untouched
}

TEST_CASE("a 500 burst by endpoint prefix") {
  EmulatorFixture emu;
  emu.SetFaults({{{"endpoint", "template"}, {"kind", "status"}, {"status", 500}}});
  CHECK(emu.Get("/analytics/driver/reporttemplate").status == 500);
  CHECK(emu.Get("/analytics/driver/reporttemplate/1").status == 500);
  emu.Admin("DELETE", "faults");
  CHECK(emu.Get("/analytics/driver/reporttemplate").status == 200);
}

TEST_CASE("429 carries Retry-After in seconds or as an HTTP-date") {
  EmulatorFixture emu;
  emu.SetFaults({{{"endpoint", "schedule.list"}, {"kind", "429"}, {"retry_after", 30}, {"nth", 1}},
                 {{"endpoint", "schedule.list"},
                  {"kind", "429"},
                  {"retry_after", 90},
                  {"retry_after_form", "date"},
                  {"nth", 2}}});
  auto a = emu.Get("/analytics/driver/report");
  CHECK(a.status == 429);
  CHECK(a.Header("retry-after") == "30");
  auto b = emu.Get("/analytics/driver/report");
  CHECK(b.status == 429);
  CHECK(b.Header("retry-after") == "Wed, 01 May 2024 00:01:30 GMT");
  CHECK(emu.Get("/analytics/driver/report").status == 201);
}

TEST_CASE("probability faults are seeded: the same seed gives the same sequence") {
  auto run = [](std::uint64_t seed) {
    ServerOptions o;
    o.seed = seed;
    EmulatorFixture emu(o);
    emu.SetFaults({{{"endpoint", "template.list"},
                    {"kind", "status"},
                    {"status", 500},
                    {"probability", 0.5}}});
    std::string seq;
    for (int i = 0; i < 32; ++i)
      seq += emu.Get("/analytics/driver/reporttemplate").status == 500 ? 'x' : '.';
    return seq;
  };
  const std::string a = run(3), b = run(3);
  CHECK(a == b);
  CHECK(a.find('x') != std::string::npos);
  CHECK(a.find('.') != std::string::npos);
}

TEST_CASE("latency delays the answer by real milliseconds") {
  EmulatorFixture emu;
  emu.SetFaults({{{"endpoint", "template.list"}, {"kind", "latency"}, {"ms", 150}, {"nth", 1}}});
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(emu.Get("/analytics/driver/reporttemplate").status == 200);
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(150));
}

TEST_CASE("drip sends a JSON answer and a blob at the given rate, intact, the control at once") {
  EmulatorFixture emu;
  emu.CreateTemplate();
  const auto rid = emu.CreateSchedule(emu.CreateTemplate());
  emu.Advance(hours(1));
  const std::string url = emu.Executions(rid)[0]["ReportLocation"].get<std::string>();
  const auto json = emu.Get("/analytics/driver/reporttemplate");  // controls
  const auto blob = Http("GET", url);
  REQUIRE(json.status == 200);
  REQUIRE(blob.status == 200);
  // Three pieces each: a rate of 10/3 of the body per second, a tenth per piece.
  const int json_rate = std::max<int>(10, static_cast<int>(json.body.size() * 10 / 3));
  const int blob_rate = std::max<int>(10, static_cast<int>(blob.body.size() * 10 / 3));
  emu.SetFaults({{{"endpoint", "template.list"}, {"kind", "drip"}, {"rate", json_rate}},
                 {{"endpoint", "blob.report"}, {"kind", "drip"}, {"rate", blob_rate}}});
  auto t0 = std::chrono::steady_clock::now();
  const auto slow_json = emu.Get("/analytics/driver/reporttemplate");
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(300));
  CHECK(slow_json.status == 200);
  CHECK(slow_json.body == json.body);
  t0 = std::chrono::steady_clock::now();
  const auto slow_blob = Http("GET", url);
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(300));
  CHECK(slow_blob.status == 200);
  CHECK(slow_blob.body == blob.body);
  CHECK(emu.Admin("GET", "faults").json()["faults"][0]["rate"] == json_rate);
}

TEST_CASE(
    "content_length sends the rule's value as the only Content-Length, then the true body, on JSON "
    "answers and blobs") {
  EmulatorFixture emu;
  emu.CreateTemplate();
  const auto rid = emu.CreateSchedule(emu.CreateTemplate());
  emu.Advance(hours(1));
  const std::string url = emu.Executions(rid)[0]["ReportLocation"].get<std::string>();
  const std::string token = emu.Token();
  // Controls: the true length.
  const auto json = emu.Get("/analytics/driver/reporttemplate");
  const auto blob = Http("GET", url);
  REQUIRE(json.status == 200);
  REQUIRE(blob.status == 200);
  CHECK(Count(RawGet(emu.Url("/analytics/driver/reporttemplate"), token),
              "Content-Length: " + std::to_string(json.body.size()) + "\r\n") == 1);
  emu.SetFaults(
      {{{"endpoint", "template.list"}, {"kind", "content_length"}},
       {{"endpoint", "blob.report"}, {"kind", "content_length"}, {"value", 1000000000000000}}});
  const std::string bad_json = RawGet(emu.Url("/analytics/driver/reporttemplate"), token);
  CHECK(bad_json.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(Count(bad_json, "Content-Length") == 1);
  CHECK(Count(bad_json, "\r\nContent-Length: -1\r\n") == 1);
  CHECK(Count(bad_json, "\r\nConnection: close\r\n") == 1);
  CHECK(bad_json.substr(bad_json.find("\r\n\r\n") + 4) == json.body);
  const std::string bad_blob = RawGet(url);
  CHECK(bad_blob.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(Count(bad_blob, "\r\nContent-Length: 1000000000000000\r\n") == 1);
  CHECK(bad_blob.find("\r\nETag: ") != std::string::npos);  // the other headers stay
  CHECK(bad_blob.substr(bad_blob.find("\r\n\r\n") + 4) == blob.body);
  CHECK(emu.Admin("GET", "faults").json()["faults"][1]["value"] == "1000000000000000");
  // A value that would end the header line early is refused.
  auto refused = emu.Admin("POST", "faults",
                           {{"faults", {{{"kind", "content_length"}, {"value", "1\r\nX: y"}}}}});
  CHECK(refused.status == 400);
}

TEST_CASE(
    "relative_location answers cabdownload with a relative Location that resolves to the cab, the "
    "control absolute") {
  EmulatorFixture emu;
  const auto rid = emu.CreateSchedule(emu.CreateTemplate(), "2024-05-01T00:00:00Z", 24, 5);
  emu.Advance(hours(1));
  const std::string report =
      Http("GET", emu.Executions(rid)[0]["ReportLocation"].get<std::string>()).body;
  // The first CabIdHash of the report: a 36-character id in the third column.
  std::string cab_id;
  std::istringstream lines(report);
  std::string line;
  std::getline(lines, line);  // the header
  while (cab_id.empty() && std::getline(lines, line)) {
    std::istringstream cells(line);
    std::string cell;
    for (int i = 0; i < 3; ++i) std::getline(cells, cell, '\t');
    if (cell.size() == 36) cab_id = cell;
  }
  REQUIRE(!cab_id.empty());
  const std::string path = "/v1.0/my/analytics/hardware/cabdownload?cabIdHash=" + cab_id;
  const auto control = emu.Get(path);
  REQUIRE(control.status == 302);
  CHECK(control.Header("location").rfind(emu.server().blob_base_url() + "/drivers/Cabs/", 0) == 0);
  const std::string base = emu.server().base_url();
  const std::vector<std::pair<std::string, std::string>> forms = {
      {"absolute-path", base + "/drivers/Cabs/"},
      {"dot-segments", base + "/drivers/Cabs/"},
      {"network-path", emu.server().blob_base_url() + "/drivers/Cabs/"}};
  for (const auto& [form, resolved_prefix] : forms) {
    CAPTURE(form);
    emu.SetFaults({{{"endpoint", "cabdownload"}, {"kind", "relative_location"}, {"value", form}}});
    const auto r = emu.Get(path);
    REQUIRE(r.status == 302);
    const std::string location = r.Header("location");
    CHECK(location.find("://") == std::string::npos);  // relative
    CHECK(location.find("sig=") != std::string::npos);
    if (form == "dot-segments") CHECK(location.rfind("../../../../drivers/Cabs/", 0) == 0);
    if (form == "absolute-path") CHECK(location.rfind("/drivers/Cabs/", 0) == 0);
    if (form == "network-path") CHECK(location.rfind("//", 0) == 0);
    // Resolved against the request URL (RFC 3986 §5.2), the cab comes.
    // (Poco::URI::resolve takes "//host/..." for a path: the scheme by hand.)
    Poco::URI uri(emu.Url(path));
    uri.resolve(location);
    const std::string resolved =
        form == "network-path" ? uri.getScheme() + ":" + location : uri.toString();
    CAPTURE(location);
    CAPTURE(resolved);
    CHECK(resolved.rfind(resolved_prefix, 0) == 0);
    const auto cab = Http("GET", resolved);
    REQUIRE_MESSAGE(cab.status == 200, cab.error);
    CHECK(cab.body.substr(0, 4) == "MSCF");
  }
  auto refused = emu.Admin("POST", "faults",
                           {{"faults", {{{"kind", "relative_location"}, {"value", "sideways"}}}}});
  CHECK(refused.status == 400);
}

TEST_CASE("short body, reset and malformed JSON break the answer, the control is intact") {
  EmulatorFixture emu;
  emu.CreateTemplate();
  CHECK(emu.Get("/analytics/driver/reporttemplate").json().is_object());
  emu.SetFaults({{{"endpoint", "template.list"}, {"kind", "malformed_json"}, {"nth", 1}},
                 {{"endpoint", "template.list"}, {"kind", "short_body"}, {"nth", 2}},
                 {{"endpoint", "template.list"}, {"kind", "reset"}, {"nth", 3}}});
  auto malformed = emu.Get("/analytics/driver/reporttemplate");
  CHECK(malformed.status == 200);
  CHECK(malformed.json().is_discarded());
  auto shorter = emu.Get("/analytics/driver/reporttemplate");
  CHECK(shorter.status == -1);
  auto reset = emu.Get("/analytics/driver/reporttemplate");
  CHECK(reset.status == -1);
  CHECK(emu.Get("/analytics/driver/reporttemplate").json().is_object());
}

TEST_CASE("a short blob body keeps the full Content-Length") {
  EmulatorFixture emu;
  const auto rid = emu.CreateSchedule(emu.CreateTemplate());
  emu.Advance(hours(1));
  const std::string url = emu.Executions(rid)[0]["ReportLocation"].get<std::string>();
  CHECK(Http("GET", url).status == 200);
  emu.SetFaults({{{"endpoint", "blob.report"}, {"kind", "short_body"}, {"nth", 1}}});
  auto r = Http("GET", url);
  CHECK(r.status == -1);
  CHECK(r.error.find("short body") != std::string::npos);
}

TEST_CASE("a token may expire early while claiming the full lifetime") {
  EmulatorFixture emu;
  emu.SetFaults(
      {{{"endpoint", "token"}, {"kind", "token_early_expiry"}, {"seconds", 60}, {"nth", 2}}});
  const Headers normal{{"Authorization", "Bearer " + emu.Token()}};
  auto r = emu.TokenRequest(EmulatorFixture::Form());
  CHECK(r.json()["expires_in"] == "3600");
  const Headers early{{"Authorization", "Bearer " + r.json()["access_token"].get<std::string>()}};
  emu.Advance(std::chrono::seconds(61));
  CHECK(Http("GET", emu.Url("/analytics/driver/report"), "", normal).status == 201);
  CHECK(Http("GET", emu.Url("/analytics/driver/report"), "", early).status == 401);
}

TEST_CASE("links may be handed out already expired") {
  EmulatorFixture emu;
  const auto rid = emu.CreateSchedule(emu.CreateTemplate());
  emu.Advance(hours(1));
  CHECK(Http("GET", emu.Executions(rid)[0]["ReportLocation"].get<std::string>()).status == 200);
  emu.SetFaults({{{"endpoint", "reportdata"}, {"kind", "sas_expired"}, {"nth", 1}}});
  CHECK(Http("GET", emu.Executions(rid)[0]["ReportLocation"].get<std::string>()).status == 403);
  CHECK(Http("GET", emu.Executions(rid)[0]["ReportLocation"].get<std::string>()).status == 200);
}

TEST_CASE("report data may list every execution twice") {
  EmulatorFixture emu;
  const auto rid = emu.CreateSchedule(emu.CreateTemplate());
  emu.Advance(hours(25));
  CHECK(emu.Executions(rid).size() == 2);
  emu.SetFaults({{{"endpoint", "reportdata"}, {"kind", "duplicate_executions"}}});
  Json e = emu.Executions(rid);
  REQUIRE(e.size() == 4);
  CHECK(e[0]["ReportDatetime"] == e[1]["ReportDatetime"]);
}

TEST_CASE("quirks: errors null or empty, IDs as strings, PascalCase keys") {
  EmulatorFixture emu;
  CHECK(emu.Get("/analytics/driver/report").json()["errors"] == Json::array());
  REQUIRE(
      emu.Admin("POST", "settings", {{"errors_style", "null"}, {"ids_as_strings", true}}).status ==
      200);
  CHECK(emu.Get("/analytics/driver/report").json()["errors"].is_null());
  auto created = emu.Post("/analytics/driver/reporttemplate", SimpleTemplate()).json();
  CHECK(created["data"]["templateId"].is_string());
  REQUIRE(
      emu.Admin("POST", "settings", {{"errors_style", "empty"}, {"pascal_keys", true}}).status ==
      200);
  auto pascal_case = emu.Post("/analytics/driver/reporttemplate", SimpleTemplate()).json();
  CHECK(pascal_case["Errors"] == Json::array());
  CHECK(pascal_case["Data"]["TemplateId"].is_string());
  REQUIRE(emu.Admin("POST", "settings", {{"errors_style", "absent"}}).status == 200);
  CHECK_FALSE(emu.Get("/analytics/driver/report").json().contains("Errors"));
  CHECK(emu.Admin("POST", "settings", {{"errors_style", "sometimes"}}).status == 400);
}

}  // namespace hdc::emulator::testing
