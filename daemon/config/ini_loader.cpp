#include "config/ini_loader.h"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <system_error>

#include "config/ini_parser.h"
#include "config/section_reader.h"

namespace hdc::config {
namespace {

namespace fs = std::filesystem;
using util::Status;

constexpr std::string_view kJobPrefix = "job ";
constexpr std::string_view kAccountPrefix = "account ";

// [account] or [account NAME]: the account's name, or nullopt for another section.
std::optional<std::string> AccountSectionName(const std::string& section) {
  if (section == "account") return std::string(kDefaultAccount);
  if (section.rfind(kAccountPrefix, 0) == 0) return section.substr(kAccountPrefix.size());
  return std::nullopt;
}

Status AddAccount(SectionReader& reader, const std::string& name, Config* config) {
  if (!IsAccountName(name)) {
    return reader.SectionError("account name '" + name + "': " + std::string(kAccountNameRule));
  }
  if (const AccountConfig* other = FindAccount(*config, name)) {
    return reader.SectionError("account '" + name + "' is already defined at " + other->where +
                               " ([account] is the account 'default')");
  }
  AccountConfig account;
  account.name = name;
  account.where = reader.source() + ":" + std::to_string(reader.section().line);
  HDC_RETURN_IF_ERROR(ParseAccountSection(reader, &account));
  auto at =
      std::lower_bound(config->accounts.begin(), config->accounts.end(), name,
                       [](const AccountConfig& a, const std::string& n) { return a.name < n; });
  config->accounts.insert(at, std::move(account));
  return Status::Ok();
}

// Adds the jobs of one file; `seen` maps job names to where they were defined.
Status AddJobs(const IniDocument& doc, const ConfigFile& file, bool allow_service_sections,
               const FileReader& read_file, Config* config,
               std::map<std::string, std::string>* seen) {
  for (const IniSection& section : doc.sections) {
    SectionReader reader(section, file.name);
    if (section.name.rfind(kJobPrefix, 0) == 0) {
      const std::string name = section.name.substr(kJobPrefix.size());
      auto job = BuildJob(reader, name, file.dir, read_file);
      if (!job.ok()) return job.status();
      if (auto it = seen->find(name); it != seen->end()) {
        return reader.SectionError("job '" + name + "' is already defined at " + it->second);
      }
      (*seen)[name] = job->where;
      config->jobs.push_back(std::move(job).value());
    } else if (allow_service_sections && section.name == "service") {
      HDC_RETURN_IF_ERROR(ParseServiceSection(reader, &config->service));
    } else if (auto account = AccountSectionName(section.name); allow_service_sections && account) {
      HDC_RETURN_IF_ERROR(AddAccount(reader, *account, config));
    } else {
      return reader.SectionError(
          allow_service_sections ? "unknown section; expected [service], [account], "
                                   "[account NAME] or [job NAME]"
                                 : "unknown section; a job file holds only [job NAME] sections");
    }
  }
  return Status::Ok();
}

// Why a path whose status (links followed) is `status`, or the error `ec`
// getting it, cannot be read as a text file; empty when it can. Never opens
// it: opening a FIFO would block until a writer comes.
std::string FileProblem(const fs::file_status& status, const std::error_code& ec) {
  switch (status.type()) {
    case fs::file_type::regular:
      return "";
    case fs::file_type::not_found:
      return "file not found";
    case fs::file_type::directory:
      return "a directory, not a regular file";
    case fs::file_type::fifo:
      return "a FIFO, not a regular file";
    case fs::file_type::character:
    case fs::file_type::block:
      return "a device, not a regular file";
    case fs::file_type::socket:
      return "a socket, not a regular file";
    default:
      break;
  }
  // ELOOP ("Too many levels of symbolic links"), EACCES on a parent, ...
  if (ec) return ec.message();
  return "not a regular file";
}

// Every job names an existing account; the primary account is copied to
// config.account.
Status CheckAccounts(Config& config) {
  for (const JobSpec& job : config.jobs) {
    if (FindAccount(config, job.account) != nullptr) continue;
    return util::ConfigError(job.account_where + ": no account '" + job.account +
                             "'; the accounts are " + AccountNames(config));
  }
  const AccountConfig* primary = FindAccount(config, kDefaultAccount);
  config.account = primary != nullptr ? *primary : config.accounts.front();
  return Status::Ok();
}

Status CheckCallbacks(const Config& config) {
  for (const JobSpec& job : config.jobs) {
    if (job.schedule.callback && config.service.callback_url.empty()) {
      return util::ConfigError(job.where + ": [job " + job.name +
                               "] callback: callback = yes needs [service] callback_url");
    }
  }
  return Status::Ok();
}

// Whether the service file sets jobs_dir itself: only then is a missing
// jobs_dir an error. ParseConfig has parsed the same text without error.
bool SetsJobsDir(std::string_view text, const std::string& path) {
  auto doc = ParseIni(text, path);
  bool jobs_dir_set = false;
  for (const IniSection& s : doc->sections) {
    if (s.name != "service") continue;
    for (const IniEntry& e : s.entries) jobs_dir_set |= e.key == "jobs_dir";
  }
  return jobs_dir_set;
}

// The *.ini files in jobs_dir, in lexical order. `where` starts each error.
util::Result<std::vector<fs::path>> ListJobFiles(const fs::path& jobs_dir,
                                                 const std::string& where) {
  std::vector<fs::path> paths;
  std::error_code ec;
  fs::directory_iterator it(jobs_dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const fs::path& entry = it->path();
    if (entry.extension() != ".ini") continue;
    // A *.ini that is no regular file (a link loop, a dangling link, a
    // directory, a FIFO) is refused rather than skipped: the operator
    // meant it to be a job file.
    std::error_code entry_ec;
    const fs::file_status entry_status = it->status(entry_ec);
    if (const std::string problem = FileProblem(entry_status, entry_ec); !problem.empty()) {
      return util::ConfigError(where + entry.generic_string() + ": " + problem);
    }
    paths.push_back(entry);
  }
  if (ec) {
    return util::ConfigError(where + jobs_dir.generic_string() + ": cannot list: " + ec.message());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

// Reads the job files of jobs_dir; none when it is missing and was not set.
util::Result<std::vector<ConfigFile>> ReadJobFiles(const fs::path& jobs_dir, bool jobs_dir_set,
                                                   const std::string& where) {
  std::vector<ConfigFile> job_files;
  std::error_code ec;
  const fs::file_status dir_status = fs::status(jobs_dir, ec);
  if (fs::is_directory(dir_status)) {
    HDC_ASSIGN_OR_RETURN(const std::vector<fs::path> paths, ListJobFiles(jobs_dir, where));
    for (const fs::path& p : paths) {
      auto job_text = ReadTextFile(p.generic_string());
      if (!job_text.ok()) return job_text.status().WithContext(where);
      job_files.push_back({p.generic_string(), p.parent_path().generic_string(), *job_text});
    }
  } else if (dir_status.type() == fs::file_type::not_found) {
    if (jobs_dir_set) {
      return util::ConfigError(where + jobs_dir.generic_string() + " is not a directory");
    }
  } else if (jobs_dir_set || ec) {
    // A link loop is an error even for the default jobs_dir: it exists.
    return util::ConfigError(where + jobs_dir.generic_string() +
                             (ec ? ": " + ec.message() : std::string(" is not a directory")));
  }
  return job_files;
}

// Every account and the copy of the primary one.
std::vector<AccountConfig*> AllAccounts(Config& config) {
  std::vector<AccountConfig*> all{&config.account};
  for (AccountConfig& account : config.accounts) all.push_back(&account);
  return all;
}

// jobs_dir, state_dir and the other paths of the service file, when
// relative, are relative to its folder `dir`, never to the working
// directory the process happened to start in.
void ResolvePaths(const std::string& dir, const fs::path& jobs_dir, Config& config) {
  config.service.jobs_dir = jobs_dir.lexically_normal().generic_string();
  fs::path state_dir = config.service.state_dir;
  if (state_dir.is_relative()) state_dir = fs::path(dir) / state_dir;
  config.service.state_dir = state_dir.lexically_normal().generic_string();
  std::vector<std::string*> paths{&config.service.log_file};
  for (AccountConfig* account : AllAccounts(config)) {
    paths.insert(paths.end(), {&account->client_secret_file, &account->client_certificate_file,
                               &account->client_certificate_key_file, &account->ca_file});
  }
  for (std::string* path : paths) {
    if (path->empty()) continue;
    fs::path resolved = *path;
    if (resolved.is_relative()) resolved = fs::path(dir) / resolved;
    *path = resolved.lexically_normal().generic_string();
  }
}

// Why a file that fs::status found could not be opened: a permission is the
// operator's to fix (78); anything else (EIO, no memory, no descriptor left)
// is the system's and temporary (75).
util::Status OpenFailure(const std::string& path, int error) {
  if (error == 0 || error == EACCES || error == EPERM) {
    return util::ConfigError("cannot read " + path + ": permission denied");
  }
  return util::TemporaryError("cannot read " + path + ": " +
                              std::generic_category().message(error));
}

}  // namespace

util::Result<Config> ParseConfig(const ConfigFile& service_file,
                                 const std::vector<ConfigFile>& job_files,
                                 const FileReader& read_file) {
  auto doc = ParseIni(service_file.text, service_file.name);
  if (!doc.ok()) return doc.status();
  Config config;
  config.source = service_file.name;
  const bool has_account =
      std::any_of(doc->sections.begin(), doc->sections.end(),
                  [](const IniSection& s) { return AccountSectionName(s.name).has_value(); });
  if (!has_account) {
    return util::ConfigError(service_file.name + ": missing section [account]");
  }
  std::map<std::string, std::string> seen;
  HDC_RETURN_IF_ERROR(AddJobs(*doc, service_file, true, read_file, &config, &seen));
  for (const ConfigFile& file : job_files) {
    auto job_doc = ParseIni(file.text, file.name);
    if (!job_doc.ok()) return job_doc.status();
    HDC_RETURN_IF_ERROR(AddJobs(*job_doc, file, false, read_file, &config, &seen));
  }
  HDC_RETURN_IF_ERROR(CheckAccounts(config));
  HDC_RETURN_IF_ERROR(CheckCallbacks(config));
  return config;
}

util::Result<std::string> ReadTextFile(const std::string& path) {
  // Only error_code overloads here and in LoadConfig's steps: a link loop, a
  // directory or FIFO where a file should be, or a permission problem is a
  // configuration error (78) naming the file, never a filesystem_error (70).
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (const std::string problem = FileProblem(status, ec); !problem.empty()) {
    return util::ConfigError("cannot read " + path + ": " + problem);
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) return OpenFailure(path, errno);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  // The disk failed under a readable file: temporary (75), so the service
  // manager restarts the daemon rather than taking the file for wrong.
  if (in.bad()) return util::TemporaryError("cannot read " + path + ": read error");
  return buffer.str();
}

// Paths in the loaded configuration use '/' on every system (Windows takes
// it as a separator too), so the store's joins and the messages agree.
util::Result<Config> LoadConfig(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  const fs::path service_dir = fs::path(path).parent_path();
  ConfigFile service_file{path, service_dir.empty() ? "." : service_dir.generic_string(), *text};

  // Parse once without job files to learn jobs_dir (and fail early).
  auto first = ParseConfig(service_file, {}, ReadTextFile);
  if (!first.ok()) return first.status();
  const bool jobs_dir_set = SetsJobsDir(*text, path);
  fs::path jobs_dir = first->service.jobs_dir;
  if (jobs_dir.is_relative()) jobs_dir = fs::path(service_file.dir) / jobs_dir;

  // Every problem with jobs_dir or a *.ini in it names the service file, the
  // key and the path: "hdc.ini: [service] jobs_dir: jobs.d/x.ini: ...".
  const std::string where = path + ": [service] jobs_dir: ";
  auto job_files = ReadJobFiles(jobs_dir, jobs_dir_set, where);
  if (!job_files.ok()) return job_files.status();
  auto config = ParseConfig(service_file, *job_files, ReadTextFile);
  if (config.ok()) ResolvePaths(service_file.dir, jobs_dir, *config);
  return config;
}

const AccountConfig* FindAccount(const Config& config, std::string_view name) {
  for (const AccountConfig& account : config.accounts) {
    if (account.name == name) return &account;
  }
  return nullptr;
}

Config AccountView(const Config& config, std::string_view name) {
  Config view;
  view.source = config.source;
  view.service = config.service;
  view.accounts = config.accounts;
  if (const AccountConfig* account = FindAccount(config, name)) view.account = *account;
  for (const JobSpec& job : config.jobs) {
    if (job.account == name) view.jobs.push_back(job);
  }
  return view;
}

bool SeveralAccounts(const Config& config) { return config.accounts.size() > 1; }

std::string AccountPrefix(const Config& config, const std::string& name) {
  return SeveralAccounts(config) ? "account " + name + ": " : "";
}

std::string AccountNames(const Config& config) {
  std::string names;
  for (const AccountConfig& account : config.accounts) {
    names += (names.empty() ? "" : ", ") + account.name;
  }
  return names;
}

const JobSpec* FindJob(const Config& config, std::string_view name) {
  for (const JobSpec& job : config.jobs) {
    if (job.name == name) return &job;
  }
  return nullptr;
}

}  // namespace hdc::config
