// Windows: no POSIX signals. The Service Control Manager's stop request and
// Ctrl+C arrive through Poco's ServerApplication::waitForTerminationRequest(),
// which DaemonApp calls on Windows; this file keeps the interface whole.
// Not built on Linux (no Poco for MinGW here); reviewed, not compiled.
#include "service/signals.h"

#include <Poco/Util/ServerApplication.h>

namespace hdc::service {
namespace {

class Waiter : public Poco::Util::ServerApplication {
 public:
  using ServerApplication::waitForTerminationRequest;
};

}  // namespace

void BlockDaemonSignals() {}

DaemonSignal WaitForSignal() {
  static_cast<Waiter&>(Poco::Util::Application::instance()).waitForTerminationRequest();
  return DaemonSignal::kStop;
}

void RaiseStop() { Poco::Util::ServerApplication::terminate(); }

}  // namespace hdc::service
