#include <fstream>
#include <ostream>

#include <nlohmann/json.hpp>

#include "api/connection.h"
#include "config/ini_loader.h"
#include "config/secret_source.h"
#include "ctl/commands.h"
#include "ctl/options.h"
#include "ctl/version.h"
#include "db/database.h"
#include "platform/process_guard.h"
#include "reconcile/connection_options.h"
#include "reconcile/reconciler.h"
#include "reconcile/template_builder.h"
#include "util/state_files.h"

namespace hdc::ctl {

namespace {

// The local records, read without a lock (WAL readers never block the
// daemon); a state directory that does not exist yet means "no records".
util::Result<std::unique_ptr<db::Database>> OpenRecords(const std::string& state_dir) {
  const std::string db_path = util::state_files::PathOf(state_dir, util::state_files::kDatabase);
  return db::Database::Open({std::ifstream(db_path).good() ? db_path : ":memory:"});
}

// The daemon's callback token (service/callback_token.h writes it on its
// first start); empty without it, and the plan shows the URL as it would be
// sent.
std::string CallbackToken(const std::string& state_dir) {
  std::string token;
  std::ifstream(util::state_files::PathOf(state_dir, util::state_files::kCallbackToken)) >> token;
  return token;
}

// One account's planned actions, each with its account.
struct AccountPlan {
  std::string account;
  size_t jobs = 0;
  std::vector<reconcile::Action> actions;
};

// Signs in to the account of `view` (config::AccountView) and plans its jobs.
util::Result<AccountPlan> PlanAccount(const config::Config& view, db::Database& db,
                                      const std::string& config_path) {
  const config::EnvLookup env =
      reconcile::CredentialEnvironment(view, config::ProcessEnvironment());
  auto credential =
      reconcile::LoadClientCredential(view.account, env, platform::RemoveEnvironmentVariable);
  if (!credential.ok()) {
    return credential.status().WithContext(
        config_path + ": " +
        (config::SeveralAccounts(view) ? "[account " + view.account.name + "] " : ""));
  }
  util::SystemClock clock;
  std::stop_source stop;
  api::ConnectionOptions connection_options =
      reconcile::ConnectionOptionsFrom(view, std::string("hdc-reportctl/") + HDC_VERSION);
  api::Connection connection(connection_options, std::move(*credential), clock, stop.get_token());
  const std::string url =
      reconcile::CallbackUrl(view.service.callback_url, CallbackToken(view.service.state_dir));
  reconcile::Reconciler reconciler(
      connection.api(), db, clock,
      {url, config::SeveralAccounts(view) ? view.account.name : "", nullptr});
  HDC_ASSIGN_OR_RETURN(auto actions, reconciler.PlanOnly(view.jobs));
  return AccountPlan{view.account.name, view.jobs.size(), std::move(actions)};
}

int Changes(const AccountPlan& plan) {
  int changes = 0;
  for (const auto& a : plan.actions) changes += reconcile::ChangesRemote(a.kind) ? 1 : 0;
  return changes;
}

// With several accounts, each action names its account.
void PrintPlanJson(const std::vector<AccountPlan>& plans, bool several, std::ostream& out) {
  size_t jobs = 0;
  int changes = 0;
  nlohmann::json actions = nlohmann::json::array();
  for (const AccountPlan& plan : plans) {
    jobs += plan.jobs;
    changes += Changes(plan);
    for (const auto& a : plan.actions) {
      nlohmann::json action{{"action", reconcile::ActionName(a.kind)},
                            {"job", a.job},
                            {"template_id", a.template_id},
                            {"report_id", a.report_id},
                            {"detail", a.detail},
                            {"changes_remote", reconcile::ChangesRemote(a.kind)}};
      if (several) action["account"] = plan.account;
      actions.push_back(std::move(action));
    }
  }
  nlohmann::json doc{
      {"jobs", jobs}, {"changes", changes}, {"in_sync", changes == 0}, {"actions", actions}};
  out << doc.dump(2) << "\n";
}

// With several accounts, one block per account, each headed by its name.
void PrintPlanText(const std::vector<AccountPlan>& plans, bool several, std::ostream& out) {
  for (const AccountPlan& plan : plans) {
    const int changes = Changes(plan);
    out << "plan" << (several ? " (account " + plan.account + ")" : "") << ": " << plan.jobs
        << (plan.jobs == 1 ? " job, " : " jobs, ") << changes
        << (changes == 1 ? " remote change" : " remote changes") << "\n";
    for (const auto& a : plan.actions) {
      out << (reconcile::ChangesRemote(a.kind) ? "  ~ " : "    ") << reconcile::Describe(a) << "\n";
    }
    if (plan.actions.empty()) out << "  (in sync)\n";
  }
}

}  // namespace

int CmdPlan(const CommonOptions& options, std::ostream& out, std::ostream& err,
            const std::optional<std::string>& account) {
  auto fail = [&](const util::Status& status) { return Fail(err, status); };
  auto config = config::LoadConfig(options.config_path);
  if (!config.ok()) return fail(config.status());
  if (account) {
    if (util::Status known = CheckAccount("plan", *config, *account); !known.ok()) {
      return fail(known);
    }
  }
  auto database = OpenRecords(config->service.state_dir);
  if (!database.ok()) return fail(database.status());
  // Every account in turn (or the one --account names), each signing in to
  // its own tenant.
  std::vector<AccountPlan> plans;
  for (const config::AccountConfig& a : config->accounts) {
    if (account && a.name != *account) continue;
    auto plan = PlanAccount(config::AccountView(*config, a.name), **database, options.config_path);
    if (!plan.ok()) return fail(plan.status());
    plans.push_back(std::move(*plan));
  }
  const bool several = config::SeveralAccounts(*config) && !account;
  int changes = 0;
  for (const AccountPlan& plan : plans) changes += Changes(plan);
  if (options.json) {
    PrintPlanJson(plans, several, out);
  } else {
    PrintPlanText(plans, several, out);
  }
  return changes == 0 ? 0 : 2;
}

}  // namespace hdc::ctl
