// The INI's [account] and [service] settings -> the options of one
// connection to the remote service (tokens, HTTP, the API). Here because
// reconcile is the lowest module that sees both config and api, and both
// executables (hdc-reportd and hdc-reportctl plan) connect the same way.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/connection.h"
#include "auth/client_assertion.h"
#include "config/ini_loader.h"
#include "config/secret_source.h"
#include "util/result.h"

namespace hdc::reconcile {

// `user_agent` is "<program>/<version>".
api::ConnectionOptions ConnectionOptionsFrom(const config::Config& config, std::string user_agent);

// The account's credential: a client secret (config::LoadClientSecret) or,
// with client_certificate_file, a certificate and its key
// (config::LoadClientCertificate, auth::CertificateCredential). Errors are
// kConfig in one line naming the key or file; no key material in them.
struct ClientCredential {
  std::optional<config::Secret> secret;
  std::shared_ptr<const auth::CertificateCredential> certificate;
  // Safe for logs: "client secret from file /etc/x", or "certificate
  // credential from client_certificate_file /x.pem (key from ...),
  // certificate CN=..., SHA-256 thumbprint AbCd1234...".
  std::string description;

  std::string_view secret_text() const { return secret ? secret->Reveal() : std::string_view(); }
  // Sets the token options' certificate (nothing for a secret).
  void ApplyTo(api::ConnectionOptions& options) const { options.token.certificate = certificate; }
};
util::Result<ClientCredential> LoadClientCredential(const config::AccountConfig& account,
                                                    const config::EnvLookup& env,
                                                    const config::EnvRemove& remove);

}  // namespace hdc::reconcile
