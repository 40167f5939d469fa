// The dashboard behind the control listener's web handler
// (docs/operations.md §Dashboard): GET / and /static/* from the files
// embedded in the binary, answered at once; GET /api/v1/summary, /trend and
// /new rendered by dashboard/data.h on this object's own thread over its
// own read-only connection to the state database, so the listener's thread
// never waits for a query.
//
// A rendered document is kept and served again while the database's
// PRAGMA data_version is unchanged and it is younger than max_age (by the
// daemon's clock): a burst of requests runs each query once. Requests are
// answered in order, one at a time; at most kMaxQueued wait, any more get
// 503 at once. The destructor stops the thread and answers what is still
// queued with 503. Handle is thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dashboard/data.h"
#include "db/database.h"
#include "service/control_server.h"
#include "util/clock.h"

namespace hdc::service {

struct DashboardWebOptions {
  std::string db_path;  // "<state_dir>/state.db", opened read-only when first needed
  util::Duration max_age = std::chrono::seconds(10);
  std::optional<std::int64_t> retention_seconds;  // shown on the summary
};

inline constexpr std::size_t kMaxQueued = 64;

// The headers of every dashboard answer: the CSP of dashboard/page.h,
// nosniff, no referrer.
std::vector<std::pair<std::string, std::string>> DashboardHeaders();

class DashboardWeb {
 public:
  // `live` tells the jobs' cycles (called on this object's thread).
  DashboardWeb(DashboardWebOptions options, util::Clock& clock,
               std::function<std::vector<dashboard::JobLive>()> live);
  ~DashboardWeb();
  DashboardWeb(const DashboardWeb&) = delete;
  DashboardWeb& operator=(const DashboardWeb&) = delete;

  // ControlHandlers::web.
  void Handle(const std::string& target, WebReply reply);

  // Documents rendered so far (each a run of the queries), for tests.
  std::int64_t renders() const;

 private:
  struct Request {
    std::string target;
    WebReply reply;
  };
  struct Cached {
    std::string body;
    std::int64_t data_version = 0;
    util::TimePoint at;
  };
  void Run(std::stop_token stop);
  WebAnswer Api(const std::string& target);
  util::Result<std::string> Render(const std::string& key, const std::string& what,
                                   const std::string& by, std::int64_t days);

  DashboardWebOptions options_;
  util::Clock& clock_;
  std::function<std::vector<dashboard::JobLive>()> live_;
  mutable std::mutex mu_;
  std::condition_variable_any wake_;
  std::deque<Request> queue_;  // guarded by mu_
  std::int64_t renders_ = 0;   // guarded by mu_
  // Only the worker thread touches these.
  std::unique_ptr<db::Database> db_;
  std::map<std::string, Cached> cache_;
  std::jthread worker_;  // last: started once everything above exists
};

}  // namespace hdc::service
