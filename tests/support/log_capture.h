// Sends log lines to a string for one test, then back to stderr.
#pragma once

#include <sstream>
#include <string>

#include "util/logging.h"

namespace hdc::testing {

class LogCapture {
 public:
  LogCapture() {
    util::LogOptions options;
    options.level = "debug";
    util::SetupLogging(options, &out_);
  }
  ~LogCapture() { util::SetupLogging(util::LogOptions{}); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

}  // namespace hdc::testing
