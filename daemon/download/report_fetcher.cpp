#include "download/report_fetcher.h"

#include "db/executions_table.h"
#include "download/blob_download.h"
#include "download/row_ingest.h"
#include "http/retry.h"
#include "store/atomic_writer.h"
#include "store/space_guard.h"
#include "util/logging.h"
#include "util/time_format.h"
#include "util/url.h"

namespace hdc::download {
namespace {

// The extension of the blob's name ("txt", "tsv", "csv"), "txt" when odd.
std::string ExtensionOf(const std::string& url) {
  const std::string path = util::StripQuery(url);
  const size_t slash = path.rfind('/');
  const size_t dot = path.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "txt";
  const std::string ext = path.substr(dot + 1);
  if (ext.empty() || ext.size() > 8) return "txt";
  for (char c : ext) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return "txt";
  }
  return ext;
}

}  // namespace

std::string ReportTempKey(const std::string& report_id, util::TimePoint report_datetime) {
  return report_id + "-" + util::FormatCompact(report_datetime);
}

ReportFetcher::ReportFetcher(api::HdcClient& api, http::HttpClient& http, db::Database& db,
                             platform::FileSystem& fs, const store::StoreLayout& layout,
                             util::Clock& clock, util::Random& random, std::stop_token stop,
                             ReportFetchOptions options,
                             std::map<std::string, JobIngestRules> jobs)
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

util::Result<ReportFetchSummary> ReportFetcher::FetchReady() {
  ReportFetchSummary summary;
  db::ExecutionsTable executions(db_);
  HDC_ASSIGN_OR_RETURN(auto ready, executions.ReadyToFetch());
  for (const db::ExecutionRecord& e : ready) {
    if (stop_.stop_requested()) break;
    util::Status status = FetchOne(e, summary);
    if (status.ok()) continue;
    HDC_RETURN_IF_ERROR(executions.SetState(e.report_id, e.report_datetime, "new",
                                            status.ToString()));
    // Name the report once: IngestReport's errors already start with it.
    const util::Status named =
        status.message().starts_with("report " + e.report_id + " ")
            ? status
            : status.WithContext("report " + e.report_id + " run " + e.report_datetime + ": ");
    util::GetLogger("download")->error("{}", named.ToString());
    summary.problems.push_back(named);
    // Every other report would fail too: refused credentials, a full disk.
    if (status.kind() == util::ErrorKind::kAuth || status.IsLocalStorage()) break;
  }
  return summary;
}

util::Result<std::string> ReportFetcher::FreshLink(const std::string& report_id,
                                                   const std::string& report_datetime) {
  HDC_ASSIGN_OR_RETURN(auto time, util::ParseTimestamp(report_datetime));
  HDC_ASSIGN_OR_RETURN(auto listed, api_.GetReportData(report_id, time, time));
  for (const api::Execution& e : listed) {
    if (e.report_datetime == report_datetime && e.ready()) return e.location;
  }
  return util::TemporaryError("Get Report Data no longer lists a link for this run");
}

