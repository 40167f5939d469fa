#include "ctl/options.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <system_error>

#include "db/jobs_table.h"
#include "util/state_files.h"

namespace hdc::ctl {

util::Result<std::map<std::string, std::string, std::less<>>> ParseCommandOptions(
    std::string_view command, const std::vector<std::string>& args,
    std::span<const OptionSpec> specs, CommonOptions& common,
    std::vector<std::string>* positionals) {
  const std::string where(command);
  std::map<std::string, std::string, std::less<>> values;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--json") {
      common.json = true;
      continue;
    }
    if (a.starts_with("--json=")) return util::UsageError(where + ": --json takes no value");
    if (a == "-c" || a == "--config") {
      if (++i == args.size()) return util::UsageError(where + ": " + a + " needs a FILE");
      common.config_path = args[i];
      continue;
    }
    if (a.starts_with("--config=")) {
      common.config_path = a.substr(9);
      continue;
    }
    if (!a.starts_with("--")) {
      if (a.starts_with("-") && a.size() > 1) {
        return util::UsageError(where + ": unknown option '" + a + "'");
      }
      if (positionals) {
        positionals->push_back(a);
        continue;
      }
      return util::UsageError(where + ": unexpected argument '" + a + "'");
    }
    const std::size_t eq = a.find('=');
    const std::string name = a.substr(0, eq);
    const auto spec = std::find_if(specs.begin(), specs.end(),
                                   [&](const OptionSpec& s) { return s.name == name; });
    if (spec == specs.end()) return util::UsageError(where + ": unknown option '" + name + "'");
    if (!spec->takes_value) {
      if (eq != std::string::npos) {
        return util::UsageError(where + ": " + name + " takes no value");
      }
      values[name] = "";
    } else {
      if (eq == std::string::npos && ++i == args.size()) {
        return util::UsageError(where + ": " + name + " needs a value");
      }
      std::string value = eq != std::string::npos ? a.substr(eq + 1) : args[i];
      auto [it, fresh] = values.try_emplace(name, value);
      if (!fresh) it->second = spec->repeatable ? it->second + kRepeatSeparator + value : value;
    }
  }
  return values;
}

std::vector<std::string> RepeatedValues(std::string_view joined) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = joined.find(kRepeatSeparator, start);
    out.emplace_back(joined.substr(start, end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

util::Result<std::int64_t> ParseCount(std::string_view option, std::string_view text,
                                      std::int64_t min, std::int64_t max) {
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n < min || n > max) {
    return util::UsageError(std::string(option) + " needs a whole number from " +
                            std::to_string(min) + " to " + std::to_string(max) + ", not '" +
                            std::string(text) + "'");
  }
  return n;
}

util::Result<State> OpenState(const CommonOptions& options) {
  State state;
  HDC_ASSIGN_OR_RETURN(state.config, config::LoadConfig(options.config_path));
  const std::string db_path =
      util::state_files::PathOf(state.config.service.state_dir, util::state_files::kDatabase);
  std::error_code ec;
  state.found = std::filesystem::exists(NativePath(db_path), ec);
  if (ec) return util::TemporaryError(db_path + ": cannot look for it (" + ec.message() + ")");
  HDC_ASSIGN_OR_RETURN(state.db, db::Database::Open({state.found ? db_path : ":memory:"}));
  return state;
}

util::Status CheckAccount(std::string_view command, const config::Config& config,
                          const std::string& account) {
  if (config::FindAccount(config, account) != nullptr) return util::Status::Ok();
  return util::UsageError(std::string(command) + ": --account: no account '" + account +
                          "'; the accounts are " + config::AccountNames(config));
}

util::Result<std::set<std::string>> JobsOfAccount(const State& state, const std::string& account) {
  std::set<std::string> jobs;
  for (const config::JobSpec& job : state.config.jobs) {
    if (job.account == account) jobs.insert(job.name);
  }
  HDC_ASSIGN_OR_RETURN(auto recorded, db::JobsTable(*state.db).Accounts());
  for (const db::JobsTable::JobAccount& row : recorded) {
    if (row.account == account) jobs.insert(row.name);
  }
  return jobs;
}

std::filesystem::path NativePath(const std::string& path) {
  return std::filesystem::path(std::u8string(path.begin(), path.end()));
}

int Fail(std::ostream& err, const util::Status& status) {
  err << "hdc-reportctl: " << status.ToString()
      << (status.kind() == util::ErrorKind::kUsage ? " (see --help)" : "") << "\n";
  return status.exit_code();
}

}  // namespace hdc::ctl
