#include "util/logging.h"

#include <array>
#include <cctype>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <utility>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>

#include "util/redact.h"
#include "util/strings.h"
#include "util/time_format.h"

namespace hdc::util {
namespace {

constexpr std::array<std::string_view, 7> kLevelNames{"trace", "debug",    "info", "warn",
                                                      "error", "critical", "off"};

// sd-daemon(3) priority prefixes.
int JournalPriority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::critical:
      return 2;
    case spdlog::level::err:
      return 3;
    case spdlog::level::warn:
      return 4;
    case spdlog::level::info:
      return 6;
    default:
      return 7;
  }
}

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[(c >> 4) & 0xf];
          out += kHex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

using FileSink = spdlog::sinks::rotating_file_sink_st;  // RedactingSink's mutex guards it

// One line, '\n' excluded, of an already redacted message. The log file never
// uses the journald form: nothing there reads priority prefixes.
std::string FormatLine(const spdlog::details::log_msg& msg, std::string_view text, LogFormat format,
                       bool journald) {
  const std::string_view name(msg.logger_name.data(), msg.logger_name.size());
  const std::string_view level = kLevelNames[static_cast<size_t>(msg.level)];
  const auto time = std::chrono::time_point_cast<Duration>(msg.time);
  std::string line;
  if (format == LogFormat::kJson) {
    line = "{\"ts\":\"" + FormatTimestamp(time, true) + "\",\"level\":\"" + std::string(level) +
           "\",\"logger\":";
    AppendJsonString(line, name);
    line += ",\"msg\":";
    AppendJsonString(line, text);  // JSON escapes every control: the file is safe as it is
    line += "}";
  } else if (journald) {
    // Appended piece by piece: GCC 12 at -O3 warns (-Wrestrict, a false
    // positive, GCC bug 105329) on "<" + std::to_string(...).
    line = "<";
    line += std::to_string(JournalPriority(msg.level));
    line += ">";
    line.append(name.data(), name.size());
    line += ": ";
    line += Printable(text, kLineChars);
  } else {
    line = FormatTimestamp(time, true) + " " + std::string(level) + " " + std::string(name) + ": " +
           Printable(text, kLineChars);
  }
  return line;
}

bool SameFile(const LogFileOptions& a, const LogFileOptions& b) {
  return a.path == b.path && a.max_size == b.max_size && a.max_files == b.max_files;
}

// Opens (appends to) the log file; errors are one line naming the setting.
Result<std::shared_ptr<FileSink>> OpenLogFile(const LogFileOptions& options) {
  spdlog::file_event_handlers handlers;
  if (options.create) {
    auto create = options.create;
    handlers.before_open = [create](const spdlog::filename_t& path) {
      const Status created = create(path);
      if (!created.ok()) throw spdlog::spdlog_ex(created.message());
    };
  }
  const std::string where = options.where.empty() ? std::string("log file") : options.where;
  // spdlog would create missing folders; a missing one is a typo to report.
  const std::filesystem::path folder = std::filesystem::path(options.path).parent_path();
  std::error_code ec;
  if (!folder.empty() && !std::filesystem::is_directory(folder, ec)) {
    return ConfigError(where + ": cannot open the log file: " + options.path +
                       ": its folder does not exist");
  }
  try {
    auto sink = std::make_shared<FileSink>(options.path, static_cast<size_t>(options.max_size),
                                           options.max_files, false, handlers);
    // Lines arrive formatted and redacted: the file sink adds only '\n'.
    sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(
        "%v", spdlog::pattern_time_type::utc, std::string("\n")));
    return sink;
  } catch (const std::exception& e) {
    return ConfigError(where + ": cannot open the log file: " + OneLine(e.what()));
  }
}

