// Schedules, executions and report data (docs/hdc-api.md §Schedules,
// docs/hdc-api.md §Report data, docs/hdc-api.md §Schedule body).
#include <condition_variable>
#include <mutex>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>

#include "emulator/executions.h"
#include "emulator_fixture.h"

namespace hdc::emulator::testing {

using std::chrono::hours;
using std::chrono::minutes;

TEST_CASE(
    "creating a schedule answers 201 with a reportId, listing answers 201 with the schedule as a "
    "string") {
  EmulatorFixture emu;
  const auto tid = emu.CreateTemplate();
  const auto rid = emu.CreateSchedule(tid, "2024-05-02T00:00:00Z", 24, 30);
  auto r = emu.Get("/analytics/driver/report");
  REQUIRE(r.status == 201);
  Json item = r.json()["data"][0];
  CHECK(item["reportId"] == rid);
  CHECK(item["templateId"] == tid);
  CHECK(item["isActive"] == true);
  REQUIRE(item["schedule"].is_string());
  Json s = Json::parse(item["schedule"].get<std::string>());
  CHECK(s["startTime"] == "2024-05-02T00:00:00Z");
  CHECK(s["recurrenceInterval"] == 24);
  CHECK(s["recurrence"] == 30);
}

TEST_CASE("schedule creation refuses intervals under 12 hours, unknown templates and bad bodies") {
  EmulatorFixture emu;
  const auto tid = emu.CreateTemplate();
  auto post = [&](const Json& b) { return emu.Post("/analytics/driver/report", b); };
  Json s = {{"startTime", "2024-05-02T00:00:00Z"}, {"recurrenceInterval", 11}, {"recurrence", 3}};
  auto r = post({{"templateId", tid}, {"schedule", s}});
  CHECK(r.status == 400);
  CHECK(r.json()["errors"][0]["code"] == "InvalidRecurrenceInterval");
  s["recurrenceInterval"] = 12;
  CHECK(post({{"templateId", tid}, {"schedule", s}}).status == 201);
  auto unknown = post({{"templateId", 777}, {"schedule", s}});
  CHECK(unknown.status == 400);
  CHECK(unknown.json()["errors"][0]["code"] == "UnknownTemplate");
  CHECK(post({{"templateId", tid}}).status == 400);
  CHECK(emu.Call("POST", "/analytics/driver/report", "[").status == 400);
}

TEST_CASE(
    "executions run at startTime + k x interval, move through the statuses and stop after "
    "recurrence") {
  EmulatorFixture emu;
  const auto rid = emu.CreateSchedule(emu.CreateTemplate(), "2024-05-01T06:00:00Z", 12, 3);
  CHECK(emu.Executions(rid).empty());
  emu.Advance(hours(6));
  Json e = emu.Executions(rid);
  REQUIRE(e.size() == 1);
  CHECK(e[0]["ReportDatetime"] == "2024-05-01T06:00:00");
  CHECK(e[0]["ReportStatus"] == "Pending");
  CHECK(e[0]["ReportLocation"] == "");
  emu.Advance(minutes(10));
  CHECK(emu.Executions(rid)[0]["ReportStatus"] == "In Progress");
  emu.Advance(minutes(20));
  e = emu.Executions(rid);
  CHECK(e[0]["ReportStatus"] == "Completed");
  CHECK(e[0]["ReportLocation"].get<std::string>().rfind(
            emu.server().blob_base_url() + "/drivers/Reports/", 0) == 0);
  emu.Advance(hours(48));
  e = emu.Executions(rid);
  REQUIRE(e.size() == 3);
  CHECK(e[2]["ReportDatetime"] == "2024-05-02T06:00:00");
}

TEST_CASE(
    "report data filters executions by startDate and endDate, inclusive, and checks the format") {
  EmulatorFixture emu;
  const auto rid = emu.CreateSchedule(emu.CreateTemplate(), "2024-05-01T00:00:00Z", 24, 10);
  emu.Advance(hours(24 * 5));
  const std::string base = "/analytics/driver/reportdata/" + std::to_string(rid);
  CHECK(emu.Get(base).json()["data"].size() == 6);
  CHECK(emu.Get(base + "?startDate=2024-05-02&endDate=2024-05-03").json()["data"].size() == 2);
  CHECK(emu.Get(base + "?startDate=2024-05-05").json()["data"].size() == 2);
  CHECK(emu.Get(base + "?startDate=05/02/2024").status == 400);
  CHECK(emu.Get("/analytics/driver/reportdata/99999").status == 404);
}

TEST_CASE("past slots at creation are skipped") {
  EmulatorFixture emu;
  emu.Advance(hours(50));
  const auto rid = emu.CreateSchedule(emu.CreateTemplate(), "2024-05-01T00:00:00Z", 24, 5);
  emu.Advance(hours(22));
  Json e = emu.Executions(rid);
  REQUIRE(e.size() == 1);
  CHECK(e[0]["ReportDatetime"] == "2024-05-04T00:00:00");
}

TEST_CASE("pause and resume answer 201, toggle isActive and suppress runs while paused") {
  EmulatorFixture emu;
  const auto rid = emu.CreateSchedule(emu.CreateTemplate(), "2024-05-01T12:00:00Z", 12, 10);
  const std::string id = std::to_string(rid);
  auto p = emu.Call("POST", "/analytics/driver/report/pause/" + id);
  REQUIRE(p.status == 201);
  CHECK(p.json()["data"]["reportId"] == rid);
  CHECK(emu.Call("POST", "/analytics/driver/report/pause/" + id).status ==
        201);  // twice: no change
  CHECK(emu.Get("/analytics/driver/report").json()["data"][0]["isActive"] == false);
  emu.Advance(hours(30));
  CHECK(emu.Executions(rid).empty());
  CHECK(emu.Call("POST", "/analytics/driver/report/resume/" + id).status == 201);
  CHECK(emu.Get("/analytics/driver/report").json()["data"][0]["isActive"] == true);
  emu.Advance(hours(6));  // 2024-05-02T12:00 (the next slot after resumption)
  Json e = emu.Executions(rid);
  REQUIRE(e.size() == 1);
  CHECK(e[0]["ReportDatetime"] == "2024-05-02T12:00:00");
  CHECK(emu.Call("POST", "/analytics/driver/report/pause/4242").status == 404);
}

TEST_CASE("editing a schedule takes PascalCase, answers 201 and keeps past executions") {
  EmulatorFixture emu;
  const auto tid = emu.CreateTemplate();
  const auto rid = emu.CreateSchedule(tid, "2024-05-01T00:00:00Z", 24, 10);
  emu.Advance(hours(25));
  REQUIRE(emu.Executions(rid).size() == 2);
  Json body = {
      {"templateId", tid},
      {"Schedule",
       {{"StartTime", "2024-05-03T00:00:00Z"}, {"RecurrenceInterval", 12}, {"Recurrence", 2}}}};
  auto r = emu.Post("/analytics/driver/report/" + std::to_string(rid), body);
  REQUIRE(r.status == 201);
  CHECK(r.json()["data"]["reportId"] == rid);
  emu.Advance(hours(24 * 5));
  Json e = emu.Executions(rid);
  REQUIRE(e.size() == 4);
  CHECK(e[2]["ReportDatetime"] == "2024-05-03T00:00:00");
  CHECK(e[3]["ReportDatetime"] == "2024-05-03T12:00:00");
  Json s = Json::parse(
      emu.Get("/analytics/driver/report").json()["data"][0]["schedule"].get<std::string>());
  CHECK(s["recurrenceInterval"] == 12);
  body["Schedule"]["RecurrenceInterval"] = 6;
  CHECK(emu.Post("/analytics/driver/report/" + std::to_string(rid), body).status == 400);
  CHECK(emu.Post("/analytics/driver/report/5555555", body).status == 404);
}

TEST_CASE("GET /analytics/driver/report/{id} (extension) gives one list element") {
  EmulatorFixture emu;
  const auto rid = emu.CreateSchedule(emu.CreateTemplate());
  auto r = emu.Get("/analytics/driver/report/" + std::to_string(rid));
  REQUIRE(r.status == 200);
  CHECK(r.json()["data"].size() == 1);
  CHECK(emu.Get("/analytics/driver/report/1").status == 404);
}

TEST_CASE("the failure probability is seeded, a failed run may flip to Completed later") {
  ServerOptions o;
  o.settings.failure_probability = 1.0;
  o.settings.flip_failed_after = std::chrono::hours(2);
  EmulatorFixture emu(o);
  const auto rid = emu.CreateSchedule(emu.CreateTemplate(), "2024-05-01T00:00:00Z", 24, 3);
  emu.Advance(hours(1));
  Json e = emu.Executions(rid);
  CHECK(e[0]["ReportStatus"] == "Failed");
  CHECK(e[0]["ReportLocation"] == "");
  emu.Advance(hours(2));
  CHECK(emu.Executions(rid)[0]["ReportStatus"] == "Completed");
}

namespace {

// Collects callback POSTs.
class Collector {
 public:
  Collector() : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)) {
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(this), socket_,
                                                      new Poco::Net::HTTPServerParams);
    server_->start();
  }
  ~Collector() { server_->stopAll(true); }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(socket_.address().port()) + "/cb/tok";
  }
  // Waits (bounded) for n bodies; the worker thread is woken by the clock.
  std::vector<std::string> Await(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(30), [&] { return bodies_.size() >= n; });
    return bodies_;
  }

 private:
  struct Handler : Poco::Net::HTTPRequestHandler {
    explicit Handler(Collector* c) : c_(c) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req,
                       Poco::Net::HTTPServerResponse& resp) override {
      std::string body;
      Poco::StreamCopier::copyToString(req.stream(), body);
      {
        std::lock_guard lock(c_->mu_);
        c_->bodies_.push_back(body);
      }
      c_->cv_.notify_all();
      resp.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
      resp.send();
    }
    Collector* c_;
  };
  struct Factory : Poco::Net::HTTPRequestHandlerFactory {
    explicit Factory(Collector* c) : c_(c) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(c_);
    }
    Collector* c_;
  };
  Poco::Net::ServerSocket socket_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> bodies_;
};

}  // namespace

