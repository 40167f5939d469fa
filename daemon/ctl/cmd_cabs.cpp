#include <array>
#include <ostream>

#include "ctl/commands.h"
#include "ctl/options.h"
#include "ctl/output.h"
#include "db/listings.h"

namespace hdc::ctl {

int CmdCabs(const CommonOptions& common, const std::vector<std::string>& args, std::ostream& out,
            std::ostream& err) {
  static constexpr std::array<OptionSpec, 3> kOptions{
      {{"--job", true}, {"--state", true}, {"--limit", true}}};
  CommonOptions options = common;
  auto parsed = ParseCommandOptions("cabs", args, kOptions, options);
  if (!parsed.ok()) return Fail(err, parsed.status());
  db::CabFilter filter;
  if (auto it = parsed->find("--job"); it != parsed->end()) filter.job = it->second;
  if (auto it = parsed->find("--state"); it != parsed->end()) filter.state = it->second;
  if (auto it = parsed->find("--limit"); it != parsed->end()) {
    auto limit = ParseCount("cabs: --limit", it->second);
    if (!limit.ok()) return Fail(err, limit.status());
    filter.limit = *limit;
  }
  if (auto ok = db::CheckFilter(filter); !ok.ok()) return Fail(err, ok.WithContext("cabs: "));
  auto state = OpenState(options);
  if (!state.ok()) return Fail(err, state.status());
  auto rows = db::ListCabs(*state->db, filter);
  if (!rows.ok()) return Fail(err, rows.status().WithContext("cabs: "));

  if (options.json) {
    Json doc{{"cabs", Json::array()}};
    for (const db::CabRow& r : *rows) {
      doc["cabs"].push_back(Json{{"cab_id_hash", r.cab_id_hash},
                                 {"job", r.job},
                                 {"state", r.state},
                                 {"attempts", r.attempts},
                                 {"size", OrNull(r.size)},
                                 {"container", OrNull(r.container)},
                                 {"expires_at", OrNull(r.expires_at)},
                                 {"last_error", OrNull(r.last_error)}});
    }
    PrintJson(out, doc);
    return 0;
  }
  Table table(
      {"CAB ID HASH", "JOB", "STATE", "ATTEMPTS", "SIZE", "CONTAINER", "EXPIRES AT", "LAST ERROR"},
      {false, false, false, true, true, false, false, false});
  for (const db::CabRow& r : *rows) {
    table.Add({r.cab_id_hash, r.job, r.state, std::to_string(r.attempts), HumanSize(r.size),
               OrDash(r.container), OrDash(r.expires_at), OrDash(r.last_error)});
  }
  table.Print(out);
  return 0;
}

}  // namespace hdc::ctl
