#include "reconcile/connection_options.h"

#include <utility>

namespace hdc::reconcile {

api::ConnectionOptions ConnectionOptionsFrom(const config::Config& config, std::string user_agent) {
  api::ConnectionOptions o;
  o.http.user_agent = std::move(user_agent);
  o.http.ca_file = config.account.ca_file;
  o.http.proxy = config.account.proxy;
  o.token.login_url = config.account.login_url;
  o.token.tenant_id = config.account.tenant_id;
  o.token.client_id = config.account.client_id;
  o.api.api_url = config.account.api_url;
  // Slow servers (docs/operations.md §Configuration): a deadline for API
  // and token calls, retries included; the rate floor for every transfer.
  o.http.min_transfer_rate = config.service.min_transfer_rate;
  o.http.min_transfer_rate_window = config.service.min_transfer_rate_window;
  o.api.retry.deadline = config.service.request_deadline;
  o.token.retry.deadline = config.service.request_deadline;
  return o;
}

}  // namespace hdc::reconcile
