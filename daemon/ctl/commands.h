// hdc-reportctl's subcommands: one function each, taking the parsed common
// options and the remaining arguments, returning the exit code. stdout
// carries data (tables or --json), stderr carries errors, one line each.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace hdc::ctl {

struct CommonOptions {
  std::string config_path;
  bool json = false;
};

// plan: what reconciliation would do remotely, changing nothing. Exit 0 in
// sync, 2 when changes are pending, else the codes of docs/architecture.md §Exit codes.
// With `account`, the jobs of that account only, signed in as it (kUsage
// naming the accounts when there is none of that name); without, the one
// account of the configuration (several are refused, kConfig).
int CmdPlan(const CommonOptions& options, std::ostream& out, std::ostream& err,
            const std::optional<std::string>& account = std::nullopt);

// The listings read the state database only: no lock, no secret, no
// network (status alone also asks hdc-reportd's loopback control listener).
// A state directory without state.db lists nothing and exits 0.
// Each takes its own options in `args` (plus --json and --config).

// status: whether hdc-reportd runs and is healthy (its control listener's
// /healthz, ctl/daemon_health.h); per job its remote objects, executions
// and cabs by state, rows and bytes stored, and its last cycle when the
// daemon answered; totals; the last retention sweep.
int CmdStatus(const CommonOptions& options, const std::vector<std::string>& args, std::ostream& out,
              std::ostream& err);

// executions [--job NAME] [--state STATE] [--limit N]: newest first.
int CmdExecutions(const CommonOptions& options, const std::vector<std::string>& args,
                  std::ostream& out, std::ostream& err);

// cabs [--job NAME] [--state STATE] [--limit N]: newest first.
int CmdCabs(const CommonOptions& options, const std::vector<std::string>& args, std::ostream& out,
            std::ostream& err);

// The queries over failures (db/queries.h); each also takes the hidden
// --explain-sql (ctl/query_args.h) and reads no personal column.
// top [--by COL[,COL...]] [--where COL=VALUE]... [--days N] [--limit N]
// [--job NAME] [--now TIME]: failure rows and events grouped by columns
// over the period that ends now.
int CmdTop(const CommonOptions& options, const std::vector<std::string>& args, std::ostream& out,
           std::ostream& err);

// trend [--by COL] [--days N] [--top K] [--job NAME] [--now TIME]
// [--format table|csv|json]: events per UTC day per value, the top K apart.
int CmdTrend(const CommonOptions& options, const std::vector<std::string>& args, std::ostream& out,
             std::ostream& err);

// new [--days N] [--limit N] [--job NAME] [--now TIME]: failure buckets first
// seen in the period.
int CmdNew(const CommonOptions& options, const std::vector<std::string>& args, std::ostream& out,
           std::ostream& err);

// compare --by COL A B [--days N] [--limit N] [--job NAME] [--now TIME]:
// events per bucket where COL is A against where it is B.
int CmdCompare(const CommonOptions& options, const std::vector<std::string>& args,
               std::ostream& out, std::ostream& err);

// report --html FILE [--days N] [--now TIME]: the dashboard as one
// self-contained HTML file (data, scripts and styles inline; FILE "-" is
// stdout); aggregates only (dashboard/data.h).
int CmdReport(const CommonOptions& options, const std::vector<std::string>& args, std::ostream& out,
              std::ostream& err);

// verify: re-hashes every file a row says is stored (size and SHA-256) and
// lists files no row names. Exit 0 when all agree, 65 otherwise.
int CmdVerify(const CommonOptions& options, const std::vector<std::string>& args, std::ostream& out,
              std::ostream& err);

// export [--format csv|json] [--job NAME] [--since WHEN] [--with-device-ids]:
// the failure rows, oldest first, streamed as CSV or JSON Lines; a warning
// on stderr that they are personal data (ctl/export_rows.h).
int CmdExport(const CommonOptions& options, const std::vector<std::string>& args, std::ostream& out,
              std::ostream& err);

// sweep [--dry-run] [--now TIME] [--ahead DURATION]: one retention sweep
// now (taking the state-directory lock: exit 75 while hdc-reportd runs), or
// with --dry-run what it would remove, changing nothing.
int CmdSweep(const CommonOptions& options, const std::vector<std::string>& args, std::ostream& out,
             std::ostream& err);

}  // namespace hdc::ctl
