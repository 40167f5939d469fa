#include "config/secret_source.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>
#include <type_traits>
#include <vector>

#include <doctest/doctest.h>

#include "support/log_capture.h"
#include "support/skip.h"
#include "support/temp_dir.h"
#include "util/redact.h"

#ifndef _WIN32
#include <sys/stat.h>
#endif

namespace hdc::config {
namespace {

using hdc::testing::LogCapture;

// chmod through the standard library (so the file compiles everywhere).
void SetMode(const std::string& path, unsigned mode) {
  std::filesystem::permissions(path, static_cast<std::filesystem::perms>(mode));
}

// An account whose client_secret_file is a private (0600) file in `dir`.
AccountConfig AccountWithSecretFile(hdc::testing::TempDir& dir, const std::string& content) {
  const std::string path = dir.Write("client-secret", content);
  SetMode(path, 0600);
  AccountConfig account;
  account.client_secret_file = path;
  return account;
}

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// Records the names it is asked to remove; answers `result`.
struct Remover {
  std::vector<std::string> removed;
  util::Status result = util::Status::Ok();
  EnvRemove Fn() {
    return [this](std::string_view name) {
      removed.emplace_back(name);
      return result;
    };
  }
};

// Loads with a remover that records and succeeds.
util::Result<Secret> Load(const AccountConfig& account, const EnvLookup& env) {
  Remover remover;
  return LoadClientSecret(account, env, remover.Fn());
}

// The type offers no way to print it: no stream operator, no copies.
template <typename T>
concept Streamable = requires(std::ostream& os, const T& t) {
  os << t;
};
static_assert(!Streamable<Secret>);
static_assert(!std::is_copy_constructible_v<Secret>);

TEST_CASE("the client secret comes from a private file, trimmed") {
  hdc::testing::TempDir dir;
  const AccountConfig account = AccountWithSecretFile(dir, "s3cr3t-from-file\n");
  auto secret = Load(account, Env({{"HDC_CLIENT_SECRET", "from-env-ignored"}}));
  REQUIRE_MESSAGE(secret.ok(), secret.status().message());
  CHECK(secret->Reveal() == "s3cr3t-from-file");
  CHECK(secret->origin() == "file " + account.client_secret_file);
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
    auto secret = Load(account, Env({}));
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
  auto missing = Load(account, Env({}));
  CHECK(missing.status().message() == "hdc.ini:9: [account] client_secret_file: cannot read " +
                                          (dir / "nope") + ": file not found");
  const std::string empty = dir.Write("empty", "\n");
  SetMode(empty, 0600);
  account.client_secret_file = empty;
  CHECK(Load(account, Env({})).status().message() ==
        "hdc.ini:9: [account] client_secret_file: " + empty + " is empty");
}

TEST_CASE("without a file, the systemd credential wins over the environment") {
  hdc::testing::TempDir dir;
  dir.Write("client-secret", "from-systemd-credential\n");
  auto secret = Load(AccountConfig{},
                     Env({{"CREDENTIALS_DIRECTORY", dir.path()}, {"HDC_CLIENT_SECRET", "env"}}));
  REQUIRE(secret.ok());
  CHECK(secret->Reveal() == "from-systemd-credential");
  CHECK(secret->origin() == "systemd credential client-secret");
}

TEST_CASE("the environment variable is the last source") {
  LogCapture logs;  // its warning is checked below
  hdc::testing::TempDir empty_credentials;
  auto secret = Load(AccountConfig{}, Env({{"CREDENTIALS_DIRECTORY", empty_credentials.path()},
                                           {"HDC_CLIENT_SECRET", "env-secret-1"}}));
  REQUIRE(secret.ok());
  CHECK(secret->Reveal() == "env-secret-1");
  CHECK(secret->origin() == "environment variable HDC_CLIENT_SECRET");
}

TEST_CASE("no source at all is a config error listing the three") {
  auto secret = Load(AccountConfig{}, Env({}));
  REQUIRE_FALSE(secret.ok());
  CHECK(secret.status().exit_code() == 78);
  CHECK(secret.status().message() ==
        "[account]: no client secret: set client_secret_file, a systemd credential "
        "'client-secret' (LoadCredential=), or HDC_CLIENT_SECRET");
}

TEST_CASE("a secret from the environment is removed from it, with one warning without the value") {
  LogCapture logs;
  Remover remover;
  auto secret = LoadClientSecret(AccountConfig{}, Env({{"HDC_CLIENT_SECRET", "env-canary-8150"}}),
                                 remover.Fn());
  REQUIRE(secret.ok());
  CHECK(secret->Reveal() == "env-canary-8150");
  CHECK(remover.removed == std::vector<std::string>{"HDC_CLIENT_SECRET"});
  const std::string text = logs.text();
  CHECK(text.find("warn") != std::string::npos);
  CHECK(text.find("HDC_CLIENT_SECRET, the weakest source") != std::string::npos);
  CHECK(text.find("removed from the environment") != std::string::npos);
  CHECK(text.find("env-canary-8150") == std::string::npos);
  CHECK(text.find("[REDACTED]") == std::string::npos);
  CHECK(std::count(text.begin(), text.end(), '\n') == 1);
}

TEST_CASE("a secret from a file leaves the environment alone and warns nothing") {
  // The control of the case above: the same recorder and capture stay empty.
  hdc::testing::TempDir dir;
  const AccountConfig account = AccountWithSecretFile(dir, "file-canary-8151\n");
  LogCapture logs;
  Remover remover;
  auto secret =
      LoadClientSecret(account, Env({{"HDC_CLIENT_SECRET", "env-ignored-8152"}}), remover.Fn());
  REQUIRE(secret.ok());
  CHECK(remover.removed.empty());
  CHECK(logs.text().empty());
}

TEST_CASE("a failure to remove the variable is named in the warning and the secret still used") {
  LogCapture logs;
  Remover remover;
  remover.result = util::InternalError("cannot remove HDC_CLIENT_SECRET from the environment");
  auto secret = LoadClientSecret(AccountConfig{}, Env({{"HDC_CLIENT_SECRET", "env-canary-8153"}}),
                                 remover.Fn());
  REQUIRE(secret.ok());
  CHECK(secret->Reveal() == "env-canary-8153");
  CHECK(logs.text().find("not removed from the environment: cannot remove HDC_CLIENT_SECRET") !=
        std::string::npos);
}

TEST_CASE("a secret file that is a directory is refused in one line naming the file and the key") {
  hdc::testing::TempDir dir;
  std::filesystem::create_directory(dir / "secret.d");
  AccountConfig account;
  account.client_secret_file = dir / "secret.d";
  account.client_secret_file_where = "hdc.ini:9: [account] client_secret_file";
  auto secret = Load(account, Env({}));
  REQUIRE_FALSE(secret.ok());
  CHECK(secret.status().exit_code() == 78);
  CHECK(secret.status().message() ==
        "hdc.ini:9: [account] client_secret_file: " + (dir / "secret.d") +
            " is a directory, not a regular file; put the secret "
            "in a file of its own");
}

TEST_CASE("a secret file that is a device or in /proc is refused naming the file and the key") {
  HDC_SKIP_ON_WINDOWS("no /dev/null or /proc on Windows");
  AccountConfig account;
  account.client_secret_file_where = "hdc.ini:9: [account] client_secret_file";
  const std::map<std::string, std::string> kinds{{"/dev/null", "a device"},
                                                 {"/proc/self/environ", "a file in /proc"},
                                                 {"/proc/self/cmdline", "a file in /proc"}};
  for (const auto& [path, kind] : kinds) {
    CAPTURE(path);
    account.client_secret_file = path;
    auto secret = Load(account, Env({}));
    REQUIRE_FALSE(secret.ok());
    CHECK(secret.status().exit_code() == 78);
    CHECK(secret.status().message() == "hdc.ini:9: [account] client_secret_file: " + path + " is " +
                                           kind +
                                           ", not a regular file; put the secret in a file of "
                                           "its own");
  }
}

TEST_CASE(
    "a secret file or systemd credential that is a symbolic link loop is a configuration error") {
  HDC_SKIP_ON_WINDOWS(HDC_NO_SYMLINKS_ON_WINDOWS);
  hdc::testing::TempDir dir;
  const std::string loop = dir / "client-secret";
  std::filesystem::create_symlink("client-secret", loop);
  AccountConfig account;
  account.client_secret_file = loop;
  account.client_secret_file_where = "hdc.ini:9: [account] client_secret_file";
  auto secret = Load(account, Env({}));
  REQUIRE_FALSE(secret.ok());
  CHECK(secret.status().exit_code() == 78);
  CHECK(secret.status().message() == "hdc.ini:9: [account] client_secret_file: cannot read " +
                                         loop + ": Too many levels of symbolic links");
  auto credential = Load(AccountConfig{}, Env({{"CREDENTIALS_DIRECTORY", dir.path()}}));
  REQUIRE_FALSE(credential.ok());
  CHECK(credential.status().exit_code() == 78);
  CHECK(credential.status().message() == "systemd credential client-secret: cannot read " + loop +
                                             ": Too many levels of symbolic links");
}

TEST_CASE("a secret file that is a FIFO is refused without waiting for a writer") {
  HDC_SKIP_ON_WINDOWS("no mkfifo on Windows");
#ifndef _WIN32
  hdc::testing::TempDir dir;
  const std::string fifo = dir / "client-secret";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  AccountConfig account;
  account.client_secret_file = fifo;
  account.client_secret_file_where = "hdc.ini:9: [account] client_secret_file";
  auto secret = Load(account, Env({}));
  REQUIRE_FALSE(secret.ok());
  CHECK(secret.status().message() == "hdc.ini:9: [account] client_secret_file: " + fifo +
                                         " is a FIFO, not a regular file; put the secret in a "
                                         "file of its own");
  // A systemd credential is held to the same rule.
  auto credential = Load(AccountConfig{}, Env({{"CREDENTIALS_DIRECTORY", dir.path()}}));
  REQUIRE_FALSE(credential.ok());
  CHECK(credential.status().message() == "systemd credential client-secret: " + fifo +
                                             " is a FIFO, not a regular file; put the secret in "
                                             "a file of its own");
#endif
}

// A certificate account with its files in `dir` (PEM-looking text: this
// module reads files, auth/ parses them).
AccountConfig CertificateAccount(hdc::testing::TempDir& dir, const std::string& certificate,
                                 const std::string& key) {
  AccountConfig account;
  account.client_certificate_file = dir.Write("c.pem", certificate);
  account.client_certificate_file_where = "hdc.ini:5: [account] client_certificate_file";
  SetMode(account.client_certificate_file, 0644);
  if (!key.empty()) {
    account.client_certificate_key_file = dir.Write("c.key", key);
    account.client_certificate_key_file_where = "hdc.ini:6: [account] client_certificate_key_file";
    SetMode(account.client_certificate_key_file, 0600);
  }
  return account;
}

constexpr const char* kCertText = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
constexpr const char* kKeyText = "-----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----\n";

TEST_CASE(
    "a certificate's key comes from its key file, the systemd credential, or the certificate") {
  hdc::testing::TempDir dir;
  AccountConfig with_key = CertificateAccount(dir, kCertText, kKeyText);
  auto pem = LoadClientCertificate(with_key, Env({}));
  REQUIRE_MESSAGE(pem.ok(), pem.status().message());
  CHECK(pem->key.Reveal().find("BBBB") != std::string_view::npos);
  CHECK(pem->certificate_source == "client_certificate_file " + with_key.client_certificate_file);
  CHECK(pem->key_source == "client_certificate_key_file " + with_key.client_certificate_key_file);

  hdc::testing::TempDir credentials;
  credentials.Write("client-certificate-key", kKeyText);
  AccountConfig no_key = CertificateAccount(dir, kCertText, "");
  auto from_systemd =
      LoadClientCertificate(no_key, Env({{"CREDENTIALS_DIRECTORY", credentials.path()}}));
  REQUIRE_MESSAGE(from_systemd.ok(), from_systemd.status().message());
  CHECK(from_systemd->key_source == "systemd credential client-certificate-key");
  CHECK(from_systemd->key.Reveal().find("BBBB") != std::string_view::npos);

  auto beside = LoadClientCertificate(no_key, Env({}));
  REQUIRE_MESSAGE(beside.ok(), beside.status().message());
  CHECK(beside->key.Reveal().empty());
  CHECK(beside->key_source == beside->certificate_source);
}

TEST_CASE("a key readable by others is refused, in its file or beside the certificate") {
  HDC_SKIP_ON_WINDOWS("POSIX modes");
  hdc::testing::TempDir dir;
  AccountConfig account = CertificateAccount(dir, kCertText, kKeyText);
  SetMode(account.client_certificate_key_file, 0644);
  auto open_key = LoadClientCertificate(account, Env({}));
  REQUIRE_FALSE(open_key.ok());
  CHECK(open_key.status().kind() == util::ErrorKind::kConfig);
  CHECK(open_key.status().message() ==
        "hdc.ini:6: [account] client_certificate_key_file: " + account.client_certificate_key_file +
            " is readable by group or others; run: chmod 600 " +
            account.client_certificate_key_file);

  AccountConfig combined = CertificateAccount(dir, std::string(kCertText) + kKeyText, "");
  auto open_combined = LoadClientCertificate(combined, Env({}));
  REQUIRE_FALSE(open_combined.ok());
  CHECK(open_combined.status().message() ==
        "hdc.ini:5: [account] client_certificate_file: " + combined.client_certificate_file +
            " holds a private key and is readable by group or others; run: chmod 600 " +
            combined.client_certificate_file);
  CHECK(open_combined.status().message().find("BBBB") == std::string::npos);
  // Control: a certificate without a key may be world-readable.
  CHECK(LoadClientCertificate(CertificateAccount(dir, kCertText, kKeyText), Env({})).ok());
}

TEST_CASE("a federated token comes from its file, owner-only, and must hold a JWT") {
  hdc::testing::TempDir dir;
  AccountConfig account;
  account.federated_token_file = dir.Write("token", "aaa.bbb.ccc\n");
  account.federated_token_file_where = "hdc.ini:7: [account] federated_token_file";
  SetMode(account.federated_token_file, 0600);
  auto source = FindFederatedToken(account, Env({}));
  REQUIRE(source.has_value());
  CHECK(source->origin == "federated_token_file " + account.federated_token_file);
  auto token = ReadFederatedToken(*source);
  REQUIRE_MESSAGE(token.ok(), token.status().message());
  CHECK(token->Reveal() == "aaa.bbb.ccc");
  // Rewritten by whoever renews it: the next read sees the new token.
  dir.Write("token", "ddd.eee.fff");
  CHECK(ReadFederatedToken(*source)->Reveal() == "ddd.eee.fff");
  dir.Write("token", "not a jwt");
  CHECK(ReadFederatedToken(*source).status().message() ==
        "hdc.ini:7: [account] federated_token_file: " + account.federated_token_file +
            " does not hold a JWT (three dot-separated parts on one line)");
  dir.Write("token", "aaa.bbb");
  CHECK_FALSE(ReadFederatedToken(*source).ok());
#ifndef _WIN32
  dir.Write("token", "aaa.bbb.ccc");
  SetMode(account.federated_token_file, 0644);
  CHECK(ReadFederatedToken(*source).status().message() ==
        "hdc.ini:7: [account] federated_token_file: " + account.federated_token_file +
            " is readable by group or others; run: chmod 600 " + account.federated_token_file);
#endif
}

TEST_CASE("the systemd credential federated-token is used only when nothing else names one") {
  hdc::testing::TempDir dir;
  dir.Write("federated-token", "aaa.bbb.ccc");
  const EnvLookup env = Env({{"CREDENTIALS_DIRECTORY", dir.path()}});
  auto source = FindFederatedToken(AccountConfig{}, env);
  REQUIRE(source.has_value());
  CHECK(source->origin == "systemd credential federated-token");
  CHECK(ReadFederatedToken(*source)->Reveal() == "aaa.bbb.ccc");
  AccountConfig with_secret;
  with_secret.client_secret_file = "/etc/s";
  CHECK_FALSE(FindFederatedToken(with_secret, env).has_value());
  CHECK_FALSE(FindFederatedToken(AccountConfig{}, Env({})).has_value());
  // A client-secret credential beside it comes first, as it always has.
  dir.Write("client-secret", "s");
  CHECK_FALSE(FindFederatedToken(AccountConfig{}, env).has_value());
}

}  // namespace
}  // namespace hdc::config
