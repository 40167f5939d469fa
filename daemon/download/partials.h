// Start-up recovery of the download state, run before any download starts.
//
// Rows left in progress by a crash or a stop go back to waiting (executions
// "fetching" -> "new", cabs "fetching" -> "pending"). Partial downloads in
// store/tmp are kept when their row still waits and carries the blob's
// strong ETag (the next attempt resumes them with If-Range); every other
// partial is removed, and so is everything else in store/tmp
// (store/recovery.h). A cab file already under its final name while its
// row still waits is adopted: it was verified before the rename, and only
// its record was lost (cab records are committed in groups, after the
// file): it is re-hashed and recorded as fetched. The caller logs
// store::RecoverySummary of the counts once.
#pragma once

#include "db/database.h"
#include "platform/filesystem.h"
#include "store/layout.h"
#include "store/recovery.h"
#include "util/result.h"

namespace hdc::download {

util::Result<store::RecoveryCounts> RecoverDownloads(db::Database& db, platform::FileSystem& fs,
                                                     const store::StoreLayout& layout);

}  // namespace hdc::download
