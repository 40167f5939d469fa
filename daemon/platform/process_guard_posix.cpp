#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include <sys/prctl.h>
#include <sys/resource.h>

#include "platform/process_guard.h"
#include "util/strings.h"

namespace hdc::platform {
namespace {

std::string Why(int err) { return std::strerror(err); }

}  // namespace

util::Status ForbidCoreDumps() {
  std::string failed;
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    failed = "prctl(PR_SET_DUMPABLE, 0): " + Why(errno);
  }
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_CORE, &limit) != 0) {
    failed += (failed.empty() ? "" : "; ") + std::string("getrlimit(RLIMIT_CORE): ") + Why(errno);
  } else if (limit.rlim_cur != 0 || limit.rlim_max != 0) {
    const struct rlimit none { 0, 0 };
    if (::setrlimit(RLIMIT_CORE, &none) != 0) {
      failed +=
          (failed.empty() ? "" : "; ") + std::string("setrlimit(RLIMIT_CORE, 0): ") + Why(errno);
    }
  }
  if (failed.empty()) return util::Status::Ok();
  return util::InternalError("cannot forbid core dumps: " + failed);
}

util::Status RemoveEnvironmentVariable(std::string_view name) {
  const std::string key(name);
  if (char* value = std::getenv(key.c_str())) {
    util::WipeBytes(value, std::strlen(value));
  }
  if (::unsetenv(key.c_str()) != 0) {
    return util::InternalError("cannot remove " + key + " from the environment: " + Why(errno));
  }
  return util::Status::Ok();
}

}  // namespace hdc::platform
