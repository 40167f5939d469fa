// Logging set-up over spdlog.
//
// One sink for the whole process, writing to stderr (journald-friendly text
// with "<N>" priority prefixes and no timestamp when $JOURNAL_STREAM is set;
// otherwise text with a UTC timestamp, or JSON lines). Every line goes
// through Redact() before it is written. Each module asks for its own named
// logger with GetLogger("http"), which shares the sink and level.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "util/result.h"

namespace hdc::util {

enum class LogFormat { kText, kJson };

struct LogOptions {
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  LogFormat format = LogFormat::kText;
  bool journald = false;        // priority prefixes, no timestamp
};

// Validates a level name.
Result<spdlog::level::level_enum> ParseLogLevel(std::string_view name);

// Journald mode is on when $JOURNAL_STREAM is set.
LogOptions DefaultLogOptions();

// Installs the redacting sink; loggers created before keep working and pick
// up the new sink and level. Call once from a composition root (again after a
// reload). The optional stream is where lines go (stderr when null); tests
// pass a string stream to inspect output.
void SetupLogging(const LogOptions& options, std::ostream* out = nullptr);

// The named logger of a module ("config", "http", ...), created on first use.
std::shared_ptr<spdlog::logger> GetLogger(std::string_view module);

}  // namespace hdc::util
