#include "config/ini_loader.h"

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "support/skip.h"
#include "support/temp_dir.h"
#include "unit/config/config_test_util.h"

#ifndef _WIN32
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace hdc::config {
namespace {

const char* kJobA =
    "[job a]\nview = OEMDriver\ncolumns = Model\nstart = 2026-12-01T02:00:00Z\nevery = 24h\n"
    "runs = 1\n";

TEST_CASE("jobs come from the service file first, then jobs_dir in name order") {
  hdc::testing::TempDir dir;
  dir.Write("hdc.ini", std::string("[service]\njobs_dir = jobs.d\nstate_dir = state\n") +
                           testing::kAccount + "\n" + kJobA);
  dir.Write("jobs.d/20-c.ini",
            "[job c]\nview = OEMDriver\ncolumns = Model\nstart = "
            "2026-12-01T02:00:00Z\nevery = 24h\nruns = 1\n");
  dir.Write("jobs.d/10-b.ini",
            "[job b]\nview = OEMDriver\ncolumns = Model\nstart = "
            "2026-12-01T02:00:00Z\nevery = 24h\nruns = 1\n");
  dir.Write("jobs.d/notes.txt", "not a job file");
  auto config = LoadConfig(dir / "hdc.ini");
  REQUIRE_MESSAGE(config.ok(), config.status().message());
  REQUIRE(config->jobs.size() == 3);
  CHECK(config->jobs[0].name == "a");
  CHECK(config->jobs[1].name == "b");
  CHECK(config->jobs[2].name == "c");
  CHECK(config->jobs[1].where == (dir / "jobs.d/10-b.ini") + ":1");
  CHECK(config->service.jobs_dir == dir / "jobs.d");
  CHECK(config->service.state_dir == dir / "state");
}

TEST_CASE(
    "relative paths in the service file are relative to its folder, not the working directory") {
  hdc::testing::TempDir dir;
  dir.Write("etc/jobs.d/notes.txt", "not a job file");
  dir.Write("etc/hdc.ini", std::string("[service]\njobs_dir = jobs.d\nstate_dir = ../state\n"
                                       "log_file = log/hdc.log\n") +
                               testing::kAccount +
                               "client_secret_file = secret/client-secret\nca_file = ./ca.pem\n" +
                               kJobA);
  auto config = LoadConfig(dir / "etc/hdc.ini");
  REQUIRE_MESSAGE(config.ok(), config.status().message());
  CHECK(config->service.state_dir == dir / "state");
  CHECK(config->service.log_file == dir / "etc/log/hdc.log");
  CHECK(config->account.client_secret_file == dir / "etc/secret/client-secret");
  CHECK(config->account.ca_file == dir / "etc/ca.pem");

  // Absolute paths and empty ones are kept as written.
  dir.Write("etc/abs.ini", std::string("[service]\njobs_dir = jobs.d\n") + testing::kAccount +
                               "client_secret_file = " + (dir / "s") + "\n" + kJobA);
  auto absolute = LoadConfig(dir / "etc/abs.ini");
  REQUIRE_MESSAGE(absolute.ok(), absolute.status().message());
  CHECK(absolute->account.client_secret_file == dir / "s");
  CHECK(absolute->account.ca_file.empty());
  CHECK(absolute->service.log_file.empty());
}

TEST_CASE("a template_file is read relative to its job file") {
  hdc::testing::TempDir dir;
  dir.Write("hdc.ini", std::string("[service]\njobs_dir = jobs.d\n") + testing::kAccount);
  dir.Write(
      "jobs.d/t.json",
      R"J({"view":"IHVDriver","projection":["DriverName"],"dateRange":{"reportPeriod":"Last90Days"}})J");
  dir.Write("jobs.d/t.ini",
            "[job t]\ntemplate_file = t.json\nstart = 2026-12-01T02:00:00Z\n"
            "every = 24h\nruns = 1\n");
  auto config = LoadConfig(dir / "hdc.ini");
  REQUIRE_MESSAGE(config.ok(), config.status().message());
  CHECK(config->jobs[0].report.period == "Last90Days");
}

TEST_CASE("duplicate job names across files are refused naming both places") {
  hdc::testing::TempDir dir;
  dir.Write("hdc.ini", std::string("[service]\njobs_dir = jobs.d\n") + testing::kAccount + kJobA);
  dir.Write("jobs.d/x.ini", std::string("\n") + kJobA);
  auto config = LoadConfig(dir / "hdc.ini");
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message() == (dir / "jobs.d/x.ini") +
                                         ":2: [job a]: job 'a' is already "
                                         "defined at " +
                                         (dir / "hdc.ini") + ":6");
}

TEST_CASE("job files may hold only job sections") {
  hdc::testing::TempDir dir;
  dir.Write("hdc.ini", std::string("[service]\njobs_dir = jobs.d\n") + testing::kAccount);
  dir.Write("jobs.d/x.ini", "[service]\nlog_level = debug\n");
  auto config = LoadConfig(dir / "hdc.ini");
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message() == (dir / "jobs.d/x.ini") +
                                         ":1: [service]: unknown section; a job file holds only "
                                         "[job NAME] sections");
}

