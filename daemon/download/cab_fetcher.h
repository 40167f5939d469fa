// Cabs referenced by ingested reports -> files in store/cabs.
//
// Each distinct CabIdHash is fetched once: skipped when past its
// CabExpirationTime (never asked for), fetched through the driver
// (applicationId + cabIdHash) or hardware (cabIdHash) endpoint by the job's
// view, whose 302 Location (a blob SAS URL) is then fetched without
// Authorization by DownloadBlob (resume with If-Range, fresh link after a
// 403). The body is checked (length, MD5 when sent, an "MSCF" or "PK"
// signature) and moved into place; its hash, size and container are
// recorded. A 404 from the cab endpoint means the cab expired: recorded as
// skipped, not retried.
//
// Up to `concurrency` cabs transfer at once, all through one bandwidth limit
// (max_bandwidth). Twice as many worker threads share those transfer slots,
// each with its own API client and random source (the database is shared
// behind one mutex): a worker gives its slot up when a body has arrived, so
// another transfer starts while it verifies, fsyncs and renames the file (a
// small cab's fdatasync takes about as long as its download, and with one
// thread per transfer the connections stood idle for it). With concurrency
// 1 there is one worker: strictly one cab at a time, in order, every file
// call on one thread (what the crash tests count on). A failed
// attempt counts against the cab: it waits until next_attempt_at (capped
// exponential backoff with jitter, across runs) and after max_attempts it
// is recorded as failed with its reason. A cab whose next attempt is not
// due yet is "deferred": work left for a later run. Below min_free_space
// no new download starts (not counted against the cab). An authentication
// failure stops the whole batch: every other cab would fail the same way.
//
// Fetched cabs are published and recorded in groups (whatever finished
// while the previous commit ran, at most kMaxUnrecorded): a worker verifies
// its file and leaves it sealed under its temp name (store::Sealed); the
// group commit makes the data of the whole group durable with one
// file-system sync where the platform has it (Linux: syncfs; a small cab's
// own fdatasync cost as much as its download, nearly all of it the
// device's cache flush, which the group now pays once; a cab of
// kGroupSyncMaxBytes or more is synced by its worker instead), renames each file
// into place, fsyncs each distinct folder once, then commits their records.
// A crash before the renames leaves temp files that start-up recovery
// removes (or keeps, to resume, when their row holds an ETag); after them,
// files whose records it re-creates (download/partials.h). Small blobs (under
// kResumeMinBytes) do not record their ETag: resuming them across a
// restart is not worth a commit each.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "api/hdc_client.h"
#include "db/database.h"
#include "download/report_fetcher.h"
#include "http/client.h"
#include "platform/filesystem.h"
#include "store/atomic_writer.h"
#include "store/layout.h"
#include "util/clock.h"
#include "util/random.h"
#include "util/rate_limiter.h"
#include "util/result.h"

namespace hdc::download {

// Below this size a blob's ETag is not recorded for resume across restarts.
inline constexpr std::uint64_t kResumeMinBytes = 1u << 20;
// From this size a cab's worker syncs its data itself (store::SyncSealed),
// outside the group commit: its own bytes are most of the cost, and the
// group's syncfs would wait for them (500 x 1 MiB: 5-8 % slower that way).
inline constexpr std::uint64_t kGroupSyncMaxBytes = 1u << 20;

// A cab's container from its first bytes: "MSCF" (cabinet), "PK" (zip), or "" for neither.
std::string CabContainer(std::string_view head);

struct CabFetchOptions {
  std::uint64_t min_free_space = 1ull << 30;
  int max_attempts = 5;
  int concurrency = 4;              // download_concurrency
  std::uint64_t max_bandwidth = 0;  // bytes/s over all downloads, 0 = unlimited
  util::Duration retry_base = std::chrono::minutes(15);  // wait after the first failed attempt
  util::Duration retry_cap = std::chrono::hours(12);
  // Cabs whose retention clock started before this are skipped, never
  // downloaded only to be purged (retention and purge-ahead, by the root).
  std::optional<util::TimePoint> retention_cutoff;
  // With several accounts: only the cabs of the jobs in the fetcher's rules
  // map (one account's), whose credentials the API clients hold.
  bool only_listed_jobs = false;
};

struct CabFetchSummary {
  int fetched = 0;
  int skipped = 0;   // expired before we got to them
  int failed = 0;    // permanently, this run
  int deferred = 0;  // their next attempt is not due yet
  std::uint64_t bytes = 0;
  std::vector<util::Status> problems;
};

// Live counters for a progress line; read from any thread.
struct CabProgress {
  std::atomic<int> total{0};
  std::atomic<int> done{0};
  std::atomic<std::uint64_t> bytes{0};
};

class CabFetcher {
 public:
  // One API client per worker thread, made from the worker's random source.
  using ApiFactory = std::function<std::unique_ptr<api::HdcClient>(util::Random&)>;

