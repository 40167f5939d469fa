#include <array>
#include <ostream>

#include "ctl/commands.h"
#include "ctl/options.h"
#include "ctl/output.h"
#include "db/listings.h"

namespace hdc::ctl {

int CmdExecutions(const CommonOptions& common, const std::vector<std::string>& args,
                  std::ostream& out, std::ostream& err) {
  static constexpr std::array<OptionSpec, 3> kOptions{
      {{"--job", true}, {"--state", true}, {"--limit", true}}};
  CommonOptions options = common;
  auto parsed = ParseCommandOptions("executions", args, kOptions, options);
  if (!parsed.ok()) return Fail(err, parsed.status());
  db::ExecutionFilter filter;
  if (auto it = parsed->find("--job"); it != parsed->end()) filter.job = it->second;
  if (auto it = parsed->find("--state"); it != parsed->end()) filter.state = it->second;
  if (auto it = parsed->find("--limit"); it != parsed->end()) {
    auto limit = ParseCount("executions: --limit", it->second);
    if (!limit.ok()) return Fail(err, limit.status());
    filter.limit = *limit;
  }
  if (auto ok = db::CheckFilter(filter); !ok.ok()) return Fail(err, ok.WithContext("executions: "));
  auto state = OpenState(options);
  if (!state.ok()) return Fail(err, state.status());
  auto rows = db::ListExecutions(*state->db, filter);
  if (!rows.ok()) return Fail(err, rows.status().WithContext("executions: "));

  if (options.json) {
    Json doc{{"executions", Json::array()}};
    for (const db::ExecutionRow& r : *rows) {
      doc["executions"].push_back(Json{{"job", r.job},
                                       {"report_id", r.report_id},
                                       {"report_datetime", r.report_datetime},
                                       {"remote_status", r.remote_status},
                                       {"state", r.state},
                                       {"attempts", r.attempts},
                                       {"rows", OrNull(r.rows)},
                                       {"size", OrNull(r.size)},
                                       {"last_error", OrNull(r.last_error)}});
    }
    PrintJson(out, doc);
    return 0;
  }
  Table table({"JOB", "REPORT ID", "REPORT DATETIME", "REMOTE STATUS", "STATE", "ATTEMPTS", "ROWS",
               "SIZE", "LAST ERROR"},
              {false, false, false, false, false, true, true, true, false});
  for (const db::ExecutionRow& r : *rows) {
    table.Add({r.job, r.report_id, r.report_datetime, r.remote_status, r.state,
               std::to_string(r.attempts), OrDash(r.rows), HumanSize(r.size),
               OrDash(r.last_error)});
  }
  table.Print(out);
  return 0;
}

}  // namespace hdc::ctl
