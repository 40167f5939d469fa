#include "config/job_spec.h"

#include <doctest/doctest.h>

#include "unit/config/config_test_util.h"
#include "util/time_format.h"

namespace hdc::config {
namespace {

using testing::Job;
using testing::JobError;
using testing::ParseWithJobs;

const JobSpec& OnlyJob(const util::Result<Config>& config) {
  REQUIRE_MESSAGE(config.ok(), config.status().message());
  REQUIRE(config->jobs.size() == 1);
  return config->jobs[0];
}

TEST_CASE("a complete job is typed, defaulted and canonicalised") {
  auto config = ParseWithJobs(Job(
      "view = IHVDriver\ncolumns = failurename, FailureHash, CabIdHash, ApplicationId\n"
      "period = last30days\nwhere = eventtype EQ Kernel\naggregate = sum(eventcount)\n"
      "having = SUM(EventCount) gt 10\norder_by = FailureName, sum(EventCount) DESC\nlimit = 5\n"
      "cab_types = kernel, MINI\n"));
  const JobSpec& job = OnlyJob(config);
  CHECK(job.name == "k");
  CHECK(job.where == "jobs.d/k.ini:1");
  CHECK(job.report.view == View::kIhvDriver);
  CHECK(job.report.projection ==
        std::vector<std::string>{"FailureName", "FailureHash", "CabIdHash", "ApplicationId"});
  CHECK(job.report.period == "Last30Days");
  REQUIRE(job.report.where.has_value());
  CHECK(job.report.where->attribute == "EventType");
  CHECK(job.report.where->op == "eq");
  CHECK(job.report.aggregates == std::vector<std::string>{"SUM(EventCount)"});
  CHECK(job.report.having->attribute == "SUM(EventCount)");
  REQUIRE(job.report.order_by.size() == 2);
  CHECK(job.report.order_by[0] == OrderBy{"FailureName", false});
  CHECK(job.report.order_by[1] == OrderBy{"SUM(EventCount)", true});
  CHECK(job.report.limit == 5);
  CHECK(util::FormatTimestamp(job.schedule.start) == "2026-12-01T02:00:00Z");
  CHECK(job.schedule.every == std::chrono::hours(24));
  CHECK(job.schedule.runs == 10);
  CHECK_FALSE(job.schedule.callback);
  CHECK(job.enabled);
  CHECK(job.cabs);  // CabIdHash and ApplicationId are projected
  CHECK(job.cab_types == std::vector<std::string>{"Kernel", "Mini"});
}

TEST_CASE("cabs default to yes only when the rows name them") {
  CHECK(OnlyJob(ParseWithJobs(Job("view = OEMDriver\ncolumns = CabIdHash\n"))).cabs);
  CHECK_FALSE(OnlyJob(ParseWithJobs(Job("view = IHVDriver\ncolumns = CabIdHash\n"))).cabs);
  CHECK_FALSE(OnlyJob(ParseWithJobs(Job("view = OEMDriver\ncolumns = FailureName\n"))).cabs);
  CHECK_FALSE(
      OnlyJob(ParseWithJobs(Job("view = OEMDriver\ncolumns = CabIdHash\ncabs = no\n"))).cabs);
}

TEST_CASE("the period defaults to the last seven days and enabled to yes") {
  auto config = ParseWithJobs(Job("view = OEMDriver\ncolumns = Model\nenabled = no\n"));
  const JobSpec& job = OnlyJob(config);
  CHECK(job.report.period == "Last7Days");
  CHECK_FALSE(job.enabled);
}

TEST_CASE("template keys are validated against the view with file, line, section and key") {
  CHECK(JobError("view = IHVDriverX\ncolumns = Model\n") ==
        "jobs.d/k.ini:2: [job k] view: unknown view 'IHVDriverX'; use IHVDriver or OEMDriver");
  CHECK(JobError("view = IHVDriver\ncolumns = Model\n") ==
        "jobs.d/k.ini:3: [job k] columns: unknown column 'Model' for view IHVDriver");
  CHECK(JobError("view = OEMDriver\ncolumns = OEMName\n") ==
        "jobs.d/k.ini:3: [job k] columns: unknown column 'OEMName' for view OEMDriver");
  CHECK(JobError("view = OEMDriver\ncolumns = Model, model\n") ==
        "jobs.d/k.ini:3: [job k] columns: column Model is listed twice");
  CHECK(JobError("view = OEMDriver\ncolumns = Model,,Baseboard\n") ==
        "jobs.d/k.ini:3: [job k] columns: empty item in the comma-separated list");
  CHECK(
      JobError("view = OEMDriver\ncolumns = Model\nperiod = LastWeek\n")
          .starts_with("jobs.d/k.ini:4: [job k] period: unknown period 'LastWeek'; use Yesterday"));
  CHECK(JobError("view = OEMDriver\ncolumns = Model\nlimit = -1\n") ==
        "jobs.d/k.ini:4: [job k] limit: -1 is out of range [0, 1000000000]");
  CHECK(JobError("view = OEMDriver\ncolumns = Model\nlimit = ten\n") ==
        "jobs.d/k.ini:4: [job k] limit: expected a whole number, got 'ten'");
}

TEST_CASE("where expressions report the column where they fail") {
  CHECK(JobError("view = IHVDriver\ncolumns = DriverName\nwhere = EventType eq\n") ==
        "jobs.d/k.ini:4: [job k] where: expected a value after 'eq' at column 13");
  CHECK(JobError("view = IHVDriver\ncolumns = DriverName\nwhere = EventType eq K and Foo eq 1\n") ==
        "jobs.d/k.ini:4: [job k] where: unknown column 'Foo' for view IHVDriver at column 20");
  CHECK(JobError("view = IHVDriver\ncolumns = DriverName\nwhere = SUM(EventCount) gt 1\n") ==
        "jobs.d/k.ini:4: [job k] where: aggregate SUM(EventCount) is only allowed in having at "
        "column 1");
}

TEST_CASE("having may use only listed aggregates") {
  CHECK(JobError("view = IHVDriver\ncolumns = DriverName\nhaving = SUM(EventCount) gt 1\n") ==
        "jobs.d/k.ini:4: [job k] having: SUM(EventCount) is not listed in aggregate at column 1");
  CHECK(JobError("view = IHVDriver\ncolumns = DriverName\naggregate = SUM(EventCount)\n"
                 "having = EventCount gt 1\n") ==
        "jobs.d/k.ini:5: [job k] having: 'EventCount' is not an aggregate such as "
        "SUM(EventCount) at column 1");
  CHECK(JobError("view = IHVDriver\ncolumns = DriverName\naggregate = SUM(EventCount)\n"
                 "having = MAX(EventCount) gt 1\n") ==
        "jobs.d/k.ini:5: [job k] having: MAX(EventCount) is not listed in aggregate at column 1");
}

TEST_CASE("aggregates must use known functions and columns of the view") {
  CHECK(JobError("view = IHVDriver\ncolumns = DriverName\naggregate = MEDIAN(EventCount)\n") ==
        "jobs.d/k.ini:4: [job k] aggregate: unknown function 'MEDIAN' (use SUM, AVG, COUNT, "
        "DCOUNT, MAX or MIN)");
  CHECK(JobError("view = OEMDriver\ncolumns = Model\naggregate = DCOUNT(OEMName)\n") ==
        "jobs.d/k.ini:4: [job k] aggregate: unknown column 'OEMName' for view OEMDriver");
  CHECK(JobError("view = OEMDriver\ncolumns = Model\naggregate = EventCount\n") ==
        "jobs.d/k.ini:4: [job k] aggregate: 'EventCount' is not an aggregate such as "
        "SUM(EventCount)");
}

TEST_CASE("order_by names a projected column or a listed aggregate") {
  CHECK(JobError("view = OEMDriver\ncolumns = Model\norder_by = Baseboard\n") ==
        "jobs.d/k.ini:4: [job k] order_by: 'Baseboard' is neither a projected column nor a "
        "listed aggregate");
  CHECK(JobError("view = OEMDriver\ncolumns = Model\norder_by = SUM(EventCount) desc\n") ==
        "jobs.d/k.ini:4: [job k] order_by: SUM(EventCount) is not listed in aggregate");
}

TEST_CASE("schedule keys are required and bounded") {
  const std::string t = "view = OEMDriver\ncolumns = Model\n";
  CHECK(JobError(t, "every = 24h\nruns = 1\n") ==
        "jobs.d/k.ini:1: [job k]: missing required key 'start'");
  CHECK(JobError(t, "start = 2026-12-01T02:00:00Z\nruns = 1\n") ==
        "jobs.d/k.ini:1: [job k]: missing required key 'every'");
  CHECK(JobError(t, "start = 2026-12-01T02:00:00Z\nevery = 12h\n") ==
        "jobs.d/k.ini:1: [job k]: missing required key 'runs'");
  CHECK(JobError(t, "start = 2026-12-01 02:00\nevery = 24h\nruns = 1\n") ==
        "jobs.d/k.ini:4: [job k] start: expected a UTC time like 2026-12-01T02:00:00Z, got "
        "'2026-12-01 02:00'");
  CHECK(JobError(t, "start = 2026-12-01T02:00:00\nevery = 24h\nruns = 1\n")
            .starts_with("jobs.d/k.ini:4: [job k] start: expected a UTC time"));
  CHECK(JobError(t, "start = 2026-12-01T02:00:00Z\nevery = 11h\nruns = 1\n") ==
        "jobs.d/k.ini:5: [job k] every: 11h is below the minimum of 12h");
  CHECK(JobError(t, "start = 2026-12-01T02:00:00Z\nevery = 719m\nruns = 1\n") ==
        "jobs.d/k.ini:5: [job k] every: 719m is below the minimum of 12h");
  CHECK(JobError(t, "start = 2026-12-01T02:00:00Z\nevery = 750m\nruns = 1\n") ==
        "jobs.d/k.ini:5: [job k] every: must be a whole number of hours (the API schedules in "
        "hours)");
  CHECK(JobError(t, "start = 2026-12-01T02:00:00Z\nevery = 12h\nruns = 0\n") ==
        "jobs.d/k.ini:6: [job k] runs: 0 is out of range [1, 1000000]");
  CHECK(OnlyJob(ParseWithJobs(Job(t, "start = 2026-12-01T02:00:00Z\nevery = 720m\nruns = 1\n")))
            .schedule.every == std::chrono::hours(12));
}

TEST_CASE("job keys are checked for presence, spelling and combinations") {
  CHECK(JobError("columns = Model\n") == "jobs.d/k.ini:1: [job k]: missing required key 'view'");
  CHECK(JobError("view = OEMDriver\n") ==
        "jobs.d/k.ini:1: [job k]: missing required key 'columns'");
  CHECK(JobError("view = OEMDriver\ncolumns = Model\ncolour = red\n") ==
        "jobs.d/k.ini:4: [job k] colour: unknown key");
  CHECK(JobError("view = OEMDriver\ncolumns = Model\ncabs = maybe\n") ==
        "jobs.d/k.ini:4: [job k] cabs: expected yes or no, got 'maybe'");
  CHECK(JobError("view = OEMDriver\ncolumns = Model\ncabs = yes\n") ==
        "jobs.d/k.ini:4: [job k] cabs: cabs = yes needs CabIdHash in columns");
  CHECK(JobError("view = IHVDriver\ncolumns = CabIdHash\ncabs = yes\n") ==
        "jobs.d/k.ini:4: [job k] cabs: cabs = yes needs CabIdHash and ApplicationId in columns");
  CHECK(JobError("view = OEMDriver\ncolumns = CabIdHash\ncab_types = Huge\n") ==
        "jobs.d/k.ini:4: [job k] cab_types: unknown cab type 'Huge'; use Kernel, Mini or Full");
  CHECK(JobError("view = OEMDriver\ncolumns = Model\ntemplate_file = t.json\n") ==
        "jobs.d/k.ini:2: [job k] view: cannot be combined with template_file");
}

TEST_CASE("job names must be plain tokens because they name store folders") {
  auto config = ParseWithJobs("[job ../evil]\nview = OEMDriver\ncolumns = Model\n");
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message() ==
        "jobs.d/k.ini:1: [job ../evil]: job name '../evil' must be 1-64 letters, digits, '.', "
        "'_' or '-', not start or end with '.', and not be a Windows device name (CON, NUL, "
        "COM1, ...)");
}

TEST_CASE("job names that Windows cannot use as folder names are refused on every system") {
  auto Named = [](const std::string& name) {
    const std::string valid = Job("view = OEMDriver\ncolumns = Model\n");
    return "[job " + name + "]" + valid.substr(valid.find('\n'));
  };
  for (const char* name : {"con", "NUL", "Com1", "lpt9.reports", "kernel."}) {
    CAPTURE(name);
    auto config = ParseWithJobs(Named(name));
    REQUIRE_FALSE(config.ok());
    CHECK(config.status().message().find("Windows device name") != std::string::npos);
  }
  for (const char* name : {"console", "com10", "nul-crashes", "k.v2"}) {
    CAPTURE(name);
    CHECK(ParseWithJobs(Named(name)).ok());
  }
}

TEST_CASE("a job's template may come from a template file, validated by the same rules") {
  testing::FakeFiles()["/cfg/jobs.d/t.json"] =
      R"J({"view":" OEMDriver","projection":["model"],"dateRange":{"reportPeriod":"Last3Days"},)J"
      R"J("condition":{"and":[{"attribute":"EventType","operator":"EQ","value":"Kernel"}],"or":[]}})J";
  auto config = ParseWithJobs(Job("template_file = t.json\n"));
  const JobSpec& job = OnlyJob(config);
  CHECK(job.template_file == "t.json");
  CHECK(job.report.view == View::kOemDriver);
  CHECK(job.report.projection == std::vector<std::string>{"Model"});
  CHECK(job.report.where->op == "eq");

  testing::FakeFiles()["/cfg/jobs.d/bad.json"] =
      R"J({"view":"OEMDriver","projection":["OEMName"],"dateRange":{"reportPeriod":"Last3Days"}})J";
  CHECK(JobError("template_file = bad.json\n") ==
        "/cfg/jobs.d/bad.json: columns: unknown column 'OEMName' for view OEMDriver");
  CHECK(JobError("template_file = missing.json\n") ==
        "jobs.d/k.ini:2: [job k] template_file: cannot read /cfg/jobs.d/missing.json: file not "
        "found");
}

TEST_CASE("the job key table lists every key the parser accepts") {
  std::string keys;
  for (std::string_view key : JobKeys()) keys += std::string(key) + " ";
  CHECK(keys ==
        "view columns period where aggregate having order_by limit template_file start every "
        "runs callback cabs cab_types enabled account ");
}

}  // namespace
}  // namespace hdc::config
