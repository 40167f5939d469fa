// What every listing starts from: its own options after the command, and
// the configuration and state database, opened for reading only.
//
// A listing needs no lock and no secret: reading is safe while hdc-reportd
// runs (WAL readers never block it), and a state directory without a
// state.db means "nothing yet", not an error.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/ini_loader.h"
#include "ctl/commands.h"
#include "db/database.h"
#include "util/result.h"

namespace hdc::ctl {

struct OptionSpec {
  std::string_view name;  // "--job"
  bool takes_value = true;
  bool repeatable = false;  // each value kept, joined by kRepeatSeparator
};

// Between the values of a repeatable option (never in an argument).
inline constexpr char kRepeatSeparator = '\0';

// The values of a repeatable option, in the order given.
std::vector<std::string> RepeatedValues(std::string_view joined);

// Parses the arguments after `command`: each spec as "--name VALUE" or
// "--name=VALUE" (a repeated option: the last wins, unless repeatable),
// plus the common --json and -c/--config FILE, which update `common`.
// Anything else, a missing value or a positional argument (unless
// `positionals` collects them) is kUsage naming the command. Returns the
// given options by name (a flag's value is "").
util::Result<std::map<std::string, std::string, std::less<>>> ParseCommandOptions(
    std::string_view command, const std::vector<std::string>& args,
    std::span<const OptionSpec> specs, CommonOptions& common,
    std::vector<std::string>* positionals = nullptr);

// A whole number from min to max for `option`, else kUsage.
util::Result<std::int64_t> ParseCount(std::string_view option, std::string_view text,
                                      std::int64_t min = 0, std::int64_t max = 1000000000);

struct State {
  config::Config config;
  std::unique_ptr<db::Database> db;  // an empty in-memory one when there is no state.db
  bool found = false;                // state.db exists
};

// Loads the configuration and opens <state_dir>/state.db.
util::Result<State> OpenState(const CommonOptions& options);

// --account NAME of `command`: kUsage naming the accounts when the
// configuration has no such account.
util::Status CheckAccount(std::string_view command, const config::Config& config,
                          const std::string& account);
// The jobs of `account`: those the configuration names under it and those
// the state database records under it (a job only its data remembers).
util::Result<std::set<std::string>> JobsOfAccount(const State& state, const std::string& account);

// A UTF-8 path as the platform's path (not the ANSI code page on Windows).
std::filesystem::path NativePath(const std::string& path);

// Prints "hdc-reportctl: <message>" (with a pointer to --help for usage
// errors) and returns the status's exit code.
int Fail(std::ostream& err, const util::Status& status);

}  // namespace hdc::ctl
