// The daemon's process signals (POSIX), in one place.
//
// BlockDaemonSignals() runs first in main(), before any thread starts, so
// every thread inherits the mask and no signal can land on a worker (Poco's
// waitForTerminationRequest blocks them in the calling thread only:
// pocoproject/poco#2978). WaitForSignal() then takes them one at a time with
// sigwait in the thread that calls it (the daemon's main thread):
//   SIGTERM, SIGINT, SIGQUIT -> kStop; SIGHUP -> kReload;
//   SIGUSR2 -> kFreezeForTest (only acted on under --test-hooks).
// On Windows the Service Control Manager stops the service through Poco's
// ServerApplication instead; these functions exist there so the daemon loop
// compiles unchanged: WaitForSignal() waits for Ctrl+C / SCM stop.
#pragma once

namespace hdc::service {

enum class DaemonSignal { kStop, kReload, kFreezeForTest };

void BlockDaemonSignals();
DaemonSignal WaitForSignal();
// Wakes a thread blocked in WaitForSignal() with kStop (for a stop that
// starts inside the process, e.g. a fatal error).
void RaiseStop();

}  // namespace hdc::service
