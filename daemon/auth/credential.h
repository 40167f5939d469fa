// The credential an account signs in with: a client secret, a certificate
// and its key (auth/client_assertion.h), or a federated token file (a JWT
// another system writes and renews, read afresh for every token request and
// sent as the client assertion). The token provider holds
// one and may be handed another while running (a rotated secret file, a
// renewed certificate), so the service can re-read the account's credential
// on SIGHUP and after the identity platform refuses it
// (docs/operations.md §Rotating credentials).
//
// Move-only; the secret's memory is wiped when the credential is dropped.
// description() is safe for logs: it names the kind and where it came from
// ("client secret from file /etc/x", "certificate credential from
// client_certificate_file /x.pem, certificate CN=..., SHA-256 thumbprint
// AbCd1234..."), never the secret or the key.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "auth/client_assertion.h"
#include "util/result.h"

namespace hdc::auth {

// Reads a federated token file now; errors are one line naming the file.
using FederatedTokenReader = std::function<util::Result<std::string>()>;

class Credential {
 public:
  static Credential FromSecret(std::string secret, std::string description);
  static Credential FromCertificate(std::shared_ptr<const CertificateCredential> certificate,
                                    std::string description);
  // `source` names the file (two readers of one file are the same credential).
  static Credential FromFederatedToken(FederatedTokenReader read, std::string source,
                                       std::string description);
  Credential(Credential&& other) noexcept;
  Credential& operator=(Credential&& other) noexcept;
  Credential(const Credential&) = delete;
  Credential& operator=(const Credential&) = delete;
  ~Credential();

  // The client secret; empty for a certificate credential.
  const std::string& secret() const { return secret_; }
  // The certificate; null for a client secret.
  const std::shared_ptr<const CertificateCredential>& certificate() const { return certificate_; }
  // The federated token's reader; empty for the other kinds.
  const FederatedTokenReader& federated_token() const { return federated_token_; }
  const std::string& description() const { return description_; }
  // The same secret, a certificate with the same SHA-256 thumbprint (wherever
  // either was read from), or a federated token from the same file.
  bool SameAs(const Credential& other) const;

 private:
  Credential() = default;
  std::string secret_;
  std::shared_ptr<const CertificateCredential> certificate_;
  FederatedTokenReader federated_token_;
  std::string federated_source_;
  std::string description_;
};

// Reads the account's credential again from the sources it was first read
// from. Errors are one line naming the setting and the file.
using CredentialLoader = std::function<util::Result<Credential>()>;

}  // namespace hdc::auth
