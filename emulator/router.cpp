#include "emulator/router.h"

#include "util/strings.h"

namespace hdc::emulator {

std::vector<std::string> Router::Split(std::string_view path) {
  std::vector<std::string> out;
  size_t b = 0;
  while (b <= path.size()) {
    size_t e = path.find('/', b);
    if (e == std::string_view::npos) e = path.size();
    if (e > b) out.emplace_back(path.substr(b, e - b));
    b = e + 1;
  }
  return out;
}

void Router::Add(Route route) {
  segments_.push_back(Split(route.pattern));
  routes_.push_back(std::move(route));
}

const Route* Router::Match(std::string_view method, std::string_view path, HostKind host,
                           std::vector<std::string>* params, bool* path_known) const {
  const auto parts = Split(path);
  *path_known = false;
  for (size_t i = 0; i < routes_.size(); ++i) {
    const auto& pattern = segments_[i];
    if (routes_[i].host != host || pattern.size() != parts.size()) continue;
    std::vector<std::string> captured;
    bool ok = true;
    for (size_t s = 0; s < parts.size() && ok; ++s) {
      if (pattern[s].front() == '{')
        captured.push_back(parts[s]);
      else
        ok = util::EqualsIgnoreCase(pattern[s], parts[s]);
    }
    if (!ok) continue;
    const bool method_ok =
        routes_[i].method == method || (routes_[i].method == "GET" && method == "HEAD");
    if (!method_ok) {
      *path_known = true;
      continue;
    }
    *params = std::move(captured);
    return &routes_[i];
  }
  return nullptr;
}

}  // namespace hdc::emulator
