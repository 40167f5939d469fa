#include "util/logging.h"

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "support/env.h"
#include "util/redact.h"
#include "util/time_format.h"

namespace hdc::util {
namespace {

// A stream that outlives every test and drops what it is given.
std::ostream& Discard() {
  static std::ostream* null = new std::ostream(nullptr);
  return *null;
}

// Points logging at a string stream for one test and back at a stream that
// lives forever afterwards (also when an assertion fails), so no logger is
// left writing to a dead stream.
class CapturedLog {
 public:
  explicit CapturedLog(LogOptions options) { SetupLogging(options, &out_); }
  ~CapturedLog() { SetupLogging(LogOptions{}, &Discard()); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  std::string text() const { return out_.str(); }
  std::vector<std::string> lines() const {
    std::vector<std::string> result;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) result.push_back(line);
    return result;
  }

 private:
  std::ostringstream out_;
};

LogOptions Options(std::string level, LogFormat format = LogFormat::kText, bool journald = false) {
  LogOptions options;
  options.level = std::move(level);
  options.format = format;
  options.journald = journald;
  return options;
}

TEST_CASE("a text log line has a UTC timestamp, the level, the logger and the message") {
  CapturedLog log(Options("info"));
  GetLogger("test.text")->info("fetched {} rows", 42);
  const std::vector<std::string> lines = log.lines();
  REQUIRE(lines.size() == 1);
  const std::string& line = lines[0];
  INFO("line: ", line);
  const size_t space = line.find(' ');
  REQUIRE(space != std::string::npos);
  CHECK(ParseUtcStrict(line.substr(0, space)).ok());
  CHECK(line.substr(space) == " info test.text: fetched 42 rows");
  CHECK(log.text().back() == '\n');
}

TEST_CASE("a text log line keeps a multi-line message on one line") {
  CapturedLog log(Options("info"));
  GetLogger("test.text")->warn("first\nsecond\tthird");
  const std::vector<std::string> lines = log.lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find(" warn test.text: first second third") != std::string::npos);
}

TEST_CASE("journald mode prefixes the priority and leaves out the timestamp") {
  CapturedLog log(Options("trace", LogFormat::kText, true));
  auto logger = GetLogger("test.journal");
  logger->trace("t");
  logger->debug("d");
  logger->info("i");
  logger->warn("w");
  logger->error("e");
  logger->critical("c");
  logger->info("two\nlines");
  const std::vector<std::string> lines = log.lines();
  REQUIRE(lines.size() == 7);
  CHECK(lines[0] == "<7>test.journal: t");
  CHECK(lines[1] == "<7>test.journal: d");
  CHECK(lines[2] == "<6>test.journal: i");
  CHECK(lines[3] == "<4>test.journal: w");
  CHECK(lines[4] == "<3>test.journal: e");
  CHECK(lines[5] == "<2>test.journal: c");
  CHECK(lines[6] == "<6>test.journal: two lines");
}

TEST_CASE("JSON format writes one parseable object per line") {
  CapturedLog log(Options("debug", LogFormat::kJson));
  auto logger = GetLogger("test.json");
  logger->info("hello {}", "world");
  logger->error("quote \" backslash \\ newline \n tab \t bell \a end");
  logger->debug("third");
  const std::vector<std::string> lines = log.lines();
  REQUIRE(lines.size() == 3);

  std::vector<nlohmann::json> objects;
  for (const std::string& line : lines) {
    INFO("line: ", line);
    REQUIRE(nlohmann::json::accept(line));
    objects.push_back(nlohmann::json::parse(line));
    const nlohmann::json& j = objects.back();
    REQUIRE(j.is_object());
    CHECK(j.size() == 4);
    CHECK(j.contains("ts"));
    CHECK(j.contains("level"));
    CHECK(j.contains("logger"));
    CHECK(j.contains("msg"));
    const Result<TimePoint> ts = ParseUtcStrict(j["ts"].get<std::string>());
    CHECK(ts.ok());
    CHECK(j["logger"] == "test.json");
  }
  CHECK(objects[0]["level"] == "info");
  CHECK(objects[0]["msg"] == "hello world");
  CHECK(objects[1]["level"] == "error");
  CHECK(objects[1]["msg"] == "quote \" backslash \\ newline \n tab \t bell \a end");
  CHECK(objects[2]["level"] == "debug");
  CHECK(objects[2]["msg"] == "third");
}

TEST_CASE("every log format redacts secrets") {
  const std::string token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
  for (const LogOptions& options : {Options("info"), Options("info", LogFormat::kText, true),
                                    Options("info", LogFormat::kJson)}) {
    CapturedLog log(options);
    auto logger = GetLogger("test.redact");
    logger->info("Authorization: Bearer {}", token);
    logger->warn("GET https://h/c/b.cab?sv=2020&sig={}&se=2024 failed", "AbC%2B%3D");
    const std::string text = log.text();
    INFO("output: ", text);
    CHECK(text.find(token) == std::string::npos);
    CHECK(text.find("eyJ") == std::string::npos);
    CHECK(text.find("AbC") == std::string::npos);
    CHECK(text.find("Bearer [REDACTED]") != std::string::npos);
    CHECK(text.find("sig=[REDACTED]&se=2024") != std::string::npos);
  }
}

TEST_CASE("registered secrets are redacted from log lines") {
  ClearSecrets();
  AddSecret("my-client-secret");
  {
    CapturedLog log(Options("info"));
    GetLogger("test.redact")->info("using my-client-secret for login");
    const std::string text = log.text();
    CHECK(text.find("my-client-secret") == std::string::npos);
    CHECK(text.find("using [REDACTED] for login") != std::string::npos);
  }
  ClearSecrets();
}

TEST_CASE("messages below the configured level are dropped") {
  {
    CapturedLog log(Options("info", LogFormat::kText, true));
    auto logger = GetLogger("test.level");
    logger->trace("hidden trace");
    logger->debug("hidden debug");
    logger->info("shown info");
    logger->error("shown error");
    const std::vector<std::string> lines = log.lines();
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == "<6>test.level: shown info");
    CHECK(lines[1] == "<3>test.level: shown error");
  }
  {
    CapturedLog log(Options("error", LogFormat::kText, true));
    auto logger = GetLogger("test.level");
    logger->warn("hidden warn");
    logger->error("shown error");
    CHECK(log.lines() == std::vector<std::string>{"<3>test.level: shown error"});
  }
  {
    CapturedLog log(Options("off", LogFormat::kText, true));
    GetLogger("test.level")->critical("hidden critical");
    CHECK(log.text().empty());
  }
  {
    CapturedLog log(Options("debug", LogFormat::kText, true));
    auto logger = GetLogger("test.level");
    logger->trace("hidden trace");
    logger->debug("shown debug");
    CHECK(log.lines() == std::vector<std::string>{"<7>test.level: shown debug"});
  }
}

