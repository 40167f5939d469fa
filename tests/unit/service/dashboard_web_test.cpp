#include "service/dashboard_web.h"

#include <future>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "support/temp_dir.h"
#include "util/time_format.h"

namespace hdc::service {
namespace {

util::TimePoint T(std::string_view text) {
  auto t = util::ParseUtcStrict(text);
  REQUIRE(t.ok());
  return *t;
}

void AddRow(db::Database& db, const std::string& hash, std::int64_t events) {
  const util::Status done = db.Exec(
      "INSERT OR IGNORE INTO executions (report_id, report_datetime, job_name, remote_status, "
      "state, first_seen, last_polled) VALUES ('R1', '2026-11-29T02:00:00Z', 'kernel', "
      "'Completed', 'ingested', '2026-11-29T02:00:00Z', '2026-11-29T02:00:00Z');"
      "INSERT INTO failures (report_id, report_datetime, job_name, failure_hash, failure_name, "
      "driver_name, event_count, failure_time, device_id, row, clock_start) VALUES ('R1', "
      "'2026-11-29T02:00:00Z', 'kernel', '" +
      hash + "', 'name " + hash + "', 'a.sys', " + std::to_string(events) +
      ", '2026-11-29T01:00:00Z', 'DEVICE-CANARY', '{}', '2026-11-29T02:00:00Z')");
  REQUIRE_MESSAGE(done.ok(), done.message());
}

struct Fixture {
  hdc::testing::TempDir dir;
  std::unique_ptr<db::Database> writer;
  util::ManualClock clock{T("2026-11-30T12:00:00Z")};
  std::unique_ptr<DashboardWeb> web;

  Fixture() {
    auto db = db::Database::Open({dir / "state.db"});
    REQUIRE_MESSAGE(db.ok(), db.status().message());
    writer = std::move(*db);
    AddRow(*writer, "h1", 4);
    DashboardWebOptions options;
    options.db_path = dir / "state.db";
    options.max_age = std::chrono::seconds(10);
    web = std::make_unique<DashboardWeb>(options, clock, [] {
      return std::vector<dashboard::JobLive>{{"kernel", true, "2026-11-30T11:00:00Z", {}, {}, 0}};
    });
  }

  WebAnswer Get(const std::string& target) {
    auto promise = std::make_shared<std::promise<WebAnswer>>();
    std::future<WebAnswer> answer = promise->get_future();
    web->Handle(target, [promise](WebAnswer a) { promise->set_value(std::move(a)); });
    REQUIRE(answer.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
    return answer.get();
  }
};

std::string Header(const WebAnswer& a, const std::string& name) {
  for (const auto& [key, value] : a.headers) {
    if (key == name) return value;
  }
  return "";
}

TEST_CASE("dashboard web: / and /static/* come from the embedded files with strict headers") {
  Fixture f;
  const WebAnswer page = f.Get("/");
  CHECK(page.status == 200);
  CHECK(page.content_type == "text/html; charset=utf-8");
  CHECK(Header(page, "Content-Security-Policy").find("default-src 'self'; script-src 'self'") == 0);
  CHECK(Header(page, "X-Content-Type-Options") == "nosniff");
  const WebAnswer script = f.Get("/static/app.js");
  CHECK(script.status == 200);
  CHECK(script.content_type == "text/javascript; charset=utf-8");
  CHECK(f.Get("/static/uplot.min.css").content_type == "text/css; charset=utf-8");
  CHECK(f.Get("/static/body.html").status == 404);
  CHECK(f.Get("/static/../state.db").status == 404);
  CHECK(f.Get("/api/v1/other").status == 404);
  CHECK(f.web->renders() == 0);
}

TEST_CASE("dashboard web: the API answers JSON and reuses it until the data changes") {
  Fixture f;
  const WebAnswer first = f.Get("/api/v1/summary");
  REQUIRE(first.status == 200);
  CHECK(first.content_type == "application/json; charset=utf-8");
  CHECK(Header(first, "X-Content-Type-Options") == "nosniff");
  const nlohmann::json doc = nlohmann::json::parse(first.body);
  CHECK(doc["totals"]["rows"] == 1);
  CHECK(doc["jobs"][0]["last_success"] == "2026-11-30T11:00:00Z");
  CHECK(first.body.find("DEVICE-CANARY") == std::string::npos);
  for (int i = 0; i < 5; ++i) CHECK(f.Get("/api/v1/summary").body == first.body);
  CHECK(f.web->renders() == 1);
  AddRow(*f.writer, "h2", 6);  // another connection commits: data_version moves
  const nlohmann::json again = nlohmann::json::parse(f.Get("/api/v1/summary").body);
  CHECK(again["totals"]["rows"] == 2);
  CHECK(f.web->renders() == 2);
}

TEST_CASE("dashboard web: a kept answer is rendered again once older than max_age") {
  Fixture f;
  REQUIRE(f.Get("/api/v1/new?days=7").status == 200);
  f.clock.Advance(std::chrono::seconds(9));
  REQUIRE(f.Get("/api/v1/new?days=7").status == 200);
  CHECK(f.web->renders() == 1);
  f.clock.Advance(std::chrono::seconds(2));
  REQUIRE(f.Get("/api/v1/new?days=7").status == 200);
  CHECK(f.web->renders() == 2);
}

TEST_CASE("dashboard web: bad parameters are 400 and a personal column is refused") {
  Fixture f;
  CHECK(f.Get("/api/v1/trend?days=0").status == 400);
  CHECK(f.Get("/api/v1/trend?days=367").status == 400);
  CHECK(f.Get("/api/v1/trend?days=x").status == 400);
  const WebAnswer refused = f.Get("/api/v1/trend?by=DeviceId");
  CHECK(refused.status == 400);
  CHECK(nlohmann::json::parse(refused.body)["error"].is_string());
  const WebAnswer trend = f.Get("/api/v1/trend?by=driver%5Fname&days=3");
  REQUIRE(trend.status == 200);
  const nlohmann::json doc = nlohmann::json::parse(trend.body);
  CHECK(doc["days_list"].size() == 3);
  CHECK(doc["series"][0]["value"] == "a.sys");
}

TEST_CASE("dashboard web: no state database yet is 503, then served once it exists") {
  hdc::testing::TempDir dir;
  util::ManualClock clock{T("2026-11-30T12:00:00Z")};
  DashboardWebOptions options;
  options.db_path = dir / "state.db";
  DashboardWeb web(options, clock, [] { return std::vector<dashboard::JobLive>{}; });
  auto get = [&web](const std::string& target) {
    auto promise = std::make_shared<std::promise<WebAnswer>>();
    auto answer = promise->get_future();
    web.Handle(target, [promise](WebAnswer a) { promise->set_value(std::move(a)); });
    REQUIRE(answer.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
    return answer.get();
  };
  CHECK(get("/api/v1/summary").status == 503);
  REQUIRE(db::Database::Open({dir / "state.db"}).ok());
  CHECK(get("/api/v1/summary").status == 200);
}

}  // namespace
}  // namespace hdc::service
