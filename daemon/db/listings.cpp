#include "db/listings.h"

#include <algorithm>
#include <functional>
#include <map>

namespace hdc::db {
namespace {

using util::Result;
using util::Status;

// A read transaction: every query inside sees the same snapshot. Rolled
// back on destruction (nothing was written).
class ReadSnapshot {
 public:
  explicit ReadSnapshot(Database& db) : db_(db) {}
  ~ReadSnapshot() {
    if (open_) (void)db_.Exec("ROLLBACK");
  }
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;
  Status Begin() {
    HDC_RETURN_IF_ERROR(db_.Exec("BEGIN"));
    open_ = true;
    return Status::Ok();
  }

 private:
  Database& db_;
  bool open_ = false;
};

// Prepares `sql` and runs it to the end (db::ForEachRow).
Status ForEachRow(Database& db, std::string_view sql,
                  const std::function<void(const Statement&)>& on_row) {
  auto stmt = db.Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  return ForEachRow(*stmt, on_row);
}

std::string Joined(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::string_view n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

Status CheckState(std::string_view what, const std::optional<std::string>& state,
                  const std::vector<std::string_view>& states) {
  if (!state || std::find(states.begin(), states.end(), *state) != states.end()) {
    return Status::Ok();
  }
  return util::UsageError("unknown " + std::string(what) + " state '" + *state + "' (one of " +
                          Joined(states) + ")");
}

// SQLite reads a negative LIMIT as "no limit".
std::int64_t SqlLimit(std::int64_t limit) { return limit > 0 ? limit : -1; }

// Adds n rows in `state` to counts, keeping the life-cycle order of
// `states` (unknown states go last, by name).
void AddCount(StateCounts& counts, const std::string& state, std::int64_t n,
              const std::vector<std::string_view>& states) {
  for (auto& [s, c] : counts) {
    if (s == state) {
      c += n;
      return;
    }
  }
  counts.emplace_back(state, n);
  auto rank = [&](const std::string& s) {
    return static_cast<std::size_t>(std::find(states.begin(), states.end(), s) - states.begin());
  };
  std::stable_sort(counts.begin(), counts.end(), [&](const auto& a, const auto& b) {
    return std::make_pair(rank(a.first), a.first) < std::make_pair(rank(b.first), b.first);
  });
}

void AddLatest(std::optional<std::string>& latest, const std::optional<std::string>& candidate) {
  if (candidate && (!latest || *candidate > *latest)) latest = candidate;
}

using JobsByName = std::map<std::string, JobStatus>;

// The job named by the row's first column, added on first sight.
JobStatus& JobOf(JobsByName& jobs, const Statement& s) {
  const std::string name = s.ColumnText(0);
  JobStatus& j = jobs[name];
  j.name = name;
  return j;
}

// Every job any table names, with its jobs row and remote objects.
Status ReadJobs(Database& db, JobsByName& jobs) {
  HDC_RETURN_IF_ERROR(ForEachRow(
      db,
      "SELECT name FROM jobs UNION SELECT job_name FROM remote_templates "
      "UNION SELECT job_name FROM remote_schedules UNION SELECT job_name FROM executions "
      "UNION SELECT job_name FROM cabs UNION SELECT job_name FROM failures",
      [&](const Statement& s) { JobOf(jobs, s); }));
  HDC_RETURN_IF_ERROR(ForEachRow(db, "SELECT name, enabled FROM jobs", [&](const Statement& s) {
    JobOf(jobs, s).enabled = s.ColumnInt(1) != 0;
  }));
  HDC_RETURN_IF_ERROR(
      ForEachRow(db, "SELECT job_name, template_id FROM remote_templates",
                 [&](const Statement& s) { JobOf(jobs, s).template_id = s.ColumnText(1); }));
  return ForEachRow(db, "SELECT job_name, report_id, is_active FROM remote_schedules",
                    [&](const Statement& s) {
                      JobStatus& j = JobOf(jobs, s);
                      j.report_id = s.ColumnText(1);
                      j.is_active = s.ColumnInt(2) != 0;
                    });
}

// Each job's DataSummary: executions and cabs by state, rows and bytes.
Status ReadJobData(Database& db, JobsByName& jobs) {
  HDC_RETURN_IF_ERROR(
      ForEachRow(db, "SELECT job_name, state, count(*) FROM executions GROUP BY job_name, state",
                 [&](const Statement& s) {
                   AddCount(JobOf(jobs, s).data.executions, s.ColumnText(1), s.ColumnInt(2),
                            ExecutionStates());
                 }));
  HDC_RETURN_IF_ERROR(ForEachRow(
      db,
      "SELECT job_name, max(report_datetime) FROM executions "
      "WHERE row_count IS NOT NULL GROUP BY job_name",
      [&](const Statement& s) { JobOf(jobs, s).data.last_ingested = s.ColumnOptionalText(1); }));
  HDC_RETURN_IF_ERROR(
      ForEachRow(db, "SELECT job_name, count(*) FROM failures GROUP BY job_name",
                 [&](const Statement& s) { JobOf(jobs, s).data.rows = s.ColumnInt(1); }));
  HDC_RETURN_IF_ERROR(
      ForEachRow(db, "SELECT job_name, state, count(*) FROM cabs GROUP BY job_name, state",
                 [&](const Statement& s) {
                   AddCount(JobOf(jobs, s).data.cabs, s.ColumnText(1), s.ColumnInt(2), CabStates());
                 }));
  HDC_RETURN_IF_ERROR(
      ForEachRow(db,
                 "SELECT job_name, coalesce(sum(file_size), 0) FROM executions "
                 "WHERE state IN ('fetched', 'ingested') GROUP BY job_name",
                 [&](const Statement& s) { JobOf(jobs, s).data.report_bytes = s.ColumnInt(1); }));
  return ForEachRow(db,
                    "SELECT job_name, coalesce(sum(file_size), 0) FROM cabs "
                    "WHERE state = 'fetched' GROUP BY job_name",
                    [&](const Statement& s) { JobOf(jobs, s).data.cab_bytes = s.ColumnInt(1); });
}

void AddToTotals(DataSummary& t, const DataSummary& d) {
  for (const auto& [state, n] : d.executions) AddCount(t.executions, state, n, ExecutionStates());
  for (const auto& [state, n] : d.cabs) AddCount(t.cabs, state, n, CabStates());
  AddLatest(t.last_ingested, d.last_ingested);
  t.rows += d.rows;
  t.report_bytes += d.report_bytes;
  t.cab_bytes += d.cab_bytes;
}

Status ReadLastSweep(Database& db, std::optional<SweepRecord>& last_sweep) {
  return ForEachRow(
      db,
      "SELECT id, started_at, finished_at, cutoff, cabs_deleted, cab_bytes, reports_deleted, "
      "report_bytes, rows_deleted, partials_deleted FROM sweeps ORDER BY id DESC LIMIT 1",
      [&](const Statement& s) {
        SweepRecord sweep;
        sweep.id = s.ColumnInt(0);
        sweep.started_at = s.ColumnText(1);
        sweep.finished_at = s.ColumnOptionalText(2);
        sweep.cutoff = s.ColumnText(3);
        sweep.cabs_deleted = s.ColumnInt(4);
        sweep.cab_bytes = s.ColumnInt(5);
        sweep.reports_deleted = s.ColumnInt(6);
        sweep.report_bytes = s.ColumnInt(7);
        sweep.rows_deleted = s.ColumnInt(8);
        sweep.partials_deleted = s.ColumnInt(9);
        last_sweep = sweep;
      });
}

}  // namespace

const std::vector<std::string_view>& ExecutionStates() {
  static const std::vector<std::string_view> kStates{"new",      "fetching", "fetched",
                                                     "ingested", "failed",   "purged"};
  return kStates;
}

const std::vector<std::string_view>& CabStates() {
  static const std::vector<std::string_view> kStates{"pending", "fetching", "fetched",
                                                     "skipped", "failed",   "purged"};
  return kStates;
}

Result<StatusReport> ReadStatus(Database& db) {
  ReadSnapshot snapshot(db);
  HDC_RETURN_IF_ERROR(snapshot.Begin());
  JobsByName jobs;
  HDC_RETURN_IF_ERROR(ReadJobs(db, jobs));
  HDC_RETURN_IF_ERROR(ReadJobData(db, jobs));
  StatusReport report;
  for (auto& [name, j] : jobs) {
    AddToTotals(report.totals, j.data);
    report.jobs.push_back(std::move(j));
  }
  HDC_RETURN_IF_ERROR(ReadLastSweep(db, report.last_sweep));
  return report;
}

void KeepJobs(StatusReport& report, const std::set<std::string>& names) {
  std::erase_if(report.jobs, [&](const JobStatus& j) { return !names.contains(j.name); });
  report.totals = {};
  for (const JobStatus& j : report.jobs) AddToTotals(report.totals, j.data);
}

Status CheckFilter(const ExecutionFilter& filter) {
  return CheckState("execution", filter.state, ExecutionStates());
}

Status CheckFilter(const CabFilter& filter) { return CheckState("cab", filter.state, CabStates()); }

Result<std::vector<ExecutionRow>> ListExecutions(Database& db, const ExecutionFilter& filter) {
  HDC_RETURN_IF_ERROR(CheckFilter(filter));
  auto stmt = db.Prepare(
      "SELECT job_name, report_id, report_datetime, remote_status, state, attempts, row_count, "
      "file_size, last_error FROM executions "
      "WHERE (?1 IS NULL OR job_name = ?1) AND (?2 IS NULL OR state = ?2) "
      "AND (?4 IS NULL OR job_name IN (SELECT name FROM jobs WHERE account = ?4)) "
      "ORDER BY report_datetime DESC, report_id DESC LIMIT ?3");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, filter.job).Bind(2, filter.state).Bind(3, SqlLimit(filter.limit));
  stmt->Bind(4, filter.account);
  std::vector<ExecutionRow> out;
  HDC_RETURN_IF_ERROR(ForEachRow(*stmt, [&](const Statement& s) {
    out.push_back({s.ColumnText(0), s.ColumnText(1), s.ColumnText(2), s.ColumnText(3),
                   s.ColumnText(4), s.ColumnInt(5), s.ColumnOptionalInt(6), s.ColumnOptionalInt(7),
                   s.ColumnOptionalText(8)});
  }));
  return out;
}

Result<std::vector<CabRow>> ListCabs(Database& db, const CabFilter& filter) {
  HDC_RETURN_IF_ERROR(CheckFilter(filter));
  auto stmt = db.Prepare(
      "SELECT cab_id_hash, job_name, state, attempts, file_size, container, expires_at, "
      "last_error FROM cabs WHERE (?1 IS NULL OR job_name = ?1) AND (?2 IS NULL OR state = ?2) "
      "AND (?4 IS NULL OR job_name IN (SELECT name FROM jobs WHERE account = ?4)) "
      "ORDER BY first_seen DESC, cab_id_hash ASC LIMIT ?3");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, filter.job).Bind(2, filter.state).Bind(3, SqlLimit(filter.limit));
  stmt->Bind(4, filter.account);
  std::vector<CabRow> out;
  HDC_RETURN_IF_ERROR(ForEachRow(*stmt, [&](const Statement& s) {
    out.push_back({s.ColumnText(0), s.ColumnText(1), s.ColumnText(2), s.ColumnInt(3),
                   s.ColumnOptionalInt(4), s.ColumnOptionalText(5), s.ColumnOptionalText(6),
                   s.ColumnOptionalText(7)});
  }));
  return out;
}

