#include "ctl/daemon_health.h"

#include <memory>
#include <sstream>
#include <string>

#include <doctest/doctest.h>

#include "support/temp_dir.h"
#include "support/test_http_server.h"

namespace hdc::ctl {
namespace {

using testing::HttpReply;
using testing::RecordedRequest;
using testing::TestHttpServer;

constexpr const char* kHealthy =
    R"j({"healthy":true,"problems":[],"auth":"ok","pending_downloads":3,)j"
    R"j("last_success":"2026-11-26T05:00:00Z","jobs":[{"name":"kernel","healthy":true,)j"
    R"j("last_success":"2026-11-26T05:00:00Z","last_attempt":"2026-11-26T05:00:00Z",)j"
    R"j("next_due":"2026-11-26T06:15:00Z","consecutive_failures":0,"last_error":""}]})j";

constexpr const char* kUnhealthy =
    R"j({"healthy":false,"problems":["job kernel: last successful poll 3h ago (limit 45m)",)j"
    R"j("free space\nlow"],"auth":"refused","pending_downloads":0,)j"
    R"j("jobs":[{"name":"kernel","healthy":false,"last_success":null,)j"
    R"j("last_attempt":"2026-11-26T05:00:00Z","next_due":null,"consecutive_failures":4,)j"
    R"j("last_error":"token refused (401)"}]})j";

std::unique_ptr<TestHttpServer> Serve(int status, std::string body) {
  return std::make_unique<TestHttpServer>([status, body](const RecordedRequest&) {
    return HttpReply(status, {{"Content-Type", "application/json"}}, body);
  });
}

std::string Address(const TestHttpServer& server) {
  return "127.0.0.1:" + std::to_string(server.port());
}

std::string Printed(const DaemonHealth& health) {
  std::ostringstream out;
  PrintDaemon(out, health);
  return out.str();
}

TEST_CASE("status daemon: a 200 answer is a healthy daemon with each job's last cycle") {
  auto server = Serve(200, kHealthy);
  const std::string address = Address(*server);
  const DaemonHealth health = ProbeDaemon(address, "hdc-reportctl/test");
  REQUIRE(server->request_count() == 1);
  CHECK(server->requests()[0].method == "GET");
  CHECK(server->requests()[0].target == "/healthz?format=json");
  CHECK(health.running);
  CHECK(health.healthy);
  CHECK_FALSE(health.error);
  CHECK(Printed(health) == "daemon: running at " + address + ", healthy\n");
  CHECK(DaemonJobCells(health, "kernel") ==
        std::vector<std::string>{"2026-11-26T05:00:00Z", "2026-11-26T06:15:00Z", "0", "-"});
  CHECK(DaemonJobCells(health, "other") == std::vector<std::string>{"-", "-", "-", "-"});
  const Json doc = DaemonJson(health);
  CHECK(doc["running"] == true);
  CHECK(doc["address"] == address);
  CHECK(doc["health"] == Json::parse(kHealthy));
  CHECK(doc["error"].is_null());
}

TEST_CASE("status daemon: a 503 answer is UNHEALTHY with each problem on its own line") {
  auto server = Serve(503, kUnhealthy);
  const std::string address = Address(*server);
  const DaemonHealth health = ProbeDaemon(address, "hdc-reportctl/test");
  CHECK(health.running);
  CHECK_FALSE(health.healthy);
  CHECK(Printed(health) == "daemon: running at " + address +
                               ", UNHEALTHY\n"
                               "  job kernel: last successful poll 3h ago (limit 45m)\n"
                               "  free space low\n");
  CHECK(DaemonJobCells(health, "kernel") ==
        std::vector<std::string>{"-", "-", "4", "token refused (401)"});
  const Json doc = DaemonJson(health);
  CHECK(doc["health"]["auth"] == "refused");
  CHECK(doc["health"]["healthy"] == false);
}

TEST_CASE("status daemon: a warning is printed under a healthy daemon, which stays healthy") {
  DaemonHealth health;
  health.running = true;
  health.address = "127.0.0.1:9";
  REQUIRE(ParseHealth(200,
                      R"({"healthy":true,"problems":[],"warnings":["warning: the certificate )"
                      R"(credential ... expires at 2026-12-20T00:00:00Z, in 14 days"]})",
                      health)
              .ok());
  CHECK(health.healthy);
  CHECK(Printed(health) ==
        "daemon: running at 127.0.0.1:9, healthy\n"
        "  warning: the certificate credential ... expires at 2026-12-20T00:00:00Z, in 14 days\n");
  CHECK(ParseHealth(200, R"({"healthy":true,"warnings":[{}]})", health).message() ==
        "\"warnings[0]\" is not a string");
}

