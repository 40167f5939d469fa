#include "db/jobs_table.h"

namespace hdc::db {

util::Result<std::vector<JobRecord>> JobsTable::LoadAll() {
  auto stmt = db_.Prepare(
      "SELECT j.name, j.template_fingerprint, j.schedule_fingerprint, j.enabled, "
      "t.template_id, s.report_id FROM jobs j "
      "LEFT JOIN remote_templates t ON t.job_name = j.name "
      "LEFT JOIN remote_schedules s ON s.job_name = j.name ORDER BY j.name");
  if (!stmt.ok()) return stmt.status();
  std::vector<JobRecord> out;
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back({stmt->ColumnText(0), stmt->ColumnText(1), stmt->ColumnText(2),
                   stmt->ColumnInt(3) != 0, stmt->ColumnOptionalText(4),
                   stmt->ColumnOptionalText(5)});
  }
  return out;
}

util::Result<std::vector<JobsTable::JobAccount>> JobsTable::Accounts() {
  auto stmt = db_.Prepare("SELECT name, account FROM jobs ORDER BY name");
  if (!stmt.ok()) return stmt.status();
  std::vector<JobAccount> out;
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back({stmt->ColumnText(0), stmt->ColumnText(1)});
  }
  return out;
}

util::Status JobsTable::SaveJob(const std::string& name, const std::string& template_fp,
                                const std::string& schedule_fp, bool enabled,
                                const std::string& now, const std::string& account) {
  auto stmt = db_.Prepare(
      "INSERT INTO jobs (name, template_fingerprint, schedule_fingerprint, enabled, first_seen, "
      "last_seen, account) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6) ON CONFLICT (name) DO UPDATE SET "
      "template_fingerprint = ?2, schedule_fingerprint = ?3, enabled = ?4, last_seen = ?5");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, name)
      .Bind(2, template_fp)
      .Bind(3, schedule_fp)
      .Bind(4, enabled ? 1 : 0)
      .Bind(5, now)
      .Bind(6, account);
  return stmt->Run().status();
}

util::Status JobsTable::SetTemplate(const std::string& job, const std::string& template_id,
                                    const std::string& fingerprint, bool adopted,
                                    const std::string& now) {
  HDC_RETURN_IF_ERROR(db_.Exec("SAVEPOINT set_template"));
  auto remove = db_.Prepare("DELETE FROM remote_templates WHERE job_name = ?1 OR template_id = ?2");
  if (!remove.ok()) return remove.status();
  remove->Bind(1, job).Bind(2, template_id);
  HDC_RETURN_IF_ERROR(remove->Run().status());
  auto insert = db_.Prepare(
      "INSERT INTO remote_templates (template_id, job_name, fingerprint, adopted, created_at, "
      "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)");
  if (!insert.ok()) return insert.status();
  insert->Bind(1, template_id)
      .Bind(2, job)
      .Bind(3, fingerprint)
      .Bind(4, adopted ? 1 : 0)
      .Bind(5, now);
  HDC_RETURN_IF_ERROR(insert->Run().status());
  return db_.Exec("RELEASE set_template");
}

util::Status JobsTable::SetSchedule(const std::string& job, const ScheduleRecord& schedule,
                                    const std::string& now) {
  HDC_RETURN_IF_ERROR(db_.Exec("SAVEPOINT set_schedule"));
  auto remove = db_.Prepare("DELETE FROM remote_schedules WHERE job_name = ?1 OR report_id = ?2");
  if (!remove.ok()) return remove.status();
  remove->Bind(1, job).Bind(2, schedule.report_id);
  HDC_RETURN_IF_ERROR(remove->Run().status());
  auto insert = db_.Prepare(
      "INSERT INTO remote_schedules (report_id, job_name, template_id, fingerprint, is_active, "
      "adopted, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)");
  if (!insert.ok()) return insert.status();
  insert->Bind(1, schedule.report_id).Bind(2, job).Bind(3, schedule.template_id);
  insert->Bind(4, schedule.fingerprint).Bind(5, schedule.is_active ? 1 : 0);
  insert->Bind(6, schedule.adopted ? 1 : 0).Bind(7, now);
  HDC_RETURN_IF_ERROR(insert->Run().status());
  return db_.Exec("RELEASE set_schedule");
}

util::Status JobsTable::ForgetTemplate(const std::string& job) {
  auto stmt = db_.Prepare("DELETE FROM remote_templates WHERE job_name = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, job);
  return stmt->Run().status();
}

util::Status JobsTable::ForgetSchedule(const std::string& job) {
  auto stmt = db_.Prepare("DELETE FROM remote_schedules WHERE job_name = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, job);
  return stmt->Run().status();
}

util::Result<std::int64_t> JobsTable::AddIntent(const std::string& job, const std::string& action,
                                                const std::string& fingerprint,
                                                const std::string& body, const std::string& now) {
  auto stmt = db_.Prepare(
      "INSERT INTO intents (job_name, action, fingerprint, body, state, created_at) "
      "VALUES (?1, ?2, ?3, ?4, 'pending', ?5)");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, job).Bind(2, action).Bind(3, fingerprint).Bind(4, body).Bind(5, now);
  HDC_RETURN_IF_ERROR(stmt->Run().status());
  return db_.LastInsertRowId();
}

util::Status JobsTable::FinishIntent(std::int64_t id, const std::string& state,
                                     const std::optional<std::string>& remote_id,
                                     const std::string& now) {
  auto stmt = db_.Prepare(
      "UPDATE intents SET state = ?2, remote_id = coalesce(?3, remote_id), finished_at = ?4 "
      "WHERE id = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, id).Bind(2, state).Bind(3, remote_id).Bind(4, now);
  return stmt->Run().status();
}

util::Result<std::vector<Intent>> JobsTable::PendingIntents() {
  auto stmt = db_.Prepare(
      "SELECT id, job_name, action, fingerprint, body, state, remote_id, created_at FROM intents "
      "WHERE state = 'pending' ORDER BY id");
  if (!stmt.ok()) return stmt.status();
  std::vector<Intent> out;
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back({stmt->ColumnInt(0), stmt->ColumnText(1), stmt->ColumnText(2),
                   stmt->ColumnText(3), stmt->ColumnText(4), stmt->ColumnText(5),
                   stmt->ColumnOptionalText(6), stmt->ColumnText(7)});
  }
  return out;
}

}  // namespace hdc::db
