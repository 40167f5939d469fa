#include "service/daemon_app.h"

#include <csignal>
#include <cstdlib>
#include <iostream>

#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionCallback.h>
#include <Poco/Util/OptionException.h>
#include <Poco/Util/OptionProcessor.h>
#include <Poco/Util/OptionSet.h>

#include "platform/service_host.h"
#include "service/check_config.h"
#ifdef _WIN32
#include <sstream>

#include "service/windows_service.h"
#endif
#include "service/run_daemon.h"
#include "service/run_once.h"
#include "service/version.h"

namespace hdc::service {

using Poco::Util::Option;
using Poco::Util::OptionCallback;

namespace {

// The daemon and --once refuse the machine's highest privileges: a state
// directory first written by root is what later breaks the unprivileged
// service, and a compromised process would own the host
// (docs/operations.md §Privileges).
std::string PrivilegeRefusal() {
#ifdef _WIN32
  return "refusing to run as LocalSystem: run as the service's account NT SERVICE\\hdc-reportd "
         "(hdc-reportd.exe --registerService sets it), or pass --allow-root to run as "
         "LocalSystem anyway";
#else
  return "refusing to run as root: run as the hdc-reportd user (systemctl start hdc-reportd, "
         "or runuser -u hdc-reportd -- hdc-reportd ...), or pass --allow-root to run as root "
         "anyway";
#endif
}

}  // namespace

std::string DefaultConfigPath() {
#ifdef _WIN32
  return WindowsDefaultConfigPath();  // the SCM starts the service without arguments
#else
  return "/etc/hdc-reportd/hdc-reportd.ini";
#endif
}

DaemonApp::DaemonApp() : config_path_(DefaultConfigPath()) {
  // One option style on every system: --name, --name=value, -n (Poco
  // defaults to /name on Windows).
  setUnixOptions(true);
#ifndef _WIN32
  // Poco's Application installs handlers that turn SIGSEGV, SIGBUS, SIGILL
  // and SIGSYS into an abort; keep crashes crashing with their own signal
  // (and a core dump), as sanitizers and operators expect.
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGSYS}) std::signal(sig, SIG_DFL);
#endif
}

void DaemonApp::defineOptions(Poco::Util::OptionSet& options) {
#ifdef _WIN32
  // /registerService, /unregisterService, /displayName=, /description=,
  // /startup= (docs/operations.md §Windows service).
  ServerApplication::defineOptions(options);
#else
  // Application's, not ServerApplication's: Poco's --daemon forks, which
  // breaks Type=notify (docs/operations.md §Readiness).
  Application::defineOptions(options);
#endif
  auto add = [&](const char* full, const char* shorthand, const std::string& help,
                 const char* arg) {
    Option option(full, shorthand, help);
    option.required(false).repeatable(false);
    if (arg != nullptr) option.argument(arg);
    option.callback(OptionCallback<DaemonApp>(this, &DaemonApp::HandleOption));
    options.addOption(option);
  };
  add("config", "c", "configuration file (default " + DefaultConfigPath() + ")", "FILE");
  add("check-config", "",
      "validate the configuration, print each job's template and schedule "
      "JSON as it will be sent, and exit (0, or 78 on an error)",
      nullptr);
  add("once", "",
      "do all work that is due now (reconcile, poll, download, sweep) and exit "
      "with one of the exit codes below; without --once the daemon runs until stopped",
      nullptr);
  add("time-scale", "",
      "tests and demos against hdc-emulator only: run the daemon's clock "
      "FACTOR times faster than real time (refused unless api_url and login_url are loopback)",
      "FACTOR");
  add("time-start", "", "with --time-scale: start the clock at this UTC time", "TIME");
  add("test-hooks", "",
      "tests against hdc-emulator only: SIGUSR2 freezes the scheduler loop "
      "(to test the watchdog)",
      nullptr);
  add("allow-root", "",
      "run the daemon or --once as root (LocalSystem on Windows) anyway; "
      "refused by default with exit 78",
      nullptr);
  add("help", "h", "print this help and exit", nullptr);
  add("version", "V", "print the version and exit", nullptr);
}

