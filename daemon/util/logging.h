// Logging set-up over spdlog.
//
// One sink for the whole process, writing to stderr (journald-friendly text
// with "<N>" priority prefixes and no timestamp when $JOURNAL_STREAM is set;
// otherwise text with a UTC timestamp, or JSON lines) and, when configured,
// to a log file rotated by size (text with a UTC timestamp, or JSON lines).
// Every line goes through Redact() once, before it is written to either. Each
// module asks for its own named logger with GetLogger("http"), which shares
// the sink and level.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "util/result.h"

namespace hdc::util {

enum class LogFormat { kText, kJson };

// The log file, written beside stderr. Rotation by size: when a line would
// take the file past max_size, "dir/name.log" becomes "dir/name.1.log", ".1"
// becomes ".2" and so on, the one beyond max_files is deleted, and a new
// "dir/name.log" is started; at most max_files rotated files are kept.
struct LogFileOptions {
  std::string path;                                  // empty: no log file
  std::uint64_t max_size = std::uint64_t{10} << 20;  // bytes per file, at least 1
  std::size_t max_files = 5;                         // rotated files kept, 1 to 200000
  // Prefix of errors, naming the setting: "hdc.ini:9: [service] log_file".
  std::string where;
  // Called before every open of `path` (set-up, each rotation, each reopen)
  // to create it when missing, so the composition root decides its
  // permissions (owner-only, through platform::FileSystem). Null: the C
  // library creates it and the umask decides. An error fails the open.
  std::function<Status(const std::string& path)> create;
};

struct LogOptions {
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  LogFormat format = LogFormat::kText;
  bool journald = false;  // priority prefixes, no timestamp (stderr only)
  LogFileOptions file;
};

// Validates a level name.
Result<spdlog::level::level_enum> ParseLogLevel(std::string_view name);

// Journald mode is on when $JOURNAL_STREAM is set.
LogOptions DefaultLogOptions();

// Installs the redacting sink; loggers created before keep working and pick
// up the new sink and level. Call once from a composition root (again after a
// reload). The optional stream is where lines go (stderr when null); tests
// pass a string stream to inspect output.
//
// With options.file.path set, the log file is opened (appended to) first; if
// that fails nothing changes and a kConfig error says
// "<where>: cannot open the log file: <why>". A file whose path, max_size and
// max_files are unchanged stays open as it is.
Status SetupLogging(const LogOptions& options, std::ostream* out = nullptr);

// Closes the log file and opens it again by its name, creating it when it
// was renamed away (logrotate, then SIGHUP). OK and nothing done without a
// log file. On an error the file open before stays in use.
Status ReopenLogFile();

// The path of the log file in use; empty without one.
std::string LogFilePath();

// The named logger of a module ("config", "http", ...), created on first use.
std::shared_ptr<spdlog::logger> GetLogger(std::string_view module);

}  // namespace hdc::util
