#include "reconcile/template_builder.h"

#include <doctest/doctest.h>

#include "unit/config/config_test_util.h"

namespace hdc::reconcile {
namespace {

using nlohmann::json;

const config::JobSpec& JobOf(const util::Result<config::Config>& config) {
  REQUIRE_MESSAGE(config.ok(), config.status().message());
  return config->jobs.at(0);
}

TEST_CASE("the example job of config/hdc-reportd.ini compiles to the API's condition structure") {
  auto config = config::testing::ParseWithJobs(config::testing::Job(
      "view = IHVDriver\ncolumns = FailureName, DriverName\nperiod = Last7Days\n"
      "where = EventType eq Kernel and (Market eq US or Market in (DE, FR))\n"));
  const json tmpl = BuildTemplate(JobOf(config));
  CHECK(Canonical(tmpl) ==
        R"J({"condition":{"and":[{"attribute":"EventType","operator":"eq","value":"Kernel"},)J"
        R"J({"condition":{"or":[{"attribute":"Market","operator":"eq","value":"US"},)J"
        R"J({"attribute":"Market","operator":"in","value":["DE","FR"]}]}}]},)J"
        R"J("dateRange":{"reportPeriod":"Last7Days"},"projection":["FailureName","DriverName"],)J"
        R"J("view":"IHVDriver"})J");
}

TEST_CASE("aggregation, having, order and limit follow the documented template body") {
  auto config = config::testing::ParseWithJobs(config::testing::Job(
      "view = IHVDriver\ncolumns = DriverName\naggregate = SUM(EventCount), DCOUNT(DeviceId)\n"
      "having = SUM(EventCount) gte 50 or DCOUNT(DeviceId) gt \"10\"\n"
      "order_by = DCOUNT(DeviceId) desc, DriverName\nlimit = 25\n"));
  const json tmpl = BuildTemplate(JobOf(config));
  CHECK(tmpl["aggregation"].dump() ==
        R"J({"aggregatedColumns":["SUM(EventCount)","DCOUNT(DeviceId)"],"condition":{"or":[)J"
        R"J({"attribute":"SUM(EventCount)","operator":"gte","value":"50"},)J"
        R"J({"attribute":"DCOUNT(DeviceId)","operator":"gt","value":"10"}]}})J");
  CHECK(
      tmpl["orderby"].dump() ==
      R"J([{"attribute":"DCOUNT(DeviceId)","sort":"desc"},{"attribute":"DriverName","sort":"asc"}])J");
  CHECK(tmpl["limit"] == 25);
  CHECK_FALSE(tmpl.contains("condition"));
}

TEST_CASE("a single comparison is sent as a group of one, and limit 0 is left out") {
  auto config = config::testing::ParseWithJobs(
      config::testing::Job("view = OEMDriver\ncolumns = Model\nwhere = Model like \"Surface%\"\n"));
  const json tmpl = BuildTemplate(JobOf(config));
  CHECK(tmpl["condition"].dump() ==
        R"J({"and":[{"attribute":"Model","operator":"like","value":"Surface%"}]})J");
  CHECK_FALSE(tmpl.contains("limit"));
  CHECK_FALSE(tmpl.contains("aggregation"));
  CHECK_FALSE(tmpl.contains("orderby"));
}

TEST_CASE("the schedule is camelCase on create and PascalCase on edit") {
  auto config = config::testing::ParseWithJobs(
      config::testing::Job("view = OEMDriver\ncolumns = Model\ncallback = yes\n",
                           "start = 2026-12-01T02:00:00Z\nevery = 36h\nruns = 7\n"),
      "[service]\ncallback_url = https://hooks.example.com/cb\n");
  const json schedule = BuildSchedule(JobOf(config), config->service.callback_url);
  CHECK(Canonical(schedule) ==
        R"J({"callbackUrl":"https://hooks.example.com/cb","recurrence":7,"recurrenceInterval":36,)J"
        R"J("startTime":"2026-12-01T02:00:00Z"})J");
  CHECK(Canonical(BuildCreateScheduleBody(schedule, 42)) ==
        R"J({"schedule":{"callbackUrl":"https://hooks.example.com/cb","recurrence":7,)J"
        R"J("recurrenceInterval":36,"startTime":"2026-12-01T02:00:00Z"},"templateId":42})J");
  CHECK(Canonical(BuildEditScheduleBody(schedule, 42)) ==
        R"J({"Schedule":{"CallbackUrl":"https://hooks.example.com/cb","Recurrence":7,)J"
        R"J("RecurrenceInterval":36,"StartTime":"2026-12-01T02:00:00Z"},"templateId":42})J");
}

TEST_CASE("without callback = yes no callback URL is sent") {
  auto config =
      config::testing::ParseWithJobs(config::testing::Job("view = OEMDriver\ncolumns = Model\n"),
                                     "[service]\ncallback_url = https://hooks.example.com/cb\n");
  CHECK_FALSE(BuildSchedule(JobOf(config), config->service.callback_url).contains("callbackUrl"));
}

TEST_CASE("two spellings of one job give the same canonical JSON") {
  auto a = config::testing::ParseWithJobs(
      config::testing::Job("view = IHVDriver\ncolumns = drivername\nwhere = eventtype EQ Kernel "
                           "AND market In (DE,FR)\n"));
  auto b = config::testing::ParseWithJobs(
      config::testing::Job("view = IHVDriver\ncolumns = DriverName\nwhere = (EventType eq "
                           "\"Kernel\") and (Market in (\"DE\", FR))\n"));
  CHECK(Canonical(BuildTemplate(JobOf(a))) == Canonical(BuildTemplate(JobOf(b))));
}

}  // namespace
}  // namespace hdc::reconcile
