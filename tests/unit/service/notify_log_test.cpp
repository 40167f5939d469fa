#include "service/notify_log.h"

#include <sstream>
#include <string>

#include <doctest/doctest.h>

#include "support/log_capture.h"
#include "support/skip.h"
#include "support/temp_dir.h"
#include "util/logging.h"

namespace hdc::service {
namespace {

using hdc::testing::LogCapture;

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST_CASE("a failing notification is logged once per kind, not at every watchdog ping") {
  HDC_SKIP_ON_WINDOWS("the sd_notify protocol is a no-op on Windows, where nothing can fail");
  hdc::testing::TempDir dir;
  const platform::ServiceNotifier nobody_listening(dir / "notify.sock");
  LogCapture log;
  NotifyLog notifier(nobody_listening);
  for (int i = 0; i < 5; ++i) notifier.WatchdogPing();
  notifier.Ready();
  notifier.Ready();
  notifier.SetStatus("idle");
  notifier.Stopping();
  const std::string text = log.text();
  CHECK(Count(text, "notification WATCHDOG failed") == 1);
  CHECK(Count(text, "notification READY failed") == 1);
  CHECK(Count(text, "notification STATUS failed") == 1);
  CHECK(Count(text, "notification STOPPING failed") == 1);
  CHECK(Count(text, dir / "notify.sock") == 4);  // each names the socket
}

TEST_CASE("no service manager: nothing to notify, nothing logged (the control)") {
  const platform::ServiceNotifier disabled("");
  LogCapture log;
  NotifyLog notifier(disabled);
  notifier.WatchdogPing();
  notifier.Ready();
  CHECK(log.text().find("notification") == std::string::npos);
}

}  // namespace
}  // namespace hdc::service
