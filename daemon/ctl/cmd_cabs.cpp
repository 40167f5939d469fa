// cabs: the shared listing shape (ctl/listing.h) over db::ListCabs.
#include <ostream>

#include "ctl/commands.h"
#include "ctl/listing.h"
#include "ctl/output.h"
#include "db/listings.h"

namespace hdc::ctl {
namespace {

Json CabJson(const db::CabRow& r) {
  return Json{{"cab_id_hash", r.cab_id_hash},
              {"job", r.job},
              {"state", r.state},
              {"attempts", r.attempts},
              {"size", OrNull(r.size)},
              {"container", OrNull(r.container)},
              {"expires_at", OrNull(r.expires_at)},
              {"last_error", OrNull(r.last_error)}};
}

std::vector<std::string> CabCells(const db::CabRow& r) {
  return {r.cab_id_hash,
          r.job,
          r.state,
          std::to_string(r.attempts),
          HumanSize(r.size),
          OrDash(r.container),
          OrDash(r.expires_at),
          OrDash(r.last_error)};
}

}  // namespace

int CmdCabs(const CommonOptions& common, const std::vector<std::string>& args, std::ostream& out,
            std::ostream& err) {
  static const Listing<db::CabFilter, db::CabRow> kCabs{.name = "cabs",
                                                        .list = db::ListCabs,
                                                        .columns = {{"CAB ID HASH"},
                                                                    {"JOB"},
                                                                    {"STATE"},
                                                                    {"ATTEMPTS", true},
                                                                    {"SIZE", true},
                                                                    {"CONTAINER"},
                                                                    {"EXPIRES AT"},
                                                                    {"LAST ERROR"}},
                                                        .json = CabJson,
                                                        .cells = CabCells};
  return RunListing(kCabs, common, args, out, err);
}

}  // namespace hdc::ctl