// The one sink of the process. Its options change under the sink's own mutex,
// so loggers never see a half-configured sink.
class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // `file` is the newly opened log file, or null to keep the current one
  // (same file) or to have none (no path).
  void Configure(const LogOptions& options, std::ostream* out, std::shared_ptr<FileSink> file) {
    std::lock_guard lock(mutex_);
    const bool keep = file == nullptr && !options.file.path.empty() &&
                      SameFile(options.file, options_.file) && file_ != nullptr;
    options_ = options;
    out_ = out ? out : &std::cerr;
    if (!keep) file_ = std::move(file);
  }

  bool HasFile(const LogFileOptions& file) {
    std::lock_guard lock(mutex_);
    return file_ != nullptr && SameFile(file, options_.file);
  }

  Status Reopen() {
    std::lock_guard lock(mutex_);
    if (options_.file.path.empty()) return Status::Ok();
    auto opened = OpenLogFile(options_.file);
    if (!opened.ok()) return opened.status();
    file_ = std::move(*opened);  // the old file is closed here
    return Status::Ok();
  }

  std::string FilePath() {
    std::lock_guard lock(mutex_);
    return file_ ? options_.file.path : std::string();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    // Redacted once, for stderr and the file alike.
    const std::string text = Redact(std::string_view(msg.payload.data(), msg.payload.size()));
    std::string line = FormatLine(msg, text, options_.format, options_.journald);
    line += '\n';
    out_->write(line.data(), static_cast<std::streamsize>(line.size()));
    out_->flush();
    if (!options_.file.path.empty()) {
      const std::string file_line = options_.journald || options_.format == LogFormat::kJson
                                        ? FormatLine(msg, text, options_.format, false)
                                        : line.substr(0, line.size() - 1);
      WriteToFile(msg, file_line);
    }
  }
  void flush_() override {
    out_->flush();
    if (file_) {
      try {
        file_->flush();
      } catch (const std::exception&) {
        // Reported by the next write.
      }
    }
  }

 private:
  // A failed write or rotation (disk full, folder removed, a rename refused)
  // must neither stop the daemon nor lose stderr: the file is opened again
  // once; if that fails too it is dropped until the next reopen (SIGHUP) or
  // set-up, and one error line says so on stderr.
  void WriteToFile(const spdlog::details::log_msg& msg, const std::string& file_line) {
    if (file_ == nullptr) return;
    spdlog::details::log_msg copy = msg;
    copy.payload = spdlog::string_view_t(file_line.data(), file_line.size());
    try {
      file_->log(copy);
      file_->flush();
      return;
    } catch (const std::exception& e) {
      ReportFileError(msg, e.what());
    }
    auto reopened = OpenLogFile(options_.file);
    if (!reopened.ok()) {
      file_.reset();
      ReportFileError(msg, reopened.status().message() + "; no log file until the next reload");
      return;
    }
    file_ = std::move(*reopened);
    try {
      file_->log(copy);
      file_->flush();
    } catch (const std::exception& e) {
      file_.reset();
      ReportFileError(msg, std::string(e.what()) + "; no log file until the next reload");
    }
  }

  void ReportFileError(const spdlog::details::log_msg& msg, std::string_view what) {
    const std::string text = Redact("log file " + options_.file.path + ": " + std::string(what));
    spdlog::details::log_msg note(msg.time, spdlog::source_loc{}, "log", spdlog::level::err,
                                  spdlog::string_view_t(text.data(), text.size()));
    std::string line = FormatLine(note, text, options_.format, options_.journald);
    line += '\n';
    out_->write(line.data(), static_cast<std::streamsize>(line.size()));
    out_->flush();
  }

  LogOptions options_;
  std::ostream* out_ = &std::cerr;
  std::shared_ptr<FileSink> file_;
};

struct State {
  std::mutex mu;
  std::shared_ptr<RedactingSink> sink = std::make_shared<RedactingSink>();
  spdlog::level::level_enum level = spdlog::level::info;
};

State& GetState() {
  static State* state = new State();  // never destroyed: loggers outlive statics
  return *state;
}

}  // namespace

Result<spdlog::level::level_enum> ParseLogLevel(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "warning") lower = "warn";
  for (size_t i = 0; i < kLevelNames.size(); ++i) {
    if (kLevelNames[i] == lower) return static_cast<spdlog::level::level_enum>(i);
  }
  return ConfigError("unknown log level '" + std::string(name) +
                     "'; use trace, debug, info, warn, error, critical or off");
}

LogOptions DefaultLogOptions() {
  LogOptions options;
  options.journald = std::getenv("JOURNAL_STREAM") != nullptr;
  return options;
}

Status SetupLogging(const LogOptions& options, std::ostream* out) {
  State& state = GetState();
  std::lock_guard lock(state.mu);
  std::shared_ptr<FileSink> file;
  if (!options.file.path.empty() && !state.sink->HasFile(options.file)) {
    auto opened = OpenLogFile(options.file);
    if (!opened.ok()) return opened.status();
    file = std::move(*opened);
  }
  state.sink->Configure(options, out, std::move(file));
  auto level = ParseLogLevel(options.level);
  state.level = level.ok() ? *level : spdlog::level::info;
  spdlog::apply_all(
      [&](const std::shared_ptr<spdlog::logger>& logger) { logger->set_level(state.level); });
  return Status::Ok();
}

Status ReopenLogFile() {
  State& state = GetState();
  std::lock_guard lock(state.mu);
  return state.sink->Reopen();
}

std::string LogFilePath() {
  State& state = GetState();
  std::lock_guard lock(state.mu);
  return state.sink->FilePath();
}

std::shared_ptr<spdlog::logger> GetLogger(std::string_view module) {
  State& state = GetState();
  std::lock_guard lock(state.mu);
  const std::string name(module);
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = std::make_shared<spdlog::logger>(name, state.sink);
  logger->set_level(state.level);
  logger->flush_on(spdlog::level::trace);
  spdlog::register_logger(logger);
  return logger;
}

}  // namespace hdc::util
