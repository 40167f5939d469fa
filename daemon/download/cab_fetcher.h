// Cabs referenced by ingested reports -> files in store/cabs.
//
// Each distinct CabIdHash is fetched once: skipped when past its
// CabExpirationTime (never asked for), fetched through the driver
// (applicationId + cabIdHash) or hardware (cabIdHash) endpoint by the job's
// view, whose 302 Location (a blob SAS URL) is then fetched without
// Authorization. The body streams through an atomic writer, is checked
// (length, Content-MD5 when sent, an "MSCF" or "PK" signature) and moved
// into place; its hash, size and container are recorded. A 404 from the
// cab endpoint means the cab expired: recorded as skipped, not retried.
// Other failures count an attempt; after max_attempts the cab is recorded
// as failed with its reason. Sequential for now (download_concurrency and
// max_bandwidth are the next step). Not thread-safe.
#pragma once

#include <map>
#include <stop_token>
#include <string>
#include <vector>

#include "api/hdc_client.h"
#include "db/database.h"
#include "download/report_fetcher.h"
#include "http/client.h"
#include "platform/filesystem.h"
#include "store/layout.h"
#include "util/clock.h"
#include "util/random.h"
#include "util/result.h"

namespace hdc::download {

struct CabFetchOptions {
  std::uint64_t min_free_space = 1ull << 30;
  int max_attempts = 5;
};

struct CabFetchSummary {
  int fetched = 0;
  int skipped = 0;  // expired before we got to them
  int failed = 0;   // permanently, this run
  std::uint64_t bytes = 0;
  std::vector<util::Status> problems;
};

class CabFetcher {
 public:
  CabFetcher(api::HdcClient& api, http::HttpClient& http, db::Database& db,
             platform::FileSystem& fs, const store::StoreLayout& layout, util::Clock& clock,
             util::Random& random, std::stop_token stop, CabFetchOptions options,
             std::map<std::string, JobIngestRules> jobs);

  util::Result<CabFetchSummary> FetchPending();

 private:
  struct Pending {
    std::string cab_id_hash;
    std::string job;
    std::string application_id;
    std::string expires_at;
    std::int64_t attempts = 0;
  };
  util::Status FetchOne(const Pending& cab, CabFetchSummary& summary);
  util::Status Record(const std::string& cab_id_hash, const std::string& state,
                      const std::string& error);

  api::HdcClient& api_;
  http::HttpClient& http_;
  db::Database& db_;
  platform::FileSystem& fs_;
  const store::StoreLayout& layout_;
  util::Clock& clock_;
  util::Random& random_;
  std::stop_token stop_;
  CabFetchOptions options_;
  std::map<std::string, JobIngestRules> jobs_;
};

}  // namespace hdc::download
