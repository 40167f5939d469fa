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

JobIngestRules RulesFor(const std::map<std::string, JobIngestRules>& jobs, const std::string& job) {
  const auto it = jobs.find(job);
  return it != jobs.end() ? it->second : JobIngestRules{};
}

ReportFetcher::ReportFetcher(FetchContext context, api::HdcClient& api, ReportFetchOptions options,
                             std::map<std::string, JobIngestRules> jobs)
    : ctx_(std::move(context)), api_(api), options_(options), jobs_(std::move(jobs)) {}

util::Result<ReportFetchSummary> ReportFetcher::FetchReady() {
  ReportFetchSummary summary;
  db::ExecutionsTable executions(ctx_.db);
  HDC_ASSIGN_OR_RETURN(auto ready, executions.ReadyToFetch());
  for (const db::ExecutionRecord& e : ready) {
    if (ctx_.stop.stop_requested()) break;
    if (options_.only_listed_jobs && !jobs_.contains(e.job_name)) continue;
    const Outcome outcome = FetchOne(e, summary);
    const util::Status& status = outcome.status;
    if (status.ok()) continue;
    HDC_RETURN_IF_ERROR(
        executions.SetState(e.report_id, e.report_datetime, "new", status.ToString()));
    const util::Status named =
        outcome.names_report
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
  const std::string& root = ctx_.layout.root();
  if (util::Status space = store::CheckFreeSpace(ctx_.fs, root, options_.min_free_space);
      !space.ok()) {
    return LocalStorageError(ctx_.fs, root, space);
  }
  HDC_ASSIGN_OR_RETURN(auto time, util::ParseTimestamp(report_datetime));
  // The link the cycle's poll just listed, else a fresh one.
  std::optional<std::string> listed;
  if (options_.listed_links != nullptr) {
    listed = options_.listed_links->Take(report_id, report_datetime, ctx_.clock.Now());
  }
  HDC_ASSIGN_OR_RETURN(const std::string link, listed
                                                   ? util::Result<std::string>(std::move(*listed))
                                                   : FreshLink(report_id, report_datetime));
  HDC_RETURN_IF_ERROR(util::CheckUrlPolicy(link));
  HDC_ASSIGN_OR_RETURN(auto final_path,
                       ctx_.layout.ReportPath(job, report_id, time, ExtensionOf(link)));
  HDC_ASSIGN_OR_RETURN(auto temp_path,
                       ctx_.layout.TempPath("report", ReportTempKey(report_id, time)));
  const bool resume = !partial_etag.empty() && ctx_.fs.Exists(temp_path);
  auto created = store::AtomicWriter::Create(ctx_.fs, temp_path, final_path, resume);
  if (!created.ok()) return LocalStorageError(ctx_.fs, root, created.status());
  std::unique_ptr<store::AtomicWriter> writer = std::move(created).value();
  BlobRequest request;
  request.link = link;
  request.etag = resume ? partial_etag : "";
  request.fresh_link = [&] { return FreshLink(report_id, report_datetime); };
  request.max_link_refreshes = options_.max_link_refreshes;
  request.on_etag = [&](const std::string& etag) {
    return RecordEtag(report_id, report_datetime, etag);
  };
  const BlobTransport transport{ctx_.fs,     root,      ctx_.http, ctx_.clock,
                                ctx_.random, ctx_.stop, nullptr,   {}};
  HDC_ASSIGN_OR_RETURN(auto committed, DownloadBlob(transport, std::move(request), *writer));
  return Stored{committed.path, committed.size, committed.sha256_hex};
}

util::Status ReportFetcher::RecordEtag(const std::string& report_id,
                                       const std::string& report_datetime,
                                       const std::string& etag) {
  HDC_ASSIGN_OR_RETURN(auto stmt, ctx_.db.Prepare("UPDATE executions SET partial_etag = ?3 WHERE "
                                                  "report_id = ?1 AND report_datetime = ?2"));
  stmt.Bind(1, report_id).Bind(2, report_datetime);
  if (etag.empty()) {
    stmt.BindNull(3);
  } else {
    stmt.Bind(3, etag);
  }
  return stmt.Run().status();
}

ReportFetcher::Outcome ReportFetcher::FetchOne(const db::ExecutionRecord& execution,
                                               ReportFetchSummary& summary) {
  auto stored = Store(execution);
  if (!stored.ok()) return {stored.status(), false};
  auto file = ctx_.fs.OpenForRead(stored->path);
  if (!file.ok()) return {file.status(), false};
  return {Ingest(execution, *stored, std::move(file).value(), summary), true};
}

util::Result<ReportFetcher::Stored> ReportFetcher::Store(const db::ExecutionRecord& execution) {
  db::ExecutionsTable executions(ctx_.db);
  HDC_RETURN_IF_ERROR(executions.SetState(execution.report_id, execution.report_datetime,
                                          "fetching", std::nullopt));
  HDC_ASSIGN_OR_RETURN(Stored stored, Download(execution.job_name, execution.report_id,
                                               execution.report_datetime, execution.partial_etag));
  stored.downloaded_at = ctx_.clock.Now();
  HDC_RETURN_IF_ERROR(Record(execution, stored));
  return stored;
}

util::Status ReportFetcher::Record(const db::ExecutionRecord& execution, const Stored& stored) {
  HDC_ASSIGN_OR_RETURN(auto relative, ctx_.layout.Relative(stored.path));
  auto record = ctx_.db.Prepare(
      "UPDATE executions SET state = 'fetched', file_path = ?3, file_size = ?4, file_sha256 = ?5, "
      "downloaded_at = ?6, clock_start = ?6, last_error = NULL, partial_etag = NULL "
      "WHERE report_id = ?1 AND report_datetime = ?2");
  if (!record.ok()) return Unpromote(ctx_.fs, stored.path, record.status());
  record->Bind(1, execution.report_id).Bind(2, execution.report_datetime).Bind(3, relative);
  record->Bind(4, static_cast<std::int64_t>(stored.size)).Bind(5, stored.sha256);
  record->Bind(6, util::FormatTimestamp(stored.downloaded_at, true));
  if (util::Status run = record->Run().status(); !run.ok()) {
    return Unpromote(ctx_.fs, stored.path, run);
  }
  return util::Status::Ok();
}

IngestTarget ReportFetcher::TargetFor(const db::ExecutionRecord& execution,
                                      util::TimePoint downloaded_at) const {
  const JobIngestRules rules = RulesFor(jobs_, execution.job_name);
  IngestTarget target;
  target.job_name = execution.job_name;
  target.report_id = execution.report_id;
  target.report_datetime = execution.report_datetime;
  target.downloaded_at = downloaded_at;
  target.retention_clock_earliest = options_.retention_clock_earliest;
  target.view_is_ihv = rules.view_is_ihv;
  target.cab_types = rules.cab_types;
  target.cabs_enabled = rules.cabs;
  target.retention_cutoff = downloaded_at - options_.retention;
  return target;
}

util::Status ReportFetcher::Ingest(const db::ExecutionRecord& execution, const Stored& stored,
                                   std::unique_ptr<platform::ReadableFile> file,
                                   ReportFetchSummary& summary) {
  auto ingested = IngestReportFile(ctx_.db, TargetFor(execution, stored.downloaded_at), *file);
  file.reset();  // read to its end or failed: nothing more to read
  if (!ingested.ok()) return ingested.status();
  ++summary.reports;
  summary.bytes += stored.size;
  summary.rows += ingested->rows;
  summary.rows_skipped_retention += ingested->rows_skipped_retention;
  summary.cabs_new += ingested->cabs_new;
  util::GetLogger("download")
      ->info("report {} run {}: {} bytes, {} rows", execution.report_id, execution.report_datetime,
             stored.size, ingested->rows);
  return util::Status::Ok();
}

}  // namespace hdc::download
