#include "service/check_config.h"

#include <ostream>

#include "config/ini_loader.h"
#include "config/secret_source.h"
#include "platform/process_guard.h"
#include "reconcile/connection_options.h"
#include "reconcile/fingerprint.h"
#include "reconcile/template_builder.h"

namespace hdc::service {
namespace {

std::string Describe(const config::JobSpec& job) {
  std::string text = job.enabled ? "enabled" : "disabled (schedule paused)";
  if (job.cabs) {
    text += ", cabs: ";
    if (job.cab_types.empty()) {
      text += "all types";
    } else {
      for (size_t i = 0; i < job.cab_types.size(); ++i) {
        text += (i ? ", " : "") + job.cab_types[i];
      }
    }
  } else {
    text += ", no cabs";
  }
  return text;
}

}  // namespace

int RunCheckConfig(const std::string& config_path, std::ostream& out, std::ostream& err) {
  auto config = config::LoadConfig(config_path);
  if (!config.ok()) {
    err << "hdc-reportd: " << config.status().ToString() << "\n";
    return config.status().exit_code();
  }
  // Every account's credential, as the daemon reads them at start.
  auto credentials = reconcile::LoadAccountCredentials(*config, config::ProcessEnvironment(),
                                                       platform::RemoveEnvironmentVariable);
  if (!credentials.ok()) {
    err << "hdc-reportd: " << config_path << ": " << credentials.status().ToString() << "\n";
    return credentials.status().exit_code();
  }
  std::string described;
  for (const auto& [account, credential] : *credentials) {
    if (!described.empty()) described += "; ";
    described += config::AccountPrefix(*config, account);
    described += credential.description();
  }
  for (const config::JobSpec& job : config->jobs) {
    const nlohmann::json tmpl = reconcile::BuildTemplate(job);
    // The callback token is a secret of the state directory: shown as a
    // placeholder (so this schedule's fingerprint differs from the sent one).
    const nlohmann::json schedule = reconcile::BuildSchedule(
        job, reconcile::CallbackUrl(config->service.callback_url, "<callback-token>"));
    out << "[job " << job.name << "] " << job.where << ": " << Describe(job) << "\n"
        << "template " << reconcile::Canonical(tmpl) << "\n"
        << "schedule " << reconcile::Canonical(schedule) << "\n"
        << "fingerprints template=" << reconcile::Fingerprint(tmpl).substr(0, 16)
        << " schedule=" << reconcile::Fingerprint(schedule).substr(0, 16) << "\n\n";
  }
  err << "hdc-reportd: " << config_path << ": configuration OK, " << config->jobs.size()
      << (config->jobs.size() == 1 ? " job" : " jobs") << ", state in " << config->service.state_dir
      << ", " << described << "\n";
  return 0;
}

}  // namespace hdc::service