TEST_CASE("a missing jobs_dir is an error only when it was set") {
  hdc::testing::TempDir dir;
  dir.Write("default.ini", testing::kAccount);  // default /etc/hdc-reportd/jobs.d may be absent
  CHECK(LoadConfig(dir / "default.ini").ok());
  dir.Write("set.ini", std::string("[service]\njobs_dir = nowhere\n") + testing::kAccount);
  auto config = LoadConfig(dir / "set.ini");
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message() ==
        (dir / "set.ini") + ": [service] jobs_dir: " + (dir / "nowhere") + " is not a directory");
}

TEST_CASE(
    "a job file that is a symbolic link loop is a configuration error naming it and the key") {
  HDC_SKIP_ON_WINDOWS(HDC_NO_SYMLINKS_ON_WINDOWS);
  hdc::testing::TempDir dir;
  dir.Write("hdc.ini", std::string("[service]\njobs_dir = jobs.d\n") + testing::kAccount);
  dir.Write("jobs.d/a.ini", kJobA);
  std::filesystem::create_symlink("loop.ini", dir / "jobs.d/loop.ini");
  auto config = LoadConfig(dir / "hdc.ini");
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().exit_code() == 78);
  CHECK(config.status().message() == (dir / "hdc.ini") +
                                         ": [service] jobs_dir: " + (dir / "jobs.d/loop.ini") +
                                         ": Too many levels of symbolic links");
}

TEST_CASE("a jobs_dir that is a symbolic link loop is a configuration error, set or default") {
  HDC_SKIP_ON_WINDOWS(HDC_NO_SYMLINKS_ON_WINDOWS);
  hdc::testing::TempDir dir;
  dir.Write("hdc.ini", std::string("[service]\njobs_dir = jobs.d\n") + testing::kAccount);
  std::filesystem::create_symlink("jobs.d", dir / "jobs.d");
  auto config = LoadConfig(dir / "hdc.ini");
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().exit_code() == 78);
  CHECK(config.status().message() == (dir / "hdc.ini") + ": [service] jobs_dir: " +
                                         (dir / "jobs.d") + ": Too many levels of symbolic links");
}

TEST_CASE(
    "a *.ini in jobs_dir that is a directory, a dangling link or a FIFO is refused, not skipped") {
  HDC_SKIP_ON_WINDOWS("no mkfifo on Windows");
#ifndef _WIN32
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"directory", "a directory, not a regular file"},
      {"dangling", "file not found"},
      {"fifo", "a FIFO, not a regular file"},
  };
  for (const auto& [kind, problem] : cases) {
    CAPTURE(kind);
    hdc::testing::TempDir dir;
    dir.Write("hdc.ini", std::string("[service]\njobs_dir = jobs.d\n") + testing::kAccount);
    dir.Write("jobs.d/a.ini", kJobA);
    const std::string x = dir / "jobs.d/x.ini";
    if (kind == "directory") std::filesystem::create_directory(x);
    if (kind == "dangling") std::filesystem::create_symlink("gone.ini", x);
    if (kind == "fifo") REQUIRE(::mkfifo(x.c_str(), 0600) == 0);
    auto config = LoadConfig(dir / "hdc.ini");  // must not block on the FIFO
    REQUIRE_FALSE(config.ok());
    CHECK(config.status().exit_code() == 78);
    CHECK(config.status().message() ==
          (dir / "hdc.ini") + ": [service] jobs_dir: " + x + ": " + problem);
  }
#endif
}