TEST_CASE("a completed execution is POSTed to the schedule's loopback callback URL") {
  Collector collector;
  EmulatorFixture emu;
  const auto rid =
      emu.CreateSchedule(emu.CreateTemplate(), "2024-05-01T01:00:00Z", 24, 2, collector.url());
  emu.Advance(hours(1));
  emu.Advance(minutes(30));
  auto bodies = collector.Await(1);
  REQUIRE(bodies.size() == 1);
  Json j = Json::parse(bodies[0]);
  CHECK(j["reportId"] == rid);
  CHECK(j["ReportDatetime"] == "2024-05-01T01:00:00");
  CHECK(j["ReportStatus"] == "Completed");
  Json s = Json::parse(
      emu.Get("/analytics/driver/report").json()["data"][0]["schedule"].get<std::string>());
  CHECK(s["callbackUrl"] == collector.url());
}

}  // namespace hdc::emulator::testing

namespace hdc::emulator::testing {

TEST_CASE("a Failed run that flips to Completed is POSTed to the callback URL when it flips") {
  Collector collector;
  ServerOptions o;
  o.settings.failure_probability = 1.0;
  o.settings.flip_failed_after = hours(2);
  EmulatorFixture emu(o);
  const auto rid =
      emu.CreateSchedule(emu.CreateTemplate(), "2024-05-01T01:00:00Z", 24, 2, collector.url());
  emu.Advance(hours(1) + minutes(30));  // run 1 done at 01:30: Failed
  CHECK(emu.Executions(rid)[0]["ReportStatus"] == "Failed");
  emu.Advance(hours(2));  // 03:30: it flips
  CHECK(emu.Executions(rid)[0]["ReportStatus"] == "Completed");
  auto bodies = collector.Await(1);
  REQUIRE(bodies.size() == 1);
  Json j = Json::parse(bodies[0]);
  CHECK(j["reportId"] == rid);
  CHECK(j["ReportDatetime"] == "2024-05-01T01:00:00");
  CHECK(j["ReportStatus"] == "Completed");
  // Run 2 flips at 2024-05-02T03:30; run 1 is not announced a second time
  // (the worker posts in order, so a repeat would come before run 2).
  emu.Advance(hours(24));
  bodies = collector.Await(2);
  REQUIRE(bodies.size() == 2);
  CHECK(Json::parse(bodies[1])["ReportDatetime"] == "2024-05-02T01:00:00");
}

TEST_CASE("a run that stays Failed is not POSTed (control: the next completed run is)") {
  // A seed whose first run of report 5001 fails and whose second completes.
  Settings half;
  half.failure_probability = 0.5;
  const TimePoint slot1 = At("2024-05-01T01:00:00Z"), slot2 = At("2024-05-02T01:00:00Z");
  std::uint64_t seed = 1;
  while (CompletedAt(5001, slot1, half, seed) || !CompletedAt(5001, slot2, half, seed)) ++seed;
  Collector collector;
  ServerOptions o;
  o.seed = seed;
  o.settings = half;
  EmulatorFixture emu(o);
  const auto rid =
      emu.CreateSchedule(emu.CreateTemplate(), "2024-05-01T01:00:00Z", 24, 2, collector.url());
  REQUIRE(rid == 5001);
  emu.Advance(hours(1) + minutes(30));
  CHECK(emu.Executions(rid)[0]["ReportStatus"] == "Failed");
  emu.Advance(hours(24));
  CHECK(emu.Executions(rid)[1]["ReportStatus"] == "Completed");
  auto bodies = collector.Await(1);
  REQUIRE(bodies.size() == 1);
  CHECK(Json::parse(bodies[0])["ReportDatetime"] == "2024-05-02T01:00:00");
}

TEST_CASE("NextCompletion plans flips, skips runs that stay Failed and paused slots") {
  RemoteSchedule s;
  s.id = 5001;
  s.spec.start = At("2024-05-01T00:00:00Z");
  s.spec.interval_hours = 24;
  s.spec.recurrence = 3;
  s.effective_from = s.spec.start;
  Settings settings;  // done 30 minutes after each slot
  CHECK(NextCompletion(s, s.spec.start, settings, 1) == At("2024-05-01T00:30:00Z"));
  CHECK(NextCompletion(s, At("2024-05-01T00:30:00Z"), settings, 1) == At("2024-05-02T00:30:00Z"));
  CHECK_FALSE(NextCompletion(s, At("2024-05-03T00:30:00Z"), settings, 1).has_value());
  settings.failure_probability = 1.0;
  CHECK_FALSE(NextCompletion(s, s.spec.start, settings, 1).has_value());
  settings.flip_failed_after = std::chrono::hours(30);
  // Run 1 flips at 05-02T06:30, after run 2 would be done (05-02T00:30) if it had not failed.
  CHECK(NextCompletion(s, At("2024-05-01T12:00:00Z"), settings, 1) == At("2024-05-02T06:30:00Z"));
  CHECK(NextCompletion(s, At("2024-05-02T06:30:00Z"), settings, 1) == At("2024-05-03T06:30:00Z"));
  settings.failure_probability = 0;
  s.pauses.emplace_back(At("2024-05-01T12:00:00Z"), TimePoint::max());
  CHECK_FALSE(NextCompletion(s, At("2024-05-01T00:30:00Z"), settings, 1).has_value());
  s.pauses.back().second = At("2024-05-02T12:00:00Z");
  CHECK(NextCompletion(s, At("2024-05-01T00:30:00Z"), settings, 1) == At("2024-05-03T00:30:00Z"));
}

}  // namespace hdc::emulator::testing
