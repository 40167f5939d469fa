// Completed executions -> report files in the store -> rows in SQLite.
//
// For each execution that polling saw Completed and that is not yet
// ingested: take the link the cycle's poll just listed (api::ListedLinks,
// in memory, each once) or else ask Get Report Data for a fresh one (links
// live 12 hours and are never stored), stream the blob without
// Authorization into an atomic writer in store/tmp, and when the link
// expires mid-download (403 from the blob host) ask again and resume with
// Range (If-Range on the ETag) from the bytes kept (blob_download.h). The
// ETag is recorded with the execution before the body streams, so a
// partial left by a crash or a stop is resumed by the next run. The file is
// verified (length, Content-MD5 when sent), moved into place, recorded,
// then parsed and ingested in one transaction (row_ingest.h). An execution
// that cannot be fetched stays for the next run and is reported; nothing
// partial is ever visible under a final name. Not thread-safe; reports are
// fetched one at a time.
#pragma once

#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "api/hdc_client.h"
#include "api/listed_links.h"
#include "db/database.h"
#include "db/executions_table.h"
#include "download/row_ingest.h"
#include "http/client.h"
#include "platform/filesystem.h"
#include "store/layout.h"
#include "util/clock.h"
#include "util/random.h"
#include "util/result.h"

namespace hdc::download {

// What both fetchers share, built once by the composition root: the transport, the state
// database, the store and the run's clock, random source and stop token.
struct FetchContext {
  http::HttpClient& http;
  db::Database& db;
  platform::FileSystem& fs;  // of the store
  const store::StoreLayout& layout;
  util::Clock& clock;
  util::Random& random;
  std::stop_token stop;
};

// What the fetcher needs to know of each job (from config, via the root).
struct JobIngestRules {
  bool view_is_ihv = true;
  bool cabs = false;
  std::vector<std::string> cab_types;
};

struct ReportFetchOptions {
  std::uint64_t min_free_space = 1ull << 30;
  bool retention_clock_earliest = true;
  util::Duration retention = std::chrono::days(30);
  int max_link_refreshes = 3;
  // The links the cycle's poll listed; null: every report asks for its own.
  api::ListedLinks* listed_links = nullptr;
  // With several accounts: only the reports of the jobs in the fetcher's
  // rules map (one account's), whose credentials the connection holds.
  bool only_listed_jobs = false;
};

// The rules of `job`; the defaults for a job the configuration no longer has.
JobIngestRules RulesFor(const std::map<std::string, JobIngestRules>& jobs, const std::string& job);

// The key of a report's partial download in store/tmp ("report-<key>.part").
std::string ReportTempKey(const std::string& report_id, util::TimePoint report_datetime);

struct ReportFetchSummary {
  int reports = 0;
  std::int64_t rows = 0;
  std::int64_t rows_skipped_retention = 0;
  std::int64_t cabs_new = 0;
  std::uint64_t bytes = 0;
  std::vector<util::Status> problems;
};

class ReportFetcher {
 public:
  ReportFetcher(FetchContext context, api::HdcClient& api, ReportFetchOptions options,
                std::map<std::string, JobIngestRules> jobs);

  util::Result<ReportFetchSummary> FetchReady();

 private:
  struct Stored {
    std::string path;
    std::uint64_t size = 0;
    std::string sha256;
    util::TimePoint downloaded_at{};
  };
  // How one report's fetch ended. Its error names the report once: IngestReport's errors name
  // it ("report <id> at <datetime>: "), FetchReady names it for every other step.
  struct Outcome {
    util::Status status;
    bool names_report = false;
  };
  util::Result<std::string> FreshLink(const std::string& report_id,
                                      const std::string& report_datetime);
  util::Result<Stored> Download(const std::string& job, const std::string& report_id,
                                const std::string& report_datetime,
                                const std::string& partial_etag);
  util::Status RecordEtag(const std::string& report_id, const std::string& report_datetime,
                          const std::string& etag);
  Outcome FetchOne(const db::ExecutionRecord& execution, ReportFetchSummary& summary);
  // Downloads the report and records the file with its execution.
  util::Result<Stored> Store(const db::ExecutionRecord& execution);
  util::Status Record(const db::ExecutionRecord& execution, const Stored& stored);
  IngestTarget TargetFor(const db::ExecutionRecord& execution, util::TimePoint downloaded_at) const;
  util::Status Ingest(const db::ExecutionRecord& execution, const Stored& stored,
                      std::unique_ptr<platform::ReadableFile> file, ReportFetchSummary& summary);

  FetchContext ctx_;
  api::HdcClient& api_;
  ReportFetchOptions options_;
  std::map<std::string, JobIngestRules> jobs_;
};

}  // namespace hdc::download