Result<StoreClaims> ReadStoreClaims(Database& db) {
  ReadSnapshot snapshot(db);
  HDC_RETURN_IF_ERROR(snapshot.Begin());
  StoreClaims claims;
  auto add = [&](const char* kind, const Statement& s) {
    claims.files.push_back({kind, s.ColumnText(0), s.ColumnText(1), s.ColumnText(2),
                            s.ColumnText(3), s.ColumnOptionalText(4), s.ColumnOptionalInt(5),
                            s.ColumnOptionalText(6)});
  };
  HDC_RETURN_IF_ERROR(ForEachRow(db,
                                 "SELECT report_id, report_datetime, job_name, state, file_path, "
                                 "file_size, file_sha256 FROM executions "
                                 "WHERE state IN ('fetched', 'ingested') "
                                 "ORDER BY report_id, report_datetime",
                                 [&](const Statement& s) { add("report", s); }));
  HDC_RETURN_IF_ERROR(ForEachRow(db,
                                 "SELECT cab_id_hash, '', job_name, state, file_path, file_size, "
                                 "file_sha256 FROM cabs WHERE state = 'fetched' "
                                 "ORDER BY cab_id_hash",
                                 [&](const Statement& s) { add("cab", s); }));
  HDC_RETURN_IF_ERROR(
      ForEachRow(db,
                 "SELECT file_path FROM executions WHERE file_path IS NOT NULL "
                 "AND state <> 'purged' UNION SELECT file_path FROM cabs "
                 "WHERE file_path IS NOT NULL AND state <> 'purged'",
                 [&](const Statement& s) { claims.named_paths.insert(s.ColumnText(0)); }));
  return claims;
}

