#include "reconcile/connection_options.h"

#include <doctest/doctest.h>

namespace hdc::reconcile {
namespace {

TEST_CASE("every [account] and [service] connection setting reaches the connection's options") {
  config::Config config;
  config.account.tenant_id = "tenant";
  config.account.client_id = "client";
  config.account.api_url = "https://api.example";
  config.account.login_url = "https://login.example";
  config.account.ca_file = "/etc/extra-ca.pem";
  config.account.proxy = "http://proxy:3128";
  config.service.request_deadline = std::chrono::seconds(90);
  config.service.min_transfer_rate = 4096;
  config.service.min_transfer_rate_window = std::chrono::seconds(12);

  const api::ConnectionOptions o = ConnectionOptionsFrom(config, "hdc-test/1.2");

  CHECK(o.http.user_agent == "hdc-test/1.2");
  CHECK(o.http.ca_file == "/etc/extra-ca.pem");
  CHECK(o.http.proxy == "http://proxy:3128");
  CHECK(o.http.min_transfer_rate == 4096);
  CHECK(o.http.min_transfer_rate_window == std::chrono::seconds(12));
  CHECK(o.token.login_url == "https://login.example");
  CHECK(o.token.tenant_id == "tenant");
  CHECK(o.token.client_id == "client");
  CHECK(o.api.api_url == "https://api.example");
  CHECK(o.api.retry.deadline == std::chrono::seconds(90));
  CHECK(o.token.retry.deadline == std::chrono::seconds(90));
}

}  // namespace
}  // namespace hdc::reconcile