  CabFetcher(FetchContext context, ApiFactory make_api, CabFetchOptions options,
             std::map<std::string, JobIngestRules> jobs);

  util::Result<CabFetchSummary> FetchPending(CabProgress* progress = nullptr);

 private:
  struct Pending {
    std::string cab_id_hash;
    std::string job;
    std::string application_id;
    std::string expires_at;
    std::int64_t attempts = 0;
    std::string partial_etag;
    std::string clock_start;
  };
  struct Worker;
  void Work(std::uint64_t seed, const std::vector<Pending>& pending, std::atomic<size_t>& next,
            CabFetchSummary& summary, CabProgress* progress);
  // `received`: see Download.
  util::Status FetchOne(Worker& worker, const Pending& cab, CabFetchSummary& summary,
                        std::function<void()> received);
  // Why the cab is not downloaded at all (expired, past retention); nullopt: it is.
  std::optional<std::string> SkipReason(const Pending& cab, util::TimePoint now) const;
  // Records every cab of `pending` that SkipReason rules out, in one
  // transaction (after a long outage most of them: a commit each cost more
  // than the downloads), and leaves the rest in `pending`. FetchOne checks
  // again: a cab may expire while the run goes on.
  util::Status SkipUnfetchable(std::vector<Pending>& pending, CabFetchSummary& summary);
  util::Status RecordEtag(const std::string& cab_id_hash, const std::string& etag);
  // Called with mu_ held.
  util::Status RecordFailure(const Pending& cab, const util::Status& status,
                             CabFetchSummary& summary, util::Random& random);
  util::Status Record(const std::string& cab_id_hash, const std::string& state,
                      const std::string& error);
  // Records a cab that will never be fetched (expired, past retention, gone).
  util::Status Skip(const Pending& cab, const std::string& reason, CabFetchSummary& summary);
  struct Fetched {
    std::string cab_id_hash, relative_path, container, downloaded_at;
    store::Sealed file;  // verified, to be published before the record is committed
  };
  // Sealed files waiting for a commit hold a file descriptor each: at this
  // many, a worker waits for the commit running and then commits the rest.
  static constexpr std::size_t kMaxUnrecorded = 256;
  // Queues a record; commits the queue unless another worker is committing.
  util::Status RecordFetched(Fetched fetched);
  // Publishes the queued files (store::Publish) and records them; with mu_ held.
  util::Status FlushFetched();
  // One transaction; `published` is what store::Publish returned for `batch`, in its order.
  util::Status RecordBatch(const std::vector<Fetched>& batch,
                           const std::vector<store::Committed>& published);
  struct Paths {
    std::string temp_path, final_path;
  };
  using LinkSource = std::function<util::Result<std::string>()>;
  // The blob at `link` verified under paths.temp_path (sealed, for the
  // group commit to publish under paths.final_path), checked to be a
  // cabinet or a zip file. `received` runs once the whole body has arrived,
  // before it is verified (FetchOne gives the transfer slot back there).
  util::Result<Fetched> Download(Worker& worker, const Pending& cab, const Paths& paths,
                                 const std::string& link, LinkSource fresh_link,
                                 util::TimePoint now, std::function<void()> received);
  void CountFetched(Worker& worker, std::uint64_t size, CabFetchSummary& summary);

  FetchContext ctx_;
  ApiFactory make_api_;
  CabFetchOptions options_;
  std::map<std::string, JobIngestRules> jobs_;
  util::RateLimiter limiter_;
  // Transfers in flight, at most options_.concurrency (1 to kMaxConcurrency).
  static constexpr std::ptrdiff_t kMaxConcurrency = 1024;
  std::counting_semaphore<kMaxConcurrency> transfers_;
  std::mutex mu_;        // ctx_.db, the summary but its two counters below, halt_
  std::mutex queue_mu_;  // unrecorded_, summary.fetched and summary.bytes (never held for I/O)
  std::vector<Fetched> unrecorded_;
  std::atomic<bool> halt_{false};  // no new download starts (auth refused, disk low)
};

}  // namespace hdc::download
