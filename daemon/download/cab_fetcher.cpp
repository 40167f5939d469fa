#include "download/cab_fetcher.h"

#include <algorithm>
#include <thread>

#include "download/blob_download.h"
#include "platform/thread_name.h"
#include "store/atomic_writer.h"
#include "store/space_guard.h"
#include "util/logging.h"
#include "util/strings.h"
#include "util/time_format.h"
#include "util/url.h"

namespace hdc::download {

namespace {

// A transfer slot, held from a cab's link request until its body has
// arrived (or its attempt ended sooner) and given back exactly once.
template <class Semaphore>
class TransferSlot {
 public:
  explicit TransferSlot(Semaphore& slots) : slots_(slots) { slots_.acquire(); }
  ~TransferSlot() { Release(); }
  TransferSlot(const TransferSlot&) = delete;
  TransferSlot& operator=(const TransferSlot&) = delete;
  void Release() {
    if (held_) {
      held_ = false;
      slots_.release();
    }
  }

 private:
  Semaphore& slots_;
  bool held_ = true;
};

}  // namespace

std::string CabContainer(std::string_view head) {
  return head.starts_with("MSCF") ? "MSCF" : head.starts_with("PK") ? "PK" : "";
}

struct CabFetcher::Worker {
  util::Random random;
  std::unique_ptr<api::HdcClient> api;
  CabProgress* progress = nullptr;
};

CabFetcher::CabFetcher(FetchContext context, ApiFactory make_api, CabFetchOptions options,
                       std::map<std::string, JobIngestRules> jobs)
    : ctx_(std::move(context)),
      make_api_(std::move(make_api)),
      options_(options),
      jobs_(std::move(jobs)),
      limiter_(ctx_.clock, options.max_bandwidth),
      transfers_(std::clamp<std::ptrdiff_t>(options.concurrency, 1, kMaxConcurrency)) {}

util::Status CabFetcher::Record(const std::string& cab_id_hash, const std::string& state,
                                const std::string& error) {
  HDC_ASSIGN_OR_RETURN(auto stmt, ctx_.db.Prepare("UPDATE cabs SET state = ?2, last_error = ?3, "
                                                  "next_attempt_at = NULL WHERE cab_id_hash = ?1"));
  stmt.Bind(1, cab_id_hash).Bind(2, state).Bind(3, error);
  return stmt.Run().status();
}

util::Status CabFetcher::Skip(const Pending& cab, const std::string& reason,
                              CabFetchSummary& summary) {
  std::lock_guard lock(mu_);
  ++summary.skipped;
  return Record(cab.cab_id_hash, "skipped", reason);
}

util::Status CabFetcher::RecordFetched(Fetched fetched) {
  std::size_t queued = 0;
  {
    std::lock_guard queue(queue_mu_);
    unrecorded_.push_back(std::move(fetched));
    queued = unrecorded_.size();
  }
  std::unique_lock lock(mu_, std::defer_lock);
  if (queued >= kMaxUnrecorded) {
    lock.lock();  // the queue holds open files: wait for the commit, then take the rest
  } else if (!lock.try_lock()) {
    return util::Status::Ok();  // the next commit takes it along
  }
  return FlushFetched();
}

util::Status CabFetcher::FlushFetched() {
  std::vector<Fetched> batch;
  {
    std::lock_guard queue(queue_mu_);
    batch.swap(unrecorded_);
  }
  if (batch.empty()) return util::Status::Ok();
  std::vector<store::Sealed> files;
  files.reserve(batch.size());
  for (Fetched& f : batch) files.push_back(std::move(f.file));
  // Publish takes every file of the batch back when it fails.
  auto published = store::Publish(ctx_.fs, std::move(files));
  if (!published.ok()) return LocalStorageError(ctx_.fs, ctx_.layout.root(), published.status());
  util::Status recorded = RecordBatch(batch, *published);
  if (recorded.ok()) return recorded;
  // The rows stay pending (never written, or rolled back): their files must not stay either.
  for (const Fetched& f : batch) {
    auto path = ctx_.layout.Absolute(f.relative_path);
    if (path.ok()) recorded = Unpromote(ctx_.fs, *path, recorded);
  }
  return recorded;
}

util::Status CabFetcher::RecordBatch(const std::vector<Fetched>& batch,
                                     const std::vector<store::Committed>& published) {
  HDC_ASSIGN_OR_RETURN(auto tx, ctx_.db.BeginWrite());
  HDC_ASSIGN_OR_RETURN(
      auto record,
      ctx_.db.Prepare(
          "UPDATE cabs SET state = 'fetched', file_path = ?2, file_size = ?3, file_sha256 = ?4, "
          "container = ?5, downloaded_at = ?6, clock_start = coalesce(clock_start, ?6), "
          "attempts = attempts + 1, last_error = NULL, next_attempt_at = NULL, partial_etag = NULL "
          "WHERE cab_id_hash = ?1"));
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const Fetched& f = batch[i];
    const store::Committed& file = published[i];
    record.Reset();
    record.Bind(1, f.cab_id_hash).Bind(2, f.relative_path);
    record.Bind(3, static_cast<std::int64_t>(file.size)).Bind(4, file.sha256_hex);
    record.Bind(5, f.container).Bind(6, f.downloaded_at);
    HDC_RETURN_IF_ERROR(record.Run().status());
  }
  return tx.Commit();
}

