// --once: do all work that is due now and exit, for nightly timers and cron.
// In order: start-up repair, reconciliation (remote templates and schedules
// match the INI), polling, report downloads with row ingest, cab downloads,
// and the retention sweep.
// Returns the process exit code (docs/architecture.md §Exit codes) and prints
// one line on failure.
#pragma once

#include <iosfwd>
#include <string>

namespace hdc::service {

int RunOnce(const std::string& config_path, std::ostream& err);

}  // namespace hdc::service
