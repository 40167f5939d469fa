// The retention sweeper: nothing personal older than the window, anywhere.
//
// Personal data (docs/hdc-api.md §Personal data): cab files, report files, the rows of
// `failures` (DeviceId/HardwareId and the whole row), and partial downloads
// of either in store/tmp. CabIdHash, FailureHash, report ids and counts are
// opaque service ids and aggregates, not personal: they may outlive a purge
// and may appear in logs (a cab is named by its hash only).
//
// Each datum's clock is stamped when it is stored (row_ingest.h, the
// fetchers), already according to retention_clock, so the sweeper needs no
// clock choice. It reads:
//   failures   clock_start
//   cabs       clock_start, else downloaded_at, else first_seen
//   executions (the report file) the earliest of its own clock and the
//              clocks of its rows in `failures`: the file holds those rows
//   partials   the clock of the row they belong to (cab: as above; report:
//              the execution's first_seen, before any download began); a
//              partial no waiting row owns goes whatever its age
// A datum goes when its clock, in whole seconds, is at or before
// now + purge_ahead - retention (rounding toward deletion, by < 1 s).
//
// One sweep, in an order that survives a crash at any point:
//   1. finish any sweep a crash interrupted (sweeps.finished_at NULL): its
//      marked files and rows first, with its own cutoff;
//   2. one transaction: the audit row in `sweeps` and the mark
//      (sweep_id = that row) on every execution and cab whose file goes;
//   3. unlink each marked file (a missing file is fine), then fsync each
//      directory touched, through the FileSystem seam;
//   4. expired partials in store/tmp, then the orphan scan: files under
//      store/reports and store/cabs no live row names are removed; rows that
//      name a file that is gone are counted and logged, not repaired;
//   5. one transaction: marked executions become 'purged' (row_count kept,
//      file_path and hash cleared), marked cabs become 'purged' (so they are
//      never fetched again), expired failures rows are DELETEd (from a
//      quarter of the table, with its indexes dropped and built again), the
//      marks cleared and the audit row completed;
//   6. PRAGMA wal_checkpoint(TRUNCATE) (secure_delete is on), so freed pages
//      leave the -wal file too.
// A dry run does 1-4 as queries only and changes nothing.
//
// Cabs in states pending, fetching, fetched and failed are swept (a pending
// one becomes 'purged' so it is never downloaded past its window); skipped
// cabs have no file and stay as they are. Logs carry counts only.
// Not thread-safe; the caller holds the state-directory lock and runs no
// download meanwhile.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "db/database.h"
#include "platform/filesystem.h"
#include "store/layout.h"
#include "util/clock.h"
#include "util/result.h"

namespace hdc::retention {

struct SweepOptions {
  util::Duration retention = std::chrono::days(30);
  util::TimePoint now;
  // Also remove what would pass the window before this much time has gone
  // by: the daemon passes sweep_interval, --once 24 h (the next run).
  util::Duration purge_ahead{0};
  bool dry_run = false;
};

struct KindTally {
  std::int64_t count = 0;
  std::int64_t bytes = 0;                   // files only; 0 for rows
  std::optional<std::string> oldest_clock;  // the earliest clock among them, as stored
};

struct SweepReport {
  std::string cutoff;  // what started before this went ("yyyy-MM-ddTHH:mm:ssZ")
  bool dry_run = false;
  KindTally cabs;                      // cab rows turned 'purged' (bytes: their files)
  KindTally reports;                   // report files removed (execution rows kept, 'purged')
  KindTally rows;                      // failures rows deleted
  KindTally partials;                  // partial downloads removed from store/tmp
  KindTally orphans;                   // files under store/reports or store/cabs without a row
  std::int64_t rows_missing_file = 0;  // live rows whose file is gone (reported only)
  std::int64_t resumed_sweeps = 0;     // interrupted sweeps finished first
  bool wal_truncated = false;
};

// The instant before which a datum's clock must have started for it to go.
util::TimePoint SweepCutoff(const SweepOptions& options);

// One sweep (see above). Errors leave the marks in place for the next sweep.
util::Result<SweepReport> Sweep(db::Database& db, platform::FileSystem& fs,
                                const store::StoreLayout& layout, const SweepOptions& options);

// The earliest clock, in whole seconds, over the personal data still held
// (rows, live cabs, stored report files): the oldest personal datum, which a
// sweep removes once retention has passed since it. nullopt when there is
// none. Read-only.
util::Result<std::optional<util::TimePoint>> OldestPersonalClock(db::Database& db);

// OldestPersonalClock + retention. The daemon arms its next sweep for this
// instant when it comes before sweep_interval.
util::Result<std::optional<util::TimePoint>> NextExpiry(db::Database& db, util::Duration retention);

// "swept: 3 cabs, 2 reports, 1200 rows (4096 bytes), 1 partial, 0 orphans"
// (bytes: the files removed, cabs, reports and partials); a dry
// run says "would sweep: ...".
std::string SweepSummary(const SweepReport& report);

}  // namespace hdc::retention
