// Azure AD client-credentials tokens for Hardware Dev Center
// (docs/hdc-api.md §Authentication).
//
// Token() returns a cached bearer token, fetching a new one when none is held
// or less than refresh_margin (5 min) of its life remains (half its life, for
// tokens shorter than twice the margin). After HDC answers
// 401, the caller calls Invalidate(token) and asks once more; a second 401 is
// final. A refused credential (invalid_client, unauthorized_client, ...) is
// kAuth with the server's error code in one line; an expired client secret
// (AADSTS7000222) says so and how to replace it. The secret, assertions and
// tokens never appear in messages or logs. With a certificate credential the
// request carries a client_assertion (auth/client_assertion.h: audience the
// token URL posted to, 10 minutes, a fresh jti each time) instead of the
// secret; with a federated token file, the file's token, read afresh for
// every request. Thread-safe: concurrent callers share one fetch.
//
// Rotation (docs/operations.md §Rotating credentials): Use() hands over a
// new credential (SIGHUP re-read it); the cached token is dropped when it
// differs. With TokenOptions::reload, a refused credential is re-read once
// from its sources; when that gives a different one, it is used and the
// request made once more, and the log names the credential now in use.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

#include "auth/client_assertion.h"
#include "auth/credential.h"
#include "http/client.h"
#include "http/retry.h"
#include "util/clock.h"
#include "util/random.h"
#include "util/result.h"

namespace hdc::auth {

// What the API client needs from a token source (tests fake it).
class TokenSource {
 public:
  virtual ~TokenSource() = default;
  virtual util::Result<std::string> Token() = 0;
  // Forgets `token` if it is the cached one (a 401 said it is no good).
  virtual void Invalidate(const std::string& token) = 0;
};

struct TokenOptions {
  std::string login_url = "https://login.microsoftonline.com";
  std::string tenant_id;
  std::string client_id;
  std::string resource = "https://manage.devcenter.microsoft.com";
  util::Duration refresh_margin = std::chrono::minutes(5);
  http::RetryPolicy retry;  // its deadline bounds one token request, retries included
  // Set: re-reads the credential after the identity platform refused it.
  CredentialLoader reload;
};

class TokenProvider final : public TokenSource {
 public:
  // The caller has already registered a secret with the log redactor.
  TokenProvider(TokenOptions options, Credential credential, http::HttpClient& client,
                util::Clock& clock, util::Random& random, std::stop_token stop);

  util::Result<std::string> Token() override;
  void Invalidate(const std::string& token) override;
  // Signs in with `credential` from now on. Returns false (and keeps the
  // cached token) when it is the same as the one in use.
  bool Use(Credential credential);
  // What signs in now, safe for logs and /healthz: the credential's
  // description and, for a certificate, when it expires.
  struct InUse {
    std::string description;
    std::optional<util::TimePoint> expires;
  };
  // Never waits for a token request in progress.
  InUse CredentialInUse() const;

 private:
  // Publishes credential_'s description for CredentialInUse. REQUIRES: mu_
  // held (or the constructor).
  void Publish();
  util::Status Fetch();      // REQUIRES: mu_ held
  util::Status FetchOnce();  // REQUIRES: mu_ held
  // "&client_secret=..." or "&client_assertion_type=...&client_assertion=...".
  util::Result<std::string> CredentialFields(const std::string& token_url);
  // " (the certificate expired at ...)" when a refused certificate (or the
  // federated token last read) has expired.
  std::string CredentialHint() const;

  TokenOptions options_;
  Credential credential_;  // GUARDED_BY(mu_)
  http::HttpClient& client_;
  util::Clock& clock_;
  util::Random& random_;
  std::stop_token stop_;
  std::mutex mu_;
  std::string token_;             // GUARDED_BY(mu_)
  util::TimePoint refresh_at_{};  // GUARDED_BY(mu_)
  // The exp of the federated token last read. GUARDED_BY(mu_)
  std::optional<util::TimePoint> federated_expiry_;
  mutable std::mutex in_use_mu_;
  InUse in_use_;  // GUARDED_BY(in_use_mu_)
};

// Parses a token response body: access_token plus expires_in (a number or
// a string of digits); expires_on alone is refused; a lifetime over a day
// counts as a day. Exposed for tests.
struct TokenResponse {
  std::string access_token;
  util::Duration expires_in{0};
};
util::Result<TokenResponse> ParseTokenResponse(std::string_view body, std::string_view where);

}  // namespace hdc::auth
