#include "service/notify_log.h"

#include "util/logging.h"

namespace hdc::service {

void NotifyLog::Note(const char* kind, const util::Status& status) {
  if (status.ok()) return;
  {
    std::lock_guard lock(mu_);
    if (!failed_.insert(kind).second) return;
  }
  util::GetLogger("service")->warn(
      "service manager notification {} failed (logged once; the daemon carries on): {}", kind,
      status.ToString());
}

}  // namespace hdc::service
