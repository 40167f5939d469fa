// hdc-reportd's application class: command-line options, mode selection and
// exit codes. Built on Poco's ServerApplication so the same binary runs in the
// foreground under systemd, as a Unix daemon and as a Windows service.
//
// Modes so far: --once, --check-config, --help, --version. The long-running
// daemon arrives with the scheduler; until then asking for it is a usage
// error that says so, rather than a placeholder that pretends to work.
#pragma once

#include <string>
#include <vector>

#include <Poco/Util/ServerApplication.h>

namespace hdc::service {

class DaemonApp final : public Poco::Util::ServerApplication {
 public:
  DaemonApp();

 protected:
  void defineOptions(Poco::Util::OptionSet& options) override;
  int main(const std::vector<std::string>& args) override;

 private:
  void HandleOption(const std::string& name, const std::string& value);
  void PrintHelp() const;

  std::string config_path_;
  bool check_config_ = false;
  bool once_ = false;
  bool help_ = false;
  bool version_ = false;
};

// The default config path of the platform.
std::string DefaultConfigPath();

}  // namespace hdc::service
