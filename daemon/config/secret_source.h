// The client secret: where it comes from, and a type that cannot be logged.
//
// Sources, first match wins: client_secret_file (refused unless it is a
// regular file outside /proc, and when readable by group or others),
// $CREDENTIALS_DIRECTORY/client-secret (systemd LoadCredential=), then
// $HDC_CLIENT_SECRET, which is removed from the environment once read, with
// one warning. The value is registered with the log redactor as soon as it
// is loaded (docs/operations.md §Client secret).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "config/service_config.h"
#include "util/result.h"

namespace hdc::config {

// Holds a secret (the client secret, or a PEM text that may hold a key). No stream operator or
// formatter exists, so it cannot be passed to a log call by accident; Reveal() is the one,
// greppable, way out. The memory is wiped on destruction.
class Secret {
 public:
  explicit Secret(std::string value) : value_(std::move(value)) {}
  Secret(Secret&& other) noexcept
      : value_(std::move(other.value_)), origin_(std::move(other.origin_)) {
    other.value_.clear();
  }
  Secret& operator=(Secret&&) = delete;
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  ~Secret();

  std::string_view Reveal() const { return value_; }
  // Where it came from, safe to log: "file /etc/x", "systemd credential", ...
  const std::string& origin() const { return origin_; }
  void set_origin(std::string origin) { origin_ = std::move(origin); }

 private:
  std::string value_;
  std::string origin_;
};

// Looks up an environment variable (injectable for tests).
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
EnvLookup ProcessEnvironment();
// Removes an environment variable (injectable for tests; the composition
// roots pass platform::RemoveEnvironmentVariable). An error is logged in the
// warning, not returned.
using EnvRemove = std::function<util::Status(std::string_view name)>;

// Loads the secret; errors are kConfig and name the source and the fix.
util::Result<Secret> LoadClientSecret(const AccountConfig& account, const EnvLookup& env,
                                      const EnvRemove& remove);

// A certificate credential's PEM text, read under the secret file's rules
// (docs/operations.md §Client certificate): the certificate from
// client_certificate_file (a regular file; owner-only when it holds a
// private key), the key from client_certificate_key_file (owner-only), else
// from $CREDENTIALS_DIRECTORY/client-certificate-key (systemd
// LoadCredential=), else from the certificate file. The sources ("client_
// certificate_file /x.pem", ...) begin every later message about them.
struct CertificatePem {
  Secret certificate;
  Secret key;  // empty: the key is in `certificate`
  std::string certificate_source;
  std::string key_source;
};
// REQUIRES: account.client_certificate_file is set. Errors are kConfig.
util::Result<CertificatePem> LoadClientCertificate(const AccountConfig& account,
                                                   const EnvLookup& env);

// A federated credential (docs/operations.md §Federated token): a JWT that
// another system writes and renews (a Kubernetes projected service account
// token, a CI job's OIDC token), read afresh for every token request and
// sent as the client assertion. From federated_token_file (owner-only, like
// a secret file), else, when the account names no credential file and
// systemd passes no client-secret, $CREDENTIALS_DIRECTORY/federated-token.
struct FederatedTokenSource {
  std::string path;
  std::string where;   // begins every message about it: "a.ini:7: [account] federated_token_file"
  std::string origin;  // safe to log: "federated_token_file /x", "systemd credential ..."
  bool owner_only = true;
};
// Where the account's federated token comes from; nullopt when the account
// signs in with a secret or a certificate.
std::optional<FederatedTokenSource> FindFederatedToken(const AccountConfig& account,
                                                       const EnvLookup& env);
// Reads the token now: a regular file holding three dot-separated parts.
// Errors are kConfig and name the file.
util::Result<Secret> ReadFederatedToken(const FederatedTokenSource& source);

}  // namespace hdc::config
