// A downloaded report file → rows in `failures` and cab references in
// `cabs`, for one execution, in one write transaction.
//
// IngestReport replaces whatever an earlier ingest of the same execution left
// in `failures` (re-ingesting is idempotent), inserts one row per data row
// (key columns typed, the whole row as a JSON object in `row`), records each
// distinct CabIdHash once (INSERT … ON CONFLICT DO NOTHING: a cab already
// known from another report keeps its row and state), and marks the
// execution 'ingested' with its row_count. Nothing is written unless all of
// it commits; on any error the transaction rolls back and the error names the
// execution (and the line, for a malformed file).
//
// Personal data (docs/hdc-api.md §Personal data): each row's retention clock starts at
// the earliest of FailureDateTime, CabCollectionTime and downloaded_at (or at
// downloaded_at alone when retention_clock_earliest is false). A row whose
// clock started before retention_cutoff is not stored at all, only counted;
// a cab referenced only by such rows is recorded as 'skipped'. A cab's clock
// is the earliest over the rows of this report that reference it.
//
// Columns are found by name, case-insensitively; any may be absent (its typed
// column is then null). Never logs row values. Not thread-safe (one Database
// per thread); blocks on SQLite's fsync at commit.
//
// Memory: the parser holds one record; the distinct cabs of the report are
// kept until the end (about 100 bytes each) and inserted sorted by id; the
// connection's page cache is raised to 32 MiB for the ingest and restored
// after (random inserts into the indexes otherwise re-read the WAL).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.h"
#include "platform/filesystem.h"
#include "util/clock.h"
#include "util/result.h"

namespace hdc::download {

struct IngestTarget {
  std::string job_name;
  std::string report_id;
  std::string report_datetime;  // "yyyy-MM-ddTHH:mm:ssZ", as in executions
  util::TimePoint downloaded_at;
  bool retention_clock_earliest = true;  // false: retention_clock = downloaded
  bool view_is_ihv = true;               // IHVDriver: keep ApplicationId for cab download
  std::vector<std::string> cab_types;    // Kernel, Mini, Full (any case); empty = all
  bool cabs_enabled = false;             // record cab references at all
  // Rows whose clock started before this are skipped; nullopt: none are.
  std::optional<util::TimePoint> retention_cutoff;
};

struct IngestSummary {
  std::int64_t rows = 0;                    // inserted into failures (= executions.row_count)
  std::int64_t rows_skipped_retention = 0;  // clock already past the cutoff
  std::int64_t cabs_new = 0;                // newly recorded as 'pending'
  std::int64_t cabs_skipped = 0;            // newly recorded as 'skipped' (type or retention)
};

// Fills buffer with up to capacity bytes; returns 0 at the end of the input.
using ByteReader = std::function<util::Result<size_t>(char* buffer, size_t capacity)>;

// The execution (report_id, report_datetime) must exist in `executions`.
util::Result<IngestSummary> IngestReport(db::Database& db, const IngestTarget& target,
                                         const ByteReader& read);
// Reads the file at path (the stored report) through `fs`, the store's
// file system, in the blocks IngestReport asks for. An error opening it does
// not name the execution (it is not IngestReport's).
util::Result<IngestSummary> IngestReportFile(db::Database& db, platform::FileSystem& fs,
                                             const IngestTarget& target, const std::string& path);
// The same for a report file already open.
util::Result<IngestSummary> IngestReportFile(db::Database& db, const IngestTarget& target,
                                             platform::ReadableFile& file);
util::Result<IngestSummary> IngestReportText(db::Database& db, const IngestTarget& target,
                                             std::string_view text);

}  // namespace hdc::download
