// Windows only (see windows_service.h); empty elsewhere. No Poco.
#include "service/windows_service.h"

#ifdef _WIN32

#include <iostream>
#include <string>

#include "platform/service_host.h"
#include "util/result.h"

namespace hdc::service {

namespace {

void Warn(const std::string& message) {
  std::cerr << "hdc-reportd: warning: " << message << "\n";
  platform::ReportToEventLog(platform::EventLevel::kWarning, message);
}

}  // namespace

void OnServiceRegistered(const std::string& service_name, const std::string& executable) {
  if (const util::Status source = platform::RegisterEventLogSource(executable); !source.ok()) {
    Warn("service " + service_name +
         " registered, but Event Viewer will not show the text of "
         "its events: " +
         source.ToString());
  }
  if (const util::Status account = platform::SetServiceVirtualAccount(service_name);
      !account.ok()) {
    Warn("service " + service_name +
         " registered, but it runs as LocalSystem: " + account.ToString() + " (sc.exe config " +
         service_name + " obj= \"NT SERVICE\\" + service_name + "\")");
  } else {
    std::cout << "hdc-reportd: service " << service_name << " runs as NT SERVICE\\" << service_name
              << "\n";
  }
  const util::Status status = platform::SetServiceRecoveryActions(service_name);
  if (status.ok()) {
    std::cout << "hdc-reportd: service " << service_name
              << " registered; on failure it restarts after 1 minute, again after 5 minutes, "
                 "then stays stopped (the count resets after 1 day)\n";
    return;
  }
  Warn("service " + service_name + " registered, but its recovery actions are not set: " +
       status.ToString() + " (set them with sc.exe failure)");
}

void OnServiceUnregistered() {
  if (const util::Status status = platform::UnregisterEventLogSource(); !status.ok()) {
    Warn("the event log source stays registered: " + status.ToString());
  }
}

std::string WindowsDefaultConfigPath() { return platform::ProgramDataDir() + "\\hdc-reportd.ini"; }

}  // namespace hdc::service

#endif  // _WIN32
