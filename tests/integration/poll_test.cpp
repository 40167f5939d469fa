// Polling against the emulator: executions appear, advance and are never
// duplicated.
#include <doctest/doctest.h>

#include "db/executions_table.h"
#include "engine/cycle.h"
#include "integration/harness.h"
#include "platform/filesystem.h"
#include "poll/poller.h"
#include "store/layout.h"
#include "util/metrics.h"

namespace hdc::testing {
namespace {

// Runs at 2024-05-01T02:00Z + k * 24h; the emulator's clock starts at
// 2024-05-01T00:00Z and a run completes 30 minutes after its slot.
const char* kJob =
    "[job kernel]\nview = IHVDriver\ncolumns = FailureName, FailureHash, CabIdHash, ApplicationId\n"
    "start = 2024-05-01T02:00:00Z\nevery = 24h\nruns = 10\n";

std::vector<db::ExecutionRecord> Executions(db::Database& db) {
  auto stmt = db.Prepare(
      "SELECT report_id, report_datetime, job_name, remote_status, state, "
      "attempts, last_error FROM executions ORDER BY report_datetime");
  REQUIRE(stmt.ok());
  std::vector<db::ExecutionRecord> out;
  while (*stmt->Step()) {
    out.push_back({stmt->ColumnText(0), stmt->ColumnText(1), stmt->ColumnText(2),
                   stmt->ColumnText(3), stmt->ColumnText(4), stmt->ColumnInt(5),
                   stmt->ColumnOptionalText(6), ""});
  }
  return out;
}

// A cycle over the harness's connection, state database and store.
struct HarnessCycle {
  HarnessCycle(Harness& h, util::Metrics* metrics)
      : layout(h.dir().path()),
        cycle({{{"default", &h.Connection()}},
               h.Db(),
               platform::RealFileSystem(),
               layout,
               h.clock(),
               random,
               {},
               metrics,
               ""}) {}
  store::StoreLayout layout;
  util::Random random{5};
  engine::Cycle cycle;
};

TEST_CASE("polling records executions as they run and complete, once each") {
  Harness h;
  auto reconciled = h.Reconcile(kJob);
  REQUIRE(reconciled.ok());
  auto schedules = poll::Poller::RecordedSchedules(h.Db());
  REQUIRE(schedules.ok());
  REQUIRE(schedules->size() == 1);
  poll::Poller poller(h.Connection().api(), h.Db(), h.clock());

  auto nothing = poller.Poll(*schedules);
  REQUIRE(nothing.ok());
  CHECK(nothing->executions_seen == 0);

  h.clock().Advance(std::chrono::minutes(125));  // 02:05: the first run is pending
  auto pending = poller.Poll(*schedules);
  REQUIRE(pending.ok());
  CHECK(pending->new_executions == 1);
  CHECK(pending->completed == 0);
  CHECK(Executions(h.Db()).at(0).remote_status == "Pending");

  h.clock().Advance(std::chrono::hours(48));  // three runs, two completed
  auto later = poller.Poll(*schedules);
  REQUIRE(later.ok());
  CHECK(later->problems.empty());
  const auto rows = Executions(h.Db());
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].report_datetime == "2024-05-01T02:00:00Z");
  CHECK(rows[0].remote_status == "Completed");
  CHECK(rows[1].remote_status == "Completed");
  CHECK(rows[2].remote_status != "Completed");
  CHECK(rows[0].state == "new");

  auto again = poller.Poll(*schedules);
  REQUIRE(again.ok());
  CHECK(again->new_executions == 0);
  CHECK(Executions(h.Db()).size() == 3);
  auto ready = db::ExecutionsTable(h.Db()).ReadyToFetch();
  REQUIRE(ready.ok());
  CHECK(ready->size() == 2);
}

TEST_CASE("duplicated executions in a listing are harmless") {
  Harness h;
  REQUIRE(h.Reconcile(kJob).ok());
  h.SetFaults({{{"endpoint", "reportdata"}, {"kind", "duplicate_executions"}}});
  h.clock().Advance(std::chrono::hours(75));
  poll::Poller poller(h.Connection().api(), h.Db(), h.clock());
  auto polled = poller.Poll(*poll::Poller::RecordedSchedules(h.Db()));
  REQUIRE(polled.ok());
  CHECK(polled->new_executions == 4);
  CHECK(Executions(h.Db()).size() == 4);
}

// polls_total{job, outcome} for one poll of two jobs, one of which the
// service refuses: the refused one is "partial", not "ok".
double PollCount(const util::Metrics& metrics, const std::string& job, const std::string& outcome) {
  for (const util::MetricFamily& family : metrics.Snapshot()) {
    if (family.name != "polls_total") continue;
    for (const util::MetricSeries& series : family.series) {
      if (series.labels == util::MetricLabels{{"job", job}, {"outcome", outcome}}) {
        return series.value;
      }
    }
  }
  return 0;
}

TEST_CASE("polls_total counts a schedule the poll had a problem with as partial, the rest ok") {
  Harness h;
  const std::string jobs = std::string(kJob) +
                           "[job other]\nview = IHVDriver\ncolumns = FailureName, FailureHash\n"
                           "start = 2024-05-01T02:00:00Z\nevery = 24h\nruns = 10\n";
  REQUIRE(h.Reconcile(jobs).ok());
  // The service no longer knows the schedule of "other": Get Report Data
  // answers 404 for it alone.
  REQUIRE(
      h.Db().Exec("UPDATE remote_schedules SET report_id = 'gone' WHERE job_name = 'other'").ok());
  auto config = h.Config(jobs);
  REQUIRE(config.ok());
  util::Metrics metrics;
  engine::DescribeCycleMetrics(metrics);
  HarnessCycle run(h, &metrics);
  auto polled = run.cycle.Poll(*config);
  REQUIRE(polled.ok());
  CHECK(polled->schedules == 2);
  REQUIRE(polled->problems.size() == 1);
  CHECK(polled->problems[0].message().starts_with("job other: "));
  CHECK(polled->problem_report_ids == std::vector<std::string>{"gone"});
  CHECK(PollCount(metrics, "kernel", "ok") == 1);
  CHECK(PollCount(metrics, "other", "partial") == 1);
  CHECK(PollCount(metrics, "other", "ok") == 0);
  CHECK(PollCount(metrics, "kernel", "error") + PollCount(metrics, "other", "error") == 0);
}

TEST_CASE("the cycle's rest between steps empties the state database's page cache") {
  Harness h;
  REQUIRE(h.Reconcile(kJob).ok());
  auto config = h.Config(kJob);
  REQUIRE(config.ok());
  HarnessCycle run(h, nullptr);
  h.clock().Advance(std::chrono::minutes(160));  // 02:40: the first run has completed
  REQUIRE(run.cycle.Poll(*config).ok());
  // A step that read much: ~100 pages of a table go into the cache.
  REQUIRE(h.Db().Exec("CREATE TABLE filler (x TEXT)").ok());
  REQUIRE(
      h.Db()
          .Exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
                "INSERT INTO filler SELECT printf('%.200c', 'x') FROM n")
          .ok());
  const std::int64_t held = h.Db().CacheBytes();
  REQUIRE(held > 400000);
  run.cycle.Rest();
  CHECK(h.Db().CacheBytes() < held / 10);
  // The next step reads what it needs again, and records nothing twice.
  REQUIRE(run.cycle.Poll(*config).ok());
  CHECK(Executions(h.Db()).size() == 1);
}

}  // namespace
}  // namespace hdc::testing
