#include "util/logging.h"

#include <array>
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <mutex>

#include <spdlog/sinks/base_sink.h>

#include "util/redact.h"
#include "util/strings.h"
#include "util/time_format.h"

namespace hdc::util {
namespace {

constexpr std::array<std::string_view, 7> kLevelNames{"trace", "debug", "info", "warn",
                                                      "error", "critical", "off"};

// sd-daemon(3) priority prefixes.
int JournalPriority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::critical: return 2;
    case spdlog::level::err: return 3;
    case spdlog::level::warn: return 4;
    case spdlog::level::info: return 6;
    default: return 7;
  }
}

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
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

// The one sink of the process. Its options change under the sink's own mutex,
// so loggers never see a half-configured sink.
class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  void Configure(const LogOptions& options, std::ostream* out) {
    std::lock_guard lock(mutex_);
    options_ = options;
    out_ = out ? out : &std::cerr;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string text = Redact(std::string_view(msg.payload.data(), msg.payload.size()));
    const std::string_view name(msg.logger_name.data(), msg.logger_name.size());
    const std::string_view level = kLevelNames[static_cast<size_t>(msg.level)];
    const auto time = std::chrono::time_point_cast<Duration>(msg.time);
    std::string line;
    if (options_.format == LogFormat::kJson) {
      line = "{\"ts\":\"" + FormatTimestamp(time, true) + "\",\"level\":\"" + std::string(level) +
             "\",\"logger\":";
      AppendJsonString(line, name);
      line += ",\"msg\":";
      AppendJsonString(line, text);
      line += "}";
    } else if (options_.journald) {
      // Appended piece by piece: GCC 12 at -O3 warns (-Wrestrict, a false
      // positive, GCC bug 105329) on "<" + std::to_string(...).
      line = "<";
      line += std::to_string(JournalPriority(msg.level));
      line += ">";
      line.append(name.data(), name.size());
      line += ": ";
      line += OneLine(text);
    } else {
      line = FormatTimestamp(time, true) + " " + std::string(level) + " " + std::string(name) +
             ": " + OneLine(text);
    }
    line += '\n';
    out_->write(line.data(), static_cast<std::streamsize>(line.size()));
    out_->flush();
  }
  void flush_() override { out_->flush(); }

 private:
  LogOptions options_;
  std::ostream* out_ = &std::cerr;
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

void SetupLogging(const LogOptions& options, std::ostream* out) {
  State& state = GetState();
  std::lock_guard lock(state.mu);
  state.sink->Configure(options, out);
  auto level = ParseLogLevel(options.level);
  state.level = level.ok() ? *level : spdlog::level::info;
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& logger) {
    logger->set_level(state.level);
  });
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
