#include "reconcile/job_accounts.h"

#include "db/jobs_table.h"

namespace hdc::reconcile {

util::Status CheckJobAccounts(const config::Config& config, db::Database& db) {
  auto recorded = db::JobsTable(db).Accounts();
  if (!recorded.ok()) return recorded.status();
  for (const db::JobsTable::JobAccount& row : *recorded) {
    const config::JobSpec* job = config::FindJob(config, row.name);
    if (job == nullptr || job->account == row.account) continue;
    return util::ConfigError(
        job->account_where + ": job \"" + job->name + "\" belongs to account \"" + row.account +
        "\" in the state database but the configuration names account \"" + job->account +
        "\"; a job cannot move between accounts (its template and schedule live in the other "
        "account's tenant): give it a new name (its stored data stays under the old one), or "
        "set account = " +
        row.account + " again");
  }
  return util::Status::Ok();
}

}  // namespace hdc::reconcile
