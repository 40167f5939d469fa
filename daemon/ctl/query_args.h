// What the query commands (top, trend, new, compare) share: the window
// options --days, --job and --now into a db::QueryScope, the hidden
// --explain-sql (the statement and its parameters as a sqlite3 shell
// script, run by nothing: bench/bench_queries.sh feeds it to the sqlite3
// shell to time the same SQL), and table headers for column names.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <string_view>

#include "db/queries.h"
#include "util/result.h"

namespace hdc::ctl {

using ParsedOptions = std::map<std::string, std::string, std::less<>>;

struct ScopeArgs {
  db::QueryScope scope;
  std::int64_t days = 7;
};

// --days (1 to 36500, default `default_days`), --job and --now (UTC, default
// the system clock). The scope ends at now and starts `days` before it, or,
// with whole_days, at 00:00Z of the first of the `days` UTC days that end
// with now's day. kUsage naming the command for a bad value.
util::Result<ScopeArgs> ParseScope(std::string_view command, const ParsedOptions& parsed,
                                   std::int64_t default_days, bool whole_days = false);

// "DriverName" -> "DRIVER NAME", "OSVersion" -> "OS VERSION",
// "driver_name" -> "DRIVER NAME".
std::string ColumnHeader(std::string_view name);

// With --explain-sql: prints the statement `make` builds as a sqlite3 shell
// script and returns its exit code; else nullopt (run the query).
std::optional<int> ExplainIfAsked(const ParsedOptions& parsed, std::string_view command,
                                  const std::function<util::Result<db::SqlText>()>& make,
                                  std::ostream& out, std::ostream& err);

}  // namespace hdc::ctl
