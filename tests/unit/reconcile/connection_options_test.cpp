#include "reconcile/connection_options.h"

#include <filesystem>
#include <map>

#include <doctest/doctest.h>

#include "support/temp_dir.h"

namespace hdc::reconcile {
namespace {

TEST_CASE("every [account] and [service] connection setting reaches the connection's options") {
  config::Config config;
  config.account.tenant_id = "tenant";
  config.account.client_id = "client";
  config.account.api_url = "https://api.example";
  config.account.login_url = "https://login.example";
  config.account.ca_file = "/etc/extra-ca.pem";
  config.account.proxy = "http://proxy:3128";
  config.service.request_deadline = std::chrono::seconds(90);
  config.service.min_transfer_rate = 4096;
  config.service.min_transfer_rate_window = std::chrono::seconds(12);

  const api::ConnectionOptions o = ConnectionOptionsFrom(config, "hdc-test/1.2");

  CHECK(o.http.user_agent == "hdc-test/1.2");
  CHECK(o.http.ca_file == "/etc/extra-ca.pem");
  CHECK(o.http.proxy == "http://proxy:3128");
  CHECK(o.http.min_transfer_rate == 4096);
  CHECK(o.http.min_transfer_rate_window == std::chrono::seconds(12));
  CHECK(o.token.login_url == "https://login.example");
  CHECK(o.token.tenant_id == "tenant");
  CHECK(o.token.client_id == "client");
  CHECK(o.api.api_url == "https://api.example");
  CHECK(o.api.retry.deadline == std::chrono::seconds(90));
  CHECK(o.token.retry.deadline == std::chrono::seconds(90));
}

// An environment holding the fallbacks an unnamed account may use.
config::EnvLookup FallbackEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    if (name == "HDC_CLIENT_SECRET") return "env-secret-canary";
    return std::nullopt;
  };
}

config::EnvRemove KeepEnv() {
  return [](std::string_view) { return util::Status::Ok(); };
}

config::AccountConfig AccountNamed(const std::string& name, const std::string& secret_file) {
  config::AccountConfig account;
  account.name = name;
  account.where = "hdc.ini:1";
  account.tenant_id = "t-" + name;
  account.client_id = "c-" + name;
  account.client_secret_file = secret_file;
  return account;
}

TEST_CASE("each account's credential is read from its own file, by account name") {
  testing::TempDir dir;
  config::Config config;
  for (const std::string name : {"a", "b"}) {
    const std::string path = dir.Write(name + ".secret", "secret-" + name + "\n");
    std::filesystem::permissions(
        path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    config.accounts.push_back(AccountNamed(name, path));
  }
  auto credentials = LoadAccountCredentials(config, FallbackEnv(), KeepEnv());
  REQUIRE_MESSAGE(credentials.ok(), credentials.status().message());
  REQUIRE(credentials->size() == 2);
  CHECK(credentials->at("a").secret() == "secret-a");
  CHECK(credentials->at("b").secret() == "secret-b");
}

TEST_CASE("with several accounts, one without a credential file is refused naming it") {
  testing::TempDir dir;
  const std::string path = dir.Write("a.secret", "secret-a\n");
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  config::Config config;
  config.accounts.push_back(AccountNamed("a", path));
  config.accounts.push_back(AccountNamed("b", ""));
  auto credentials = LoadAccountCredentials(config, FallbackEnv(), KeepEnv());
  REQUIRE_FALSE(credentials.ok());
  CHECK(credentials.status().kind() == util::ErrorKind::kConfig);
  CHECK(credentials.status().message().starts_with(
      "hdc.ini:1: [account b] names no credential file; with several accounts each sets "
      "client_secret_file"));
  // Control: alone, the same account takes the environment's secret.
  config.accounts.erase(config.accounts.begin());
  auto alone = LoadAccountCredentials(config, FallbackEnv(), KeepEnv());
  REQUIRE_MESSAGE(alone.ok(), alone.status().message());
  CHECK(alone->at("b").secret() == "env-secret-canary");
}

}  // namespace
}  // namespace hdc::reconcile
