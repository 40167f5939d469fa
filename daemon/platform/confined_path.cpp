#include "platform/confined_path.h"

#include "platform/filesystem.h"

namespace hdc::platform {
namespace confined {
namespace {

bool IsSeparator(char c) {
#ifdef _WIN32
  return c == '/' || c == '\\';
#else
  return c == '/';
#endif
}

}  // namespace

std::string TrimRoot(std::string root) {
  while (root.size() > 1 && IsSeparator(root.back())) root.pop_back();
  return root;
}

util::Result<std::vector<std::string>> NamesBelow(const std::string& root,
                                                  const std::string& path) {
  const bool under =
      path.compare(0, root.size(), root) == 0 &&
      (path.size() == root.size() || IsSeparator(path[root.size()]) || IsSeparator(root.back()));
  if (!under) {
    return util::InternalError(path + " is outside the state directory " + root);
  }
  std::vector<std::string> names;
  std::size_t start = root.size();
  while (start <= path.size()) {
    std::size_t end = start;
    while (end < path.size() && !IsSeparator(path[end])) ++end;
    std::string name = path.substr(start, end - start);
    if (name == "..") {
      return util::InternalError(path + " leaves the state directory (\"..\")");
    }
    if (!name.empty() && name != ".") names.push_back(std::move(name));
    start = end + 1;
  }
  return names;
}

std::string Join(const std::string& root, const std::vector<std::string>& names,
                 std::size_t count) {
  std::string out = root;
  for (std::size_t i = 0; i < count && i < names.size(); ++i) {
    if (!out.empty() && !IsSeparator(out.back())) out += '/';
    out += names[i];
  }
  return out;
}

}  // namespace confined

std::string LinkRefusedMessage(const std::string& path) {
  return path +
         " is a symbolic link; hdc-reportd follows no link under its state_dir and deletes "
         "none: remove it (or point [service] state_dir at the real folder)";
}

}  // namespace hdc::platform
