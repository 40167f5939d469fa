// sweep [--dry-run] [--now TIME] [--ahead DURATION]: the retention sweeper
// (retention/sweeper.h) run once, now.
//
// --dry-run lists what would go (counts, bytes and the oldest clock per
// kind) and changes nothing: no lock, no write. Without it the sweep takes
// the state-directory lock first, so it is refused (exit 75, one line) while
// hdc-reportd holds it: the daemon sweeps on its own timer. --now pretends
// it is TIME (UTC), for previews and tests; --ahead also removes what would
// pass the window within DURATION (default 0: exactly the window).
#include <array>
#include <filesystem>
#include <ostream>

#include "ctl/commands.h"
#include "ctl/options.h"
#include "ctl/output.h"
#include "platform/dir_lock.h"
#include "platform/filesystem.h"
#include "retention/sweeper.h"
#include "store/layout.h"
#include "store/link_guard.h"
#include "util/time_format.h"

namespace hdc::ctl {
namespace {

Json TallyJson(const retention::KindTally& t, bool with_bytes = true) {
  Json out{{"count", t.count}};
  if (with_bytes) out["bytes"] = t.bytes;
  out["oldest_clock"] = OrNull(t.oldest_clock);
  return out;
}

util::Result<retention::SweepOptions> ParseSweepOptions(const std::vector<std::string>& args,
                                                        CommonOptions& options) {
  static constexpr std::array<OptionSpec, 3> kOptions{
      {{"--dry-run", false}, {"--now", true}, {"--ahead", true}}};
  HDC_ASSIGN_OR_RETURN(auto parsed, ParseCommandOptions("sweep", args, kOptions, options));
  retention::SweepOptions sweep;
  sweep.now = util::SystemClock().Now();
  sweep.dry_run = parsed.contains("--dry-run");
  if (auto it = parsed.find("--now"); it != parsed.end()) {
    auto t = util::ParseUtcStrict(it->second);
    if (!t.ok()) {
      return util::UsageError("sweep: --now needs a UTC time like 2026-12-01T00:00:00Z, not '" +
                              it->second + "'");
    }
    sweep.now = *t;
  }
  if (auto it = parsed.find("--ahead"); it != parsed.end()) {
    auto d = util::ParseDuration(it->second);
    if (!d.ok()) {
      return util::UsageError("sweep: --ahead needs a duration like 24h, not '" + it->second + "'");
    }
    sweep.purge_ahead = *d;
  }
  return sweep;
}

// The state-directory lock for a real sweep of an existing directory; none
// for --dry-run or when there is no directory yet.
util::Result<std::unique_ptr<platform::DirLock>> LockUnlessDryRun(const std::string& state_dir,
                                                                  bool dry_run) {
  std::error_code ec;
  if (dry_run || !std::filesystem::is_directory(NativePath(state_dir), ec)) {
    return std::unique_ptr<platform::DirLock>();
  }
  auto locked = platform::LockDirectory(state_dir);
  if (!locked.ok()) {
    return util::TemporaryError("sweep: " + locked.status().message() +
                                "; hdc-reportd sweeps on its own timer");
  }
  return std::move(locked).value();
}

// The sweep itself, or for a state directory without state.db the empty
// report it would give.
util::Result<retention::SweepReport> SweepState(State& state, const std::string& state_dir,
                                                const retention::SweepOptions& sweep) {
  if (!state.found) {
    retention::SweepReport report;
    report.dry_run = sweep.dry_run;
    report.cutoff = util::FormatTimestamp(retention::SweepCutoff(sweep));
    return report;
  }
  const store::StoreLayout layout(state_dir);
  HDC_ASSIGN_OR_RETURN(auto files, platform::OpenConfinedFileSystem(state_dir));
  auto swept = retention::Sweep(*state.db, *files, layout, sweep);
  if (!swept.ok()) {
    return util::Status::Error(swept.status().kind(), "sweep: " + swept.status().message());
  }
  return swept;
}

void PrintReportJson(std::ostream& out, const retention::SweepReport& report) {
  PrintJson(out, Json{{"dry_run", report.dry_run},
                      {"cutoff", report.cutoff},
                      {"cabs", TallyJson(report.cabs)},
                      {"reports", TallyJson(report.reports)},
                      {"rows", TallyJson(report.rows, false)},
                      {"partials", TallyJson(report.partials)},
                      {"orphans", TallyJson(report.orphans)},
                      {"rows_missing_file", report.rows_missing_file},
                      {"resumed_sweeps", report.resumed_sweeps}});
}

void PrintReportTable(std::ostream& out, const retention::SweepReport& report) {
  Table table({"KIND", "COUNT", "BYTES", "OLDEST CLOCK"}, {false, true, true, false});
  auto add = [&](const char* kind, const retention::KindTally& t, bool bytes = true) {
    table.Add(
        {kind, std::to_string(t.count), bytes ? HumanSize(t.bytes) : "-", OrDash(t.oldest_clock)});
  };
  add("cabs", report.cabs);
  add("reports", report.reports);
  add("rows", report.rows, false);
  add("partials", report.partials);
  add("orphans", report.orphans);
  table.Print(out);
  out << retention::SweepSummary(report) << " (data whose clock started before " << report.cutoff
      << ")\n";
  if (report.rows_missing_file > 0) {
    out << report.rows_missing_file
        << " row(s) name a stored file that is gone; see hdc-reportctl verify\n";
  }
}

}  // namespace

int CmdSweep(const CommonOptions& common, const std::vector<std::string>& args, std::ostream& out,
             std::ostream& err) {
  CommonOptions options = common;
  auto sweep = ParseSweepOptions(args, options);
  if (!sweep.ok()) return Fail(err, sweep.status());
  auto config = config::LoadConfig(options.config_path);
  if (!config.ok()) return Fail(err, config.status());
  const std::string& state_dir = config->service.state_dir;
  sweep->retention = config->service.retention;

  // A link under the state directory is refused, as the daemon refuses it.
  if (util::Status links = store::RefuseLinksUnder(platform::RealFileSystem(), state_dir);
      !links.ok()) {
    return Fail(err, links);
  }
  // Held until the answer is printed.
  auto lock = LockUnlessDryRun(state_dir, sweep->dry_run);
  if (!lock.ok()) return Fail(err, lock.status());
  auto state = OpenState(options);
  if (!state.ok()) return Fail(err, state.status());
  auto report = SweepState(*state, state_dir, *sweep);
  if (!report.ok()) return Fail(err, report.status());

  if (options.json) {
    PrintReportJson(out, *report);
  } else {
    PrintReportTable(out, *report);
  }
  return 0;
}

}  // namespace hdc::ctl
