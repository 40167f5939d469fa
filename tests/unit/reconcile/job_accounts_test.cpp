#include "reconcile/job_accounts.h"

#include <string>

#include <doctest/doctest.h>

#include "db/jobs_table.h"
#include "support/temp_dir.h"

namespace hdc::reconcile {
namespace job_accounts_test {

std::unique_ptr<db::Database> OpenDb(const hdc::testing::TempDir& dir) {
  auto db = db::Database::Open({dir / "state.db"});
  REQUIRE_MESSAGE(db.ok(), db.status().message());
  return std::move(db).value();
}

config::JobSpec JobIn(const std::string& name, const std::string& account,
                      const std::string& account_where = "") {
  config::JobSpec job;
  job.name = name;
  job.where = "jobs.d/" + name + ".ini:1";
  job.account = account;
  // As the parser sets it: the key's line, else the section's.
  job.account_where =
      account_where.empty() ? job.where + ": [job " + name + "] account" : account_where;
  return job;
}

TEST_CASE("a job configured under the account the state database records passes") {
  hdc::testing::TempDir dir;
  auto db = OpenDb(dir);
  db::JobsTable table(*db);
  REQUIRE(table.SaveJob("kernel", "t", "s", true, "now", "a").ok());
  REQUIRE(table.SaveJob("gone", "t", "s", true, "now", "b").ok());
  config::Config config;
  config.jobs = {JobIn("kernel", "a"), JobIn("new", "b")};
  CHECK(CheckJobAccounts(config, *db).ok());
}

TEST_CASE("a job moved to another account is refused in one line naming both accounts") {
  hdc::testing::TempDir dir;
  auto db = OpenDb(dir);
  REQUIRE(db::JobsTable(*db).SaveJob("kernel", "t", "s", true, "now", "a").ok());
  config::Config config;
  config.jobs = {JobIn("kernel", "b", "jobs.d/kernel.ini:4: [job kernel] account")};
  const util::Status status = CheckJobAccounts(config, *db);
  REQUIRE_FALSE(status.ok());
  CHECK(status.kind() == util::ErrorKind::kConfig);
  CHECK(status.message() ==
        "jobs.d/kernel.ini:4: [job kernel] account: job \"kernel\" belongs to account \"a\" in "
        "the state database but the configuration names account \"b\"; a job cannot move "
        "between accounts (its template and schedule live in the other account's tenant): give "
        "it a new name (its stored data stays under the old one), or set account = a again");
  CHECK(status.message().find('\n') == std::string::npos);
}

TEST_CASE("a job recorded before accounts existed belongs to the account default") {
  hdc::testing::TempDir dir;
  auto db = OpenDb(dir);
  REQUIRE(db::JobsTable(*db).SaveJob("kernel", "t", "s", true, "now").ok());
  config::Config config;
  config.jobs = {JobIn("kernel", "default")};
  CHECK(CheckJobAccounts(config, *db).ok());
  config.jobs = {JobIn("kernel", "a")};
  const util::Status status = CheckJobAccounts(config, *db);
  REQUIRE_FALSE(status.ok());
  CHECK(
      status.message().starts_with("jobs.d/kernel.ini:1: [job kernel] account: job \"kernel\" "
                                   "belongs to account \"default\""));
}

TEST_CASE("saving a job again never changes the account it was recorded under") {
  hdc::testing::TempDir dir;
  auto db = OpenDb(dir);
  db::JobsTable table(*db);
  REQUIRE(table.SaveJob("kernel", "t", "s", true, "now", "a").ok());
  REQUIRE(table.SaveJob("kernel", "t2", "s2", true, "later", "b").ok());
  auto accounts = table.Accounts();
  REQUIRE(accounts.ok());
  REQUIRE(accounts->size() == 1);
  CHECK((*accounts)[0].account == "a");
}

}  // namespace job_accounts_test
}  // namespace hdc::reconcile