TEST_CASE("a logger created before set-up picks up the new sink and level") {
  auto early = GetLogger("test.early");
  CapturedLog log(Options("debug", LogFormat::kText, true));
  early->debug("after set-up");
  CHECK(log.lines() == std::vector<std::string>{"<7>test.early: after set-up"});
}

TEST_CASE("GetLogger returns the same logger for the same name") {
  auto a = GetLogger("test.same");
  auto b = GetLogger("test.same");
  auto c = GetLogger("test.other");
  CHECK(a.get() == b.get());
  CHECK(a.get() != c.get());
  CHECK(a->name() == "test.same");
  CHECK(c->name() == "test.other");
}

TEST_CASE("ParseLogLevel accepts every level name") {
  struct Case {
    const char* name;
    spdlog::level::level_enum level;
  };
  for (const Case& c :
       {Case{"trace", spdlog::level::trace}, Case{"debug", spdlog::level::debug},
        Case{"info", spdlog::level::info}, Case{"warn", spdlog::level::warn},
        Case{"error", spdlog::level::err}, Case{"critical", spdlog::level::critical},
        Case{"off", spdlog::level::off}}) {
    const Result<spdlog::level::level_enum> r = ParseLogLevel(c.name);
    INFO("name: ", c.name);
    REQUIRE(r.ok());
    CHECK(*r == c.level);
  }
}

TEST_CASE("ParseLogLevel rejects an unknown name with a message listing the levels") {
  const Result<spdlog::level::level_enum> r = ParseLogLevel("verbose");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().kind() == ErrorKind::kConfig);
  const std::string m = r.status().message();
  CHECK(m.find("'verbose'") != std::string::npos);
  for (const char* name : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    CHECK(m.find(name) != std::string::npos);
  }
  CHECK_FALSE(ParseLogLevel("").ok());
}

TEST_CASE("ParseLogLevel ignores case and takes warning for warn") {
  CHECK(*ParseLogLevel("INFO") == spdlog::level::info);
  CHECK(*ParseLogLevel("warning") == spdlog::level::warn);
  CHECK(*ParseLogLevel("Debug") == spdlog::level::debug);
}

TEST_CASE("DefaultLogOptions turn journald mode on when JOURNAL_STREAM is set") {
  const char* saved = std::getenv("JOURNAL_STREAM");
  const std::string saved_value = saved ? saved : "";

  hdc::testing::SetEnv("JOURNAL_STREAM", "8:12345");
  const LogOptions with = DefaultLogOptions();
  CHECK(with.journald);
  CHECK(with.level == "info");
  CHECK(with.format == LogFormat::kText);

  hdc::testing::UnsetEnv("JOURNAL_STREAM");
  const LogOptions without = DefaultLogOptions();
  CHECK_FALSE(without.journald);
  CHECK(without.level == "info");
  CHECK(without.format == LogFormat::kText);

  if (saved) hdc::testing::SetEnv("JOURNAL_STREAM", saved_value);
}

}  // namespace
}  // namespace hdc::util
