// What the daemon knows locally about each job's remote objects, and the
// intents it records before changing remote state. Plain data in, plain data
// out; every write is one statement or runs inside the caller's transaction.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "db/database.h"
#include "util/result.h"

namespace hdc::db {

struct JobRecord {
  std::string name;
  std::string template_fingerprint;
  std::string schedule_fingerprint;
  bool enabled = true;
  std::optional<std::string> template_id;  // from remote_templates
  std::optional<std::string> report_id;    // from remote_schedules
};

struct Intent {
  std::int64_t id = 0;
  std::string job_name;
  std::string action;  // create-template, create-schedule, edit-template, ...
  std::string fingerprint;
  std::string body;
  std::string state;  // pending, done, abandoned
  std::optional<std::string> remote_id;
  std::string created_at;
};

class JobsTable {
 public:
  explicit JobsTable(Database& db) : db_(db) {}

  util::Result<std::vector<JobRecord>> LoadAll();

  // Each recorded job's name and the account it belongs to, by name.
  struct JobAccount {
    std::string name;
    std::string account;
  };
  util::Result<std::vector<JobAccount>> Accounts();

  // Upserts the job row (first_seen kept). The account is recorded when the
  // row is created and never changed (a job cannot move between accounts:
  // reconcile/job_accounts.h refuses it before any work).
  util::Status SaveJob(const std::string& name, const std::string& template_fp,
                       const std::string& schedule_fp, bool enabled, const std::string& now,
                       const std::string& account = "default");

  // Records (replacing any earlier record of the job) the remote template.
  util::Status SetTemplate(const std::string& job, const std::string& template_id,
                           const std::string& fingerprint, bool adopted, const std::string& now);
  // What is recorded of a job's remote schedule.
  struct ScheduleRecord {
    std::string report_id;
    std::string template_id;
    std::string fingerprint;  // of the INI schedule it matches; "" = unknown
    bool is_active = true;    // false: paused
    bool adopted = false;     // found remotely, not created by this daemon
  };
  util::Status SetSchedule(const std::string& job, const ScheduleRecord& schedule,
                           const std::string& now);

  // Drops the record of a remote object that is no longer listed.
  util::Status ForgetTemplate(const std::string& job);
  util::Status ForgetSchedule(const std::string& job);

  // Returns the new intent's id; commit it before making the remote call.
  util::Result<std::int64_t> AddIntent(const std::string& job, const std::string& action,
                                       const std::string& fingerprint, const std::string& body,
                                       const std::string& now);
  util::Status FinishIntent(std::int64_t id, const std::string& state,
                            const std::optional<std::string>& remote_id, const std::string& now);
  util::Result<std::vector<Intent>> PendingIntents();

 private:
  Database& db_;
};

}  // namespace hdc::db
