// Reconciliation against the emulator: no duplicates, ever (docs/architecture.md §Remote state).
#include <algorithm>
#include <sstream>

#include <doctest/doctest.h>

#include "db/jobs_table.h"
#include "integration/harness.h"
#include "util/logging.h"

namespace hdc::testing {
namespace {

const char* kJobs =
    "[job kernel]\nview = IHVDriver\ncolumns = FailureName, FailureHash, CabIdHash, ApplicationId\n"
    "where = EventType eq Kernel and (Market eq US or Market in (DE, FR))\n"
    "start = 2024-05-02T02:00:00Z\nevery = 24h\nruns = 30\n"
    "[job top]\nview = OEMDriver\ncolumns = FailureName, Model\naggregate = SUM(EventCount)\n"
    "having = SUM(EventCount) gt 10\norder_by = SUM(EventCount) desc\nlimit = 5\n"
    "start = 2024-05-02T03:00:00Z\nevery = 12h\nruns = 60\n";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

void RequireClean(const util::Result<reconcile::ReconcileSummary>& summary) {
  REQUIRE_MESSAGE(summary.ok(), summary.status().message());
  REQUIRE_MESSAGE(summary->problems.empty(), summary->Worst().message());
}

TEST_CASE("a fresh start creates one template and one schedule per job, a second run nothing") {
  Harness h;
  auto first = h.Reconcile(kJobs);
  RequireClean(first);
  CHECK(h.Count("templates") == 2);
  CHECK(h.Count("schedules") == 2);
  CHECK(first->applied.size() == 4);
  auto second = h.Reconcile(kJobs);
  RequireClean(second);
  CHECK(second->actions.empty());
  CHECK(second->in_sync());
  CHECK(h.Count("templates") == 2);
  CHECK(h.Count("schedules") == 2);
}

TEST_CASE("a crash between the remote create and the local commit never duplicates") {
  for (const char* point : {"after-create-template", "after-create-schedule"}) {
    INFO(point);
    Harness h;
    auto crashed = h.Reconcile(kJobs, [&](std::string_view p) {
      return p == point ? util::TemporaryError(std::string("crash at ") + point)
                        : util::Status::Ok();
    });
    REQUIRE_FALSE(crashed.ok());
    CHECK(crashed.status().message() == std::string("crash at ") + point);
    auto restarted = h.Reconcile(kJobs);
    RequireClean(restarted);
    CHECK(h.Count("templates") == 2);
    CHECK(h.Count("schedules") == 2);
    // And once more after the database is lost altogether.
    h.WipeDb();
    auto wiped = h.Reconcile(kJobs);
    RequireClean(wiped);
    CHECK(h.Count("templates") == 2);
    CHECK(h.Count("schedules") == 2);
    CHECK(wiped->in_sync());  // everything adopted, nothing changed remotely
    CHECK(h.Reconcile(kJobs)->actions.empty());
  }
}

TEST_CASE("a lost response to a create is not retried, the next run adopts the object") {
  Harness h;
  h.SetFaults({{{"endpoint", "template.create"}, {"kind", "reset"}, {"nth", 1}, {"count", 1}}});
  auto first = h.Reconcile(kJobs);
  REQUIRE(first.ok());
  REQUIRE(first->problems.size() == 1);
  CHECK(first->Worst().exit_code() == 75);
  CHECK(h.Count("templates") == 2);  // the lost one exists remotely
  auto second = h.Reconcile(kJobs);
  RequireClean(second);
  CHECK(h.Count("templates") == 2);
  CHECK(h.Count("schedules") == 2);
}

TEST_CASE("with several accounts, a run sees only its account's jobs and their intents") {
  Harness h;
  h.RegisterClient("tenant-b", "client-b", "secret-b");
  auto b_connection = h.NewConnection("tenant-b", "client-b", "secret-b");
  auto config = h.Config(kJobs);
  REQUIRE(config.ok());
  std::vector<config::JobSpec> a_jobs{config->jobs[0]};  // kernel
  std::vector<config::JobSpec> b_jobs{config->jobs[1]};  // top
  a_jobs[0].account = "a";
  b_jobs[0].account = "b";
  auto run = [&](api::Connection& connection, const std::string& account,
                 const std::vector<config::JobSpec>& jobs,
                 std::function<util::Status(std::string_view)> hook = nullptr) {
    reconcile::Reconciler reconciler(connection.api(), h.Db(), h.clock(),
                                     {"", account, std::move(hook)});
    return reconciler.Run(jobs);
  };
  auto pending_for = [&](const std::string& job) {
    auto pending = db::JobsTable(h.Db()).PendingIntents();
    REQUIRE(pending.ok());
    return std::count_if(pending->begin(), pending->end(),
                         [&](const db::Intent& i) { return i.job_name == job; });
  };
  // a's first run dies after creating kernel's template: its intent stays.
  auto crashed = run(h.Connection(), "a", a_jobs, [](std::string_view p) {
    return p == "after-create-template" ? util::TemporaryError("crash") : util::Status::Ok();
  });
  REQUIRE_FALSE(crashed.ok());
  REQUIRE(pending_for("kernel") == 1);
  // b's run leaves a's intent alone and plans nothing about kernel.
  auto b_first = run(*b_connection, "b", b_jobs);
  RequireClean(b_first);
  CHECK(pending_for("kernel") == 1);
  // a's next run adopts what the crash left: no duplicate in a's tenant.
  RequireClean(run(h.Connection(), "a", a_jobs));
  CHECK(pending_for("kernel") == 0);
  CHECK(h.Count("templates") == 2);  // one per tenant
  CHECK(h.Count("schedules") == 2);
  // kernel is recorded now: b does not see it as an orphan.
  auto b_again = run(*b_connection, "b", b_jobs);
  RequireClean(b_again);
  CHECK(b_again->actions.empty());
  // Control: unscoped, b's run would take a's recorded kernel for an orphan.
  auto unscoped = run(*b_connection, "", b_jobs);
  RequireClean(unscoped);
  CHECK(std::any_of(unscoped->actions.begin(), unscoped->actions.end(),
                    [](const reconcile::Action& a) {
                      return a.kind == reconcile::ActionKind::kOrphanJob && a.job == "kernel";
                    }));
}

TEST_CASE("an edited job edits in place, enabled = no pauses and yes resumes") {
  Harness h;
  RequireClean(h.Reconcile(kJobs));
  const std::string edited = Replace(Replace(kJobs, "Market in (DE, FR)", "Market in (DE, FR, IT)"),
                                     "every = 12h\nruns = 60", "every = 24h\nruns = 30");
  auto changed = h.Reconcile(edited);
  RequireClean(changed);
  CHECK(changed->applied ==
        std::vector<std::string>{
            "edit template " + changed->actions[0].template_id + " for job kernel",
            "edit schedule " + changed->actions[1].report_id + " for job top"});
  CHECK(h.Count("templates") == 2);
  CHECK(h.Reconcile(edited)->actions.empty());

  const std::string disabled =
      Replace(edited, "runs = 30\n[job top]", "runs = 30\nenabled = no\n[job top]");
  auto paused = h.Reconcile(disabled);
  RequireClean(paused);
  REQUIRE(paused->actions.size() == 1);
  CHECK(paused->actions[0].kind == reconcile::ActionKind::kPauseSchedule);
  auto state = h.emu().Admin("GET", "state").json();
  int active = 0;
  for (const auto& s : state["schedules"]) active += s["isActive"].get<bool>() ? 1 : 0;
  CHECK(active == 1);
  auto resumed = h.Reconcile(edited);
  RequireClean(resumed);
  REQUIRE(resumed->actions.size() == 1);
  CHECK(resumed->actions[0].kind == reconcile::ActionKind::kResumeSchedule);
}

TEST_CASE("429 with Retry-After and 5xx bursts are ridden out on the manual clock") {
  Harness h;
  h.SetFaults({{{"endpoint", "template.list"},
                {"kind", "429"},
                {"retry_after", 7},
                {"nth", 1},
                {"count", 2}},
               {{"endpoint", "schedule.list"},
                {"kind", "status"},
                {"status", 503},
                {"nth", 1},
                {"count", 3}}});
  const util::TimePoint before = h.clock().Now();
  RequireClean(h.Reconcile(kJobs));
  CHECK(h.Count("schedules") == 2);
  CHECK(h.clock().Now() - before >= std::chrono::seconds(14));  // two Retry-After waits
}

TEST_CASE("a token that expires early is renewed after the 401") {
  Harness h;
  RequireClean(h.Reconcile(kJobs));
  // The next token claims its full hour but dies after 60 s.
  h.SetFaults({{{"endpoint", "token"},
                {"kind", "token_early_expiry"},
                {"seconds", 60},
                {"nth", 1},
                {"count", 1}}});
  h.clock().Advance(std::chrono::hours(2));  // past the first token's life: a new one
  RequireClean(h.Reconcile(kJobs));
  h.clock().Advance(std::chrono::minutes(2));  // the new token died; we still think it good
  REQUIRE(h.emu().Admin("DELETE", "requests").status < 300);
  RequireClean(h.Reconcile(kJobs));

  const std::string token_path = "/" + emulator::DemoClient().tenant + "/oauth2/token";
  int refused = 0;
  int tokens = 0;
  int ok_after_renewal = 0;
  std::vector<std::string> order;  // "401", "token", "ok": what happened, in order
  for (const auto& r : h.emu().Admin("GET", "requests").json()) {
    const int status = r["status"].get<int>();
    if (r["path"].get<std::string>() == token_path) {
      ++tokens;
      order.push_back("token");
    } else if (status == 401) {
      CHECK(r["authorization"].get<bool>());  // a token was sent, and refused
      ++refused;
      order.push_back("401");
    } else if (status < 300 && tokens > 0) {
      ++ok_after_renewal;
    }
  }
  CHECK(refused == 1);  // the dead token was refused once
  CHECK(tokens == 1);   // and a new one fetched once
  REQUIRE(order.size() == 2);
  CHECK(order[0] == "401");  // after the 401, not before
  CHECK(order[1] == "token");
  CHECK(ok_after_renewal > 0);  // the replayed request and the rest went through
}

TEST_CASE("a revoked client is an auth error in one line, without the secret") {
  Harness h;
  const auto client = emulator::DemoClient();
  REQUIRE(h.emu().Admin("POST", "clients/" + client.client_id + "/revoke").status < 300);
  auto run = h.Reconcile(kJobs);
  REQUIRE_FALSE(run.ok());
  CHECK(run.status().kind() == util::ErrorKind::kAuth);
  CHECK(run.status().exit_code() == 77);
  CHECK(run.status().message().find("unauthorized_client") != std::string::npos);
  CHECK(run.status().message().find(client.secret) == std::string::npos);
  CHECK(run.status().ToString().find('\n') == std::string::npos);
}

TEST_CASE("no token, secret or signature reaches the logs, and no blob host sees a token") {
  std::ostringstream logs;
  util::LogOptions options;
  options.level = "trace";
  util::SetupLogging(options, &logs);
  {
    Harness h;
    RequireClean(h.Reconcile(kJobs));
    RequireClean(h.Reconcile(Replace(kJobs, "runs = 30", "runs = 31")));
    for (const auto& r : h.emu().Admin("GET", "requests").json()) {
      if (r["host"].get<std::string>().find("127.0.0.2") != std::string::npos) {
        CHECK_FALSE(r["authorization"].get<bool>());
      }
    }
  }
  static std::ostringstream sink;
  util::SetupLogging(util::LogOptions{}, &sink);
  const std::string text = logs.str();
  CHECK(text.find("reconcile") != std::string::npos);  // the capture did see the run
  CHECK(text.find(emulator::DemoClient().secret) == std::string::npos);
  CHECK(text.find("eyJ") == std::string::npos);
  CHECK(text.find("Bearer ") == std::string::npos);
  CHECK(text.find("sig=") == std::string::npos);
}

}  // namespace
}  // namespace hdc::testing