util::Result<StoreTotals> ReadStoreTotals(Database& db) {
  auto stmt = db.Prepare(
      "SELECT (SELECT count(*) FROM executions WHERE remote_status = 'Completed' AND state IN "
      "('new', 'fetching', 'fetched')) + (SELECT count(*) FROM cabs WHERE state IN ('pending', "
      "'fetching')), (SELECT coalesce(sum(file_size), 0) FROM executions WHERE state IN "
      "('fetched', 'ingested')) + (SELECT coalesce(sum(file_size), 0) FROM cabs WHERE state = "
      "'fetched')");
  if (!stmt.ok()) return stmt.status();
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  StoreTotals totals;
  totals.pending_downloads = stmt->ColumnInt(0);
  totals.stored_bytes = stmt->ColumnInt(1);
  return totals;
}

Status ForEachFailure(Database& db, const ExportQuery& query,
                      const std::function<Status(const FailureRow&)>& on_row) {
  auto stmt = db.Prepare(
      "SELECT job_name, report_id, report_datetime, failure_hash, failure_name, driver_name, "
      "driver_version, cab_id_hash, event_count, failure_time, "
      "CASE WHEN ?3 THEN device_id END, CASE WHEN ?3 THEN hardware_id END FROM failures "
      "WHERE (?1 IS NULL OR job_name = ?1) AND (?2 IS NULL OR report_datetime >= ?2) "
      "ORDER BY report_datetime ASC, id ASC");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, query.job).Bind(2, query.since).Bind(3, query.with_device_ids ? 1 : 0);
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
    const Statement& s = *stmt;
    HDC_RETURN_IF_ERROR(
        on_row({s.ColumnText(0), s.ColumnText(1), s.ColumnText(2), s.ColumnOptionalText(3),
                s.ColumnOptionalText(4), s.ColumnOptionalText(5), s.ColumnOptionalText(6),
                s.ColumnOptionalText(7), s.ColumnOptionalInt(8), s.ColumnOptionalText(9),
                s.ColumnOptionalText(10), s.ColumnOptionalText(11)}));
  }
}

}  // namespace hdc::db
