#include "config/secret_source.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/redact.h"

namespace hdc::config {
namespace {

namespace fs = std::filesystem;

std::string TrimTrailingNewlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

util::Result<Secret> ReadSecretFile(const std::string& path, const std::string& where,
                                    bool check_mode) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    return util::ConfigError(where + ": cannot read " + path + ": file not found");
  }
#ifndef _WIN32
  constexpr auto kOthers = fs::perms::group_read | fs::perms::others_read;
  if (check_mode && (status.permissions() & kOthers) != fs::perms::none) {
    return util::ConfigError(where + ": " + path +
                             " is readable by group or others; run: chmod 600 " + path);
  }
#else
  (void)check_mode;
#endif
  std::ifstream in(path, std::ios::binary);
  if (!in) return util::ConfigError(where + ": cannot read " + path + ": permission denied");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string value = TrimTrailingNewlines(buffer.str());
  if (value.empty()) return util::ConfigError(where + ": " + path + " is empty");
  return Secret(std::move(value));
}

}  // namespace

Secret::~Secret() {
  // Wipe through a volatile pointer so the stores are not optimised away.
  volatile char* p = value_.data();
  for (size_t i = 0; i < value_.size(); ++i) p[i] = 0;
}

EnvLookup ProcessEnvironment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

namespace {

util::Result<Secret> FindSecret(const AccountConfig& account, const EnvLookup& env) {
  if (!account.client_secret_file.empty()) {
    auto secret =
        ReadSecretFile(account.client_secret_file, account.client_secret_file_where, true);
    if (secret.ok()) secret->set_origin("file " + account.client_secret_file);
    return secret;
  }
  if (auto dir = env("CREDENTIALS_DIRECTORY");
      dir && fs::exists(fs::path(*dir) / "client-secret")) {
    // systemd owns this directory and its modes; no mode check.
    const std::string path = (fs::path(*dir) / "client-secret").string();
    auto secret = ReadSecretFile(path, "systemd credential client-secret", false);
    if (secret.ok()) secret->set_origin("systemd credential client-secret");
    return secret;
  }
  if (auto value = env("HDC_CLIENT_SECRET"); value && !value->empty()) {
    Secret secret(TrimTrailingNewlines(*value));
    secret.set_origin("environment variable HDC_CLIENT_SECRET");
    return secret;
  }
  return util::ConfigError(
      "[account]: no client secret: set client_secret_file, a systemd credential "
      "'client-secret' (LoadCredential=), or HDC_CLIENT_SECRET");
}

}  // namespace

util::Result<Secret> LoadClientSecret(const AccountConfig& account, const EnvLookup& env) {
  auto secret = FindSecret(account, env);
  if (secret.ok()) util::AddSecret(secret->Reveal());
  return secret;
}

}  // namespace hdc::config
