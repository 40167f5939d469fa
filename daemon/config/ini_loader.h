// Loads the whole configuration: the service file plus jobs_dir/*.ini (in
// lexical order), validated as a whole. A job may also sit in the service
// file. Unknown sections and keys, duplicate job names (across all accounts),
// duplicate accounts ([account] and [account default] are one), a job naming
// an account that does not exist and missing required keys are errors (kConfig) naming file, line,
// section and key.
//
// The text-based entry point needs no files (tests, fuzzers); the file-based
// one reads the service file, the job files and template files.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/job_spec.h"
#include "config/service_config.h"
#include "util/result.h"

namespace hdc::config {

struct Config {
  std::string source;  // the service file
  ServiceConfig service;
  // Every [account] and [account NAME] section, in name order; the unnamed
  // one is "default". At least one.
  std::vector<AccountConfig> accounts;
  // A copy of the primary account: "default" when there is one, else the
  // first by name; the one account of a single-account configuration. In
  // an AccountView, the account that view is of.
  AccountConfig account;
  std::vector<JobSpec> jobs;  // service-file jobs first, then jobs_dir in name order
};

// The job of that name, or nullptr.
const JobSpec* FindJob(const Config& config, std::string_view name);
// The account of that name, or nullptr.
const AccountConfig* FindAccount(const Config& config, std::string_view name);
// "a, b, default": the account names, for messages.
std::string AccountNames(const Config& config);
// The configuration as one account's remote work sees it: `account` is that
// account and `jobs` only its jobs; `accounts` and `service` stay whole (so
// a view still tells whether the daemon runs several accounts). `name` must
// be one of config.accounts.
Config AccountView(const Config& config, std::string_view name);
// True when the configuration holds more than one account.
bool SeveralAccounts(const Config& config);
// "account NAME: " when the configuration holds several accounts, else "":
// the prefix of a message about account `name`.
std::string AccountPrefix(const Config& config, const std::string& name);

struct ConfigFile {
  std::string name;  // for messages: "jobs.d/kernel.ini"
  std::string dir;   // folder, for template_file paths
  std::string text;
};

// Parses a service file and already-read job files. The service file's
// jobs_dir is not read here.
util::Result<Config> ParseConfig(const ConfigFile& service_file,
                                 const std::vector<ConfigFile>& job_files,
                                 const FileReader& read_file);

// Reads `path`, then every *.ini in its jobs_dir, then parses. Relative
// jobs_dir, state_dir and log_file are taken from path's folder. A missing jobs_dir is an error
// only when set explicitly.
util::Result<Config> LoadConfig(const std::string& path);

// Reads a whole file; errors name the path.
util::Result<std::string> ReadTextFile(const std::string& path);

}  // namespace hdc::config
