// Polling against the emulator: executions appear, advance and are never
// duplicated.
#include <doctest/doctest.h>

#include "db/executions_table.h"
#include "integration/harness.h"
#include "poll/poller.h"

namespace hdc::testing {
namespace {

// Runs at 2024-05-01T02:00Z + k * 24h; the emulator's clock starts at
// 2024-05-01T00:00Z and a run completes 30 minutes after its slot.
const char* kJob =
    "[job kernel]\nview = IHVDriver\ncolumns = FailureName, FailureHash, CabIdHash, ApplicationId\n"
    "start = 2024-05-01T02:00:00Z\nevery = 24h\nruns = 10\n";

std::vector<db::ExecutionRecord> Executions(db::Database& db) {
  auto stmt = db.Prepare("SELECT report_id, report_datetime, job_name, remote_status, state, "
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

}  // namespace
}  // namespace hdc::testing
