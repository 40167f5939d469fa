#include "download/cab_fetcher.h"

#include "download/download_sink.h"
#include "http/retry.h"
#include "store/atomic_writer.h"
#include "store/space_guard.h"
#include "util/logging.h"
#include "util/time_format.h"
#include "util/url.h"

namespace hdc::download {

CabFetcher::CabFetcher(api::HdcClient& api, http::HttpClient& http, db::Database& db,
                       platform::FileSystem& fs, const store::StoreLayout& layout,
                       util::Clock& clock, util::Random& random, std::stop_token stop,
                       CabFetchOptions options, std::map<std::string, JobIngestRules> jobs)
    : api_(api),
      http_(http),
      db_(db),
      fs_(fs),
      layout_(layout),
      clock_(clock),
      random_(random),
      stop_(std::move(stop)),
      options_(options),
      jobs_(std::move(jobs)) {}

util::Status CabFetcher::Record(const std::string& cab_id_hash, const std::string& state,
                                const std::string& error) {
  auto stmt = db_.Prepare(
      "UPDATE cabs SET state = ?2, last_error = ?3, attempts = attempts + 1 WHERE cab_id_hash = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, cab_id_hash).Bind(2, state).Bind(3, error);
  return stmt->Run().status();
}

util::Result<CabFetchSummary> CabFetcher::FetchPending() {
  auto stmt = db_.Prepare(
      "SELECT cab_id_hash, job_name, coalesce(application_id, ''), coalesce(expires_at, ''), "
      "attempts FROM cabs WHERE state IN ('pending', 'fetching') ORDER BY first_seen, cab_id_hash");
  if (!stmt.ok()) return stmt.status();
  std::vector<Pending> pending;
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    pending.push_back({stmt->ColumnText(0), stmt->ColumnText(1), stmt->ColumnText(2),
                       stmt->ColumnText(3), stmt->ColumnInt(4)});
  }
  CabFetchSummary summary;
  auto log = util::GetLogger("download");
  for (const Pending& cab : pending) {
    if (stop_.stop_requested()) break;
    util::Status status = FetchOne(cab, summary);
    if (status.ok()) continue;
    // CabIdHash is an opaque service id, not personal (hdc-api.md 1): safe to log.
    log->warn("cab {}: {}", cab.cab_id_hash, status.ToString());
    const bool final = cab.attempts + 1 >= options_.max_attempts ||
                       status.kind() == util::ErrorKind::kBadData;
    HDC_RETURN_IF_ERROR(Record(cab.cab_id_hash, final ? "failed" : "pending", status.ToString()));
    summary.failed += final ? 1 : 0;
    summary.problems.push_back(status.WithContext("cab " + cab.cab_id_hash + ": "));
    if (status.kind() == util::ErrorKind::kAuth) break;  // every other cab would fail too
  }
  return summary;
}

util::Status CabFetcher::FetchOne(const Pending& cab, CabFetchSummary& summary) {
  const util::TimePoint now = clock_.Now();
  if (!cab.expires_at.empty()) {
    auto expires = util::ParseTimestamp(cab.expires_at);
    if (expires.ok() && *expires <= now) {
      ++summary.skipped;
      return Record(cab.cab_id_hash, "skipped", "expired before download");
    }
  }
  auto final_path = layout_.CabPath(cab.cab_id_hash);  // refuses ids that are not plain tokens
  if (!final_path.ok()) return final_path.status();
  auto temp_path = layout_.TempPath("cab", cab.cab_id_hash);
  if (!temp_path.ok()) return temp_path.status();
  HDC_RETURN_IF_ERROR(store::CheckFreeSpace(fs_, layout_.root(), options_.min_free_space));

  const JobIngestRules rules = jobs_.count(cab.job) ? jobs_.at(cab.job) : JobIngestRules{};
  const api::CabVariant variant =
      rules.view_is_ihv ? api::CabVariant::kDriver : api::CabVariant::kHardware;
  if (variant == api::CabVariant::kDriver && cab.application_id.empty()) {
    return util::BadDataError("no ApplicationId for the driver cab download");
  }
  auto link = api_.CabDownloadLink(variant, cab.application_id, cab.cab_id_hash);
  if (!link.ok()) {
    if (link.status().message().find("HTTP 404") != std::string::npos) {
      ++summary.skipped;  // adopted rule: 404 = past its expiration, not retried
      return Record(cab.cab_id_hash, "skipped", "the service no longer has it (404)");
    }
    return link.status();
  }
  HDC_RETURN_IF_ERROR(util::CheckUrlPolicy(*link));  // plain http only to loopback

  auto writer = store::AtomicWriter::Create(fs_, *temp_path, *final_path, /*resume=*/false);
  if (!writer.ok()) return writer.status();
  DownloadSink sink(**writer);
  http::Request request;
  request.url = *link;  // a SAS URL: never sent with Authorization
  auto response =
      http::SendWithRetry(http_, request, sink, http::RetryPolicy{}, clock_, random_, stop_);
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    (void)(*writer)->Abort();
    return util::Status::Error(util::ErrorKind::kUnavailable,
                               "GET " + util::StripQuery(*link) + ": HTTP " +
                                   std::to_string(response->status));
  }
  const std::string_view head = (*writer)->first_bytes();
  const std::string container = head.substr(0, 4) == "MSCF" ? "MSCF"
                                : head.substr(0, 2) == "PK" ? "PK"
                                                            : "";
  if (container.empty()) {
    (void)(*writer)->Abort();
    return util::BadDataError("not a cabinet or zip file (no MSCF or PK signature)");
  }
  std::optional<std::uint64_t> length;
  if (auto cl = response->FindHeader("Content-Length")) length = std::stoull(*cl);
  auto committed = (*writer)->Commit(length, response->FindHeader("Content-MD5"));
  if (!committed.ok()) return committed.status();
  auto relative = layout_.Relative(committed->path);
  if (!relative.ok()) return relative.status();
  auto record = db_.Prepare(
      "UPDATE cabs SET state = 'fetched', file_path = ?2, file_size = ?3, file_sha256 = ?4, "
      "container = ?5, downloaded_at = ?6, clock_start = coalesce(clock_start, ?6), "
      "attempts = attempts + 1, last_error = NULL WHERE cab_id_hash = ?1");
  if (!record.ok()) return record.status();
  record->Bind(1, cab.cab_id_hash).Bind(2, *relative);
  record->Bind(3, static_cast<std::int64_t>(committed->size)).Bind(4, committed->sha256_hex);
  record->Bind(5, container).Bind(6, util::FormatTimestamp(now, true));
  HDC_RETURN_IF_ERROR(record->Run().status());
  ++summary.fetched;
  summary.bytes += committed->size;
  return util::Status::Ok();
}

}  // namespace hdc::download
