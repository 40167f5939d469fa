// The report links a poll just listed, handed to the report fetcher of the
// same cycle so that it need not ask Get Report Data again for each report
// (one API round trip per report saved; 900 in a 90-day catch-up of 10 jobs).
//
// Links are secrets (SAS signatures): they live only here, in memory, are
// never stored, logged or copied elsewhere, and each is handed out once
// (Take removes it). A link older than kListedLinkMaxAge is not handed out:
// the service's links live 12 hours (docs/hdc-api.md §Report data), so one
// listed within the hour is still good, and a 403 from the blob host still
// asks for a fresh one. At most kMaxListedLinks are held; the oldest go first.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "util/clock.h"

namespace hdc::api {

inline constexpr util::Duration kListedLinkMaxAge = std::chrono::hours(1);
inline constexpr std::size_t kMaxListedLinks = 10'000;

class ListedLinks {
 public:
  // Keeps the link of run `report_datetime` (normalised, as api::Execution
  // has it) of report `report_id`, listed at `listed_at`; a later Put for
  // the same run replaces it.
  void Put(const std::string& report_id, const std::string& report_datetime, std::string link,
           util::TimePoint listed_at);

  // The run's link if one was listed at most kListedLinkMaxAge before `now`;
  // it is removed either way.
  std::optional<std::string> Take(const std::string& report_id, const std::string& report_datetime,
                                  util::TimePoint now);

  // Forgets every link (the end of a cycle's report fetch: links do not
  // outlive the cycle that listed them).
  void Clear();

  std::size_t size() const;

 private:
  struct Entry {
    std::string link;
    util::TimePoint listed_at;
  };
  using Key = std::pair<std::string, std::string>;  // report id, run

  mutable std::mutex mu_;
  std::map<Key, Entry> links_;
};

}  // namespace hdc::api
