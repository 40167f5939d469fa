#include "config/secret_source.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/logging.h"
#include "util/redact.h"
#include "util/strings.h"

namespace hdc::config {
namespace {

namespace fs = std::filesystem;

std::string TrimTrailingNewlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// Why `path` (links followed) is not a regular file the secret may come from;
// empty when it is one. Checked before the open: opening a FIFO blocks until
// a writer comes, a device or a /proc file (regular to stat, such as
// /proc/self/environ) would hand over bytes that are not a secret file's. A
// swap between this check and the open is not defended: whoever can rename
// in that directory controls the secret anyway.
std::string NotARegularFile(const std::string& path, const fs::file_status& status) {
  switch (status.type()) {
    case fs::file_type::regular:
      break;
    case fs::file_type::directory:
      return "a directory";
    case fs::file_type::fifo:
      return "a FIFO";
    case fs::file_type::character:
    case fs::file_type::block:
      return "a device";
    case fs::file_type::socket:
      return "a socket";
    default:
      return "a special file";
  }
  std::error_code ec;
  const std::string real = fs::canonical(path, ec).generic_string();
  if (!ec && (real == "/proc" || real.rfind("/proc/", 0) == 0)) return "a file in /proc";
  return "";
}

constexpr std::string_view kPrivateKeyMarker = "PRIVATE KEY-----";

// Whether group or others may read the file. Always false on Windows, where
// the folder's ACL, not a mode, guards it (docs/operations.md §Client secret).
bool ReadableByOthers(const fs::file_status& status) {
#ifndef _WIN32
  constexpr auto kOthers = fs::perms::group_read | fs::perms::others_read;
  return (status.permissions() & kOthers) != fs::perms::none;
#else
  (void)status;
  return false;
#endif
}

// Who may read a secret file: anyone (systemd's credential folder guards
// it), its owner only, or its owner only when it holds a private key (a
// certificate file, which may or may not carry its key).
enum class Readers { kAny, kOwnerOnly, kOwnerOnlyIfKey };

util::Result<Secret> ReadSecretFile(const std::string& path, const std::string& where,
                                    Readers readers) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) {
    return util::ConfigError(
        where + ": cannot read " + path + ": " +
        (ec && status.type() != fs::file_type::not_found ? ec.message() : "file not found"));
  }
  if (const std::string what = NotARegularFile(path, status); !what.empty()) {
    return util::ConfigError(where + ": " + path + " is " + what +
                             ", not a regular file; put the secret in a file of its own");
  }
  const bool readable_by_others = ReadableByOthers(status);
  if (readers == Readers::kOwnerOnly && readable_by_others) {
    return util::ConfigError(where + ": " + path +
                             " is readable by group or others; run: chmod 600 " + path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return util::ConfigError(where + ": cannot read " + path + ": permission denied");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string value = TrimTrailingNewlines(buffer.str());
  if (value.empty()) return util::ConfigError(where + ": " + path + " is empty");
  if (readers == Readers::kOwnerOnlyIfKey && readable_by_others &&
      value.find(kPrivateKeyMarker) != std::string::npos) {
    Secret wiped(std::move(value));
    return util::ConfigError(where + ": " + path +
                             " holds a private key and is readable by group or others; run: "
                             "chmod 600 " +
                             path);
  }
  return Secret(std::move(value));
}

}  // namespace

Secret::~Secret() { util::Wipe(value_); }

EnvLookup ProcessEnvironment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

namespace {

// The environment is the weakest source: children inherit it, and the
// environment block can be read by the same user (/proc/PID/environ) until it
// is changed. Removed as soon as it is read, with one warning, without the
// value (docs/operations.md §Client secret).
void ForgetEnvironmentSecret(const EnvRemove& remove) {
  std::string removed = "removed from the environment";
  if (const util::Status status = remove("HDC_CLIENT_SECRET"); !status.ok()) {
    removed = "not removed from the environment: " + status.message();
  }
  util::GetLogger("config")->warn(
      "client secret from the environment variable HDC_CLIENT_SECRET, the weakest source "
      "(inherited by child processes, readable in the environment block), {}; prefer "
      "client_secret_file or a systemd credential",
      removed);
}

util::Result<Secret> FindSecret(const AccountConfig& account, const EnvLookup& env,
                                const EnvRemove& remove) {
  if (!account.client_secret_file.empty()) {
    auto secret = ReadSecretFile(account.client_secret_file, account.client_secret_file_where,
                                 Readers::kOwnerOnly);
    if (secret.ok()) secret->set_origin("file " + account.client_secret_file);
    return secret;
  }
  std::error_code ec;  // a link loop there is reported by ReadSecretFile, not thrown
  if (auto dir = env("CREDENTIALS_DIRECTORY");
      dir && fs::status(fs::path(*dir) / "client-secret", ec).type() != fs::file_type::not_found) {
    // systemd owns this directory and its modes; no mode check.
    const std::string path = (fs::path(*dir) / "client-secret").string();
    auto secret = ReadSecretFile(path, "systemd credential client-secret", Readers::kAny);
    if (secret.ok()) secret->set_origin("systemd credential client-secret");
    return secret;
  }
  if (auto value = env("HDC_CLIENT_SECRET"); value && !value->empty()) {
    // Moved, so the lookup's copy is the one the Secret wipes.
    Secret secret(TrimTrailingNewlines(std::move(*value)));
    secret.set_origin("environment variable HDC_CLIENT_SECRET");
    ForgetEnvironmentSecret(remove);
    return secret;
  }
  return util::ConfigError(
      "[account]: no client secret: set client_secret_file, a systemd credential "
      "'client-secret' (LoadCredential=), or HDC_CLIENT_SECRET");
}

constexpr std::string_view kKeyCredential = "client-certificate-key";
constexpr std::string_view kFederatedCredential = "federated-token";

}  // namespace

util::Result<CertificatePem> LoadClientCertificate(const AccountConfig& account,
                                                   const EnvLookup& env) {
  const std::string& path = account.client_certificate_file;
  HDC_ASSIGN_OR_RETURN(
      Secret certificate,
      ReadSecretFile(path, account.client_certificate_file_where, Readers::kOwnerOnlyIfKey));
  const std::string certificate_source = "client_certificate_file " + path;
  if (!account.client_certificate_key_file.empty()) {
    const std::string& key_path = account.client_certificate_key_file;
    HDC_ASSIGN_OR_RETURN(
        Secret key,
        ReadSecretFile(key_path, account.client_certificate_key_file_where, Readers::kOwnerOnly));
    return CertificatePem{std::move(certificate), std::move(key), certificate_source,
                          "client_certificate_key_file " + key_path};
  }
  std::error_code ec;
  if (auto dir = env("CREDENTIALS_DIRECTORY");
      dir && fs::status(fs::path(*dir) / kKeyCredential, ec).type() != fs::file_type::not_found) {
    // systemd owns this directory and its modes; no mode check.
    const std::string key_path = (fs::path(*dir) / kKeyCredential).string();
    HDC_ASSIGN_OR_RETURN(
        Secret key,
        ReadSecretFile(key_path, "systemd credential client-certificate-key", Readers::kAny));
    return CertificatePem{std::move(certificate), std::move(key), certificate_source,
                          "systemd credential client-certificate-key"};
  }
  return CertificatePem{std::move(certificate), Secret(""), certificate_source, certificate_source};
}

std::optional<FederatedTokenSource> FindFederatedToken(const AccountConfig& account,
                                                       const EnvLookup& env) {
  if (!account.federated_token_file.empty()) {
    return FederatedTokenSource{account.federated_token_file, account.federated_token_file_where,
                                "federated_token_file " + account.federated_token_file, true};
  }
  if (!account.client_secret_file.empty() || !account.client_certificate_file.empty()) {
    return std::nullopt;
  }
  auto dir = env("CREDENTIALS_DIRECTORY");
  if (!dir) return std::nullopt;
  std::error_code ec;
  const auto present = [&](std::string_view name) {
    return fs::status(fs::path(*dir) / name, ec).type() != fs::file_type::not_found;
  };
  // A client-secret credential comes first, as it always has.
  if (present("client-secret") || !present(kFederatedCredential)) return std::nullopt;
  // systemd owns this directory and its modes; no mode check.
  return FederatedTokenSource{(fs::path(*dir) / kFederatedCredential).string(),
                              "systemd credential federated-token",
                              "systemd credential federated-token", false};
}

util::Result<Secret> ReadFederatedToken(const FederatedTokenSource& source) {
  HDC_ASSIGN_OR_RETURN(Secret token,
                       ReadSecretFile(source.path, source.where,
                                      source.owner_only ? Readers::kOwnerOnly : Readers::kAny));
  const std::string_view text = token.Reveal();
  const auto dots = std::count(text.begin(), text.end(), '.');
  if (dots != 2 || text.find_first_of(" \t\r\n") != std::string_view::npos) {
    return util::ConfigError(source.where + ": " + source.path +
                             " does not hold a JWT (three dot-separated parts on one line)");
  }
  return token;
}

util::Result<Secret> LoadClientSecret(const AccountConfig& account, const EnvLookup& env,
                                      const EnvRemove& remove) {
  auto secret = FindSecret(account, env, remove);
  if (secret.ok()) util::AddSecret(secret->Reveal());
  return secret;
}

}  // namespace hdc::config
