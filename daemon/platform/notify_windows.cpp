// Windows has no sd_notify: the Service Control Manager is told about state
// changes through Poco's ServerApplication (service/). Every call is a no-op.
#include <string>

#include "platform/notify.h"

namespace hdc::platform {

ServiceNotifier ServiceNotifier::FromEnvironment() { return ServiceNotifier(std::string()); }

util::Status ServiceNotifier::Send(std::string_view /*state*/) const { return util::Status::Ok(); }

util::Status ServiceNotifier::SetStatus(std::string_view /*line*/) const {
  return util::Status::Ok();
}

util::Status ServiceNotifier::Reloading() const { return util::Status::Ok(); }

util::Status ServiceNotifier::ExtendTimeout(std::chrono::microseconds /*extra*/) const {
  return util::Status::Ok();
}

util::Result<std::optional<std::chrono::microseconds>> WatchdogPingInterval() {
  return std::optional<std::chrono::microseconds>();
}

}  // namespace hdc::platform
