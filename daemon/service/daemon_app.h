// hdc-reportd's application class: command-line options, mode selection and
// exit codes. Built on Poco's ServerApplication so the same binary runs in the
// foreground under systemd, as a Unix daemon and as a Windows service.
//
// Modes: the long-running daemon (no mode option: service/run_daemon.h),
// --once, --check-config, --help, --version.
#pragma once

#include <string>
#include <vector>

#include <Poco/Util/ServerApplication.h>

namespace hdc::service {

class DaemonApp final : public Poco::Util::ServerApplication {
 public:
  DaemonApp();
  // Windows: blocks until the SCM (or Ctrl+C) asks the service to stop
  // (service/signals_windows.cpp); ServerApplication keeps it protected.
  void WaitForStopRequest() { waitForTerminationRequest(); }
  // The option error in these arguments (without the program name), or ""
  // when Poco's option processing will accept them.
  std::string CheckArguments(const std::vector<std::string>& args);
  // True once --registerService was given (Windows).
  bool RegisteredService() const { return register_service_; }
  // True once --unregisterService was given (Windows).
  bool UnregisteredService() const { return unregister_service_; }

 protected:
  void defineOptions(Poco::Util::OptionSet& options) override;
  void handleOption(const std::string& name, const std::string& value) override;
  int main(const std::vector<std::string>& args) override;

 private:
  void HandleOption(const std::string& name, const std::string& value);
  void PrintHelp() const;
  void PrintVersion() const;
  // The first misuse of the command line, "" when there is none.
  std::string UsageProblem(const std::vector<std::string>& args) const;

  std::string config_path_;
  bool check_config_ = false;
  bool once_ = false;
  bool help_ = false;
  bool version_ = false;
  double time_scale_ = 0;
  std::string time_start_;
  bool test_hooks_ = false;
  bool allow_root_ = false;  // --allow-root
  std::string option_error_;
  bool register_service_ = false;
  bool unregister_service_ = false;
};

// The default config path of the platform.
std::string DefaultConfigPath();

}  // namespace hdc::service
