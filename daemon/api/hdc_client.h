// Typed calls for every Hardware Dev Center endpoint (docs/hdc-api.md §Endpoints).
//
// Each call gets a token, sends the request with Authorization and the
// documented Content-Type, retries idempotent requests per http/retry.h, and
// after a 401 renews the token and replays once. Creating POSTs are sent
// once: after a lost response the caller lists remote state instead of
// retrying (no duplicates). Non-2xx answers become errors via api/errors.h
// naming the method and endpoint path (never a query string).
// Not thread-safe per instance; cheap to create one per thread.
#pragma once

#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/models.h"
#include "auth/token_provider.h"
#include "http/client.h"
#include "http/retry.h"
#include "util/clock.h"
#include "util/random.h"
#include "util/result.h"

namespace hdc::api {

struct ApiOptions {
  std::string api_url = "https://manage.devcenter.microsoft.com";
  // Documented prefixes: report paths have none, cab paths "/v1.0/my".
  std::string report_prefix;
  std::string cab_prefix = "/v1.0/my";
  http::RetryPolicy retry;
};

enum class CabVariant { kDriver, kHardware, kLegacyDriver };

class HdcClient {
 public:
  HdcClient(ApiOptions options, http::HttpClient& client, auth::TokenSource& tokens,
            util::Clock& clock, util::Random& random, std::stop_token stop);

  util::Result<std::string> CreateTemplate(const nlohmann::json& body);
  util::Result<std::vector<RemoteTemplate>> ListTemplates();
  util::Result<RemoteTemplate> GetTemplate(const std::string& template_id);
  util::Status EditTemplate(const std::string& template_id, const nlohmann::json& body);

  util::Result<std::string> CreateSchedule(const nlohmann::json& body);
  util::Result<std::vector<RemoteSchedule>> ListSchedules();
  util::Status EditSchedule(const std::string& report_id, const nlohmann::json& body);
  util::Status PauseSchedule(const std::string& report_id);
  util::Status ResumeSchedule(const std::string& report_id);

  // Executions whose run date lies in [start, end] (dates, inclusive, UTC).
  util::Result<std::vector<Execution>> GetReportData(const std::string& report_id,
                                                     util::TimePoint start, util::TimePoint end);

  // The SAS URL of a cab: the Location of the 302 (not followed here).
  util::Result<std::string> CabDownloadLink(CabVariant variant, const std::string& application_id,
                                            const std::string& cab_id_hash);
  // One page of the bulk listing; pass the previous page's next_link to go on.
  util::Result<CabPage> ListCabs(const std::string& application_id, const std::string& failure_hash,
                                 int top, int skip);

 private:
  struct Reply {
    int status = 0;
    std::string body;
    std::optional<std::string> location;
  };
  // Sends with token, retry and one replay after a 401. Non-2xx (other than
  // 302 when allow_redirect) becomes an error.
  util::Result<Reply> Call(const std::string& method, const std::string& path_and_query,
                           const std::string& body, bool idempotent, bool allow_redirect = false);
  std::string ReportPath(std::string_view rest) const;

  ApiOptions options_;
  http::HttpClient& client_;
  auth::TokenSource& tokens_;
  util::Clock& clock_;
  util::Random& random_;
  std::stop_token stop_;
};

// Query-string escaping for ids from the server.
std::string QueryEscape(std::string_view value);

}  // namespace hdc::api