util::Result<CabFetchSummary> CabFetcher::FetchPending(CabProgress* progress) {
  const std::string now = util::FormatTimestamp(ctx_.clock.Now(), true);
  std::vector<Pending> pending;
  CabFetchSummary summary;
  {
    HDC_ASSIGN_OR_RETURN(
        auto stmt,
        ctx_.db.Prepare(
            "SELECT cab_id_hash, job_name, coalesce(application_id, ''), coalesce(expires_at, ''), "
            "attempts, coalesce(partial_etag, ''), coalesce(next_attempt_at, '') > ?1, "
            "coalesce(clock_start, '') FROM cabs "
            "WHERE state IN ('pending', 'fetching') ORDER BY first_seen, cab_id_hash"));
    stmt.Bind(1, now);
    while (true) {
      HDC_ASSIGN_OR_RETURN(auto row, stmt.Step());
      if (!row) break;
      if (options_.only_listed_jobs && !jobs_.contains(stmt.ColumnText(1))) continue;
      if (stmt.ColumnInt(6) != 0) {
        ++summary.deferred;
        continue;
      }
      pending.push_back({stmt.ColumnText(0), stmt.ColumnText(1), stmt.ColumnText(2),
                         stmt.ColumnText(3), stmt.ColumnInt(4), stmt.ColumnText(5),
                         stmt.ColumnText(7)});
    }
  }
  HDC_RETURN_IF_ERROR(SkipUnfetchable(pending, summary));
  if (progress != nullptr) progress->total = static_cast<int>(pending.size());
  halt_ = false;
  std::atomic<size_t> next{0};
  // Two workers per transfer slot, one transferring while the other
  // finishes its file; with one slot, one worker: strictly one cab at a time.
  const auto slots =
      static_cast<size_t>(std::clamp<std::ptrdiff_t>(options_.concurrency, 1, kMaxConcurrency));
  const size_t workers = std::min(pending.size(), slots == 1 ? 1 : 2 * slots);
  if (workers <= 1) {
    Work(ctx_.random.Next(), pending, next, summary, progress);
  } else {
    std::vector<std::jthread> threads;
    for (size_t i = 0; i < workers; ++i) {
      threads.emplace_back([this, seed = ctx_.random.Next(), &pending, &next, &summary, progress] {
        platform::NameThisThread("hdc-cab");
        Work(seed, pending, next, summary, progress);
      });
    }
  }
  {
    std::lock_guard lock(mu_);
    if (util::Status flushed = FlushFetched(); !flushed.ok()) return flushed;
  }
  if (summary.deferred > 0) {
    summary.problems.push_back(util::TemporaryError(std::to_string(summary.deferred) +
                                                    " cab(s) wait for their next attempt"));
  }
  return summary;
}

util::Status CabFetcher::SkipUnfetchable(std::vector<Pending>& pending, CabFetchSummary& summary) {
  const util::TimePoint now = ctx_.clock.Now();
  std::vector<Pending> fetchable;
  std::vector<std::pair<const Pending*, std::string>> skipped;
  for (const Pending& cab : pending) {
    if (auto reason = SkipReason(cab, now)) {
      skipped.emplace_back(&cab, std::move(*reason));
    } else {
      fetchable.push_back(cab);
    }
  }
  if (skipped.empty()) return util::Status::Ok();
  HDC_ASSIGN_OR_RETURN(auto tx, ctx_.db.BeginWrite());
  for (const auto& [cab, reason] : skipped) {
    HDC_RETURN_IF_ERROR(Record(cab->cab_id_hash, "skipped", reason));
  }
  HDC_RETURN_IF_ERROR(tx.Commit());
  summary.skipped += static_cast<int>(skipped.size());
  pending = std::move(fetchable);
  return util::Status::Ok();
}

