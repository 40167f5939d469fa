#include "config/service_config.h"

#include <set>

#include <doctest/doctest.h>

#include "unit/config/config_test_util.h"

namespace hdc::config {
namespace {

std::string ServiceError(const std::string& service,
                         const std::string& account = testing::kAccount) {
  auto config = ParseConfig({"hdc.ini", "/cfg", service + account}, {}, testing::FakeReader());
  if (config.ok()) return "(no error)";
  return config.status().message();
}

TEST_CASE("service and account defaults are the documented ones") {
  auto config = ParseConfig({"hdc.ini", "/cfg", testing::kAccount}, {}, testing::FakeReader());
  REQUIRE(config.ok());
  const ServiceConfig& s = config->service;
  CHECK(s.state_dir == "/var/lib/hdc-reportd");
  CHECK(s.jobs_dir == "/etc/hdc-reportd/jobs.d");
  CHECK(s.poll_interval == std::chrono::minutes(15));
  CHECK(s.retention == std::chrono::days(30));
  CHECK(s.retention_clock == RetentionClock::kEarliest);
  CHECK(s.sweep_interval == std::chrono::hours(1));
  CHECK(s.download_concurrency == 4);
  CHECK(s.max_bandwidth == 0);
  CHECK(s.min_free_space == 1ull << 30);
  CHECK(s.request_deadline == std::chrono::minutes(10));
  CHECK(s.min_transfer_rate == 1024);
  CHECK(s.min_transfer_rate_window == std::chrono::seconds(30));
  CHECK(s.run_budget == std::chrono::minutes(110));
  CHECK(s.control_listen == "127.0.0.1:9187");
  CHECK(s.callback_url.empty());
  CHECK(s.log_level == "info");
  CHECK(s.log_format == LogFormat::kText);
  CHECK(config->account.api_url == "https://manage.devcenter.microsoft.com");
  CHECK(config->account.login_url == "https://login.microsoftonline.com");
  CHECK(config->account.tenant_id == "t-1");
  CHECK(config->account.client_id == "c-1");
}

TEST_CASE("every service key is parsed with its unit") {
  auto config = ParseConfig(
      {"hdc.ini", "/cfg",
       "[service]\nstate_dir = /s\njobs_dir = j\npoll_interval = 90s\nretention = 7d\n"
       "retention_clock = downloaded\nsweep_interval = 30m\ndownload_concurrency = 8\n"
       "max_bandwidth = 512K\nmin_free_space = 10M\ncontrol_listen = [::1]:9000\n"
       "callback_url = https://hooks.example.com/hdc/\nlog_level = debug\nlog_format = json\n" +
           std::string(testing::kAccount) +
           "client_secret_file = /etc/s\nca_file = /etc/ca.pem\nproxy = http://proxy.corp:3128\n"},
      {}, testing::FakeReader());
  REQUIRE_MESSAGE(config.ok(), config.status().message());
  const ServiceConfig& s = config->service;
  CHECK(s.poll_interval == std::chrono::seconds(90));
  CHECK(s.retention == std::chrono::days(7));
  CHECK(s.retention_clock == RetentionClock::kDownloaded);
  CHECK(s.sweep_interval == std::chrono::minutes(30));
  CHECK(s.download_concurrency == 8);
  CHECK(s.max_bandwidth == 512 * 1024);
  CHECK(s.min_free_space == 10 * 1024 * 1024);
  CHECK(s.control_listen == "[::1]:9000");
  CHECK(s.callback_url == "https://hooks.example.com/hdc");
  CHECK(s.log_level == "debug");
  CHECK(s.log_format == LogFormat::kJson);
  CHECK(config->account.client_secret_file == "/etc/s");
  CHECK(config->account.client_secret_file_where == "hdc.ini:18: [account] client_secret_file");
  CHECK(config->account.ca_file == "/etc/ca.pem");
  CHECK(config->account.proxy == "http://proxy.corp:3128");
}

TEST_CASE("a certificate credential's two files are parsed with their places") {
  auto config =
      ParseConfig({"hdc.ini", "/cfg",
                   std::string(testing::kAccount) + "client_certificate_file = /etc/c.pem\n"
                                                    "client_certificate_key_file = /etc/c.key\n"},
                  {}, testing::FakeReader());
  REQUIRE_MESSAGE(config.ok(), config.status().message());
  CHECK(config->account.client_certificate_file == "/etc/c.pem");
  CHECK(config->account.client_certificate_file_where ==
        "hdc.ini:4: [account] client_certificate_file");
  CHECK(config->account.client_certificate_key_file == "/etc/c.key");
  CHECK(config->account.client_certificate_key_file_where ==
        "hdc.ini:5: [account] client_certificate_key_file");
  CHECK(config->account.client_secret_file.empty());
}

TEST_CASE("a secret file and a certificate file together are refused in one line naming both") {
  CHECK(
      ServiceError("", std::string(testing::kAccount) +
                           "client_secret_file = /etc/s\nclient_certificate_file = /etc/c.pem\n") ==
      "hdc.ini:5: [account] client_certificate_file: client_secret_file and "
      "client_certificate_file are both set (client_secret_file on line 4); an account signs "
      "in with exactly one of client_secret_file, client_certificate_file and "
      "federated_token_file");
  CHECK(
      ServiceError("", std::string(testing::kAccount) +
                           "client_certificate_file = /etc/c.pem\nclient_secret_file = /etc/s\n") ==
      "hdc.ini:5: [account] client_secret_file: client_secret_file and "
      "client_certificate_file are both set (client_certificate_file on line 4); an account "
      "signs in with exactly one of client_secret_file, client_certificate_file and "
      "federated_token_file");
  CHECK(ServiceError("", std::string(testing::kAccount) +
                             "federated_token_file = /run/t\nclient_secret_file = /etc/s\n") ==
        "hdc.ini:5: [account] client_secret_file: client_secret_file and federated_token_file "
        "are both set (federated_token_file on line 4); an account signs in with exactly one of "
        "client_secret_file, client_certificate_file and federated_token_file");
  CHECK(ServiceError("", std::string(testing::kAccount) + "client_certificate_key_file = /k\n") ==
        "hdc.ini:4: [account] client_certificate_key_file: client_certificate_key_file needs "
        "client_certificate_file");
  // Empty values count as absent, as in the annotated example (control).
  CHECK(ServiceError("", std::string(testing::kAccount) +
                             "client_secret_file = /etc/s\nclient_certificate_file =\n"
                             "client_certificate_key_file =\n") == "(no error)");
}

TEST_CASE("retention above 30 days is refused, and other bounds hold") {
  CHECK(ServiceError("[service]\nretention = 31d\n") ==
        "hdc.ini:2: [service] retention: 31d is above the maximum of 30d");
  CHECK(ServiceError("[service]\nretention = 721h\n") ==
        "hdc.ini:2: [service] retention: 721h is above the maximum of 30d");
  CHECK(ServiceError("[service]\nretention = 720h\n") == "(no error)");
  CHECK(ServiceError("[service]\npoll_interval = 30s\n") ==
        "hdc.ini:2: [service] poll_interval: 30s is below the minimum of 1m");
  CHECK(ServiceError("[service]\ndownload_concurrency = 0\n") ==
        "hdc.ini:2: [service] download_concurrency: 0 is out of range [1, 64]");
  CHECK(ServiceError("[service]\nmax_bandwidth = fast\n") ==
        "hdc.ini:2: [service] max_bandwidth: bad size 'fast': expected a whole number with an "
        "optional K, M, G or T suffix, e.g. 512K");
  CHECK(ServiceError("[service]\nretention_clock = latest\n") ==
        "hdc.ini:2: [service] retention_clock: expected one of earliest, downloaded, got 'latest'");
  CHECK(ServiceError("[service]\nlog_format = xml\n") ==
        "hdc.ini:2: [service] log_format: expected one of text, json, got 'xml'");
  CHECK(ServiceError("[service]\ncontrol_listen = 9187\n") ==
        "hdc.ini:2: [service] control_listen: expected HOST:PORT such as 127.0.0.1:9187, got "
        "'9187'");
  CHECK(ServiceError("[service]\nstate_dir =\n") ==
        "hdc.ini:1: [service]: state_dir must not be empty");
}

TEST_CASE("the slow-server bounds are parsed, bounded and checked against max_bandwidth") {
  auto config = ParseConfig(
      {"hdc.ini", "/cfg",
       "[service]\nrequest_deadline = 90s\nmin_transfer_rate = 4K\nmin_transfer_rate_window = 2s\n"
       "run_budget = 0\n" +
           std::string(testing::kAccount)},
      {}, testing::FakeReader());
  REQUIRE_MESSAGE(config.ok(), config.status().message());
  CHECK(config->service.request_deadline == std::chrono::seconds(90));
  CHECK(config->service.min_transfer_rate == 4096);
  CHECK(config->service.min_transfer_rate_window == std::chrono::seconds(2));
  CHECK(config->service.run_budget == std::chrono::seconds(0));
  CHECK(ServiceError("[service]\nmin_transfer_rate = 0\n") == "(no error)");
  CHECK(ServiceError("[service]\nrequest_deadline = 0\n") ==
        "hdc.ini:2: [service] request_deadline: 0 is below the minimum of 1s");
  CHECK(ServiceError("[service]\nrequest_deadline = 2d\n") ==
        "hdc.ini:2: [service] request_deadline: 2d is above the maximum of 1d");
  CHECK(ServiceError("[service]\nmin_transfer_rate_window = 2h\n") ==
        "hdc.ini:2: [service] min_transfer_rate_window: 2h is above the maximum of 1h");
  CHECK(ServiceError("[service]\nmin_transfer_rate = slow\n")
            .starts_with("hdc.ini:2: [service] min_transfer_rate: bad size 'slow'"));
  CHECK(ServiceError("[service]\nrun_budget = 8d\n") ==
        "hdc.ini:2: [service] run_budget: 8d is above the maximum of 7d");
  CHECK(ServiceError("[service]\nmax_bandwidth = 16K\ndownload_concurrency = 8\n"
                     "min_transfer_rate = 4K\n") ==
        "hdc.ini:4: [service] min_transfer_rate: 4K/s is more than max_bandwidth / "
        "download_concurrency (2K/s): every download would be cut");
  CHECK(ServiceError("[service]\nmax_bandwidth = 2K\n") ==
        "hdc.ini:2: [service] max_bandwidth: 1K/s is more than max_bandwidth / "
        "download_concurrency (512/s): every download would be cut");
  CHECK(ServiceError("[service]\nmax_bandwidth = 16K\ndownload_concurrency = 8\n") == "(no error)");
}

TEST_CASE("plain http is allowed only for loopback hosts") {
  CHECK(
      ServiceError("", "[account]\ntenant_id = t\nclient_id = c\napi_url = http://example.com\n") ==
      "hdc.ini:4: [account] api_url: plain http:// is allowed only for loopback hosts "
      "(127.0.0.0/8, ::1, localhost), not 'example.com'; use https://");
  CHECK(ServiceError("",
                     "[account]\ntenant_id = t\nclient_id = c\napi_url = http://127.0.0.9:80\n"
                     "login_url = http://[::1]:81\n") == "(no error)");
  CHECK(ServiceError("[service]\ncallback_url = http://10.0.0.1/cb\n")
            .starts_with("hdc.ini:2: [service] callback_url: plain http:// is allowed only"));
  CHECK(ServiceError("", "[account]\ntenant_id = t\nclient_id = c\nlogin_url = ftp://x\n") ==
        "hdc.ini:4: [account] login_url: bad URL 'ftp://x': only http and https are supported");
}

TEST_CASE("account keys are required and checked") {
  CHECK(ServiceError("", "[account]\nclient_id = c\n") ==
        "hdc.ini:1: [account]: missing required key 'tenant_id'");
  CHECK(ServiceError("", "[account]\ntenant_id = t\n") ==
        "hdc.ini:1: [account]: missing required key 'client_id'");
  CHECK(
      ServiceError("", "[account]\ntenant_id = t/../x\nclient_id = c\n") ==
      "hdc.ini:2: [account] tenant_id: expected a GUID or domain name (letters, digits, '-', '.')");
  CHECK(ServiceError("[service]\n", "") == "hdc.ini: missing section [account]");
  CHECK(ServiceError("", "[account]\ntenant_id = t\nclient_id = c\nsecret = x\n") ==
        "hdc.ini:4: [account] secret: unknown key");
}

TEST_CASE("unknown sections are errors") {
  CHECK(ServiceError("[servce]\n") ==
        "hdc.ini:1: [servce]: unknown section; expected [service], [account], [account NAME] or "
        "[job NAME]");
}

TEST_CASE("the annotated example names every service and account key with its default") {
  auto text = ReadTextFile(std::string(HDC_SOURCE_DIR) + "/config/hdc-reportd.ini");
  REQUIRE(text.ok());
  for (const KeyInfo& key : ConfigKeys()) {
    const std::string prefix = std::string(key.section).starts_with("job") ? "; " : "";
    const std::string line = prefix + std::string(key.key) + " = ";
    INFO("key " << key.key);
    CHECK(text->find("\n" + line) != std::string::npos);
    if (!key.default_value.empty() && key.default_value != "auto" && prefix.empty()) {
      CHECK(text->find("\n" + line + std::string(key.default_value)) != std::string::npos);
    }
  }
}

}  // namespace
}  // namespace hdc::config
