// executions: the shared listing shape (ctl/listing.h) over db::ListExecutions.
#include <ostream>

#include "ctl/commands.h"
#include "ctl/listing.h"
#include "ctl/output.h"
#include "db/listings.h"

namespace hdc::ctl {
namespace {

Json ExecutionJson(const db::ExecutionRow& r) {
  return Json{{"job", r.job},
              {"report_id", r.report_id},
              {"report_datetime", r.report_datetime},
              {"remote_status", r.remote_status},
              {"state", r.state},
              {"attempts", r.attempts},
              {"rows", OrNull(r.rows)},
              {"size", OrNull(r.size)},
              {"last_error", OrNull(r.last_error)}};
}

std::vector<std::string> ExecutionCells(const db::ExecutionRow& r) {
  return {r.job,           r.report_id,       r.report_datetime,
          r.remote_status, r.state,           std::to_string(r.attempts),
          OrDash(r.rows),  HumanSize(r.size), OrDash(r.last_error)};
}

}  // namespace

int CmdExecutions(const CommonOptions& common, const std::vector<std::string>& args,
                  std::ostream& out, std::ostream& err) {
  static const Listing<db::ExecutionFilter, db::ExecutionRow> kExecutions{
      .name = "executions",
      .list = db::ListExecutions,
      .columns = {{"JOB"},
                  {"REPORT ID"},
                  {"REPORT DATETIME"},
                  {"REMOTE STATUS"},
                  {"STATE"},
                  {"ATTEMPTS", true},
                  {"ROWS", true},
                  {"SIZE", true},
                  {"LAST ERROR"}},
      .json = ExecutionJson,
      .cells = ExecutionCells};
  return RunListing(kExecutions, common, args, out, err);
}

}  // namespace hdc::ctl
