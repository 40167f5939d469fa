// The composition root's shared pieces: configuration -> each module's own
// options, logging set-up, the state directory and its lock.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "api/connection.h"
#include "config/ini_loader.h"
#include "config/secret_source.h"
#include "db/database.h"
#include "engine/cycle.h"
#include "platform/dir_lock.h"
#include "platform/filesystem.h"
#include "reconcile/connection_options.h"
#include "util/result.h"

namespace hdc::service {

// hdc-reportd's connection to `account` (reconcile/connection_options.h),
// with its user agent.
api::ConnectionOptions ConnectionOptionsFrom(const config::AccountConfig& account,
                                             const config::ServiceConfig& service);
// Logging to stderr and, when [service] log_file is set (on Windows, also by
// default: %ProgramData%\hdc-reportd\logs\hdc-reportd.log, its folder
// created), to that file, created owner-only (0600) and rotated by
// log_max_size and log_max_files. An error (kConfig, exit 78) names the file
// and key, and leaves the logging as it was.
util::Status SetupLoggingFrom(const config::ServiceConfig& service);
// Creates the state directory (0750) and takes its lock.
util::Result<std::unique_ptr<platform::DirLock>> PrepareStateDir(const std::string& state_dir);

// What --once and the daemon hold while they run.
struct StateHandles {
  // Each account's credential (a client secret, a certificate or a
  // federated token), by account name.
  std::map<std::string, auth::Credential> credentials;
  std::unique_ptr<platform::DirLock> lock;
  // The real file system confined to state_dir: every store, recovery and
  // retention call goes through it, so a link planted under state_dir
  // while the process runs is refused, never followed.
  std::unique_ptr<platform::FileSystem> files;
  std::unique_ptr<db::Database> db;
  std::string callback_token;  // service/callback_token.h
};
// Reads every account's credential (logging once which one, without
// key material: kind, file and the thumbprint's first 8 characters), takes the state directory's
// lock, opens the confined file system, opens (and migrates) state.db, refuses a job recorded under
// another account than the configuration names (reconcile/job_accounts.h) and loads the callback
// token, in that order: a second instance fails on the lock (75) before it touches anything. Errors
// are ready to print (a secret problem names `config_path`).
util::Result<StateHandles> OpenState(const config::Config& config, const std::string& config_path);

// One account's connection to the remote service.
struct AccountLink {
  std::string account;
  auth::CredentialLoader reload;  // re-reads its credential (SIGHUP, a refused token)
  std::unique_ptr<api::Connection> connection;
};
// Connects every account of `config` with the credentials OpenState read
// (which it consumes); `adjust` completes each account's options (counters,
// the run budget) before its connection is made. `config` must outlive the
// links (their reload reads its account sections).
std::vector<AccountLink> ConnectAccounts(
    const config::Config& config, std::map<std::string, auth::Credential>& credentials,
    util::Clock& clock, std::stop_token stop,
    const std::function<void(const std::string& account, api::ConnectionOptions&)>& adjust);
// The links as the cycle takes them, by account name.
engine::AccountConnections ConnectionsOf(const std::vector<AccountLink>& links);

}  // namespace hdc::service
