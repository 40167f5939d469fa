// No symbolic link under the state directory (docs/reliability.md
// §Security checklist, S6).
//
// A link under state_dir would send the store's writes, the lock's pid or
// the database somewhere else on the host (as root, anywhere), and a sweep
// would then remove the link as an orphan and leave the data outside with
// no row. So a link anywhere under state_dir - file or folder, dangling or
// not; a reparse point on Windows - stops the daemon, --once and
// hdc-reportctl sweep with a kConfig error (exit 78) naming it, before the
// lock is taken or the database opened. Nothing is followed or deleted:
// the operator removes it. state_dir itself may be a link (an operator's
// choice of where the state lives).
#pragma once

#include <string>
#include <vector>

#include "platform/filesystem.h"
#include "util/result.h"

namespace hdc::store {

// Deeper than any path the store makes (store/reports/<job>/<id>/<file>).
inline constexpr int kLinkScanDepth = 8;

// Every link under state_dir, as paths relative to it ("store/cabs/14"),
// sorted; links are not followed, so nothing under a linked folder is seen.
// A missing state_dir has none.
util::Result<std::vector<std::string>> FindLinksUnder(platform::FileSystem& fs,
                                                      const std::string& state_dir);

// Ok, or a kConfig error naming the first link under state_dir.
util::Status RefuseLinksUnder(platform::FileSystem& fs, const std::string& state_dir);

}  // namespace hdc::store
