// hdc-reportctl's subcommands: one function each, taking the parsed common
// options and the remaining arguments, returning the exit code. stdout
// carries data (tables or --json), stderr carries errors, one line each.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace hdc::ctl {

struct CommonOptions {
  std::string config_path;
  bool json = false;
};

// plan: what reconciliation would do remotely, changing nothing. Exit 0 in
// sync, 2 when changes are pending, else design.md's codes.
int CmdPlan(const CommonOptions& options, std::ostream& out, std::ostream& err);

}  // namespace hdc::ctl
