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
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "util/clock.h"

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

// "7Zk3...": base64url SHA-256 thumbprint of a PEM certificate's DER, or ""
// when it cannot be read (for --client-cert's check at start).
std::string CertificateThumbprintSha256(const std::string& certificate_pem);

}  // namespace hdc::emulator
