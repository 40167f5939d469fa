// Internal: the token endpoint's check of a certificate client's
// client_assertion (docs/hdc-api.md §Certificate credentials), written from
// Microsoft's "Microsoft identity platform application authentication
// certificate credentials" page and its "Microsoft Entra authentication and
// authorization error codes" list, not from the daemon's signer.
//
// VerifyClientAssertion() checks, in this order: three base64url parts with
// JSON header and claims (else AADSTS50027), alg RS256, x5t#S256 (or x5t)
// naming the registered certificate (else 700027, key not found), that
// certificate not expired at `now` (else 700027, key expired), the RS256
// signature against its public key (else 700027), nbf and exp within 5
// minutes of clock skew (else 700024), aud (else 700023), iss = sub =
// client_id (else 700021), and a jti (else 50027). Replays are the caller's
// business: it remembers each returned jti until its expiry. Crypto is
// Poco::Crypto over OpenSSL. Pure: no state, thread-safe.
//
// A federated client (docs/hdc-api.md §Federated credentials) signs in with
// a token another identity provider issued to a workload (a Kubernetes
// service account, a CI job): the app registration trusts that issuer for
// one subject and the audience api://AzureADTokenExchange. The emulator is
// that issuer too (WorkloadIssuer): it mints the tokens a test writes to the
// daemon's federated_token_file, and VerifyFederatedAssertion checks one as
// the identity platform documents: RS256 under the issuer's key (else
// 700027), nbf and exp with 5 minutes of skew (else 700024), iss (else
// 700211), then sub and aud (else 70021). No jti check: a workload's token
// is presented again and again until it expires.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "util/clock.h"

namespace Poco::Crypto {
class RSAKey;
}

namespace hdc::emulator {

// An identity platform refusal: HTTP status, "error", AADSTS code, text.
struct AadError {
  int status;
  std::string error;
  int code;
  std::string text;
};

// The clock skew tolerated on nbf and exp.
inline constexpr std::chrono::minutes kAssertionClockSkew{5};

struct AssertionCheck {
  std::string assertion;
  std::string client_id;               // the form's client_id
  std::string certificate_pem;         // the client's registered certificate
  std::vector<std::string> audiences;  // accepted aud values
  util::TimePoint now;
};

struct AcceptedAssertion {
  std::string jti;
  util::TimePoint expires;  // exp plus the skew: how long the jti must be remembered
};

std::optional<AadError> VerifyClientAssertion(const AssertionCheck& check,
                                              AcceptedAssertion* accepted);

// The audience a federated credential expects by default.
inline constexpr std::string_view kTokenExchangeAudience = "api://AzureADTokenExchange";

// The emulator's workload identity issuer: one RSA key, made on first use.
// Thread-safe.
class WorkloadIssuer {
 public:
  WorkloadIssuer();
  ~WorkloadIssuer();
  WorkloadIssuer(const WorkloadIssuer&) = delete;
  WorkloadIssuer& operator=(const WorkloadIssuer&) = delete;

  struct Claims {
    std::string issuer;  // iss: the issuer's URL
    std::string subject;
    std::string audience{kTokenExchangeAudience};
    util::TimePoint issued;  // iat and nbf
    std::chrono::seconds lifetime{3600};
  };
  // An RS256 JWT with a kid naming the key.
  std::string Mint(const Claims& claims);

  struct Check {
    std::string assertion;
    std::string issuer;   // the registered issuer
    std::string subject;  // the registered subject
    util::TimePoint now;
  };
  std::optional<AadError> Verify(const Check& check);

 private:
  Poco::Crypto::RSAKey& Key();
  std::once_flag made_;
  std::unique_ptr<Poco::Crypto::RSAKey> key_;
};

// "7Zk3...": base64url SHA-256 thumbprint of a PEM certificate's DER, or ""
// when it cannot be read (for --client-cert's check at start).
std::string CertificateThumbprintSha256(const std::string& certificate_pem);

}  // namespace hdc::emulator