void CabFetcher::Work(std::uint64_t seed, const std::vector<Pending>& pending,
                      std::atomic<size_t>& next, CabFetchSummary& summary, CabProgress* progress) {
  Worker worker{util::Random(seed), nullptr, progress};
  worker.api = make_api_(worker.random);
  auto log = util::GetLogger("download");
  while (true) {
    // Held until the cab's body has arrived, or to the end of its attempt
    // (its failure recorded, so that a halt is seen by the next taker).
    TransferSlot slot(transfers_);
    if (ctx_.stop.stop_requested() || halt_) break;
    const size_t i = next++;
    if (i >= pending.size()) break;
    const Pending& cab = pending[i];
    util::Status status = FetchOne(worker, cab, summary, [&slot] { slot.Release(); });
    if (progress != nullptr) ++progress->done;
    if (status.ok()) continue;
    std::lock_guard lock(mu_);
    if (ctx_.stop.stop_requested() && status.kind() == util::ErrorKind::kTemporary) break;
    // CabIdHash is an opaque service id, not personal, so safe to log
    // (docs/hdc-api.md §Personal data).
    log->warn("cab {}: {}", util::Printable(cab.cab_id_hash, util::kShownChars), status.ToString());
    if (util::Status recorded = RecordFailure(cab, status, summary, worker.random);
        !recorded.ok()) {
      summary.problems.push_back(recorded);
      halt_ = true;
    }
  }
}

util::Status CabFetcher::RecordFailure(const Pending& cab, const util::Status& status,
                                       CabFetchSummary& summary, util::Random& random) {
  const util::ErrorKind kind = status.kind();
  // Not the cab's fault: the batch stops, the cab keeps its attempts.
  const bool space = status.IsLocalStorage();
  if (kind == util::ErrorKind::kAuth || space) {
    halt_ = true;
    summary.problems.push_back(
        status.WithContext("cab " + util::Printable(cab.cab_id_hash, util::kShownChars) + ": "));
    return util::Status::Ok();
  }
  const std::int64_t attempts = cab.attempts + 1;
  const bool final = attempts >= options_.max_attempts || kind == util::ErrorKind::kBadData;
  // Backoff across runs: half fixed, half jitter, doubling per attempt.
  util::Duration ceiling = options_.retry_cap;
  if (attempts - 1 < 30) {
    ceiling =
        std::min(options_.retry_cap, options_.retry_base * (std::int64_t{1} << (attempts - 1)));
  }
  const auto half = static_cast<std::uint64_t>(ceiling.count() / 2);
  const util::Duration wait(static_cast<std::int64_t>(half + random.Uniform(0, half)));
  HDC_ASSIGN_OR_RETURN(
      auto stmt,
      ctx_.db.Prepare(
          "UPDATE cabs SET state = ?2, last_error = ?3, attempts = ?4, next_attempt_at = ?5 "
          "WHERE cab_id_hash = ?1"));
  stmt.Bind(1, cab.cab_id_hash).Bind(2, final ? "failed" : "pending").Bind(3, status.ToString());
  stmt.Bind(4, attempts);
  if (final) {
    stmt.BindNull(5);
  } else {
    stmt.Bind(5, util::FormatTimestamp(ctx_.clock.Now() + wait, true));
  }
  HDC_RETURN_IF_ERROR(stmt.Run().status());
  summary.failed += final ? 1 : 0;
  const std::string context =
      "cab " + util::Printable(cab.cab_id_hash, util::kShownChars) +
      (final ? " failed for good after " + std::to_string(attempts) + " attempt(s): "
             : " (attempt " + std::to_string(attempts) + " of " +
                   std::to_string(options_.max_attempts) + "): ");
  // Bad data from the server stays 65; any other cab problem is work left
  // for a later run (75).
  const util::Status problem =
      kind == util::ErrorKind::kBadData
          ? status
          : util::Status::Error(util::ErrorKind::kTemporary, status.message());
  summary.problems.push_back(problem.WithContext(context));
  return util::Status::Ok();
}

std::optional<std::string> CabFetcher::SkipReason(const Pending& cab, util::TimePoint now) const {
  if (!cab.expires_at.empty()) {
    auto expires = util::ParseTimestamp(cab.expires_at);
    if (expires.ok() && *expires <= now) return "expired before download";
  }
  if (options_.retention_cutoff && !cab.clock_start.empty()) {
    auto clock = util::ParseTimestamp(cab.clock_start);
    if (clock.ok() && *clock < *options_.retention_cutoff) {
      return "retention window ended before download";
    }
  }
  return std::nullopt;
}