util::Result<ReportFetcher::Stored> ReportFetcher::Download(const std::string& job,
                                                            const std::string& report_id,
                                                            const std::string& report_datetime,
                                                            const std::string& partial_etag) {
  if (util::Status space = store::CheckFreeSpace(fs_, layout_.root(), options_.min_free_space);
      !space.ok()) {
    return LocalStorageError(fs_, layout_.root(), space);
  }
  HDC_ASSIGN_OR_RETURN(auto time, util::ParseTimestamp(report_datetime));
  HDC_ASSIGN_OR_RETURN(auto link, FreshLink(report_id, report_datetime));
  HDC_RETURN_IF_ERROR(util::CheckUrlPolicy(link));
  HDC_ASSIGN_OR_RETURN(auto final_path,
                       layout_.ReportPath(job, report_id, time, ExtensionOf(link)));
  HDC_ASSIGN_OR_RETURN(auto temp_path, layout_.TempPath("report", ReportTempKey(report_id, time)));
  const bool resume = !partial_etag.empty() && fs_.Exists(temp_path);
  auto created = store::AtomicWriter::Create(fs_, temp_path, final_path, resume);
  if (!created.ok()) return LocalStorageError(fs_, layout_.root(), created.status());
  std::unique_ptr<store::AtomicWriter> writer = std::move(created).value();
  BlobRequest request;
  request.link = link;
  request.etag = resume ? partial_etag : "";
  request.fresh_link = [&] { return FreshLink(report_id, report_datetime); };
  request.max_link_refreshes = options_.max_link_refreshes;
  request.on_etag = [&](const std::string& etag) -> util::Status {
    HDC_ASSIGN_OR_RETURN(auto stmt, db_.Prepare("UPDATE executions SET partial_etag = ?3 WHERE "
                                                "report_id = ?1 AND report_datetime = ?2"));
    stmt.Bind(1, report_id).Bind(2, report_datetime);
    if (etag.empty()) {
      stmt.BindNull(3);
    } else {
      stmt.Bind(3, etag);
    }
    return stmt.Run().status();
  };
  const BlobTransport transport{fs_, layout_.root(), http_, clock_, random_, stop_, nullptr, {}};
  HDC_ASSIGN_OR_RETURN(auto committed, DownloadBlob(transport, std::move(request), *writer));
  return Stored{committed.path, committed.size, committed.sha256_hex};
}

util::Status ReportFetcher::FetchOne(const db::ExecutionRecord& execution,
                                     ReportFetchSummary& summary) {
  const std::string& job = execution.job_name;
  const std::string& report_id = execution.report_id;
  const std::string& report_datetime = execution.report_datetime;
  db::ExecutionsTable executions(db_);
  HDC_RETURN_IF_ERROR(executions.SetState(report_id, report_datetime, "fetching", std::nullopt));
  HDC_ASSIGN_OR_RETURN(auto stored,
                       Download(job, report_id, report_datetime, execution.partial_etag));
  const util::TimePoint now = clock_.Now();
  HDC_ASSIGN_OR_RETURN(auto relative, layout_.Relative(stored.path));
  auto record = db_.Prepare(
      "UPDATE executions SET state = 'fetched', file_path = ?3, file_size = ?4, file_sha256 = ?5, "
      "downloaded_at = ?6, clock_start = ?6, last_error = NULL, partial_etag = NULL "
      "WHERE report_id = ?1 AND report_datetime = ?2");
  if (!record.ok()) return Unpromote(fs_, stored.path, record.status());
  record->Bind(1, report_id).Bind(2, report_datetime).Bind(3, relative);
  record->Bind(4, static_cast<std::int64_t>(stored.size)).Bind(5, stored.sha256);
  record->Bind(6, util::FormatTimestamp(now, true));
  if (util::Status run = record->Run().status(); !run.ok()) {
    return Unpromote(fs_, stored.path, run);
  }

  const JobIngestRules rules = jobs_.count(job) ? jobs_.at(job) : JobIngestRules{};
  IngestTarget target;
  target.job_name = job;
  target.report_id = report_id;
  target.report_datetime = report_datetime;
  target.downloaded_at = now;
  target.retention_clock_earliest = options_.retention_clock_earliest;
  target.view_is_ihv = rules.view_is_ihv;
  target.cab_types = rules.cab_types;
  target.cabs_enabled = rules.cabs;
  target.retention_cutoff = now - options_.retention;
  HDC_ASSIGN_OR_RETURN(auto ingested, IngestReportFile(db_, fs_, target, stored.path));
  ++summary.reports;
  summary.bytes += stored.size;
  summary.rows += ingested.rows;
  summary.rows_skipped_retention += ingested.rows_skipped_retention;
  summary.cabs_new += ingested.cabs_new;
  util::GetLogger("download")
      ->info("report {} run {}: {} bytes, {} rows", report_id, report_datetime, stored.size,
             ingested.rows);
  return util::Status::Ok();
}

}  // namespace hdc::download
