// hdc-reportctl: the operator's tool over hdc-reportd's configuration and
// state. Subcommands are listed in kCommands; each lives in its own file.
// Options before the command are parsed here; the rest go to the command.
#include <array>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ctl/commands.h"
#include "ctl/options.h"
#include "ctl/version.h"
#include "platform/process_guard.h"
#include "platform/service_host.h"

namespace {

constexpr const char* kUsage =
    "usage: hdc-reportctl [--config FILE] [--json] COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  status [--account NAME]\n"
    "              whether hdc-reportd runs and is healthy (its control listener's\n"
    "              /healthz); per job: enabled, remote template and schedule,\n"
    "              executions and cabs by state, rows and bytes stored, and the\n"
    "              daemon's last cycle (last success, next due, failures, last\n"
    "              error) when it answers; totals; the last sweep\n"
    "  plan [--account NAME]\n"
    "              show what hdc-reportd would create, edit, pause or resume remotely,\n"
    "              changing nothing (exit 0 in sync, 2 changes pending)\n"
    "  executions [--job NAME] [--state STATE] [--limit N] [--account NAME]\n"
    "              report runs, newest first (default --limit 50, 0 for all);\n"
    "              STATE: new, fetching, fetched, ingested, failed, purged\n"
    "  cabs [--job NAME] [--state STATE] [--limit N] [--account NAME]\n"
    "              cabs, newest first (default --limit 50, 0 for all); STATE:\n"
    "              pending, fetching, fetched, skipped, failed, purged\n"
    "  top [--by COL[,COL...]] [--where COL=VALUE]... [--days N] [--limit N]\n"
    "      [--job NAME] [--now TIME]\n"
    "              failure rows and their events grouped by the columns over the\n"
    "              reports of the N days (default 7) up to TIME (UTC, default now);\n"
    "              the top N (default 10, 0 for all). COL: a report column as a\n"
    "              job's columns = names it (DriverName, OSVersion, Market, Model,\n"
    "              any case) or driver_name, failure_name, failure_hash,\n"
    "              driver_version, job_name (default driver_name); DeviceId,\n"
    "              HardwareId and CabIdHash are refused\n"
    "  trend [--by COL] [--days N] [--top K] [--job NAME] [--now TIME]\n"
    "      [--format table|csv|json]\n"
    "              events per UTC day (of FailureDateTime, else the report's run)\n"
    "              over the N days (default 7) ending TIME's day, per value of COL\n"
    "              (default driver_name): the K (default 8) with most events, the\n"
    "              rest summed as other\n"
    "  new [--days N] [--limit N] [--job NAME] [--now TIME]\n"
    "              failure buckets first seen (in the whole table) within the N\n"
    "              days (default 7): events, first day, the latest row's failure\n"
    "              name, driver and version; most events first (default --limit 20)\n"
    "  compare --by COL A B [--days N] [--limit N] [--job NAME] [--now TIME]\n"
    "              per failure bucket, events where COL is A and where it is B over\n"
    "              the N days (default 7), and the change B - A; largest change\n"
    "              first (default --limit 20, 0 for all)\n"
    "  report --html FILE [--days N] [--now TIME]\n"
    "              the failure dashboard as one self-contained HTML file (data,\n"
    "              charts and script inline, nothing fetched): events per day by\n"
    "              driver over the N days (default 14), top and new failure\n"
    "              buckets, per job its state; aggregates only; FILE - is stdout\n"
    "  export [--format csv|json] [--job NAME] [--since WHEN] [--with-device-ids]\n"
    "              the failure rows, oldest first: CSV (RFC 4180, CRLF; cells that\n"
    "              start with = + - @ TAB CR NUL get a leading ' so spreadsheets\n"
    "              show them as text; the default, also --csv) or JSON Lines\n"
    "              (--format json or --json); WHEN: a UTC date (2026-11-01), time\n"
    "              (2026-11-01T00:00:00Z) or a duration back from now (7d, 12h).\n"
    "              Device and hardware ids are left out unless --with-device-ids.\n"
    "              The export is personal data: delete it within the retention\n"
    "              window (30 days); a reminder goes to stderr\n"
    "  verify      re-hash every stored file against its row (size and SHA-256)\n"
    "              and list files no row names; exit 65 when anything differs\n"
    "  sweep [--dry-run] [--now TIME] [--ahead DURATION]\n"
    "              remove personal data past the retention window now (cabs,\n"
    "              report files, failure rows, stale partials, orphan files);\n"
    "              --dry-run lists counts, bytes and the oldest clock per kind\n"
    "              and changes nothing; refused (exit 75) while hdc-reportd runs\n"
    "\n"
    "status, executions, cabs, top, trend, new, compare, report, export, verify and\n"
    "sweep --dry-run only read "
    "the state; they need no secret and may run while hdc-reportd does.\n"
    "\n"
    "Options (also after the command):\n"
    "  -c, --config FILE  configuration file (default /etc/hdc-reportd/hdc-reportd.ini)\n"
    "      --json         machine-readable output\n"
    "  -h, --help         this help\n"
    "  -V, --version      the version\n"
    "\n"
    "Exit codes: 0 done, 2 plan has changes, 64 usage, 65 bad data from the server\n"
    "(verify: the store does not match the database), 69 service unavailable,\n"
    "75 temporary failure, 77 authentication refused, 78 configuration error.\n";

using Command = int (*)(const hdc::ctl::CommonOptions&, const std::vector<std::string>&,
                        std::ostream&, std::ostream&);

int RunPlan(const hdc::ctl::CommonOptions& common, const std::vector<std::string>& args,
            std::ostream& out, std::ostream& err) {
  hdc::ctl::CommonOptions options = common;
  static constexpr std::array<hdc::ctl::OptionSpec, 1> kOptions{{{"--account", true}}};
  auto parsed = hdc::ctl::ParseCommandOptions("plan", args, kOptions, options);
  if (!parsed.ok()) return hdc::ctl::Fail(err, parsed.status());
  std::optional<std::string> account;
  if (auto it = parsed->find("--account"); it != parsed->end()) account = it->second;
  return hdc::ctl::CmdPlan(options, out, err, account);
}

constexpr std::array<std::pair<std::string_view, Command>, 12> kCommands{{
    {"status", hdc::ctl::CmdStatus},
    {"plan", RunPlan},
    {"executions", hdc::ctl::CmdExecutions},
    {"cabs", hdc::ctl::CmdCabs},
    {"top", hdc::ctl::CmdTop},
    {"trend", hdc::ctl::CmdTrend},
    {"new", hdc::ctl::CmdNew},
    {"compare", hdc::ctl::CmdCompare},
    {"report", hdc::ctl::CmdReport},
    {"export", hdc::ctl::CmdExport},
    {"verify", hdc::ctl::CmdVerify},
    {"sweep", hdc::ctl::CmdSweep},
}};

int Usage(const std::string& problem) {
  std::cerr << "hdc-reportctl: " << problem << " (see --help)\n";
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  // First, for every command: plan reads the client secret (the environment
  // may hold it from the start) and gets tokens; top and export read personal
  // data (S14 in docs/reliability.md §Security checklist). Not fatal.
  if (const hdc::util::Status status = hdc::platform::ForbidCoreDumps(); !status.ok()) {
    std::cerr << "hdc-reportctl: warning: " << status.message() << "\n";
  }
  hdc::ctl::CommonOptions options;
#ifdef _WIN32
  options.config_path = hdc::platform::ProgramDataDir() + "\\hdc-reportd.ini";  // as the service
#else
  options.config_path = "/etc/hdc-reportd/hdc-reportd.ini";
#endif
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string command;
  std::vector<std::string> rest;  // the command's own arguments
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (a == "-V" || a == "--version") {
      std::cout << "hdc-reportctl " << HDC_VERSION;
      if (std::strlen(HDC_GIT_REVISION) > 0) std::cout << " (git " << HDC_GIT_REVISION << ")";
      std::cout << "\nLicense: " << HDC_LICENSE << "\n";
      return 0;
    } else if (a == "--json") {
      options.json = true;
    } else if (a == "-c" || a == "--config") {
      if (++i == args.size()) return Usage(a + " needs a FILE");
      options.config_path = args[i];
    } else if (a.rfind("--config=", 0) == 0) {
      options.config_path = a.substr(9);
    } else if (!a.empty() && a[0] == '-') {
      return Usage("unknown option '" + a + "'");
    } else {
      command = a;
      rest.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    }
  }
  if (command.empty()) return Usage("no command given");
  for (const std::string& a : rest) {
    if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    }
  }
  for (const auto& [name, run] : kCommands) {
    if (command == name) return run(options, rest, std::cout, std::cerr);
  }
  return Usage("unknown command '" + command + "'");
}
