#include "reconcile/connection_options.h"

#include <utility>

namespace hdc::reconcile {

api::ConnectionOptions ConnectionOptionsFrom(const config::AccountConfig& account,
                                             const config::ServiceConfig& service,
                                             std::string user_agent) {
  api::ConnectionOptions o;
  o.http.user_agent = std::move(user_agent);
  o.http.ca_file = account.ca_file;
  o.http.proxy = account.proxy;
  o.token.login_url = account.login_url;
  o.token.tenant_id = account.tenant_id;
  o.token.client_id = account.client_id;
  o.api.api_url = account.api_url;
  // Slow servers (docs/operations.md §Configuration): a deadline for API
  // and token calls, retries included; the rate floor for every transfer.
  o.http.min_transfer_rate = service.min_transfer_rate;
  o.http.min_transfer_rate_window = service.min_transfer_rate_window;
  o.api.retry.deadline = service.request_deadline;
  o.token.retry.deadline = service.request_deadline;
  return o;
}

api::ConnectionOptions ConnectionOptionsFrom(const config::Config& config, std::string user_agent) {
  return ConnectionOptionsFrom(config.account, config.service, std::move(user_agent));
}

util::Result<auth::Credential> LoadClientCredential(const config::AccountConfig& account,
                                                    const config::EnvLookup& env,
                                                    const config::EnvRemove& remove) {
  if (auto federated = config::FindFederatedToken(account, env)) {
    // Read now so that a missing or malformed file is one line at start.
    auto first = config::ReadFederatedToken(*federated);
    if (!first.ok()) return first.status();
    auth::FederatedTokenReader read = [source = *federated]() -> util::Result<std::string> {
      auto token = config::ReadFederatedToken(source);
      if (!token.ok()) return token.status();
      return std::string(token->Reveal());
    };
    return auth::Credential::FromFederatedToken(std::move(read), federated->path,
                                                "federated token from " + federated->origin);
  }
  if (account.client_certificate_file.empty()) {
    auto secret = config::LoadClientSecret(account, env, remove);
    if (!secret.ok()) return secret.status();
    return auth::Credential::FromSecret(std::string(secret->Reveal()),
                                        "client secret from " + secret->origin());
  }
  auto pem = config::LoadClientCertificate(account, env);
  if (!pem.ok()) return pem.status();
  auto loaded = auth::CertificateCredential::FromPem(pem->certificate.Reveal(), pem->key.Reveal(),
                                                     pem->certificate_source, pem->key_source);
  if (!loaded.ok()) return loaded.status();
  auto certificate = std::make_shared<const auth::CertificateCredential>(std::move(*loaded));
  std::string description =
      "certificate credential from " + pem->certificate_source +
      (pem->key_source == pem->certificate_source ? std::string()
                                                  : " (key from " + pem->key_source + ")") +
      ", " + certificate->Describe();
  return auth::Credential::FromCertificate(std::move(certificate), std::move(description));
}

config::EnvLookup CredentialEnvironment(const config::Config& config, config::EnvLookup env) {
  if (!config::SeveralAccounts(config)) return env;
  return [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
}

util::Result<std::map<std::string, auth::Credential>> LoadAccountCredentials(
    const config::Config& config, const config::EnvLookup& env, const config::EnvRemove& remove) {
  const bool several = config::SeveralAccounts(config);
  const config::EnvLookup lookup = CredentialEnvironment(config, env);
  std::map<std::string, auth::Credential> credentials;
  for (const config::AccountConfig& account : config.accounts) {
    const std::string prefix = several ? "[account " + account.name + "] " : "";
    if (several && account.client_secret_file.empty() && account.client_certificate_file.empty() &&
        account.federated_token_file.empty()) {
      return util::ConfigError(
          account.where + ": " + prefix +
          "names no credential file; with several accounts each sets client_secret_file, "
          "client_certificate_file or federated_token_file (the environment's fallbacks "
          "cannot say whose they are)");
    }
    auto credential = LoadClientCredential(account, lookup, remove);
    if (!credential.ok()) return credential.status().WithContext(prefix);
    credentials.emplace(account.name, std::move(*credential));
  }
  return credentials;
}

auth::CredentialLoader CredentialReloader(const config::AccountConfig& account,
                                          const config::EnvLookup& env) {
  return [&account, env]() {
    const config::EnvLookup files_only =
        [&env](std::string_view name) -> std::optional<std::string> {
      if (name == "HDC_CLIENT_SECRET") return std::nullopt;
      return env(name);
    };
    return LoadClientCredential(account, files_only,
                                [](std::string_view) { return util::Status::Ok(); });
  };
}

}  // namespace hdc::reconcile
