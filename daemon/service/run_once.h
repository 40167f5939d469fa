// --once: do all work that is due now and exit, for nightly timers and cron.
// Today: start-up repair, reconciliation (remote templates and schedules
// match the INI), polling, report downloads with row ingest, and cab
// downloads; the retention sweep joins when it is built.
// Returns the process exit code (docs/architecture.md §Exit codes) and prints
// one line on failure.
#pragma once

#include <iosfwd>
#include <string>

namespace hdc::service {

int RunOnce(const std::string& config_path, std::ostream& err);

}  // namespace hdc::service
