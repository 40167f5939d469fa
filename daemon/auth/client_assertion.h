// Certificate credentials for Azure AD: the signed client_assertion JWT
// (RFC 7523) a daemon sends to the token endpoint instead of a client secret,
// as Microsoft's "certificate credentials" page describes it.
//
// CertificateCredential is loaded once from a PEM certificate and its RSA
// private key (one file, or two) and signs an assertion for every token
// request: header {"alg":"RS256","typ":"JWT","x5t#S256","x5t"} (thumbprints
// of the certificate's DER), claims aud (the token endpoint), iss = sub (the
// client id), a random jti, nbf = iat = now and exp at most 10 minutes later.
// For the token provider, to sign in with a certificate instead of
// client_secret; the configuration names the files.
//
// Refusals are kConfig, in one line naming the setting and the file
// ("client_certificate_file /x/y.pem: no certificate found"). The key and the
// assertions never appear in a message or a log line. Copies share one key
// (never duplicated); a credential is immutable, so Assertion() may run on
// several threads at once, each with its own util::Random.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "util/clock.h"
#include "util/random.h"
#include "util/result.h"

namespace hdc::auth {

// The longest assertion lifetime Azure AD accepts (and the default).
inline constexpr util::Duration kMaxAssertionLifetime = std::chrono::minutes(10);

class CertificateCredential {
 public:
  // Reads `certificate_file` (PEM: the client certificate first, any chain
  // after it) and the private key from `key_file`, or from the certificate
  // file when `key_file` is empty. The key must be an unencrypted RSA key of
  // at least 2,048 bits that belongs to the certificate.
  static util::Result<CertificateCredential> Load(const std::string& certificate_file,
                                                  const std::string& key_file);
  // The same from text; `certificate_source` and `key_source` begin each
  // message ("client_certificate_file /x/y.pem"). Empty `key_pem`: the key
  // is looked for in `certificate_pem`.
  static util::Result<CertificateCredential> FromPem(std::string_view certificate_pem,
                                                     std::string_view key_pem,
                                                     const std::string& certificate_source,
                                                     const std::string& key_source);

  // base64url (no padding) of the SHA-256 and SHA-1 digests of the
  // certificate's DER: the header's x5t#S256 and x5t.
  const std::string& thumbprint_sha256_b64url() const { return thumbprint_sha256_; }
  const std::string& thumbprint_sha1_b64url() const { return thumbprint_sha1_; }
  // The certificate's notAfter, for expiry warnings; an expired certificate
  // is loaded all the same (Azure AD is the judge).
  util::TimePoint not_after() const { return not_after_; }
  // "certificate CN=hdc-reportd, SHA-256 thumbprint AbCd1234...": safe for logs.
  std::string Describe() const;

  // The signed assertion ("header.claims.signature", base64url) for a token
  // request to `audience`, valid from `now` (whole seconds) for `lifetime`,
  // which must be positive and at most kMaxAssertionLifetime. The jti comes
  // from `random`: it only has to differ between assertions (Azure AD may
  // refuse a replayed one), so a seeded generator does.
  util::Result<std::string> Assertion(std::string_view audience, std::string_view client_id,
                                      util::TimePoint now, util::Random& random,
                                      util::Duration lifetime = kMaxAssertionLifetime) const;

 private:
  struct Key;  // the Poco RSA key, behind a pointer so no Poco header is needed here
  CertificateCredential() = default;

  std::shared_ptr<const Key> key_;
  std::string thumbprint_sha256_;
  std::string thumbprint_sha1_;
  std::string common_name_;
  util::TimePoint not_after_{};
};

}  // namespace hdc::auth
