#include "api/listed_links.h"

#include <string>

#include <doctest/doctest.h>

namespace hdc::api {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;

const util::TimePoint kT0 = util::TimePoint{} + hours(24 * 20000);
constexpr const char* kRun = "2026-12-01T02:00:00Z";

TEST_CASE("a listed link is handed out once, for its own run only") {
  ListedLinks links;
  links.Put("r1", kRun, "https://blob/r1?sig=a", kT0);
  CHECK_FALSE(links.Take("r2", kRun, kT0).has_value());
  CHECK_FALSE(links.Take("r1", "2026-12-02T02:00:00Z", kT0).has_value());
  CHECK(links.Take("r1", kRun, kT0 + minutes(5)) == "https://blob/r1?sig=a");
  CHECK_FALSE(links.Take("r1", kRun, kT0 + minutes(5)).has_value());
  CHECK(links.size() == 0);

  // A later listing of the same run replaces the link.
  links.Put("r1", kRun, "old", kT0);
  links.Put("r1", kRun, "new", kT0 + minutes(1));
  CHECK(links.size() == 1);
  CHECK(links.Take("r1", kRun, kT0 + minutes(2)) == "new");
}

TEST_CASE("a link older than the hour, or from a clock that went back, is not handed out") {
  ListedLinks links;
  links.Put("r1", kRun, "at-the-hour", kT0);
  CHECK(links.Take("r1", kRun, kT0 + kListedLinkMaxAge) == "at-the-hour");
  links.Put("r1", kRun, "too-old", kT0);
  CHECK_FALSE(links.Take("r1", kRun, kT0 + kListedLinkMaxAge + milliseconds(1)).has_value());
  CHECK(links.size() == 0);  // dropped, not kept for later
  links.Put("r1", kRun, "future", kT0);
  CHECK_FALSE(links.Take("r1", kRun, kT0 - milliseconds(1)).has_value());
  links.Put("r1", kRun, "cleared", kT0);
  links.Clear();
  CHECK_FALSE(links.Take("r1", kRun, kT0).has_value());
}

TEST_CASE("at most kMaxListedLinks are held, the oldest going first") {
  ListedLinks links;
  for (std::size_t i = 0; i <= kMaxListedLinks; ++i) {
    links.Put("r" + std::to_string(i), kRun, "link" + std::to_string(i),
              kT0 + milliseconds(static_cast<long>(i)));
  }
  CHECK(links.size() == kMaxListedLinks);
  const util::TimePoint now = kT0 + minutes(1);
  CHECK_FALSE(links.Take("r0", kRun, now).has_value());
  CHECK(links.Take("r1", kRun, now) == "link1");
  CHECK(links.Take("r" + std::to_string(kMaxListedLinks), kRun, now) ==
        "link" + std::to_string(kMaxListedLinks));
}

}  // namespace
}  // namespace hdc::api
