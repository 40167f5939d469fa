// The log file beside stderr: the same redacted lines, with a UTC timestamp
// (or as JSON), rotated by size, reopened by name after a rename, and the
// [service] keys that configure it.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "config/ini_loader.h"
#include "platform/filesystem.h"
#include "support/temp_dir.h"
#include "util/logging.h"
#include "util/redact.h"
#include "util/time_format.h"

namespace hdc::util {
namespace {

namespace fs = std::filesystem;

std::ostream& Discard() {
  static std::ostream* null = new std::ostream(nullptr);
  return *null;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The names of the files in dir, sorted.
std::vector<std::string> FileNames(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Logging set up for one test, with stderr captured in a string and a log
// file; afterwards back to no file and a stream that lives forever (also when
// an assertion fails), so no logger writes to a dead stream or a removed file.
class FileLog {
 public:
  explicit FileLog(LogOptions options) : options_(std::move(options)) {
    status_ = SetupLogging(options_, &err_);
  }
  ~FileLog() { (void)SetupLogging(LogOptions{}, &Discard()); }
  FileLog(const FileLog&) = delete;
  FileLog& operator=(const FileLog&) = delete;

  const Status& status() const { return status_; }
  std::string err() const { return err_.str(); }
  std::string file() const { return ReadAll(options_.file.path); }

 private:
  LogOptions options_;
  std::ostringstream err_;
  Status status_;
};

LogOptions WithFile(const std::string& path, LogFormat format = LogFormat::kText,
                    bool journald = false) {
  LogOptions options;
  options.level = "info";
  options.format = format;
  options.journald = journald;
  options.file.path = path;
  options.file.where = "hdc.ini:9: [service] log_file";
  return options;
}

// The daemon's own way of creating the file (service/wiring.cpp).
Status CreateThroughSeam(const std::string& path) {
  auto file = platform::RealFileSystem().OpenForWrite(path, true);
  if (!file.ok()) return file.status();
  return (*file)->Close();
}

TEST_CASE("the log file gets the text line of stderr, with its UTC timestamp") {
  testing::TempDir dir;
  FileLog log(WithFile(dir / "hdc.log"));
  REQUIRE(log.status().ok());
  GetLogger("test.file")->info("fetched {} rows", 42);
  GetLogger("test.file")->warn("two\nlines");
  const std::vector<std::string> lines = Lines(log.file());
  REQUIRE(lines.size() == 2);
  CHECK(Lines(log.err()) == lines);
  const size_t space = lines[0].find(' ');
  REQUIRE(space != std::string::npos);
  CHECK(ParseUtcStrict(lines[0].substr(0, space)).ok());
  CHECK(lines[0].substr(space) == " info test.file: fetched 42 rows");
  CHECK(lines[1].ends_with(" warn test.file: two lines"));
  CHECK(log.file().back() == '\n');
}

TEST_CASE("under journald the log file still gets timestamped text lines") {
  testing::TempDir dir;
  FileLog log(WithFile(dir / "hdc.log", LogFormat::kText, true));
  REQUIRE(log.status().ok());
  GetLogger("test.file")->error("disk full");
  CHECK(log.err() == "<3>test.file: disk full\n");
  const std::vector<std::string> lines = Lines(log.file());
  REQUIRE(lines.size() == 1);
  const size_t space = lines[0].find(' ');
  REQUIRE(space != std::string::npos);
  CHECK(ParseUtcStrict(lines[0].substr(0, space)).ok());
  CHECK(lines[0].substr(space) == " error test.file: disk full");
}

TEST_CASE("with log_format json the log file gets one JSON object per line") {
  testing::TempDir dir;
  FileLog log(WithFile(dir / "hdc.log", LogFormat::kJson));
  REQUIRE(log.status().ok());
  GetLogger("test.file")->info("hello {}", "world");
  GetLogger("test.file")->error("quote \" newline \n end");
  const std::vector<std::string> lines = Lines(log.file());
  REQUIRE(lines.size() == 2);
  CHECK(Lines(log.err()) == lines);
  for (const std::string& line : lines) {
    INFO("line: ", line);
    REQUIRE(nlohmann::json::accept(line));
    const nlohmann::json j = nlohmann::json::parse(line);
    CHECK(ParseUtcStrict(j["ts"].get<std::string>()).ok());
    CHECK(j["logger"] == "test.file");
  }
  CHECK(nlohmann::json::parse(lines[0])["msg"] == "hello world");
  CHECK(nlohmann::json::parse(lines[1])["msg"] == "quote \" newline \n end");
}

TEST_CASE("no secret, bearer token, SAS signature or device id reaches the log file") {
  const std::string secret = "canary-client-secret-5f1e";
  const std::string jwt = "eyJhbGciOiJIUzI1NiJ9.eyJjYW5hcnkiOjF9.Y2FuYXJ5c2ln";
  const std::string sig = "CanarySig9x%2Bq%3D";
  const std::string device = "canary-device-77aa";
  const std::string hardware = "canary-hwid-31bb";
  ClearSecrets();
  AddSecret(secret);
  for (LogFormat format : {LogFormat::kText, LogFormat::kJson}) {
    testing::TempDir dir;
    LogOptions options = WithFile(dir / "hdc.log", format);
    options.file.max_size = 400;  // rotated files are checked too
    options.file.max_files = 3;
    {
      FileLog log(options);
      REQUIRE(log.status().ok());
      auto logger = GetLogger("test.canary");
      for (int i = 0; i < 3; ++i) {
        logger->info("token request with client_secret={}&grant_type=client_credentials", secret);
        logger->info("using {} for login", secret);
        logger->info("Authorization: Bearer {}", jwt);
        logger->warn("GET https://blob.example/c/b.cab?sv=2020&sig={}&se=2024 failed", sig);
        logger->info("row DeviceId={} HardwareId={}", device, hardware);
        logger->info("row {{\"DeviceId\":\"{}\",\"HardwareId\":\"{}\"}}", device, hardware);
      }
    }
    const std::vector<std::string> names = FileNames(dir.path());
    CHECK(names.size() == 4);  // the rotation happened: hdc.log, hdc.1.log .. hdc.3.log
    std::string all;
    for (const std::string& name : names) all += ReadAll(dir / name);
    INFO("files: ", all);
    CHECK(all.find("[REDACTED]") != std::string::npos);
    CHECK(all.find("sig=[REDACTED]&se=2024") != std::string::npos);
    for (const std::string& canary : {secret, jwt, sig, device, hardware, std::string("eyJ"),
                                      std::string("CanarySig"), std::string("canary-")}) {
      CHECK_MESSAGE(all.find(canary) == std::string::npos, "found ", canary);
    }
  }
  ClearSecrets();
}

TEST_CASE("the log file is rotated at log_max_size and keeps log_max_files rotated files") {
  testing::TempDir dir;
  // Every line has the same length: a fixed-width timestamp and payload.
  auto payload = [](int i) {
    char text[32];
    std::snprintf(text, sizeof text, "line %04d of the rotation", i);
    return std::string(text);
  };
  int creates = 0;
  LogOptions options = WithFile(dir / "hdc.log");
  options.file.create = [&creates](const std::string& path) {
    ++creates;
    return CreateThroughSeam(path);
  };
  FileLog log(options);
  REQUIRE(log.status().ok());
  CHECK(creates == 1);
  auto logger = GetLogger("test.rotate");
  logger->info(payload(1));
  const size_t line_size = log.file().size();
  REQUIRE(line_size > 20);
  // Ten lines fit in a file, the eleventh does not.
  options.file.max_size = 10 * line_size + line_size / 2;
  options.file.max_files = 2;
  REQUIRE(SetupLogging(options, &Discard()).ok());  // new limits: the file is opened again
  CHECK(creates == 2);
  for (int i = 2; i <= 45; ++i) logger->info(payload(i));

  CHECK(FileNames(dir.path()) == std::vector<std::string>{"hdc.1.log", "hdc.2.log", "hdc.log"});
  CHECK(creates == 2 + 4);  // each of the four rotations created a new hdc.log
  auto numbers = [&](const std::string& name) {
    const std::string text = ReadAll(dir / name);
    CHECK(text.size() <= options.file.max_size);
    std::vector<int> found;
    for (const std::string& line : Lines(text)) {
      REQUIRE(line.size() + 1 == line_size);
      found.push_back(std::stoi(line.substr(line.find("line ") + 5, 4)));
    }
    return found;
  };
  auto range = [](int from, int to) {
    std::vector<int> r;
    for (int i = from; i <= to; ++i) r.push_back(i);
    return r;
  };
  CHECK(numbers("hdc.log") == range(41, 45));
  CHECK(numbers("hdc.1.log") == range(31, 40));
  CHECK(numbers("hdc.2.log") == range(21, 30));  // lines 1-20 rotated out and deleted
}

#ifndef _WIN32
// Renaming an open file and the 0600 mode are POSIX matters; on Windows the
// log file is only rotated by size.
TEST_CASE("reopening after the log file was renamed writes a new file of the same name") {
  testing::TempDir dir;
  LogOptions options = WithFile(dir / "hdc.log");
  options.file.create = CreateThroughSeam;
  FileLog log(options);
  REQUIRE(log.status().ok());
  CHECK(LogFilePath() == dir / "hdc.log");
  auto logger = GetLogger("test.reopen");
  logger->info("before the rename");
  fs::rename(dir / "hdc.log", dir / "hdc.log.1");  // what logrotate does
  logger->info("after the rename, before the reopen");
  CHECK_FALSE(fs::exists(dir / "hdc.log"));

  REQUIRE(ReopenLogFile().ok());
  CHECK(fs::exists(dir / "hdc.log"));
  logger->info("after the reopen");

  const std::vector<std::string> old_lines = Lines(ReadAll(dir / "hdc.log.1"));
  REQUIRE(old_lines.size() == 2);
  CHECK(old_lines[0].ends_with("test.reopen: before the rename"));
  CHECK(old_lines[1].ends_with("test.reopen: after the rename, before the reopen"));
  const std::vector<std::string> new_lines = Lines(log.file());
  REQUIRE(new_lines.size() == 1);
  CHECK(new_lines[0].ends_with("test.reopen: after the reopen"));
  CHECK(fs::status(dir / "hdc.log").permissions() ==
        (fs::perms::owner_read | fs::perms::owner_write));
}

TEST_CASE("the log file is created owner-only, and so is each new file after a rotation") {
  testing::TempDir dir;
  LogOptions options = WithFile(dir / "hdc.log");
  options.file.create = CreateThroughSeam;
  options.file.max_size = 200;
  options.file.max_files = 1;
  FileLog log(options);
  REQUIRE(log.status().ok());
  for (int i = 0; i < 10; ++i) GetLogger("test.mode")->info("a line long enough to rotate soon");
  CHECK(FileNames(dir.path()) == std::vector<std::string>{"hdc.1.log", "hdc.log"});
  for (const char* name : {"hdc.log", "hdc.1.log"}) {
    INFO("file ", name);
    CHECK(fs::status(dir / name).permissions() == (fs::perms::owner_read | fs::perms::owner_write));
  }
}

TEST_CASE("a symbolic link at the log file's path is refused") {
  testing::TempDir dir;
  const std::string target = dir.Write("elsewhere", "");
  fs::create_symlink(target, dir / "hdc.log");
  LogOptions options = WithFile(dir / "hdc.log");
  options.file.create = CreateThroughSeam;
  FileLog log(options);
  CHECK(log.status().kind() == ErrorKind::kConfig);
  CHECK(log.status().message().starts_with(
      "hdc.ini:9: [service] log_file: cannot open the log file: "));
  GetLogger("test.link")->info("not through the link");
  CHECK(ReadAll(target).empty());
}
#endif

TEST_CASE(
    "a log file that cannot be opened is one config error naming the key, and changes nothing") {
  testing::TempDir dir;
  FileLog log(WithFile(dir / "hdc.log"));
  REQUIRE(log.status().ok());
  for (bool with_create : {false, true}) {
    INFO("create hook: ", with_create);
    LogOptions bad = WithFile(dir / "no-such-folder/hdc.log", LogFormat::kJson);
    if (with_create) bad.file.create = CreateThroughSeam;
    std::ostringstream other;
    const Status status = SetupLogging(bad, &other);
    REQUIRE_FALSE(status.ok());
    CHECK(status.kind() == ErrorKind::kConfig);
    CHECK(status.exit_code() == 78);
    const std::string message = status.ToString();
    CHECK(message.starts_with("hdc.ini:9: [service] log_file: cannot open the log file: "));
    CHECK(message.find(dir / "no-such-folder/hdc.log") != std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
    CHECK(status.message().find('\n') == std::string::npos);
    CHECK_FALSE(fs::exists(dir / "no-such-folder"));
    // Logging goes on as before: the old stream, format and file.
    GetLogger("test.bad")->info("still here {}", with_create);
    CHECK(other.str().empty());
  }
  const std::vector<std::string> lines = Lines(log.file());
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].ends_with(" info test.bad: still here true"));
  CHECK(Lines(log.err()) == lines);
}

TEST_CASE("a log file that fails while running is dropped with one error line, stderr goes on") {
  testing::TempDir dir;
  int opens = 0;
  LogOptions options = WithFile(dir / "hdc.log");
  options.file.max_size = 300;
  options.file.max_files = 1;
  options.file.create = [&opens](const std::string& path) {
    if (++opens > 1) return TemporaryError("open " + path + ": No space left on device");
    return CreateThroughSeam(path);
  };
  FileLog log(options);
  REQUIRE(log.status().ok());
  auto logger = GetLogger("test.fail");
  for (int i = 0; i < 20; ++i) logger->info("line {:02} that soon needs a rotation", i);
  const std::vector<std::string> err = Lines(log.err());
  int errors = 0;
  int lines = 0;
  for (const std::string& line : err) {
    if (line.find(" error log: log file ") != std::string::npos) ++errors;
    if (line.find(" info test.fail: line ") != std::string::npos) ++lines;
  }
  CHECK(lines == 20);
  // The failed rotation, then the failed reopen that drops the file.
  CHECK(errors == 2);
  CHECK(log.err().find("No space left on device; no log file until the next reload") !=
        std::string::npos);
  CHECK(LogFilePath().empty());
  CHECK(ReopenLogFile().kind() == ErrorKind::kConfig);  // still failing: reported, kept off
}

TEST_CASE("ReopenLogFile without a log file does nothing") {
  std::ostringstream err;
  REQUIRE(SetupLogging(LogOptions{}, &err).ok());
  CHECK(ReopenLogFile().ok());
  CHECK(LogFilePath().empty());
  (void)SetupLogging(LogOptions{}, &Discard());
}

// The [service] keys.

std::string ServiceError(const std::string& service) {
  auto config = config::ParseConfig(
      {"hdc.ini", "/cfg", service + "[account]\ntenant_id = t\nclient_id = c\n"}, {},
      [](const std::string& path) -> Result<std::string> { return ConfigError(path); });
  if (config.ok()) return "(no error)";
  return config.status().ToString();
}

TEST_CASE("log_file, log_max_size and log_max_files have their defaults and are parsed") {
  auto parse = [](const std::string& service) {
    return config::ParseConfig(
        {"hdc.ini", "/cfg", service + "[account]\ntenant_id = t\nclient_id = c\n"}, {},
        [](const std::string& path) -> Result<std::string> { return ConfigError(path); });
  };
  auto defaults = parse("[service]\n");
  REQUIRE(defaults.ok());
  CHECK(defaults->service.log_file.empty());
  CHECK(defaults->service.log_max_size == 10u << 20);
  CHECK(defaults->service.log_max_files == 5);
  CHECK(defaults->service.log_file_where == "hdc.ini: [service] log_file");

  auto set = parse(
      "[service]\nlog_level = debug\nlog_file = /var/log/hdc/d.log\n"
      "log_max_size = 64K\nlog_max_files = 100\n");
  REQUIRE_MESSAGE(set.ok(), set.status().message());
  CHECK(set->service.log_file == "/var/log/hdc/d.log");
  CHECK(set->service.log_file_where == "hdc.ini:3: [service] log_file");
  CHECK(set->service.log_max_size == 64u << 10);
  CHECK(set->service.log_max_files == 100);
  auto top = parse("[service]\nlog_max_size = 1GiB\nlog_max_files = 1\n");
  REQUIRE(top.ok());
  CHECK(top->service.log_max_size == 1u << 30);
  CHECK(top->service.log_max_files == 1);
}

TEST_CASE("bad log_max_size and log_max_files values are one-line errors naming the key") {
  CHECK(ServiceError("[service]\nlog_max_size = 63K\n") ==
        "hdc.ini:2: [service] log_max_size: 63K is out of range [64K, 1G]");
  CHECK(ServiceError("[service]\nlog_max_size = 1025M\n") ==
        "hdc.ini:2: [service] log_max_size: 1025M is out of range [64K, 1G]");
  CHECK(ServiceError("[service]\nlog_max_size = 0\n") ==
        "hdc.ini:2: [service] log_max_size: 0 is out of range [64K, 1G]");
  CHECK(ServiceError("[service]\nlog_max_size = lots\n") ==
        "hdc.ini:2: [service] log_max_size: bad size 'lots': expected a whole number with an "
        "optional K, M, G or T suffix, e.g. 512K");
  CHECK(ServiceError("[service]\nlog_max_files = 0\n") ==
        "hdc.ini:2: [service] log_max_files: 0 is out of range [1, 100]");
  CHECK(ServiceError("[service]\nlog_max_files = 101\n") ==
        "hdc.ini:2: [service] log_max_files: 101 is out of range [1, 100]");
  CHECK(ServiceError("[service]\nlog_max_files = five\n") ==
        "hdc.ini:2: [service] log_max_files: expected a whole number, got 'five'");
  CHECK(ServiceError("[service]\nlog_files = 5\n") ==
        "hdc.ini:2: [service] log_files: unknown key");
}

TEST_CASE("a relative log_file is taken from the service file's folder") {
  testing::TempDir dir;
  const std::string path = dir.Write("etc/hdc.ini",
                                     "[service]\nstate_dir = state\nlog_file = ../logs/./hdc.log\n"
                                     "[account]\ntenant_id = t\nclient_id = c\n");
  auto config = config::LoadConfig(path);
  REQUIRE_MESSAGE(config.ok(), config.status().message());
  CHECK(config->service.log_file == (fs::path(dir.path()) / "logs/hdc.log").generic_string());
}

}  // namespace
}  // namespace hdc::util
