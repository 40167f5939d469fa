// Windows: no POSIX signals. The Service Control Manager's stop request and
// Ctrl+C arrive through Poco's ServerApplication::waitForTerminationRequest(),
// which DaemonApp calls on Windows; this file keeps the interface whole.
// Built by the Windows tree (make windows) and run under Wine by its suite.
#include <Poco/Util/ServerApplication.h>

#include "service/daemon_app.h"
#include "service/signals.h"

namespace hdc::service {

void BlockDaemonSignals() {}

DaemonSignal WaitForSignal() {
  // The running application is the DaemonApp (service/main.cpp).
  static_cast<DaemonApp&>(Poco::Util::Application::instance()).WaitForStopRequest();
  return DaemonSignal::kStop;
}

void RaiseStop() { Poco::Util::ServerApplication::terminate(); }

}  // namespace hdc::service
