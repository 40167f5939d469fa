#include "service/progress_line.h"

#include "platform/thread_name.h"
#include "util/clock.h"

namespace hdc::service {

ProgressLine::ProgressLine(std::ostream& out, std::function<std::string()> render, bool enabled)
    : out_(out), render_(std::move(render)) {
  if (!enabled) return;
  thread_ = std::jthread([this](std::stop_token stop) {
    platform::NameThisThread("hdc-progress");
    util::SystemClock clock;  // a display refresh, not program logic
    while (clock.WaitFor(std::chrono::milliseconds(250), stop)) {
      out_ << "\r" << render_() << "\033[K" << std::flush;
    }
  });
}

ProgressLine::~ProgressLine() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
  out_ << "\r\033[K" << std::flush;
}

}  // namespace hdc::service