TEST_CASE("status daemon: nothing listening is a daemon that is not running") {
  std::string address;
  {
    auto server = Serve(200, kHealthy);
    address = Address(*server);
  }  // closed: the port refuses connections now
  const DaemonHealth health = ProbeDaemon(address, "hdc-reportctl/test");
  CHECK_FALSE(health.running);
  CHECK(health.error);
  CHECK_FALSE(health.health);
  CHECK(Printed(health) == "daemon: not running (no answer from " + address + ")\n");
  CHECK(DaemonJobCells(health, "kernel") == std::vector<std::string>{"-", "-", "-", "-"});
  const Json doc = DaemonJson(health);
  CHECK(doc["running"] == false);
  CHECK(doc["address"] == address);
  CHECK(doc["health"].is_null());
  CHECK(doc["error"].is_string());
}

TEST_CASE("status daemon: a garbage answer is reported as unreadable, not as health") {
  auto server = Serve(200, "<html>hello</html>");
  const std::string address = Address(*server);
  const DaemonHealth health = ProbeDaemon(address, "hdc-reportctl/test");
  CHECK(health.running);
  CHECK_FALSE(health.healthy);
  CHECK_FALSE(health.health);
  CHECK(Printed(health) ==
        "daemon: answered at " + address + " but its health could not be read (not JSON)\n");
  const Json doc = DaemonJson(health);
  CHECK(doc["running"] == true);
  CHECK(doc["health"].is_null());
  CHECK(doc["error"] == "not JSON");
}

TEST_CASE("status daemon: other statuses and mistyped fields are unreadable answers") {
  DaemonHealth health;
  CHECK(ParseHealth(404, "not found", health).message() == "HTTP 404");
  CHECK(ParseHealth(200, "[]", health).message() == "\"(the body)\" is not an object");
  CHECK(ParseHealth(200, R"({"problems":[]})", health).message() ==
        "\"healthy\" is not true or false");
  CHECK(ParseHealth(503, R"({"healthy":false,"problems":[1]})", health).message() ==
        "\"problems[0]\" is not a string");
  CHECK(ParseHealth(200, R"({"healthy":true,"jobs":[{"name":"k","consecutive_failures":"x"}]})",
                    health)
            .message() == "\"jobs[0].consecutive_failures\" is not a number");
  CHECK(ParseHealth(200, R"({"healthy":true,"jobs":[{}]})", health).message() ==
        "\"jobs[0].name\" is not a string");
  CHECK(ParseHealth(200, std::string(100, '[') + std::string(100, ']'), health).kind() ==
        util::ErrorKind::kBadData);
  CHECK_FALSE(health.health);  // untouched by the failures
  CHECK(ParseHealth(200, R"({"healthy":true})", health).ok());
  CHECK(health.healthy);
  CHECK(health.jobs.empty());
  CHECK(ParseHealth(200, R"({"healthy":false,"problems":["p"]})", health).ok());
  CHECK_FALSE(health.healthy);  // the body's word counts, even with a 200
}

TEST_CASE("status daemon: an answer cut short of its length is unreadable, not down") {
  auto server = std::make_unique<TestHttpServer>([](const RecordedRequest&) {
    HttpReply reply(200, {}, R"({"healthy":true)");
    reply.content_length = 1000;
    return reply;
  });
  const DaemonHealth health = ProbeDaemon(Address(*server), "hdc-reportctl/test");
  CHECK(health.running);
  CHECK_FALSE(health.health);
  CHECK(Printed(health).starts_with("daemon: answered at " + Address(*server) +
                                    " but its health could not be read ("));
}

TEST_CASE("status daemon: the address file wins over control_listen, which may be empty") {
  hdc::testing::TempDir dir;
  CHECK(ControlAddress(dir.path(), "127.0.0.1:9187") == "127.0.0.1:9187");
  CHECK_FALSE(ControlAddress(dir.path(), ""));
  dir.Write("control-address", "127.0.0.1:40123\r\n");
  CHECK(ControlAddress(dir.path(), "127.0.0.1:9187") == "127.0.0.1:40123");
  CHECK(ControlAddress(dir.path(), "") == "127.0.0.1:40123");
  dir.Write("control-address", "\n");
  CHECK(ControlAddress(dir.path(), "127.0.0.1:9187") == "127.0.0.1:9187");
}

TEST_CASE("status daemon: no listener configured asks nothing") {
  const DaemonHealth health = ProbeDaemon(std::nullopt, "hdc-reportctl/test");
  CHECK_FALSE(health.running);
  CHECK(Printed(health) == "daemon: no control listener (control_listen is empty)\n");
  const Json doc = DaemonJson(health);
  CHECK(doc["address"].is_null());
  CHECK(doc["health"].is_null());
}

TEST_CASE("status daemon: a wildcard listen address is asked on loopback") {
  auto server = Serve(200, kHealthy);
  const DaemonHealth health =
      ProbeDaemon("0.0.0.0:" + std::to_string(server->port()), "hdc-reportctl/test");
  CHECK(health.healthy);
  CHECK(Printed(health) ==
        "daemon: running at 0.0.0.0:" + std::to_string(server->port()) + ", healthy\n");
}

}  // namespace
}  // namespace hdc::ctl
