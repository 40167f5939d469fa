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

}  // namespace

int CmdSweep(const CommonOptions& common, const std::vector<std::string>& args, std::ostream& out,
             std::ostream& err) {
  static constexpr std::array<OptionSpec, 3> kOptions{
      {{"--dry-run", false}, {"--now", true}, {"--ahead", true}}};
  CommonOptions options = common;
  auto parsed = ParseCommandOptions("sweep", args, kOptions, options);
  if (!parsed.ok()) return Fail(err, parsed.status());
  retention::SweepOptions sweep;
  sweep.now = util::SystemClock().Now();
  sweep.dry_run = parsed->contains("--dry-run");
  if (auto it = parsed->find("--now"); it != parsed->end()) {
    auto t = util::ParseUtcStrict(it->second);
    if (!t.ok()) {
      return Fail(err, util::UsageError("sweep: --now needs a UTC time like 2026-12-01T00:00:00Z, "
                                        "not '" +
                                        it->second + "'"));
    }
    sweep.now = *t;
  }
  if (auto it = parsed->find("--ahead"); it != parsed->end()) {
    auto d = util::ParseDuration(it->second);
    if (!d.ok()) {
      return Fail(err, util::UsageError("sweep: --ahead needs a duration like 24h, not '" +
                                        it->second + "'"));
    }
    sweep.purge_ahead = *d;
  }
  auto config = config::LoadConfig(options.config_path);
  if (!config.ok()) return Fail(err, config.status());
  const std::string& state_dir = config->service.state_dir;
  sweep.retention = config->service.retention;

  // A link under the state directory is refused, as the daemon refuses it.
  if (util::Status links = store::RefuseLinksUnder(platform::RealFileSystem(), state_dir);
      !links.ok()) {
    return Fail(err, links);
  }
  std::unique_ptr<platform::DirLock> lock;
  if (!sweep.dry_run) {
    std::error_code ec;
    if (std::filesystem::is_directory(NativePath(state_dir), ec)) {
      auto locked = platform::LockDirectory(state_dir);
      if (!locked.ok()) {
        return Fail(err, util::TemporaryError("sweep: " + locked.status().message() +
                                              "; hdc-reportd sweeps on its own timer"));
      }
      lock = std::move(locked).value();
    }
  }
  auto state = OpenState(options);
  if (!state.ok()) return Fail(err, state.status());
  const store::StoreLayout layout(state_dir);
  retention::SweepReport report;
  if (state->found) {
    auto files = platform::OpenConfinedFileSystem(state_dir);
    if (!files.ok()) return Fail(err, files.status());
    auto swept = retention::Sweep(*state->db, **files, layout, sweep);
    if (!swept.ok()) {
      return Fail(err,
                  util::Status::Error(swept.status().kind(), "sweep: " + swept.status().message()));
    }
    report = std::move(swept).value();
  } else {
    report.dry_run = sweep.dry_run;
    report.cutoff = util::FormatTimestamp(retention::SweepCutoff(sweep));
  }

  if (options.json) {
    PrintJson(out, Json{{"dry_run", report.dry_run},
                        {"cutoff", report.cutoff},
                        {"cabs", TallyJson(report.cabs)},
                        {"reports", TallyJson(report.reports)},
                        {"rows", TallyJson(report.rows, false)},
                        {"partials", TallyJson(report.partials)},
                        {"orphans", TallyJson(report.orphans)},
                        {"rows_missing_file", report.rows_missing_file},
                        {"resumed_sweeps", report.resumed_sweeps}});
    return 0;
  }
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
  return 0;
}

}  // namespace hdc::ctl