util::Status CabFetcher::FetchOne(Worker& worker, const Pending& cab, CabFetchSummary& summary,
                                  std::function<void()> received) {
  const util::TimePoint now = ctx_.clock.Now();
  if (auto reason = SkipReason(cab, now)) return Skip(cab, *reason, summary);
  // CabPath refuses ids that are not plain tokens.
  HDC_ASSIGN_OR_RETURN(auto final_path, ctx_.layout.CabPath(cab.cab_id_hash));
  HDC_ASSIGN_OR_RETURN(auto temp_path, ctx_.layout.TempPath("cab", cab.cab_id_hash));
  const std::string& root = ctx_.layout.root();
  if (util::Status space = store::CheckFreeSpace(ctx_.fs, root, options_.min_free_space);
      !space.ok()) {
    return LocalStorageError(ctx_.fs, root, space);
  }

  const api::CabVariant variant =
      RulesFor(jobs_, cab.job).view_is_ihv ? api::CabVariant::kDriver : api::CabVariant::kHardware;
  if (variant == api::CabVariant::kDriver && cab.application_id.empty()) {
    return util::BadDataError("no ApplicationId for the driver cab download");
  }
  LinkSource link_of = [&]() -> util::Result<std::string> {
    return worker.api->CabDownloadLink(variant, cab.application_id, cab.cab_id_hash);
  };
  auto link = link_of();
  if (!link.ok()) {
    if (link.status().http_status() == 404) {
      // Adopted rule: 404 = past its expiration, not retried.
      return Skip(cab, "the service no longer has it (404)", summary);
    }
    return link.status();
  }
  HDC_RETURN_IF_ERROR(util::CheckUrlPolicy(*link));  // plain http only to loopback

  HDC_ASSIGN_OR_RETURN(auto fetched, Download(worker, cab, {temp_path, final_path}, *link, link_of,
                                              now, std::move(received)));
  const std::uint64_t size = fetched.file.committed.size;
  HDC_RETURN_IF_ERROR(RecordFetched(std::move(fetched)));
  CountFetched(worker, size, summary);
  return util::Status::Ok();
}

util::Result<CabFetcher::Fetched> CabFetcher::Download(Worker& worker, const Pending& cab,
                                                       const Paths& paths, const std::string& link,
                                                       LinkSource fresh_link, util::TimePoint now,
                                                       std::function<void()> received) {
  const std::string& root = ctx_.layout.root();
  const bool resume = !cab.partial_etag.empty() && ctx_.fs.Exists(paths.temp_path);
  auto created = store::AtomicWriter::Create(ctx_.fs, paths.temp_path, paths.final_path, resume);
  if (!created.ok()) return LocalStorageError(ctx_.fs, root, created.status());
  std::unique_ptr<store::AtomicWriter> writer = std::move(created).value();
  std::string container;
  BlobRequest request;
  request.link = link;
  request.etag = resume ? cab.partial_etag : "";
  request.fresh_link = std::move(fresh_link);
  request.min_record_bytes = kResumeMinBytes;
  request.received = std::move(received);
  request.on_etag = [&](const std::string& etag) { return RecordEtag(cab.cab_id_hash, etag); };
  request.check_head = [&container](std::string_view head) -> util::Status {
    container = CabContainer(head);
    if (container.empty()) {
      return util::BadDataError("not a cabinet or zip file (no MSCF or PK signature)");
    }
    return util::Status::Ok();
  };
  const BlobTransport transport{ctx_.fs,       root,      ctx_.http, ctx_.clock,
                                worker.random, ctx_.stop, &limiter_, {}};
  HDC_ASSIGN_OR_RETURN(auto relative, ctx_.layout.Relative(paths.final_path));
  HDC_ASSIGN_OR_RETURN(auto sealed, FetchBlob(transport, std::move(request), *writer));
  if (sealed.committed.size >= kGroupSyncMaxBytes) {
    if (util::Status synced = store::SyncSealed(ctx_.fs, sealed); !synced.ok()) {
      return LocalStorageError(ctx_.fs, root, synced);
    }
  }
  return Fetched{cab.cab_id_hash, std::move(relative), container, util::FormatTimestamp(now, true),
                 std::move(sealed)};
}

util::Status CabFetcher::RecordEtag(const std::string& cab_id_hash, const std::string& etag) {
  std::lock_guard lock(mu_);
  HDC_ASSIGN_OR_RETURN(auto stmt,
                       ctx_.db.Prepare("UPDATE cabs SET partial_etag = ?2 WHERE cab_id_hash = ?1"));
  stmt.Bind(1, cab_id_hash);
  if (etag.empty()) {
    stmt.BindNull(2);
  } else {
    stmt.Bind(2, etag);
  }
  return stmt.Run().status();
}

void CabFetcher::CountFetched(Worker& worker, std::uint64_t size, CabFetchSummary& summary) {
  // Not mu_: that one is held through a group commit's fsync, and waiting
  // for it here would make every download wait for the commit before it.
  std::lock_guard lock(queue_mu_);
  ++summary.fetched;
  summary.bytes += size;
  if (worker.progress != nullptr) worker.progress->bytes += size;
}

}  // namespace hdc::download
