// Windows only (see windows_service.h); empty elsewhere. No Poco: compiled by
// tests/arch/windows_compile_check.sh with MinGW-w64.
#include "service/windows_service.h"

#ifdef _WIN32

#include <iostream>
#include <string>

#include "platform/service_host.h"
#include "util/result.h"

namespace hdc::service {

void OnServiceRegistered(const std::string& service_name) {
  const util::Status status = platform::SetServiceRecoveryActions(service_name);
  if (status.ok()) {
    std::cout << "hdc-reportd: service " << service_name
              << " registered; on failure it restarts after 1 minute, again after 5 minutes, "
                 "then stays stopped (the count resets after 1 day)\n";
    return;
  }
  const std::string message =
      "service " + service_name +
      " registered, but its recovery actions are not set: " + status.ToString() +
      " (set them with sc.exe failure)";
  std::cerr << "hdc-reportd: warning: " << message << "\n";
  platform::ReportToEventLog(platform::EventLevel::kWarning, message);
}

std::string WindowsDefaultConfigPath() { return platform::ProgramDataDir() + "\\hdc-reportd.ini"; }

}  // namespace hdc::service

#endif  // _WIN32
