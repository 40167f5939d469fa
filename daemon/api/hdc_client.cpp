#include "api/hdc_client.h"

#include <cctype>

#include "api/errors.h"
#include "util/strings.h"
#include "util/time_format.h"
#include "util/url.h"

namespace hdc::api {

using nlohmann::json;

std::string QueryEscape(std::string_view value) { return util::PercentEncode(value); }

HdcClient::HdcClient(ApiOptions options, http::HttpClient& client, auth::TokenSource& tokens,
                     util::Clock& clock, util::Random& random, std::stop_token stop)
    : options_(std::move(options)),
      client_(client),
      tokens_(tokens),
      clock_(clock),
      random_(random),
      stop_(std::move(stop)) {}

std::string HdcClient::ReportPath(std::string_view rest) const {
  return options_.report_prefix + "/analytics/driver/" + std::string(rest);
}

util::Result<HdcClient::Reply> HdcClient::Call(const std::string& method,
                                               const std::string& path_and_query,
                                               const std::string& body, bool idempotent,
                                               bool allow_redirect) {
  const std::string path = util::StripQuery(path_and_query);
  for (int attempt = 0; attempt < 2; ++attempt) {
    HDC_ASSIGN_OR_RETURN(auto token, tokens_.Token());
    http::Request request;
    request.method = method;
    request.url = options_.api_url + path_and_query;
    request.idempotent = idempotent;
    request.headers.push_back({"Authorization", "Bearer " + token});
    request.headers.push_back({"Accept", "application/json"});
    if (method == "POST") request.headers.push_back({"Content-Type", "application/json"});
    request.body = body;
    util::StringSink sink(16u << 20);
    // An error already names method, host and path.
    HDC_ASSIGN_OR_RETURN(auto response, http::SendWithRetry(client_, request, sink, options_.retry,
                                                            clock_, random_, stop_));
    if (response.status == 401 && attempt == 0) {
      tokens_.Invalidate(token);  // renew once and replay once
      continue;
    }
    if (response.status == 401) {
      const std::string message = ServerMessage(sink.data());
      return util::Status::Error(util::ErrorKind::kAuth,
                                 method + " " + path + ": HTTP 401 again after renewing the token" +
                                     (message.empty() ? "" : ": " + message))
          .WithHttpStatus(401);
    }
    const bool redirect = allow_redirect && response.status >= 300 && response.status < 400;
    if (!redirect && (response.status < 200 || response.status > 299)) {
      return ErrorFromResponse(method, path, response.status, sink.data());
    }
    return Reply{response.status, sink.Take(), response.FindHeader("Location")};
  }
  return util::InternalError(method + " " + path + ": unreachable");
}

util::Result<std::string> HdcClient::CreateTemplate(const json& body) {
  const std::string path = ReportPath("reporttemplate");
  HDC_ASSIGN_OR_RETURN(auto reply, Call("POST", path, body.dump(), /*idempotent=*/false));
  return ParseCreatedTemplateId(reply.body, path);
}

util::Result<std::vector<RemoteTemplate>> HdcClient::ListTemplates() {
  const std::string path = ReportPath("reporttemplate");
  HDC_ASSIGN_OR_RETURN(auto reply, Call("GET", path, "", true));
  return ParseTemplateList(reply.body, path);
}

util::Result<RemoteTemplate> HdcClient::GetTemplate(const std::string& template_id) {
  const std::string path = ReportPath("reporttemplate/" + QueryEscape(template_id));
  HDC_ASSIGN_OR_RETURN(auto reply, Call("GET", path, "", true));
  return ParseTemplate(reply.body, path);
}

util::Status HdcClient::EditTemplate(const std::string& template_id, const json& body) {
  // A full replacement: sending it twice leaves the same state.
  auto reply = Call("POST", ReportPath("reporttemplate/" + QueryEscape(template_id)), body.dump(),
                    /*idempotent=*/true);
  return reply.status();
}

util::Result<std::string> HdcClient::CreateSchedule(const json& body) {
  const std::string path = ReportPath("report");
  HDC_ASSIGN_OR_RETURN(auto reply, Call("POST", path, body.dump(), /*idempotent=*/false));
  return ParseReportId(reply.body, path);
}

util::Result<std::vector<RemoteSchedule>> HdcClient::ListSchedules() {
  const std::string path = ReportPath("report");
  HDC_ASSIGN_OR_RETURN(auto reply, Call("GET", path, "", true));
  return ParseScheduleList(reply.body, path);
}

util::Status HdcClient::EditSchedule(const std::string& report_id, const json& body) {
  return Call("POST", ReportPath("report/" + QueryEscape(report_id)), body.dump(), true).status();
}

util::Status HdcClient::PauseSchedule(const std::string& report_id) {
  return Call("POST", ReportPath("report/pause/" + QueryEscape(report_id)), "", true).status();
}

util::Status HdcClient::ResumeSchedule(const std::string& report_id) {
  return Call("POST", ReportPath("report/resume/" + QueryEscape(report_id)), "", true).status();
}

util::Result<std::vector<Execution>> HdcClient::GetReportData(const std::string& report_id,
                                                              util::TimePoint start,
                                                              util::TimePoint end) {
  const std::string path = ReportPath("reportdata/" + QueryEscape(report_id));
  HDC_ASSIGN_OR_RETURN(auto reply, Call("GET",
                                        path + "?startDate=" + util::FormatDate(start) +
                                            "&endDate=" + util::FormatDate(end),
                                        "", true));
  return ParseReportData(reply.body, path);
}

util::Result<std::string> HdcClient::CabDownloadLink(CabVariant variant,
                                                     const std::string& application_id,
                                                     const std::string& cab_id_hash) {
  std::string path = options_.cab_prefix + "/analytics/";
  std::string query;
  switch (variant) {
    case CabVariant::kDriver:
      path += "driver/cabdownload";
      query = "?applicationId=" + QueryEscape(application_id) +
              "&cabIdHash=" + QueryEscape(cab_id_hash);
      break;
    case CabVariant::kHardware:
      path += "hardware/cabdownload";
      query = "?cabIdHash=" + QueryEscape(cab_id_hash);
      break;
    case CabVariant::kLegacyDriver:
      path += "ihvdriver/cabdownload";
      query = "?cabIdHash=" + QueryEscape(cab_id_hash);
      break;
  }
  HDC_ASSIGN_OR_RETURN(auto reply, Call("GET", path + query, "", true, /*allow_redirect=*/true));
  const bool redirect = reply.status == 301 || reply.status == 302 || reply.status == 303 ||
                        reply.status == 307 || reply.status == 308;
  if (!redirect || !reply.location || reply.location->empty()) {
    return util::BadDataError("GET " + path + ": expected a 302 with a Location, got HTTP " +
                              std::to_string(reply.status))
        .WithHttpStatus(reply.status);
  }
  // A relative Location ("/blob/x.cab?sig=...", "x.cab?...") is resolved
  // against this request's URL, as any redirect is (RFC 9110 §10.2.2), and
  // held to the same policy.
  http::Request asked;
  asked.url = options_.api_url + path + query;
  http::Response answer;
  answer.status = reply.status;
  answer.headers.push_back({"Location", *reply.location});
  return http::RedirectTarget(asked, answer);
}

util::Result<CabPage> HdcClient::ListCabs(const std::string& application_id,
                                          const std::string& failure_hash, int top, int skip) {
  const std::string path = options_.cab_prefix + "/analytics/driver/cabdownloadbatch";
  HDC_ASSIGN_OR_RETURN(auto reply, Call("GET",
                                        path + "?applicationId=" + QueryEscape(application_id) +
                                            "&failureHash=" + QueryEscape(failure_hash) + "&top=" +
                                            std::to_string(top) + "&skip=" + std::to_string(skip),
                                        "", true));
  return ParseCabPage(reply.body, path);
}

}  // namespace hdc::api
