#include "store/space_guard.h"

#include "util/time_format.h"

namespace hdc::store {

util::Status CheckFreeSpace(platform::FileSystem& fs, const std::string& dir,
                            std::uint64_t min_free) {
  if (min_free == 0) return util::Status::Ok();
  const util::Result<std::uint64_t> free = fs.FreeSpace(dir);
  if (!free.ok()) return free.status();
  if (*free >= min_free) return util::Status::Ok();
  return util::TemporaryError("only " + util::FormatByteSize(*free) + " free in " + dir +
                              ", below min_free_space " + util::FormatByteSize(min_free) +
                              "; no new download starts");
}

}  // namespace hdc::store
