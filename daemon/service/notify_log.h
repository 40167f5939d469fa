// The daemon's side of the service manager's notifications (systemd's
// sd_notify protocol, platform/notify.h): a failed notification is logged,
// at warn, the first time each kind fails (READY, RELOADING, STOPPING,
// WATCHDOG, STATUS), not at every watchdog ping; the daemon carries on, as
// a missing notification is no reason to stop serving. Thread-safe (the
// watchdog pings from the scheduler's thread).
#pragma once

#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "platform/notify.h"
#include "util/result.h"

namespace hdc::service {

class NotifyLog {
 public:
  explicit NotifyLog(const platform::ServiceNotifier& notifier) : notifier_(notifier) {}

  void Ready() { Note("READY", notifier_.Ready()); }
  void Reloading() { Note("RELOADING", notifier_.Reloading()); }
  void Stopping() { Note("STOPPING", notifier_.Stopping()); }
  void WatchdogPing() { Note("WATCHDOG", notifier_.WatchdogPing()); }
  void SetStatus(std::string_view line) { Note("STATUS", notifier_.SetStatus(line)); }

 private:
  void Note(const char* kind, const util::Status& status);

  const platform::ServiceNotifier& notifier_;
  std::mutex mu_;
  std::set<std::string> failed_;  // kinds already logged
};

}  // namespace hdc::service
