// hdc-reportd: parses the command line, then hands control to DaemonApp.
#include <iostream>

#include <Poco/Util/OptionException.h>

#include "service/daemon_app.h"
#include "service/signals.h"

#ifdef _WIN32
#include <string_view>

#include "service/windows_service.h"

// Windows: ServerApplication::run(argc, argv) handles /registerService and
// the other service options, and connects to the SCM when started by it.
// Not compiled here (no Poco for Windows on this CI).
int main(int argc, char** argv) {
  hdc::service::DaemonApp app;
  const int rc = app.run(argc, argv);
  for (int i = 1; i < argc; ++i) {
    if (rc == 0 && std::string_view(argv[i]) == "/registerService") {
      hdc::service::OnServiceRegistered("hdc-reportd");
    }
  }
  return rc;
}
#else
int main(int argc, char** argv) {
  // Before any thread exists, so every thread inherits the mask and the
  // daemon's signals reach only its sigwait (service/signals.h).
  hdc::service::BlockDaemonSignals();
  hdc::service::DaemonApp app;
  try {
    app.init(argc, argv);
  } catch (const Poco::Util::OptionException& e) {
    std::cerr << "hdc-reportd: " << e.displayText() << " (see --help)\n";
    return 64;
  }
  // Application::run() runs main() in the foreground, as systemd wants
  // (ServerApplication::run(argc, argv) would offer Poco's forking --daemon).
  return static_cast<Poco::Util::Application&>(app).run();
}
#endif
