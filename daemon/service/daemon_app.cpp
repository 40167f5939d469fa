#include "service/daemon_app.h"

#include <csignal>
#include <iostream>

#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionCallback.h>
#include <Poco/Util/OptionSet.h>

#include "service/check_config.h"
#include "service/run_once.h"
#include "service/version.h"

namespace hdc::service {

using Poco::Util::Option;
using Poco::Util::OptionCallback;

std::string DefaultConfigPath() {
#ifdef _WIN32
  return "C:\\ProgramData\\hdc-reportd\\hdc-reportd.ini";
#else
  return "/etc/hdc-reportd/hdc-reportd.ini";
#endif
}

DaemonApp::DaemonApp() : config_path_(DefaultConfigPath()) {
#ifndef _WIN32
  // Poco's Application installs handlers that turn SIGSEGV, SIGBUS, SIGILL
  // and SIGSYS into an abort; keep crashes crashing with their own signal
  // (and a core dump), as sanitizers and operators expect.
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGSYS}) std::signal(sig, SIG_DFL);
#endif
}

void DaemonApp::defineOptions(Poco::Util::OptionSet& options) {
  // Application's, not ServerApplication's: --daemon, --pidfile and the
  // Windows service options are offered once the daemon loop exists.
  Application::defineOptions(options);
  auto add = [&](const char* full, const char* shorthand, const char* help, const char* arg) {
    Option option(full, shorthand, help);
    option.required(false).repeatable(false);
    if (arg != nullptr) option.argument(arg);
    option.callback(OptionCallback<DaemonApp>(this, &DaemonApp::HandleOption));
    options.addOption(option);
  };
  add("config", "c", "configuration file (default " "/etc/hdc-reportd/hdc-reportd.ini)", "FILE");
  add("check-config", "", "validate the configuration, print each job's template and schedule "
      "JSON as it will be sent, and exit (0, or 78 on an error)", nullptr);
  add("once", "", "do all work that is due now (today: make the remote templates and "
      "schedules match the jobs) and exit with a design.md exit code", nullptr);
  add("help", "h", "print this help and exit", nullptr);
  add("version", "V", "print the version and exit", nullptr);
}

void DaemonApp::HandleOption(const std::string& name, const std::string& value) {
  if (name == "config") config_path_ = value;
  if (name == "check-config") check_config_ = true;
  if (name == "once") once_ = true;
  if (name == "help") {
    help_ = true;
    stopOptionsProcessing();
  }
  if (name == "version") version_ = true;
}

void DaemonApp::PrintHelp() const {
  Poco::Util::HelpFormatter help(options());
  help.setCommand("hdc-reportd");
  help.setUsage("[--config FILE] --once | --check-config | --help | --version");
  help.setHeader(
      "Collects driver-failure reports and crash cabs from Microsoft Hardware Dev Center "
      "into a local store, as the INI jobs in its configuration describe.");
  help.setFooter(
      "Exit codes: 0 done, 64 usage, 65 bad data from the server, 69 service unavailable, "
      "75 temporary failure, 77 authentication refused, 78 configuration error. "
      "See hdc-reportd(8) and hdc-reportd.ini(5).");
  help.format(std::cout);
  std::cout << "\n";
}

int DaemonApp::main(const std::vector<std::string>& args) {
  if (help_) {
    PrintHelp();
    return EXIT_OK;
  }
  if (version_) {
    std::cout << "hdc-reportd " << HDC_VERSION;
    if (std::string(HDC_GIT_REVISION).size() > 0) std::cout << " (git " << HDC_GIT_REVISION << ")";
    std::cout << "\n";
    return EXIT_OK;
  }
  if (!args.empty()) {
    std::cerr << "hdc-reportd: unexpected argument '" << args.front() << "' (see --help)\n";
    return EXIT_USAGE;
  }
  if (check_config_ && once_) {
    std::cerr << "hdc-reportd: --once and --check-config exclude each other (see --help)\n";
    return EXIT_USAGE;
  }
  if (check_config_) return RunCheckConfig(config_path_, std::cout, std::cerr);
  if (once_) return RunOnce(config_path_, std::cerr);
  std::cerr << "hdc-reportd: the long-running daemon is not built yet; use --once or "
               "--check-config (see --help)\n";
  return EXIT_USAGE;
}

}  // namespace hdc::service
