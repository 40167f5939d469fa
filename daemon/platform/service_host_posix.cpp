// POSIX: systemd restarts the service (Restart= in the unit) and the journal
// keeps stderr, so only the root check does anything.
#include <string>
#include <string_view>

#include <unistd.h>

#include "platform/service_host.h"

namespace hdc::platform {

util::Status SetServiceRecoveryActions(const std::string& /*service_name*/) {
  return util::Status::Ok();
}

util::Status RegisterEventLogSource(const std::string& /*executable*/) {
  return util::Status::Ok();
}

util::Status UnregisterEventLogSource() { return util::Status::Ok(); }

util::Status SetServiceVirtualAccount(const std::string& /*service_name*/) {
  return util::Status::Ok();
}

void ReportToEventLog(EventLevel /*level*/, std::string_view /*message*/) noexcept {}

std::string ProgramDataDir() { return std::string(); }

bool IsRunningAsRoot() { return ::geteuid() == 0; }

}  // namespace hdc::platform
