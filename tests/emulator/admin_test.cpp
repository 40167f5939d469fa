// /_emulator/ control routes, the state file and the command line.
#include <cstdio>
#include <filesystem>

#include "emulator/cli.h"
#include "emulator_fixture.h"

namespace hdc::emulator::testing {

TEST_CASE("the clock can be read, set and advanced") {
  EmulatorFixture emu;
  auto r = emu.Admin("POST", "clock", {{"advance", "90m"}});
  CHECK(r.json()["now"] == "2024-05-01T01:30:00.000Z");
  emu.Admin("POST", "clock", {{"advance", 30}});
  CHECK(emu.Admin("GET", "clock").json()["now"] == "2024-05-01T01:30:30.000Z");
  emu.Admin("POST", "clock", {{"set", "2025-01-01T00:00:00Z"}});
  CHECK(emu.clock().Now() == At("2025-01-01T00:00:00Z"));
  CHECK(emu.Admin("POST", "clock", {{"set", "yesterday"}}).status == 400);
  // Seconds whose milliseconds no 64-bit integer holds are refused, not cast.
  CHECK(emu.Admin("POST", "clock", {{"advance", 1e300}}).status == 400);
  CHECK(emu.Admin("POST", "clock", {{"advance", -1e300}}).status == 400);
  CHECK(emu.clock().Now() == At("2025-01-01T00:00:00Z"));
}

TEST_CASE("the request log records host, method, path, status and whether Authorization was sent") {
  EmulatorFixture emu;
  emu.Get("/analytics/driver/report");
  Http("GET", emu.Url("/analytics/driver/reporttemplate"));
  Json log = emu.Admin("GET", "requests").json();
  REQUIRE(log.size() == 3);  // token, report list, template list
  CHECK(log[0]["path"] == "/" + DemoClient().tenant + "/oauth2/token");
  CHECK(log[1] == Json({{"host", "127.0.0.1"},
                        {"method", "GET"},
                        {"path", "/analytics/driver/report"},
                        {"status", 201},
                        {"authorization", true}}));
  CHECK(log[2]["status"] == 401);
  CHECK(log[2]["authorization"] == false);
  emu.Admin("DELETE", "requests");
  CHECK(emu.Admin("GET", "requests").json().empty());
}

TEST_CASE("state shows remote objects and counts, reset clears them") {
  EmulatorFixture emu;
  const auto tid = emu.CreateTemplate();
  emu.CreateSchedule(tid);
  emu.Advance(std::chrono::hours(30));
  Json s = emu.Admin("GET", "state").json();
  CHECK(s["templates"][0]["templateId"] == tid);
  CHECK(s["templates"][0]["template"]["view"] == "IHVDriver");
  CHECK(s["schedules"][0]["isActive"] == true);
  CHECK(s["counts"]["executions"] == 2);
  REQUIRE(emu.Admin("POST", "reset").status == 200);
  s = emu.Admin("GET", "state").json();
  CHECK(s["counts"]["templates"] == 0);
  CHECK(s["counts"]["tokens"] == 0);
}

TEST_CASE("unknown paths answer 404 and wrong methods 405") {
  EmulatorFixture emu;
  CHECK(emu.Get("/analytics/driver/nothing").status == 404);
  CHECK(emu.Call("DELETE", "/analytics/driver/reporttemplate").status == 405);
  CHECK(Http("GET", emu.server().blob_base_url() + "/nothing").status == 404);
  // HDC paths are not served on the blob host.
  CHECK(Http("GET", emu.server().blob_base_url() + "/analytics/driver/report").status == 404);
}

TEST_CASE("the state file keeps templates, schedules and tokens across a restart") {
  const auto path = std::filesystem::temp_directory_path() /
                    ("hdc-emulator-state-" + std::to_string(::getpid()) + ".json");
  std::filesystem::remove(path);
  ServerOptions o;
  o.state_file = path.string();
  std::string token;
  std::int64_t tid = 0;
  {
    EmulatorFixture emu(o);
    token = emu.Token();
    tid = emu.CreateTemplate();
    emu.CreateSchedule(tid);
  }
  EmulatorFixture again(o);
  auto r = Http("GET", again.Url("/analytics/driver/report"), "",
                {{"Authorization", "Bearer " + token}});
  REQUIRE(r.status == 201);
  CHECK(r.json()["data"][0]["templateId"] == tid);
  CHECK(again.CreateTemplate() == tid + 1);
  std::filesystem::remove(path);
}

TEST_CASE("the command line maps flags onto options") {
  auto c = ParseCommandLine({"--port",       "0",          "--seed",
                             "42",           "--client",   "t1/c1:s:1",
                             "--client",     "t2/c2:x",    "--clock",
                             "scale=3600",   "--rows",     "5000",
                             "--format",     "comma",      "--lf",
                             "--bom",        "--set",      "failure_probability=0.25",
                             "--state-file", "/tmp/x.json"});
  REQUIRE(c.ok());
  CHECK(c->server.seed == 42);
  REQUIRE(c->server.clients.size() == 2);
  CHECK(c->server.clients[0].tenant == "t1");
  CHECK(c->server.clients[0].client_id == "c1");
  CHECK(c->server.clients[0].secret == "s:1");
  CHECK(c->clock == "scale");
  CHECK(c->scale == 3600);
  CHECK(c->server.settings.rows_per_execution == 5000);
  CHECK(c->server.settings.delimiter == ',');
  CHECK_FALSE(c->server.settings.crlf);
  CHECK(c->server.settings.bom);
  CHECK(c->server.settings.failure_probability == 0.25);
  CHECK(c->server.state_file == "/tmp/x.json");
  CHECK_FALSE(ParseCommandLine({"--client", "nope"}).ok());
  CHECK_FALSE(ParseCommandLine({"--clock", "fast"}).ok());
  CHECK_FALSE(ParseCommandLine({"--set", "colour=red"}).ok());
  CHECK_FALSE(ParseCommandLine({"--port"}).ok());
  CHECK(ParseCommandLine({"--help"})->help);
}

TEST_CASE("--help documents every knob and the demo client") {
  const std::string usage = Usage();
  for (const char* word : {"--port",
                           "--seed",
                           "--client",
                           "--clock",
                           "--faults",
                           "--state-file",
                           "rows_per_execution",
                           "cab_size",
                           "failure_probability",
                           "token_lifetime",
                           "delimiter",
                           "quote_all",
                           "errors_style",
                           "ids_as_strings",
                           "pascal_keys",
                           "expires_in_number",
                           "flip_failed_after",
                           "short_body",
                           "duplicate_executions",
                           "sas_expired",
                           "demo-secret"}) {
    CAPTURE(word);
    CHECK(usage.find(word) != std::string::npos);
  }
}

}  // namespace hdc::emulator::testing