TEST_CASE(
    "a service file the system cannot open for want of a descriptor is temporary, not wrong") {
  HDC_SKIP_ON_WINDOWS("no per-process descriptor limit on Windows");
#if defined(__SANITIZE_ADDRESS__)
  // make asan builds ASan with UBSan, whose vtable check needs a free
  // descriptor (it probes memory through a pipe): with none left it reports
  // the stream as an invalid object.
  HDC_SKIP_TEST("UBSan's vtable check needs a free descriptor, and this test leaves none");
#endif
#ifndef _WIN32
  hdc::testing::TempDir dir;
  dir.Write("hdc.ini", std::string("[service]\n") + testing::kAccount);
  struct rlimit saved {};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  struct rlimit low = saved;
  low.rlim_cur = 64;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  std::vector<int> held;
  for (int fd; (fd = ::open("/dev/null", O_RDONLY)) >= 0;) held.push_back(fd);
  auto text = ReadTextFile(dir / "hdc.ini");
  for (int fd : held) ::close(fd);
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &saved) == 0);
  REQUIRE_FALSE(text.ok());
  CHECK(text.status().exit_code() == 75);
  CHECK(text.status().message() == "cannot read " + (dir / "hdc.ini") + ": Too many open files");
  // Control: with descriptors to spare the same file reads.
  CHECK(ReadTextFile(dir / "hdc.ini").ok());
#endif
}

TEST_CASE("a service file that is a symbolic link loop is a configuration error naming it") {
  HDC_SKIP_ON_WINDOWS(HDC_NO_SYMLINKS_ON_WINDOWS);
  hdc::testing::TempDir dir;
  std::filesystem::create_symlink("hdc.ini", dir / "hdc.ini");
  auto config = LoadConfig(dir / "hdc.ini");
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().exit_code() == 78);
  CHECK(config.status().message() ==
        "cannot read " + (dir / "hdc.ini") + ": Too many levels of symbolic links");
}

TEST_CASE("a missing service file is named in the error") {
  auto config = LoadConfig("/nonexistent/hdc.ini");
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().exit_code() == 78);
  CHECK(config.status().message() == "cannot read /nonexistent/hdc.ini: file not found");
}

TEST_CASE("callback = yes needs a callback_url") {
  auto config =
      testing::ParseWithJobs(testing::Job("view = OEMDriver\ncolumns = Model\ncallback = yes\n"));
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message() ==
        "jobs.d/k.ini:1: [job k] callback: callback = yes needs [service] callback_url");
  auto with_url =
      testing::ParseWithJobs(testing::Job("view = OEMDriver\ncolumns = Model\ncallback = yes\n"),
                             "[service]\ncallback_url = https://hooks.example.com/hdc\n");
  REQUIRE(with_url.ok());
  CHECK(with_url->jobs[0].schedule.callback);
}

TEST_CASE("the shipped demo and sample configurations load") {
  auto demo = LoadConfig(std::string(HDC_SOURCE_DIR) + "/config/demo/hdc-reportd.ini");
  REQUIRE_MESSAGE(demo.ok(), demo.status().message());
  CHECK(demo->jobs.size() == 2);
  hdc::testing::TempDir dir;
  dir.Write("hdc.ini", std::string("[service]\njobs_dir = ") + HDC_SOURCE_DIR + "/config/jobs.d\n" +
                           testing::kAccount);
  auto samples = LoadConfig(dir / "hdc.ini");
  REQUIRE_MESSAGE(samples.ok(), samples.status().message());
  CHECK(samples->jobs.size() == 5);
  for (const JobSpec& job : samples->jobs) CHECK_FALSE(job.enabled);
}

namespace accounts_cases {

const char* kTwoAccounts =
    "[account a]\ntenant_id = t-a\nclient_id = c-a\n"
    "[account b]\ntenant_id = t-b\nclient_id = c-b\n";

util::Result<Config> ParseAccounts(const std::string& service, const std::string& jobs) {
  ConfigFile service_file{"hdc.ini", "/cfg", service};
  return ParseConfig(service_file, {{"jobs.d/k.ini", "/cfg/jobs.d", jobs}}, testing::FakeReader());
}

std::string JobOf(const std::string& name, const std::string& account_line) {
  return "[job " + name + "]\nview = OEMDriver\ncolumns = Model\n" + account_line +
         "start = 2026-12-01T02:00:00Z\nevery = 24h\nruns = 1\n";
}

}  // namespace accounts_cases

TEST_CASE("named account sections each hold an account and jobs name theirs") {
  using namespace accounts_cases;
  auto config =
      ParseAccounts(kTwoAccounts, JobOf("x", "account = a\n") + JobOf("y", "account = b\n"));
  REQUIRE(config.ok());
  REQUIRE(config->accounts.size() == 2);
  CHECK(config->accounts[0].name == "a");
  CHECK(config->accounts[0].tenant_id == "t-a");
  CHECK(config->accounts[1].name == "b");
  CHECK(config->accounts[1].client_id == "c-b");
  CHECK(config->jobs[0].account == "a");
  CHECK(config->jobs[1].account == "b");
  CHECK(config->account.name == "a");  // no "default": the first by name
}

