#include "config/secret_source.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <type_traits>

#include "support/skip.h"
#include "support/temp_dir.h"
#include "util/redact.h"

namespace hdc::config {
namespace {

// chmod through the standard library (so the file compiles everywhere).
void SetMode(const std::string& path, unsigned mode) {
  std::filesystem::permissions(path, static_cast<std::filesystem::perms>(mode));
}

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// The type offers no way to print it: no stream operator, no copies.
template <typename T>
concept Streamable = requires(std::ostream& os, const T& t) { os << t; };
static_assert(!Streamable<Secret>);
static_assert(!std::is_copy_constructible_v<Secret>);

TEST_CASE("the client secret comes from a private file, trimmed") {
  hdc::testing::TempDir dir;
  const std::string path = dir.Write("client-secret", "s3cr3t-from-file\n");
  SetMode(path, 0600);
  AccountConfig account;
  account.client_secret_file = path;
  auto secret = LoadClientSecret(account, Env({{"HDC_CLIENT_SECRET", "from-env-ignored"}}));
  REQUIRE_MESSAGE(secret.ok(), secret.status().message());
  CHECK(secret->Reveal() == "s3cr3t-from-file");
  CHECK(secret->origin() == "file " + path);
  CHECK(util::Redact("x s3cr3t-from-file y") == "x [REDACTED] y");
}

TEST_CASE("a secret file readable by group or others is refused with the fix") {
  HDC_SKIP_ON_WINDOWS("POSIX mode bits; on Windows access comes from the ACL of the folder");
  hdc::testing::TempDir dir;
  const std::string path = dir.Write("client-secret", "s3cr3t\n");
  AccountConfig account;
  account.client_secret_file = path;
  account.client_secret_file_where = "hdc.ini:9: [account] client_secret_file";
  for (unsigned mode : {0640, 0604, 0644}) {
    SetMode(path, mode);
    auto secret = LoadClientSecret(account, Env({}));
    REQUIRE_FALSE(secret.ok());
    CHECK(secret.status().kind() == util::ErrorKind::kConfig);
    CHECK(secret.status().message() == "hdc.ini:9: [account] client_secret_file: " + path +
                                           " is readable by group or others; run: chmod 600 " +
                                           path);
  }
}

TEST_CASE("a missing or empty secret file is a config error naming it") {
  hdc::testing::TempDir dir;
  AccountConfig account;
  account.client_secret_file = dir / "nope";
  account.client_secret_file_where = "hdc.ini:9: [account] client_secret_file";
  auto missing = LoadClientSecret(account, Env({}));
  CHECK(missing.status().message() ==
        "hdc.ini:9: [account] client_secret_file: cannot read " + (dir / "nope") +
            ": file not found");
  const std::string empty = dir.Write("empty", "\n");
  SetMode(empty, 0600);
  account.client_secret_file = empty;
  CHECK(LoadClientSecret(account, Env({})).status().message() ==
        "hdc.ini:9: [account] client_secret_file: " + empty + " is empty");
}

TEST_CASE("without a file, the systemd credential wins over the environment") {
  hdc::testing::TempDir dir;
  dir.Write("client-secret", "from-systemd-credential\n");
  auto secret = LoadClientSecret(
      AccountConfig{}, Env({{"CREDENTIALS_DIRECTORY", dir.path()}, {"HDC_CLIENT_SECRET", "env"}}));
  REQUIRE(secret.ok());
  CHECK(secret->Reveal() == "from-systemd-credential");
  CHECK(secret->origin() == "systemd credential client-secret");
}

TEST_CASE("the environment variable is the last source") {
  hdc::testing::TempDir empty_credentials;
  auto secret = LoadClientSecret(AccountConfig{}, Env({{"CREDENTIALS_DIRECTORY", empty_credentials.path()},
                                                       {"HDC_CLIENT_SECRET", "env-secret-1"}}));
  REQUIRE(secret.ok());
  CHECK(secret->Reveal() == "env-secret-1");
  CHECK(secret->origin() == "environment variable HDC_CLIENT_SECRET");
}

TEST_CASE("no source at all is a config error listing the three") {
  auto secret = LoadClientSecret(AccountConfig{}, Env({}));
  REQUIRE_FALSE(secret.ok());
  CHECK(secret.status().exit_code() == 78);
  CHECK(secret.status().message() ==
        "[account]: no client secret: set client_secret_file, a systemd credential "
        "'client-secret' (LoadCredential=), or HDC_CLIENT_SECRET");
}

}  // namespace
}  // namespace hdc::config
