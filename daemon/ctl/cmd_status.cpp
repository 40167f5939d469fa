// status: what the state database holds per job (db::ReadStatus), and
// first whether hdc-reportd runs and is healthy (ctl/daemon_health.h); when
// it answers, each job's row also shows its last cycle.
#include <algorithm>
#include <array>
#include <ostream>

#include "ctl/commands.h"
#include "ctl/daemon_health.h"
#include "ctl/options.h"
#include "ctl/output.h"
#include "ctl/version.h"
#include "dashboard/data.h"
#include "db/listings.h"

namespace hdc::ctl {
namespace {

// "4 ingested, 26 new"; "-" for none.
std::string CountsText(const db::StateCounts& counts) {
  std::string out;
  for (const auto& [state, n] : counts) {
    out += (out.empty() ? "" : ", ") + std::to_string(n) + " " + state;
  }
  return out.empty() ? "-" : out;
}

std::string YesNo(const std::optional<bool>& value) {
  return value ? (*value ? "yes" : "no") : "-";
}

std::vector<std::string> DataCells(const db::DataSummary& d) {
  return {CountsText(d.executions), OrDash(d.last_ingested), std::to_string(d.rows),
          CountsText(d.cabs), HumanSize(d.report_bytes + d.cab_bytes)};
}

Json JobJson(const db::JobStatus& j) {
  Json job{{"name", j.name},
           {"enabled", OrNull(j.enabled)},
           {"template_id", OrNull(j.template_id)},
           {"report_id", OrNull(j.report_id)},
           {"is_active", OrNull(j.is_active)}};
  job.update(dashboard::DataSummaryJson(j.data));
  return job;
}

void PrintStatusJson(std::ostream& out, const DaemonHealth& daemon, const db::StatusReport& report,
                     const dashboard::RetentionHorizon& horizon) {
  Json doc{{"daemon", DaemonJson(daemon)},
           {"jobs", Json::array()},
           {"totals", dashboard::DataSummaryJson(report.totals)},
           {"retention_horizon", dashboard::RetentionHorizonJson(horizon)},
           {"last_sweep", nullptr}};
  for (const db::JobStatus& j : report.jobs) doc["jobs"].push_back(JobJson(j));
  if (const auto& s = report.last_sweep) doc["last_sweep"] = dashboard::SweepRecordJson(*s);
  PrintJson(out, doc);
}

// The job columns, then the daemon's last-cycle columns when it answered.
Table StatusTable(bool cycles) {
  std::vector<std::string> headers{"JOB",        "ENABLED",       "TEMPLATE", "REPORT", "ACTIVE",
                                   "EXECUTIONS", "LAST INGESTED", "ROWS",     "CABS",   "STORED"};
  std::vector<bool> right{false, false, false, false, false, false, false, true, false, true};
  if (cycles) {
    headers.insert(headers.end(), DaemonJobHeaders().begin(), DaemonJobHeaders().end());
    right.insert(right.end(), {false, false, true, false});
  }
  return Table(headers, right);
}

std::vector<std::string> JobCells(const db::JobStatus& j, const DaemonHealth& daemon, bool cycles) {
  std::vector<std::string> cells{j.name, YesNo(j.enabled), OrDash(j.template_id),
                                 OrDash(j.report_id), YesNo(j.is_active)};
  for (std::string& cell : DataCells(j.data)) cells.push_back(std::move(cell));
  if (cycles) {
    for (std::string& cell : DaemonJobCells(daemon, j.name)) cells.push_back(std::move(cell));
  }
  return cells;
}

void PrintLastSweep(std::ostream& out, const std::optional<db::SweepRecord>& sweep) {
  if (const auto& s = sweep) {
    out << "last sweep: " << s->started_at << " to " << OrDash(s->finished_at) << ", cutoff "
        << s->cutoff << ": deleted " << s->reports_deleted << " report(s) ("
        << HumanSize(s->report_bytes) << "), " << s->cabs_deleted << " cab(s) ("
        << HumanSize(s->cab_bytes) << "), " << s->rows_deleted << " row(s), " << s->partials_deleted
        << " partial(s)\n";
  } else {
    out << "last sweep: none\n";
  }
}

// "retention: the oldest personal datum is from T, removed by U"
void PrintRetention(std::ostream& out, const dashboard::RetentionHorizon& horizon) {
  if (!horizon.oldest_personal_datum) {
    out << "retention: no personal data held\n";
    return;
  }
  out << "retention: the oldest personal datum is from " << *horizon.oldest_personal_datum
      << ", removed by " << OrDash(horizon.removed_by) << "\n";
}

void PrintStatusTable(std::ostream& out, const DaemonHealth& daemon, const db::StatusReport& report,
                      const dashboard::RetentionHorizon& horizon) {
  PrintDaemon(out, daemon);
  const bool cycles = daemon.health.has_value();  // the daemon's columns, when it answered
  Table table = StatusTable(cycles);
  for (const db::JobStatus& j : report.jobs) table.Add(JobCells(j, daemon, cycles));
  for (const DaemonJob& d : daemon.jobs) {  // jobs the daemon runs that the database has not seen
    const bool known = std::any_of(report.jobs.begin(), report.jobs.end(),
                                   [&](const db::JobStatus& j) { return j.name == d.name; });
    if (known) continue;
    db::JobStatus unseen;
    unseen.name = d.name;
    table.Add(JobCells(unseen, daemon, cycles));
  }
  std::vector<std::string> totals{"TOTAL", "", "", "", ""};
  for (std::string& cell : DataCells(report.totals)) totals.push_back(std::move(cell));
  table.Add(std::move(totals));
  table.Print(out);
  PrintRetention(out, horizon);
  PrintLastSweep(out, report.last_sweep);
}

}  // namespace

int CmdStatus(const CommonOptions& common, const std::vector<std::string>& args, std::ostream& out,
              std::ostream& err) {
  CommonOptions options = common;
  static constexpr std::array<OptionSpec, 1> kOptions{{{"--account", true}}};
  auto parsed = ParseCommandOptions("status", args, kOptions, options);
  if (!parsed.ok()) return Fail(err, parsed.status());
  auto state = OpenState(options);
  if (!state.ok()) return Fail(err, state.status());
  auto report = db::ReadStatus(*state->db);
  if (!report.ok()) return Fail(err, report.status());
  auto horizon =
      dashboard::ReadRetentionHorizon(*state->db, state->config.service.retention.count());
  if (!horizon.ok()) return Fail(err, horizon.status());
  DaemonHealth daemon = ProbeDaemon(
      ControlAddress(state->config.service.state_dir, state->config.service.control_listen),
      std::string("hdc-reportctl/") + HDC_VERSION);
  if (auto it = parsed->find("--account"); it != parsed->end()) {
    if (util::Status known = CheckAccount("status", state->config, it->second); !known.ok()) {
      return Fail(err, known);
    }
    auto jobs = JobsOfAccount(*state, it->second);
    if (!jobs.ok()) return Fail(err, jobs.status());
    db::KeepJobs(*report, *jobs);
    std::erase_if(daemon.jobs, [&](const DaemonJob& j) { return !jobs->contains(j.name); });
  }

  if (options.json) {
    PrintStatusJson(out, daemon, *report, *horizon);
  } else {
    PrintStatusTable(out, daemon, *report, *horizon);
  }
  return 0;
}

}  // namespace hdc::ctl
