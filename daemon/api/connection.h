// Everything needed to talk to Hardware Dev Center, built in one place: the
// HTTP client, the token provider and the typed API client, from plain
// option structs (the composition roots translate the configuration).
#pragma once

#include <memory>
#include <stop_token>
#include <string_view>

#include "api/hdc_client.h"
#include "auth/token_provider.h"
#include "http/client.h"
#include "util/clock.h"
#include "util/random.h"

namespace hdc::api {

struct ConnectionOptions {
  http::ClientOptions http;
  auth::TokenOptions token;
  ApiOptions api;
};

class Connection {
 public:
  // Signs in with `credential` (a client secret already registered with the
  // log redactor, or a certificate).
  Connection(const ConnectionOptions& options, auth::Credential credential, util::Clock& clock,
             std::stop_token stop);
  HdcClient& api() { return *api_; }
  http::HttpClient& http() { return *http_; }
  // Another API client, for another thread (HdcClient is not thread-safe),
  // sharing this connection's HTTP client and tokens. `random` must outlive it.
  std::unique_ptr<HdcClient> NewApiClient(util::Random& random);
  // Signs in with `credential` from the next token on (SIGHUP re-read it);
  // false when it is the one in use.
  bool UseCredential(auth::Credential credential) { return tokens_->Use(std::move(credential)); }
  auth::TokenProvider::InUse CredentialInUse() { return tokens_->CredentialInUse(); }

 private:
  ApiOptions api_options_;
  util::Clock& clock_;
  std::stop_token stop_;
  util::Random random_;
  std::unique_ptr<http::HttpClient> http_;
  std::unique_ptr<auth::TokenProvider> tokens_;
  std::unique_ptr<HdcClient> api_;
};

}  // namespace hdc::api
