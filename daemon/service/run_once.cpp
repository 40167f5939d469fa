#include "service/run_once.h"

#include <ostream>

#include "config/secret_source.h"
#include "db/database.h"
#include "reconcile/reconciler.h"
#include "service/wiring.h"
#include "util/logging.h"

namespace hdc::service {

int RunOnce(const std::string& config_path, std::ostream& err) {
  auto fail = [&](const util::Status& status) {
    err << "hdc-reportd: " << status.ToString() << "\n";
    return status.exit_code();
  };
  auto config = config::LoadConfig(config_path);
  if (!config.ok()) return fail(config.status());
  SetupLoggingFrom(config->service);
  auto secret = config::LoadClientSecret(config->account, config::ProcessEnvironment());
  if (!secret.ok()) return fail(secret.status().WithContext(config_path + ": "));
  auto lock = PrepareStateDir(config->service.state_dir);
  if (!lock.ok()) return fail(lock.status());
  auto db = db::Database::Open({config->service.state_dir + "/state.db"});
  if (!db.ok()) return fail(db.status());

  util::SystemClock clock;
  std::stop_source stop;
  api::Connection connection(ConnectionOptionsFrom(*config), secret->Reveal(), clock,
                             stop.get_token());
  reconcile::Reconciler reconciler(connection.api(), **db, clock,
                                   {config->service.callback_url, nullptr});
  auto summary = reconciler.Run(config->jobs);
  if (!summary.ok()) return fail(summary.status());
  util::GetLogger("service")->info("reconciled {} job(s): {} action(s) applied, {} problem(s)",
                                   config->jobs.size(), summary->applied.size(),
                                   summary->problems.size());
  if (const util::Status worst = summary->Worst(); !worst.ok()) return fail(worst);
  return 0;
}

}  // namespace hdc::service
