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
#include "reconcile/job_accounts.h"
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

// The configuration as one account sees it: that account signs in, and
// only its jobs are planned.
void OnlyAccount(config::Config& config, const std::string& account) {
  config.account = *config::FindAccount(config, account);
  std::erase_if(config.jobs, [&](const config::JobSpec& job) { return job.account != account; });
}

void PrintPlanJson(const std::vector<reconcile::Action>& actions, size_t jobs, int changes,
                   std::ostream& out) {
  nlohmann::json doc{{"jobs", jobs},
                     {"changes", changes},
                     {"in_sync", changes == 0},
                     {"actions", nlohmann::json::array()}};
  for (const auto& a : actions) {
    doc["actions"].push_back({{"action", reconcile::ActionName(a.kind)},
                              {"job", a.job},
                              {"template_id", a.template_id},
                              {"report_id", a.report_id},
                              {"detail", a.detail},
                              {"changes_remote", reconcile::ChangesRemote(a.kind)}});
  }
  out << doc.dump(2) << "\n";
}

void PrintPlanText(const std::vector<reconcile::Action>& actions, size_t jobs, int changes,
                   std::ostream& out) {
  out << "plan: " << jobs << (jobs == 1 ? " job, " : " jobs, ") << changes
      << (changes == 1 ? " remote change" : " remote changes") << "\n";
  for (const auto& a : actions) {
    out << (reconcile::ChangesRemote(a.kind) ? "  ~ " : "    ") << reconcile::Describe(a) << "\n";
  }
  if (actions.empty()) out << "  (in sync)\n";
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
    OnlyAccount(*config, *account);
  } else if (util::Status one = reconcile::RequireOneAccount(*config); !one.ok()) {
    return fail(one);
  }
  auto credential = reconcile::LoadClientCredential(config->account, config::ProcessEnvironment(),
                                                    platform::RemoveEnvironmentVariable);
  if (!credential.ok()) return fail(credential.status().WithContext(options.config_path + ": "));
  auto database = OpenRecords(config->service.state_dir);
  if (!database.ok()) return fail(database.status());
  util::SystemClock clock;
  std::stop_source stop;
  api::ConnectionOptions connection_options =
      reconcile::ConnectionOptionsFrom(*config, std::string("hdc-reportctl/") + HDC_VERSION);
  api::Connection connection(connection_options, std::move(*credential), clock, stop.get_token());
  const std::string url = reconcile::CallbackUrl(config->service.callback_url,
                                                 CallbackToken(config->service.state_dir));
  reconcile::Reconciler reconciler(connection.api(), **database, clock, {url, nullptr});
  auto actions = reconciler.PlanOnly(config->jobs);
  if (!actions.ok()) return fail(actions.status());
  int changes = 0;
  for (const auto& a : *actions) changes += reconcile::ChangesRemote(a.kind) ? 1 : 0;
  if (options.json) {
    PrintPlanJson(*actions, config->jobs.size(), changes, out);
  } else {
    PrintPlanText(*actions, config->jobs.size(), changes, out);
  }
  return changes == 0 ? 0 : 2;
}

}  // namespace hdc::ctl
