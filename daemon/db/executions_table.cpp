#include "db/executions_table.h"

namespace hdc::db {

util::Result<bool> ExecutionsTable::Upsert(const std::string& job, const std::string& report_id,
                                           const std::string& report_datetime,
                                           const std::string& remote_status,
                                           const std::string& now) {
  auto insert = db_.Prepare(
      "INSERT INTO executions (report_id, report_datetime, job_name, remote_status, first_seen, "
      "last_polled) VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (report_id, report_datetime) "
      "DO NOTHING");
  if (!insert.ok()) return insert.status();
  insert->Bind(1, report_id)
      .Bind(2, report_datetime)
      .Bind(3, job)
      .Bind(4, remote_status)
      .Bind(5, now);
  auto inserted = insert->Run();
  if (!inserted.ok()) return inserted.status();
  if (*inserted == 1) return true;
  auto update = db_.Prepare(
      "UPDATE executions SET remote_status = ?3, last_polled = ?4 "
      "WHERE report_id = ?1 AND report_datetime = ?2");
  if (!update.ok()) return update.status();
  update->Bind(1, report_id).Bind(2, report_datetime).Bind(3, remote_status).Bind(4, now);
  auto updated = update->Run();
  if (!updated.ok()) return updated.status();
  return false;
}

util::Result<std::optional<std::string>> ExecutionsTable::WindowStart(
    const std::string& report_id) {
  auto stmt = db_.Prepare(
      "SELECT coalesce((SELECT min(report_datetime) FROM executions WHERE report_id = ?1 AND "
      "state NOT IN ('ingested', 'purged', 'failed')), "
      "(SELECT max(report_datetime) FROM executions WHERE report_id = ?1))");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, report_id);
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  return stmt->ColumnOptionalText(0);
}

util::Result<std::optional<std::string>> ExecutionsTable::RemoteStatus(
    const std::string& report_id, const std::string& report_datetime) {
  auto stmt = db_.Prepare(
      "SELECT remote_status FROM executions WHERE report_id = ? AND report_datetime = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, report_id).Bind(2, report_datetime);
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(stmt->ColumnText(0));
}

util::Result<std::vector<ExecutionRecord>> ExecutionsTable::ReadyToFetch() {
  auto stmt = db_.Prepare(
      "SELECT report_id, report_datetime, job_name, remote_status, state, attempts, last_error, "
      "coalesce(partial_etag, '') FROM executions WHERE remote_status = 'Completed' AND state IN "
      "('new', 'fetching', "
      "'fetched') ORDER BY report_datetime, report_id");
  if (!stmt.ok()) return stmt.status();
  std::vector<ExecutionRecord> out;
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back({stmt->ColumnText(0), stmt->ColumnText(1), stmt->ColumnText(2),
                   stmt->ColumnText(3), stmt->ColumnText(4), stmt->ColumnInt(5),
                   stmt->ColumnOptionalText(6), stmt->ColumnText(7)});
  }
  return out;
}

util::Status ExecutionsTable::SetState(const std::string& report_id,
                                       const std::string& report_datetime, const std::string& state,
                                       const std::optional<std::string>& error) {
  auto stmt = db_.Prepare(
      "UPDATE executions SET state = ?3, last_error = ?4, "
      "attempts = attempts + (CASE WHEN ?3 = 'fetching' THEN 1 ELSE 0 END) "
      "WHERE report_id = ?1 AND report_datetime = ?2");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, report_id).Bind(2, report_datetime).Bind(3, state).Bind(4, error);
  return stmt->Run().status();
}

util::Result<int> ExecutionsTable::ResetInterrupted() {
  auto stmt = db_.Prepare("UPDATE executions SET state = 'new' WHERE state = 'fetching'");
  if (!stmt.ok()) return stmt.status();
  return stmt->Run();
}

}  // namespace hdc::db
