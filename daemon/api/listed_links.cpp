#include "api/listed_links.h"

#include <algorithm>

namespace hdc::api {

void ListedLinks::Put(const std::string& report_id, const std::string& report_datetime,
                      std::string link, util::TimePoint listed_at) {
  std::lock_guard lock(mu_);
  links_.insert_or_assign(Key{report_id, report_datetime}, Entry{std::move(link), listed_at});
  if (links_.size() <= kMaxListedLinks) return;
  // Rare (more than ten thousand runs listed and not yet fetched): a linear
  // search for the oldest keeps the common path a plain map.
  const auto oldest = std::min_element(
      links_.begin(), links_.end(),
      [](const auto& a, const auto& b) { return a.second.listed_at < b.second.listed_at; });
  links_.erase(oldest);
}

std::optional<std::string> ListedLinks::Take(const std::string& report_id,
                                             const std::string& report_datetime,
                                             util::TimePoint now) {
  std::lock_guard lock(mu_);
  const auto it = links_.find(Key{report_id, report_datetime});
  if (it == links_.end()) return std::nullopt;
  Entry entry = std::move(it->second);
  links_.erase(it);
  // A clock that went backwards makes the age negative: not trusted either.
  const util::Duration age = now - entry.listed_at;
  if (age < util::Duration::zero() || age > kListedLinkMaxAge) return std::nullopt;
  return std::move(entry.link);
}

void ListedLinks::Clear() {
  std::lock_guard lock(mu_);
  links_.clear();
}

std::size_t ListedLinks::size() const {
  std::lock_guard lock(mu_);
  return links_.size();
}

}  // namespace hdc::api
