#include "api/hdc_client.h"

#include <doctest/doctest.h>

#include "support/scripted_http.h"
#include "util/time_format.h"

namespace hdc::api {
namespace {

using hdc::testing::HeaderOf;
using hdc::testing::ScriptedHttp;
using hdc::testing::ScriptedReply;
using nlohmann::json;

class FakeTokens final : public auth::TokenSource {
 public:
  util::Result<std::string> Token() override { return "tok-" + std::to_string(generation_); }
  void Invalidate(const std::string& token) override {
    invalidated_.push_back(token);
    ++generation_;
  }
  int generation_ = 1;
  std::vector<std::string> invalidated_;
};

struct Fixture {
  explicit Fixture(ScriptedHttp::Handler handler)
      : http(std::move(handler)),
        clock(*util::ParseTimestamp("2026-11-01T00:00:00Z")),
        random(7),
        client(Options(), http, tokens, clock, random, {}) {}
  static ApiOptions Options() {
    ApiOptions o;
    o.api_url = "http://127.0.0.1:9";
    return o;
  }
  ScriptedHttp http;
  FakeTokens tokens;
  util::ManualClock clock;
  util::Random random;
  HdcClient client;
};

TEST_CASE("creating a template posts JSON with the bearer token and reads the id") {
  Fixture f([](const http::Request&) {
    return ScriptedReply{201, R"J({"data":{"templateId":42},"errors":null})J"};
  });
  auto id = f.client.CreateTemplate(json{{"view", "IHVDriver"}});
  REQUIRE_MESSAGE(id.ok(), id.status().message());
  CHECK(*id == "42");
  const auto r = f.http.requests().at(0);
  CHECK(r.method == "POST");
  CHECK(r.url == "http://127.0.0.1:9/analytics/driver/reporttemplate");
  CHECK_FALSE(r.idempotent);
  CHECK(HeaderOf(r, "Authorization") == "Bearer tok-1");
  CHECK(HeaderOf(r, "Content-Type") == "application/json");
  CHECK(r.body == R"J({"view":"IHVDriver"})J");
}

TEST_CASE("every endpoint uses its documented method and path") {
  Fixture f([](const http::Request& r) {
    if (r.url.find("reportdata") != std::string::npos)
      return ScriptedReply{200, R"J({"data":[],"errors":[]})J"};
    if (r.url.find("cabdownload?") != std::string::npos) {
      return ScriptedReply{302, "", {{"Location", "http://127.0.0.2:9/blob/c.cab?sig=x"}}};
    }
    if (r.method == "GET" && r.url.ends_with("/report"))
      return ScriptedReply{201, R"J({"data":[]})J"};
    if (r.method == "GET") return ScriptedReply{200, R"J({"data":[],"errors":[]})J"};
    return ScriptedReply{201, R"J({"data":{"reportId":7,"templateId":"42"},"errors":[]})J"};
  });
  const util::TimePoint start = *util::ParseTimestamp("2026-10-01T00:00:00Z");
  const util::TimePoint end = *util::ParseTimestamp("2026-11-01T12:00:00Z");
  CHECK(f.client.ListTemplates().ok());
  CHECK(f.client.EditTemplate("42", json::object()).ok());
  CHECK(*f.client.CreateSchedule(json::object()) == "7");
  CHECK(f.client.ListSchedules().ok());
  CHECK(f.client.EditSchedule("7", json::object()).ok());
  CHECK(f.client.PauseSchedule("7").ok());
  CHECK(f.client.ResumeSchedule("7").ok());
  CHECK(f.client.GetReportData("7", start, end).ok());
  CHECK(*f.client.CabDownloadLink(CabVariant::kDriver, "139", "c-1") ==
        "http://127.0.0.2:9/blob/c.cab?sig=x");
  CHECK(f.client.CabDownloadLink(CabVariant::kHardware, "", "c 2").ok());
  std::vector<std::string> lines;
  for (const auto& r : f.http.requests()) lines.push_back(r.method + " " + r.url.substr(18));
  CHECK(lines == std::vector<std::string>{
                     "GET /analytics/driver/reporttemplate",
                     "POST /analytics/driver/reporttemplate/42",
                     "POST /analytics/driver/report",
                     "GET /analytics/driver/report",
                     "POST /analytics/driver/report/7",
                     "POST /analytics/driver/report/pause/7",
                     "POST /analytics/driver/report/resume/7",
                     "GET /analytics/driver/reportdata/7?startDate=2026-10-01&endDate=2026-11-01",
                     "GET /v1.0/my/analytics/driver/cabdownload?applicationId=139&cabIdHash=c-1",
                     "GET /v1.0/my/analytics/hardware/cabdownload?cabIdHash=c%202",
                 });
}

TEST_CASE("a relative Location on the cab download is resolved against the request URL") {
  std::string location;
  Fixture f([&location](const http::Request&) {
    return ScriptedReply{302, "", {{"Location", location}}};
  });
  // Request URL: http://127.0.0.1:9/v1.0/my/analytics/driver/cabdownload?...
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/blob/x.cab?sig=SECRET", "http://127.0.0.1:9/blob/x.cab?sig=SECRET"},
      {"x.cab?sig=SECRET", "http://127.0.0.1:9/v1.0/my/analytics/driver/x.cab?sig=SECRET"},
      {"../../../../blob/./x.cab?sig=SECRET", "http://127.0.0.1:9/blob/x.cab?sig=SECRET"},
      {"//127.0.0.2:10000/blob/x.cab?sig=SECRET", "http://127.0.0.2:10000/blob/x.cab?sig=SECRET"},
      {" /blob/x.cab?sig=SECRET ", "http://127.0.0.1:9/blob/x.cab?sig=SECRET"},
      // The control: an absolute Location stays as it is.
      {"http://127.0.0.2:9/blob/c.cab?sig=x", "http://127.0.0.2:9/blob/c.cab?sig=x"},
  };
  for (const auto& [given, resolved] : cases) {
    CAPTURE(given);
    location = given;
    auto link = f.client.CabDownloadLink(CabVariant::kDriver, "139", "c-1");
    REQUIRE_MESSAGE(link.ok(), link.status().message());
    CHECK(*link == resolved);
  }
}

TEST_CASE(
    "a cab Location, relative or not, is held to the redirect policy, and errors drop the query") {
  std::string location;
  Fixture f([&location](const http::Request&) {
    return ScriptedReply{302, "", {{"Location", location}}};
  });
  const std::string from = "GET 127.0.0.1:9/v1.0/my/analytics/driver/cabdownload: HTTP 302";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"//blob.example.com/x.cab?sig=SECRET",
       from + " to plain http on a non-loopback host (blob.example.com/x.cab) refused"},
      {"javascript:alert(1)?sig=SECRET",
       from + " to a javascript: URL refused (only http and https are followed)"},
      {"file:///etc/passwd?sig=SECRET",
       from + " to a file: URL refused (only http and https are followed)"},
  };
  for (const auto& [given, message] : cases) {
    CAPTURE(given);
    location = given;
    auto link = f.client.CabDownloadLink(CabVariant::kDriver, "139", "c-1");
    REQUIRE_FALSE(link.ok());
    CHECK(link.status().kind() == util::ErrorKind::kBadData);
    CHECK(link.status().message() == message);
    CHECK(link.status().message().find("SECRET") == std::string::npos);
  }
}

