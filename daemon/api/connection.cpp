#include "api/connection.h"

#include <random>
#include <utility>

namespace hdc::api {

Connection::Connection(const ConnectionOptions& options, auth::Credential credential,
                       util::Clock& clock, std::stop_token stop)
    : api_options_(options.api),
      clock_(clock),
      stop_(stop),
      random_(std::random_device{}()),
      http_(http::MakePocoClient(options.http)),
      tokens_(std::make_unique<auth::TokenProvider>(options.token, std::move(credential), *http_,
                                                    clock, random_, stop)),
      api_(std::make_unique<HdcClient>(options.api, *http_, *tokens_, clock, random_, stop)) {}

std::unique_ptr<HdcClient> Connection::NewApiClient(util::Random& random) {
  return std::make_unique<HdcClient>(api_options_, *http_, *tokens_, clock_, random, stop_);
}

}  // namespace hdc::api