TEST_CASE("the unnamed account is the account default and jobs belong to it by default") {
  using namespace accounts_cases;
  auto config = ParseAccounts(std::string(testing::kAccount) + kTwoAccounts,
                              JobOf("x", "") + JobOf("y", "account = b\n"));
  REQUIRE(config.ok());
  REQUIRE(config->accounts.size() == 3);
  CHECK(config->account.name == "default");
  CHECK(config->account.tenant_id == "t-1");
  CHECK(config->jobs[0].account == "default");
  CHECK(config->jobs[1].account == "b");
}

TEST_CASE("an account's view holds that account and only its jobs") {
  using namespace accounts_cases;
  auto config =
      ParseAccounts(kTwoAccounts, JobOf("x", "account = a\n") + JobOf("y", "account = b\n") +
                                      JobOf("z", "account = b\n"));
  REQUIRE(config.ok());
  CHECK(SeveralAccounts(*config));
  const Config b = AccountView(*config, "b");
  CHECK(b.account.name == "b");
  CHECK(b.account.tenant_id == "t-b");
  REQUIRE(b.jobs.size() == 2);
  CHECK(b.jobs[0].name == "y");
  CHECK(b.jobs[1].name == "z");
  CHECK(b.accounts.size() == 2);  // still tells that there are several
  CHECK(SeveralAccounts(b));
  const Config a = AccountView(*config, "a");
  REQUIRE(a.jobs.size() == 1);
  CHECK(a.jobs[0].name == "x");
  auto one = ParseAccounts(testing::kAccount, JobOf("x", ""));
  REQUIRE(one.ok());
  CHECK_FALSE(SeveralAccounts(*one));
}

TEST_CASE("an unnamed account and an account named default together are refused") {
  using namespace accounts_cases;
  auto config = ParseAccounts(
      std::string(testing::kAccount) + "[account default]\ntenant_id = t\nclient_id = c\n", "");
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().kind() == util::ErrorKind::kConfig);
  CHECK(config.status().message() ==
        "hdc.ini:4: [account default]: account 'default' is already defined at hdc.ini:1 "
        "([account] is the account 'default')");
}

TEST_CASE("a job naming an account that does not exist is refused naming the accounts") {
  using namespace accounts_cases;
  auto config = ParseAccounts(kTwoAccounts, JobOf("x", "account = c\n"));
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().kind() == util::ErrorKind::kConfig);
  CHECK(config.status().message() ==
        "jobs.d/k.ini:4: [job x] account: no account 'c'; the accounts are a, b");
  auto implicit = ParseAccounts(kTwoAccounts, JobOf("x", ""));
  REQUIRE_FALSE(implicit.ok());
  CHECK(implicit.status().message() ==
        "jobs.d/k.ini:1: [job x] account: no account 'default'; the accounts are a, b");
}

TEST_CASE("account names are letters, digits, underscore and dash, at most 64") {
  using namespace accounts_cases;
  auto bad = ParseAccounts("[account a.b]\ntenant_id = t\nclient_id = c\n", "");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() ==
        "hdc.ini:1: [account a.b]: account name 'a.b': an account name is 1-64 letters, digits, "
        "'_' or '-'");
  auto long_name =
      ParseAccounts("[account " + std::string(65, 'x') + "]\ntenant_id = t\nclient_id = c\n", "");
  CHECK_FALSE(long_name.ok());
  CHECK(ParseAccounts("[account " + std::string(64, 'x') + "]\ntenant_id = t\nclient_id = c\n", "")
            .ok());
  auto bad_job = ParseAccounts(kTwoAccounts, JobOf("x", "account = a b\n"));
  REQUIRE_FALSE(bad_job.ok());
  CHECK(bad_job.status().message() ==
        "jobs.d/k.ini:4: [job x] account: an account name is 1-64 letters, digits, '_' or '-'");
}

TEST_CASE("job names stay unique across accounts") {
  using namespace accounts_cases;
  auto config = ParseAccounts(std::string(kTwoAccounts) + JobOf("x", "account = a\n"),
                              JobOf("x", "account = b\n"));
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message() ==
        "jobs.d/k.ini:1: [job x]: job 'x' is already defined at hdc.ini:7");
}

}  // namespace
}  // namespace hdc::config
