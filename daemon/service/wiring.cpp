#include "service/wiring.h"

#include "platform/filesystem.h"
#include "platform/process_guard.h"
#include "platform/service_host.h"
#include "reconcile/connection_options.h"
#include "reconcile/job_accounts.h"
#include "service/callback_token.h"
#include "service/version.h"
#include "store/link_guard.h"
#include "util/logging.h"
#include "util/state_files.h"

namespace hdc::service {

api::ConnectionOptions ConnectionOptionsFrom(const config::AccountConfig& account,
                                             const config::ServiceConfig& service) {
  return reconcile::ConnectionOptionsFrom(account, service,
                                          std::string("hdc-reportd/") + HDC_VERSION);
}

namespace {

// Creates a missing log file through the file-system seam: mode 0600 on
// POSIX (the log names jobs, paths and errors, which is for the service user
// and root only; readers use sudo or the journal), and a symbolic link
// planted at the path is refused, never followed. An existing file keeps its
// mode. On Windows the file inherits its folder's ACL.
util::Status CreateLogFile(const std::string& path) {
  auto file = platform::RealFileSystem().OpenForWrite(path, /*append=*/true);
  if (!file.ok()) return file.status();
  return (*file)->Close();
}

}  // namespace

util::Status SetupLoggingFrom(const config::ServiceConfig& service) {
  util::LogOptions options = util::DefaultLogOptions();
  options.level = service.log_level;
  options.format = service.log_format == config::LogFormat::kJson ? util::LogFormat::kJson
                                                                  : util::LogFormat::kText;
  options.file.path = service.log_file;
  options.file.where = service.log_file_where;
  options.file.max_size = service.log_max_size;
  options.file.max_files = static_cast<size_t>(service.log_max_files);
  options.file.create = CreateLogFile;
  if (options.file.path.empty()) {
    // Windows only: POSIX has no ProgramData folder, and no default file.
    const std::string data_dir = platform::ProgramDataDir();
    if (!data_dir.empty()) {
      const std::string dir = data_dir + "\\logs";
      const util::Status created = platform::RealFileSystem().CreateDirectories(dir);
      if (!created.ok()) {
        return util::ConfigError(options.file.where +
                                 ": cannot create the default log folder: " + created.message());
      }
      options.file.path = dir + "\\hdc-reportd.log";
    }
  }
  return util::SetupLogging(options);
}

util::Result<std::unique_ptr<platform::DirLock>> PrepareStateDir(const std::string& state_dir) {
  platform::FileSystem& fs = platform::RealFileSystem();
  HDC_RETURN_IF_ERROR(store::RefuseLinksUnder(fs, state_dir));  // before the lock writes
  HDC_RETURN_IF_ERROR(fs.CreateDirectories(state_dir));
  return platform::LockDirectory(state_dir);
}

util::Result<StateHandles> OpenState(const config::Config& config, const std::string& config_path) {
  auto credentials = reconcile::LoadAccountCredentials(config, config::ProcessEnvironment(),
                                                       platform::RemoveEnvironmentVariable);
  if (!credentials.ok()) return credentials.status().WithContext(config_path + ": ");
  auto lock = PrepareStateDir(config.service.state_dir);
  if (!lock.ok()) return lock.status();
  // Once this instance owns the state directory (a refused second one says one line).
  for (const auto& [account, credential] : *credentials) {
    util::GetLogger("auth")->info("{}signing in with the {}",
                                  config::AccountPrefix(config, account), credential.description());
  }
  auto files = platform::OpenConfinedFileSystem(config.service.state_dir);
  if (!files.ok()) return files.status();
  auto db = db::Database::Open(
      {util::state_files::PathOf(config.service.state_dir, util::state_files::kDatabase)});
  if (!db.ok()) return db.status();
  // Before any work: a job cannot move between accounts (78).
  HDC_RETURN_IF_ERROR(reconcile::CheckJobAccounts(config, **db));
  auto token = LoadOrCreateCallbackToken(config.service.state_dir);
  if (!token.ok()) return token.status();
  return StateHandles{std::move(*credentials), std::move(*lock), std::move(*files), std::move(*db),
                      std::move(*token)};
}

std::vector<AccountLink> ConnectAccounts(
    const config::Config& config, std::map<std::string, auth::Credential>& credentials,
    util::Clock& clock, std::stop_token stop,
    const std::function<void(const std::string& account, api::ConnectionOptions&)>& adjust) {
  const config::EnvLookup env =
      reconcile::CredentialEnvironment(config, config::ProcessEnvironment());
  std::vector<AccountLink> links;
  for (const config::AccountConfig& account : config.accounts) {
    auto credential = credentials.find(account.name);
    if (credential == credentials.end()) continue;
    api::ConnectionOptions options = ConnectionOptionsFrom(account, config.service);
    AccountLink link{account.name, reconcile::CredentialReloader(account, env), nullptr};
    options.token.reload = link.reload;
    if (adjust) adjust(account.name, options);
    link.connection =
        std::make_unique<api::Connection>(options, std::move(credential->second), clock, stop);
    links.push_back(std::move(link));
  }
  return links;
}

engine::AccountConnections ConnectionsOf(const std::vector<AccountLink>& links) {
  engine::AccountConnections connections;
  for (const AccountLink& link : links) connections[link.account] = link.connection.get();
  return connections;
}

}  // namespace hdc::service