TEST_CASE("a 401 renews the token and replays once, a second 401 is final") {
  int calls = 0;
  Fixture f([&](const http::Request& r) {
    ++calls;
    if (HeaderOf(r, "Authorization") == "Bearer tok-1") return ScriptedReply{401, ""};
    return ScriptedReply{200, R"J({"data":[],"errors":[]})J"};
  });
  CHECK(f.client.ListTemplates().ok());
  CHECK(calls == 2);
  CHECK(f.tokens.invalidated_ == std::vector<std::string>{"tok-1"});

  Fixture g([](const http::Request&) {
    return ScriptedReply{401, R"J({"code":"Unauthorized"})J"};
  });
  auto list = g.client.ListTemplates();
  REQUIRE_FALSE(list.ok());
  CHECK(list.status().kind() == util::ErrorKind::kAuth);
  CHECK(list.status().message() ==
        "GET /analytics/driver/reporttemplate: HTTP 401 again after "
        "renewing the token: Unauthorized");
  CHECK(g.http.requests().size() == 2);
}

TEST_CASE("server errors become kinds naming the endpoint without the query") {
  Fixture f([](const http::Request&) {
    return ScriptedReply{
        400,
        R"J({"data":null,"errors":[{"code":"BadRequest","message":"recurrenceInterval must be at least 12"}]})J"};
  });
  auto id = f.client.CreateSchedule(json::object());
  CHECK(id.status().kind() == util::ErrorKind::kBadData);
  CHECK(id.status().message() ==
        "POST /analytics/driver/report: HTTP 400: BadRequest: "
        "recurrenceInterval must be at least 12");
  Fixture g([](const http::Request&) { return ScriptedReply{404, ""}; });
  auto link = g.client.CabDownloadLink(CabVariant::kDriver, "1", "gone");
  CHECK(link.status().message() == "GET /v1.0/my/analytics/driver/cabdownload: HTTP 404");
  Fixture h([](const http::Request&) { return ScriptedReply{200, "{}"}; });
  CHECK(h.client.CabDownloadLink(CabVariant::kDriver, "1", "c").status().message() ==
        "GET /v1.0/my/analytics/driver/cabdownload: expected a 302 with a Location, got HTTP 200");
}

TEST_CASE("a creating POST is sent once even when the server fails") {
  Fixture f([](const http::Request&) { return ScriptedReply{503, ""}; });
  auto id = f.client.CreateTemplate(json::object());
  REQUIRE_FALSE(id.ok());
  CHECK(id.status().kind() == util::ErrorKind::kUnavailable);
  CHECK(f.http.requests().size() == 1);
}

}  // namespace
}  // namespace hdc::api
