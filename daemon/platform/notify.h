// The service manager's readiness protocol (sd_notify), without libsystemd.
//
// systemd passes $NOTIFY_SOCKET to a Type=notify service: an AF_UNIX datagram
// socket, either a path ("/run/systemd/notify") or an abstract name ("@..."),
// to which the service sends one datagram of newline-separated KEY=VALUE
// assignments per state change (sd_notify(3)). Without the variable every call
// is a no-op that returns OK, so the same code runs in a terminal, under cron
// and on Windows (where the whole seam is a no-op; the SCM has its own
// protocol, see service/).
//
// The daemon sends READY=1 only once its config is valid, the lock is held,
// the database is migrated and the control listener is bound; WATCHDOG=1 from
// the scheduler loop (never a side thread) at WatchdogPingInterval().
//
// A ServiceNotifier is an immutable value; Send() may be called from any
// thread (each call opens, sends on and closes its own socket).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "util/result.h"

namespace hdc::platform {

class ServiceNotifier {
 public:
  // Reads $NOTIFY_SOCKET once; disabled when it is unset or empty.
  static ServiceNotifier FromEnvironment();

  // `notify_socket` is the raw value of $NOTIFY_SOCKET ("" disables).
  explicit ServiceNotifier(std::string notify_socket) : socket_(std::move(notify_socket)) {}

  // False when there is no service manager to talk to.
  bool enabled() const { return !socket_.empty(); }
  const std::string& socket() const { return socket_; }

  // Sends `state` as one datagram, byte for byte. OK and nothing sent when
  // disabled. Fails with kUnavailable naming the socket and the errno text
  // (bad address, nobody listening); callers log that and carry on, since a
  // missing notification is not a reason to stop serving.
  util::Status Send(std::string_view state) const;

  // "READY=1": initialisation done (also ends a reload).
  util::Status Ready() const { return Send("READY=1"); }
  // "STATUS=<line>": one line for `systemctl status`; line breaks in `line`
  // become spaces so one call cannot smuggle in another assignment.
  util::Status SetStatus(std::string_view line) const;
  // "RELOADING=1\nMONOTONIC_USEC=<now>": a reload began (CLOCK_MONOTONIC in
  // microseconds, as Type=notify-reload requires). Follow with Ready().
  util::Status Reloading() const;
  // "STOPPING=1": shutdown began.
  util::Status Stopping() const { return Send("STOPPING=1"); }
  // "WATCHDOG=1": the keep-alive ping.
  util::Status WatchdogPing() const { return Send("WATCHDOG=1"); }
  // "EXTEND_TIMEOUT_USEC=<n>": ask for more time to start or stop (e.g. while
  // checkpointing downloads).
  util::Status ExtendTimeout(std::chrono::microseconds extra) const;

 private:
  std::string socket_;
};

// How often to send WATCHDOG=1: half of $WATCHDOG_USEC, as sd_watchdog_enabled(3)
// advises. std::nullopt when the watchdog is off: WATCHDOG_USEC unset, or
// WATCHDOG_PID set to a process other than this one (the variables were
// inherited by a child). A malformed WATCHDOG_USEC or WATCHDOG_PID (not a
// positive decimal number) is kConfig, so the daemon can say why it will be
// killed rather than silently not pinging. Always std::nullopt on Windows.
util::Result<std::optional<std::chrono::microseconds>> WatchdogPingInterval();

}  // namespace hdc::platform