namespace hdc::emulator::testing {

TEST_CASE("a port another emulator listens on is refused, not shared (no SO_REUSEPORT)") {
  EmulatorFixture first;
  ServerOptions o;
  o.blob_port = first.server().blob_port();  // explicit: no fallback to an ephemeral port
  util::ManualClock clock(At(EmulatorFixture::kStart));
  Server second(o, clock);
  CHECK_FALSE(second.Start().ok());
  // Without an explicit blob port the second server falls back to a free one.
  ServerOptions fallback;
  fallback.port = 0;
  Server third(fallback, clock);
  REQUIRE(third.Start().ok());
  CHECK(third.blob_port() != first.server().blob_port());
}

}  // namespace hdc::emulator::testing

namespace hdc::emulator::testing {
namespace {

TEST_CASE("a POST without Content-Length has an empty body and is answered at once") {
  EmulatorFixture emu;
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(emu.server().port()));
  session.setTimeout(Poco::Timespan(5, 0));
  Poco::Net::HTTPRequest request("POST", "/_emulator/reset", Poco::Net::HTTPMessage::HTTP_1_1);
  session.sendRequest(request);  // no Content-Length, no body
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  std::string body;
  Poco::StreamCopier::copyToString(in, body);
  CHECK(response.getStatus() < 300);
}

}  // namespace
}  // namespace hdc::emulator::testing
