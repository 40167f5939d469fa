// hdc-reportd: parses the command line, then hands control to DaemonApp.
#include <iostream>

#include <Poco/Util/OptionException.h>

#include "platform/process_guard.h"
#include "service/daemon_app.h"
#include "service/signals.h"
#include "util/logging.h"

namespace {

// First of all, in every mode (foreground, --once, --check-config, the
// Windows service): the environment may hold the client secret from the
// start, and tokens, SAS links and device ids follow it (S14 in
// docs/reliability.md §Security checklist). A failure is logged once, at
// warn, and is not fatal.
void ForbidCoreDumps() {
  if (const hdc::util::Status status = hdc::platform::ForbidCoreDumps(); !status.ok()) {
    hdc::util::GetLogger("service")->warn("{}", status.message());
  }
}

}  // namespace

#ifdef _WIN32
#include <string>
#include <vector>

#include <Poco/UnicodeConverter.h>

#include "service/windows_service.h"

// Windows: wmain, so paths and arguments arrive as UTF-16 and reach Poco as
// UTF-8 (linked with -municode). ServerApplication::run(argc, argv) handles
// --registerService and the other service options itself, and connects to
// the Service Control Manager when the SCM started the process. It turns an
// option error into a logged exception and exit 70, so the arguments are
// checked first, to answer 64 with one line as on Linux.
int wmain(int argc, wchar_t** argv) {
  ForbidCoreDumps();
  hdc::service::DaemonApp app;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string arg;
    Poco::UnicodeConverter::toUTF8(argv[i], arg);
    args.push_back(arg);
  }
  if (const std::string error = app.CheckArguments(args); !error.empty()) {
    std::cerr << "hdc-reportd: " << error << " (see --help)\n";
    return 64;
  }
  const int rc = app.run(argc, argv);
  if (rc == 0 && app.RegisteredService()) {
    hdc::service::OnServiceRegistered("hdc-reportd", app.config().getString("application.path"));
  }
  if (rc == 0 && app.UnregisteredService()) hdc::service::OnServiceUnregistered();
  return rc;
}
#else
int main(int argc, char** argv) {
  ForbidCoreDumps();
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
