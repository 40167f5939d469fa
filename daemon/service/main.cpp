// hdc-reportd: parses the command line, then hands control to DaemonApp.
#include <iostream>

#include <Poco/Util/OptionException.h>

#include "service/daemon_app.h"
#include "service/signals.h"

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
  // Application::run() (public) runs main(); service and daemon modes will
  // go through ServerApplication::run(argc, argv) once they exist.
  return static_cast<Poco::Util::Application&>(app).run();
}
