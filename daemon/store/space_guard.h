// The free-space floor: no new download starts when the store's file system
// has less than min_free_space available (docs/reliability.md §Fault catalogue,
// D01). A download already running is not stopped by this check; if the disk
// fills under it, its AtomicWriter fails cleanly instead.
#pragma once

#include <cstdint>
#include <string>

#include "platform/filesystem.h"
#include "util/result.h"

namespace hdc::store {

// OK when `dir` has at least min_free bytes available to this user (a
// min_free of 0 always passes without asking). Otherwise kTemporary "only X
// free in DIR, below min_free_space Y; no new download starts", or the
// FileSystem's error when the free space cannot be read.
util::Status CheckFreeSpace(platform::FileSystem& fs, const std::string& dir,
                            std::uint64_t min_free);

}  // namespace hdc::store
