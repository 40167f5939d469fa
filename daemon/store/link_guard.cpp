#include "store/link_guard.h"

#include <algorithm>

namespace hdc::store {
namespace {

util::Status Scan(platform::FileSystem& fs, const std::string& root, const std::string& relative,
                  int depth, std::vector<std::string>& links) {
  auto entries = fs.List(relative.empty() ? root : root + "/" + relative);
  if (!entries.ok()) return entries.status();
  for (const platform::DirEntry& entry : *entries) {
    const std::string child = relative.empty() ? entry.name : relative + "/" + entry.name;
    if (entry.is_symlink) {
      links.push_back(child);
    } else if (entry.is_directory && depth > 1) {
      HDC_RETURN_IF_ERROR(Scan(fs, root, child, depth - 1, links));
    }
  }
  return util::Status::Ok();
}

}  // namespace

util::Result<std::vector<std::string>> FindLinksUnder(platform::FileSystem& fs,
                                                      const std::string& state_dir) {
  std::vector<std::string> links;
  if (!fs.Exists(state_dir)) return links;
  HDC_RETURN_IF_ERROR(Scan(fs, state_dir, "", kLinkScanDepth, links));
  std::sort(links.begin(), links.end());
  return links;
}

util::Status RefuseLinksUnder(platform::FileSystem& fs, const std::string& state_dir) {
  auto links = FindLinksUnder(fs, state_dir);
  if (!links.ok()) return links.status();
  if (links->empty()) return util::Status::Ok();
  return util::ConfigError(platform::LinkRefusedMessage(state_dir + "/" + links->front()));
}

}  // namespace hdc::store
