// report --html FILE [--days N] [--now TIME]: the dashboard
// (docs/operations.md §Dashboard) as one self-contained HTML file, its data
// read from the state database now (dashboard/data.h) and, when hdc-reportd
// answers, each job's last cycle from its /healthz.
#include <array>
#include <fstream>
#include <ostream>

#include "ctl/commands.h"
#include "ctl/daemon_health.h"
#include "ctl/options.h"
#include "ctl/output.h"
#include "ctl/query_args.h"
#include "ctl/version.h"
#include "dashboard/data.h"
#include "dashboard/page.h"
#include "util/time_format.h"

namespace hdc::ctl {
namespace {

std::optional<std::vector<dashboard::JobLive>> LiveJobs(const DaemonHealth& daemon) {
  if (!daemon.health) return std::nullopt;
  std::vector<dashboard::JobLive> jobs;
  for (const DaemonJob& j : daemon.jobs) {
    jobs.push_back(
        {j.name, j.healthy, j.last_success, j.last_attempt, j.next_due, j.consecutive_failures});
  }
  return jobs;
}

// FILE, or stdout for "-"; the whole page or an error naming the file.
util::Status WritePage(const std::string& file, const std::string& page, std::ostream& out) {
  if (file == "-") {
    out << page;
    return util::Status::Ok();
  }
  std::ofstream stream(NativePath(file), std::ios::binary | std::ios::trunc);
  stream << page;
  stream.close();
  if (!stream) return util::TemporaryError("report: cannot write " + file);
  return util::Status::Ok();
}

}  // namespace

int CmdReport(const CommonOptions& common, const std::vector<std::string>& args, std::ostream& out,
              std::ostream& err) {
  static constexpr std::array<OptionSpec, 3> kOptions{
      {{"--html", true}, {"--days", true}, {"--now", true}}};
  CommonOptions options = common;
  auto parsed = ParseCommandOptions("report", args, kOptions, options);
  if (!parsed.ok()) return Fail(err, parsed.status());
  const auto html = parsed->find("--html");
  if (html == parsed->end() || html->second.empty()) {
    return Fail(err, util::UsageError("report needs --html FILE"));
  }
  auto scope = ParseScope("report", *parsed, 14);
  if (!scope.ok()) return Fail(err, scope.status());
  if (scope->days > dashboard::kMaxDays) {
    return Fail(err, util::UsageError("report: --days is at most 366"));
  }
  auto state = OpenState(options);
  if (!state.ok()) return Fail(err, state.status());
  const DaemonHealth daemon = ProbeDaemon(
      ControlAddress(state->config.service.state_dir, state->config.service.control_listen),
      std::string("hdc-reportctl/") + HDC_VERSION);
  auto now = util::ParseUtcStrict(scope->scope.until);
  if (!now.ok()) return Fail(err, now.status());
  const dashboard::SummaryInput input{
      {*now, scope->days}, LiveJobs(daemon), state->config.service.retention.count()};
  auto bundle = dashboard::BundleJson(*state->db, input);
  if (!bundle.ok()) return Fail(err, bundle.status().WithContext("report: "));
  const util::Status written = WritePage(html->second, dashboard::SelfContainedPage(*bundle), out);
  if (!written.ok()) return Fail(err, written);
  return 0;
}

}  // namespace hdc::ctl
