// The long-running daemon (hdc-reportd without --once): start-up in the order
// of docs/operations.md §Readiness (config, lock, database, listener, then
// READY=1), the scheduler on its own thread, and this thread waiting for signals:
// SIGHUP reloads (the whole new configuration is validated first; a bad one
// is refused with one line and the old one keeps running), SIGTERM/SIGINT
// stop (downloads stop at a resumable checkpoint, exit 0).
// Returns the process exit code: 0 after a stop, 78 for a bad configuration
// at start (a client secret that cannot be read included), 75 when another
// instance holds the state directory.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>

#include "platform/service_host.h"

namespace hdc::service {

struct DaemonOptions {
  std::string config_path;
  // Test and demo support against hdc-emulator only (refused unless api_url
  // and login_url are loopback URLs): the daemon's clock runs `time_scale`
  // times faster than real time from `time_start` ("" = now).
  double time_scale = 0;
  std::string time_start;
  // SIGUSR2 freezes the scheduler loop (a deadlock stand-in for the
  // watchdog test). Loopback only, like the above.
  bool test_hooks = false;
  // Told of the start (once serving), of each reload and of a refused reload,
  // one line each: the Windows service writes these to the Application
  // event log, where operators look (the caller reports the stop and a
  // failed start, which it sees in the exit code). Empty: nobody is told.
  std::function<void(platform::EventLevel, std::string_view)> on_lifecycle;
};

int RunDaemon(const DaemonOptions& options, std::ostream& err);

}  // namespace hdc::service
