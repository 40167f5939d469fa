// The INI's [account] and [service] settings -> the options of one
// connection to the remote service (tokens, HTTP, the API). Here because
// reconcile is the lowest module that sees both config and api, and both
// executables (hdc-reportd and hdc-reportctl plan) connect the same way.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/connection.h"
#include "auth/client_assertion.h"
#include "auth/credential.h"
#include "config/ini_loader.h"
#include "config/secret_source.h"
#include "util/result.h"

namespace hdc::reconcile {

// `user_agent` is "<program>/<version>".
api::ConnectionOptions ConnectionOptionsFrom(const config::AccountConfig& account,
                                             const config::ServiceConfig& service,
                                             std::string user_agent);
// The same for config.account (the account of a config::AccountView).
api::ConnectionOptions ConnectionOptionsFrom(const config::Config& config, std::string user_agent);

// The account's credential: a client secret (config::LoadClientSecret);
// with client_certificate_file, a certificate and its key
// (config::LoadClientCertificate, auth::CertificateCredential); with a
// federated token (config::FindFederatedToken), a reader of its file, which
// is read once now to check it. Errors are kConfig in one line naming the
// key or file; no key material in them.
util::Result<auth::Credential> LoadClientCredential(const config::AccountConfig& account,
                                                    const config::EnvLookup& env,
                                                    const config::EnvRemove& remove);

// Every account's credential, by account name, in account order; the first
// error (prefixed "[account NAME] " when there are several) is returned.
// With several accounts each one names its own credential file
// (client_secret_file, client_certificate_file or federated_token_file) and
// no account reads the environment's fallbacks ($HDC_CLIENT_SECRET,
// $CREDENTIALS_DIRECTORY/...), which cannot say whose they are: kConfig
// naming the account otherwise.
util::Result<std::map<std::string, auth::Credential>> LoadAccountCredentials(
    const config::Config& config, const config::EnvLookup& env, const config::EnvRemove& remove);
// The environment an account's credential is read with: the process's for
// one account, none with several (LoadAccountCredentials).
config::EnvLookup CredentialEnvironment(const config::Config& config, config::EnvLookup env);

// Reads the account's credential again from the files it names (a secret
// file rewritten in place, a renewed certificate): LoadClientCredential
// without the environment, which was emptied of HDC_CLIENT_SECRET at start.
// `account` must outlive the loader.
auth::CredentialLoader CredentialReloader(const config::AccountConfig& account,
                                          const config::EnvLookup& env);

}  // namespace hdc::reconcile
