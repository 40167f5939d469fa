// Path handling shared by both platforms' confined file systems
// (OpenConfinedFileSystem in platform/filesystem.h).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "util/result.h"

namespace hdc::platform::confined {

// `root` without trailing separators ("state/" -> "state"; "/" stays "/").
std::string TrimRoot(std::string root);

// The names of `path` below `root` ("root/a//b" -> {"a", "b"}; `root`
// itself -> {}), empty and "." components dropped. kInternal when `path`
// is not `root` or under it, or has a ".." component: the store never makes
// such a path, so one is a bug, not a file to look for. Separators are '/',
// and on Windows '\\' too.
util::Result<std::vector<std::string>> NamesBelow(const std::string& root, const std::string& path);

// `root` and the first `count` names, joined with '/': for messages.
std::string Join(const std::string& root, const std::vector<std::string>& names, std::size_t count);

}  // namespace hdc::platform::confined