std::string DaemonApp::CheckArguments(const std::vector<std::string>& args) {
  Poco::Util::OptionSet options;
  defineOptions(options);
  Poco::Util::OptionProcessor processor(options);
  processor.setUnixStyle(true);
  try {
    for (const std::string& arg : args) {
      std::string name;
      std::string value;
      processor.process(arg, name, value);
      if (name == "help") return "";  // --help stops option processing
    }
    processor.checkRequired();
  } catch (const Poco::Util::OptionException& e) {
    return e.displayText();
  }
  return "";
}

void DaemonApp::handleOption(const std::string& name, const std::string& value) {
  if (name == "registerService") register_service_ = true;
  if (name == "unregisterService") unregister_service_ = true;
  ServerApplication::handleOption(name, value);
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
  if (name == "time-start") time_start_ = value;
  if (name == "test-hooks") test_hooks_ = true;
  if (name == "allow-root") allow_root_ = true;
  if (name == "time-scale") {
    char* end = nullptr;
    time_scale_ = std::strtod(value.c_str(), &end);
    if (end == value.c_str() || *end != '\0' || !(time_scale_ >= 1 && time_scale_ <= 1e6)) {
      option_error_ = "--time-scale wants a number from 1 to 1000000, not '" + value + "'";
    }
  }
}

void DaemonApp::PrintHelp() const {
  Poco::Util::HelpFormatter help(options());
  help.setCommand("hdc-reportd");
  help.setUnixStyle(true);  // --name on Windows too
  help.setUsage("[--config FILE] [--once | --check-config | --help | --version]");
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

void DaemonApp::PrintVersion() const {
  std::cout << "hdc-reportd " << HDC_VERSION;
  if (!std::string_view(HDC_GIT_REVISION).empty()) std::cout << " (git " << HDC_GIT_REVISION << ")";
  std::cout << "\nLicense: " << HDC_LICENSE << "\n";
}

std::string DaemonApp::UsageProblem(const std::vector<std::string>& args) const {
  if (!args.empty()) return "unexpected argument '" + args.front() + "'";
  if (!option_error_.empty()) return option_error_;
  if ((time_scale_ > 0 || test_hooks_ || !time_start_.empty()) && (once_ || check_config_)) {
    return "--time-scale, --time-start and --test-hooks apply to the daemon only";
  }
  if (!time_start_.empty() && time_scale_ == 0) return "--time-start needs --time-scale";
  if (check_config_ && once_) return "--once and --check-config exclude each other";
  return "";
}

int DaemonApp::main(const std::vector<std::string>& args) {
  if (help_) {
    PrintHelp();
    return EXIT_OK;
  }
  if (version_) {
    PrintVersion();
    return EXIT_OK;
  }
  if (const std::string problem = UsageProblem(args); !problem.empty()) {
    std::cerr << "hdc-reportd: " << problem << " (see --help)\n";
    return EXIT_USAGE;
  }
  if (check_config_) return RunCheckConfig(config_path_, std::cout, std::cerr);
#ifdef _WIN32
  // Under the SCM stderr goes nowhere: start, stop and a fatal start-up
  // error also go to the Application event log.
  const bool service = config().getBool("application.runAsService", false);
#endif
  if (!allow_root_ && platform::IsRunningAsRoot()) {
    std::cerr << "hdc-reportd: " << PrivilegeRefusal() << "\n";
#ifdef _WIN32
    if (service) platform::ReportToEventLog(platform::EventLevel::kError, PrivilegeRefusal());
#endif
    return EXIT_CONFIG;
  }
  if (once_) return RunOnce(config_path_, std::cerr);
#ifdef _WIN32
  std::ostringstream captured;
  DaemonOptions options{config_path_, time_scale_, time_start_, test_hooks_, {}};
  if (service) options.on_lifecycle = platform::ReportToEventLog;
  const int rc = RunDaemon(options, captured);
  std::cerr << captured.str();
  if (service) {
    platform::ReportToEventLog(rc == 0 ? platform::EventLevel::kInfo : platform::EventLevel::kError,
                               rc == 0 ? std::string("hdc-reportd stopped") : captured.str());
  }
  return rc;
#else
  return RunDaemon({config_path_, time_scale_, time_start_, test_hooks_, {}}, std::cerr);
#endif
}

}  // namespace hdc::service
