// Read-only views of the state database for hdc-reportctl's listings:
// status, executions, cabs and verify (the queries over failures, top
// among them, are in db/queries.h). Plain structs out, nothing written.
// Values from the command line are bound as parameters, so no user text
// ever becomes SQL. Personal data (device and
// hardware ids, row contents) is read only by ForEachFailure (export), and
// device and hardware ids only when its caller asks for them.
//
// Functions that run more than one query read inside one transaction, so
// they see one snapshot even while hdc-reportd writes (WAL readers never
// block it). Errors are those of Database (kTemporary for I/O and locks);
// an unknown state is kUsage naming the accepted values.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "db/database.h"
#include "util/result.h"

namespace hdc::db {

// The states of the schema's CHECK constraints, in life-cycle order.
const std::vector<std::string_view>& ExecutionStates();
const std::vector<std::string_view>& CabStates();

// Row counts per state, in life-cycle order; states without rows are absent.
using StateCounts = std::vector<std::pair<std::string, std::int64_t>>;

// What the database holds for one job (or for all of them).
struct DataSummary {
  StateCounts executions;
  // Newest report_datetime whose rows were ingested (also when purged since).
  std::optional<std::string> last_ingested;
  std::int64_t rows = 0;  // rows in failures now
  StateCounts cabs;
  std::int64_t report_bytes = 0;  // report files stored (fetched, ingested)
  std::int64_t cab_bytes = 0;     // cab files stored (fetched)
};

struct JobStatus {
  std::string name;
  std::optional<bool> enabled;  // nullopt: no jobs row (a job only its data remembers)
  std::optional<std::string> template_id;
  std::optional<std::string> report_id;  // the remote schedule
  std::optional<bool> is_active;
  DataSummary data;
};

struct SweepRecord {
  std::int64_t id = 0;
  std::string started_at;
  std::optional<std::string> finished_at;
  std::string cutoff;
  std::int64_t cabs_deleted = 0;
  std::int64_t cab_bytes = 0;
  std::int64_t reports_deleted = 0;
  std::int64_t report_bytes = 0;
  std::int64_t rows_deleted = 0;
  std::int64_t partials_deleted = 0;
};

struct StatusReport {
  std::vector<JobStatus> jobs;  // every job named by any table, by name
  DataSummary totals;
  std::optional<SweepRecord> last_sweep;  // the newest
};

util::Result<StatusReport> ReadStatus(Database& db);

// Keeps only the named jobs of `report`, totals recomputed over them (the
// last sweep stays: a sweep is not per job). hdc-reportctl status --account.
void KeepJobs(StatusReport& report, const std::set<std::string>& names);

// Totals for the daemon's gauges, in one cheap query each.
struct StoreTotals {
  std::int64_t pending_downloads = 0;  // Completed reports not yet ingested + cabs pending/fetching
  std::int64_t stored_bytes = 0;       // report and cab files held
};
util::Result<StoreTotals> ReadStoreTotals(Database& db);

struct ExecutionFilter {
  std::optional<std::string> job;
  std::optional<std::string> state;  // one of ExecutionStates(), else kUsage
  std::int64_t limit = 50;           // 0: no limit
  // Only the jobs the jobs table records under this account.
  std::optional<std::string> account;
};

struct ExecutionRow {
  std::string job;
  std::string report_id;
  std::string report_datetime;
  std::string remote_status;
  std::string state;
  std::int64_t attempts = 0;
  std::optional<std::int64_t> rows;  // row_count
  std::optional<std::int64_t> size;  // file_size
  std::optional<std::string> last_error;
};

// OK, or kUsage for a state not in ExecutionStates() (what ListExecutions
// checks first; lets a caller refuse bad input before opening anything).
util::Status CheckFilter(const ExecutionFilter& filter);

// Newest report_datetime first (then report_id).
util::Result<std::vector<ExecutionRow>> ListExecutions(Database& db, const ExecutionFilter& filter);

struct CabFilter {
  std::optional<std::string> job;
  std::optional<std::string> state;  // one of CabStates(), else kUsage
  std::int64_t limit = 50;           // 0: no limit
  // Only the jobs the jobs table records under this account.
  std::optional<std::string> account;
};

struct CabRow {
  std::string cab_id_hash;
  std::string job;
  std::string state;
  std::int64_t attempts = 0;
  std::optional<std::int64_t> size;
  std::optional<std::string> container;
  std::optional<std::string> expires_at;
  std::optional<std::string> last_error;
};

// OK, or kUsage for a state not in CabStates().
util::Status CheckFilter(const CabFilter& filter);

// Newest first_seen first (then cab_id_hash).
util::Result<std::vector<CabRow>> ListCabs(Database& db, const CabFilter& filter);

// A row that says its file is in the store: an execution fetched or
// ingested, a cab fetched.
struct StoredFile {
  std::string kind;  // "report" or "cab"
  std::string id;    // report_id, or cab_id_hash
  std::string run;   // report_datetime; "" for a cab
  std::string job;
  std::string state;
  std::optional<std::string> path;  // relative to the store; nullopt: none recorded
  std::optional<std::int64_t> size;
  std::optional<std::string> sha256;
};

struct StoreClaims {
  std::vector<StoredFile> files;  // reports (by report_id, run), then cabs (by hash)
  // Every file_path any row not purged names, whatever its state: a file
  // under one of these names is accounted for, anything else is an orphan.
  std::set<std::string> named_paths;
};

util::Result<StoreClaims> ReadStoreClaims(Database& db);

// The failure rows hdc-reportctl export writes.
struct ExportQuery {
  std::optional<std::string> job;
  std::optional<std::string> since;  // report_datetime >= since
  bool with_device_ids = false;      // else device_id and hardware_id are not read
};

// One row of failures: its typed columns (not the whole-row JSON).
struct FailureRow {
  std::string job_name;
  std::string report_id;
  std::string report_datetime;
  std::optional<std::string> failure_hash;
  std::optional<std::string> failure_name;
  std::optional<std::string> driver_name;
  std::optional<std::string> driver_version;
  std::optional<std::string> cab_id_hash;
  std::optional<std::int64_t> event_count;
  std::optional<std::string> failure_time;
  std::optional<std::string> device_id;    // nullopt unless with_device_ids
  std::optional<std::string> hardware_id;  // nullopt unless with_device_ids
};

// Calls on_row for each matching row, oldest report_datetime first (then
// id), one row at a time: nothing is collected, so the table's size does
// not matter. Stops at, and returns, the first error on_row returns. One
// statement, so one snapshot even while hdc-reportd writes.
util::Status ForEachFailure(Database& db, const ExportQuery& query,
                            const std::function<util::Status(const FailureRow&)>& on_row);

}  // namespace hdc::db
