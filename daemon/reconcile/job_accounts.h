// A job belongs to one account for its whole life: its report template and
// schedule live in that account's tenant, and its executions, rows and cabs
// in the one state directory under its name (job names are unique across
// accounts; docs/operations.md §Several accounts). Checked at start and on
// every reload, before any remote work.
#pragma once

#include "config/ini_loader.h"
#include "db/database.h"
#include "util/result.h"

namespace hdc::reconcile {

// kConfig (exit 78) in one line for the first configured job that the state
// database records under another account than the configuration names;
// names the job, both accounts and what the operator does. Jobs not yet
// recorded, and recorded jobs no longer configured, pass.
util::Status CheckJobAccounts(const config::Config& config, db::Database& db);

}  // namespace hdc::reconcile
