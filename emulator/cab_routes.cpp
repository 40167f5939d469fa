// Cab download (302 to a blob SAS URL) and the bulk cab listing
// (docs/hdc-api.md §Cab download, docs/hdc-api.md §Bulk cab listing), with the
// Store analytics error shape.
#include <Poco/URI.h>

#include "emulator/json_util.h"
#include "emulator/routes.h"
#include "util/strings.h"
#include "util/time_format.h"

namespace hdc::emulator {
namespace {

constexpr auto kCabLinkLifetime = std::chrono::hours(1);

void MissingParameter(Exchange& ex, std::string_view name) {
  SendStoreError(ex, 400, "BadRequest", "InvalidQueryParameters",
                 "The query parameter " + std::string(name) + " is missing or invalid.");
}

// The relative_location fault: the blob URL as a relative reference, to be
// resolved against this request's URL (RFC 9110 §10.2.2). "absolute-path"
// and "dot-segments" land on the API host, which serves blob paths too
// (server.cpp); "network-path" keeps the blob host.
std::string RelativeLocation(const Exchange& ex, const std::string& url) {
  const std::string scheme_less = url.substr(url.find("//"));  // "//host:port/path?q"
  const std::string path_and_query = scheme_less.substr(scheme_less.find('/', 2));  // "/path?q"
  const std::string& form = ex.fault.rule.value;
  if (form == "network-path") return scheme_less;
  if (form == "dot-segments") {
    // One "../" per folder of the request path: "/a/b/cabdownload" → "../../".
    const std::string request_path = Poco::URI(ex.request.getURI()).getPath();
    std::string up;
    for (size_t i = 1; i < request_path.size(); ++i) {
      if (request_path[i] == '/') up += "../";
    }
    return up + path_and_query.substr(1);
  }
  return path_and_query;
}

// variant: "driver" needs applicationId too.
void Download(Exchange& ex, bool needs_application) {
  const auto app = ex.Query("applicationId");
  const auto hash = ex.Query("cabIdHash");
  if (needs_application && (!app || app->empty())) return MissingParameter(ex, "applicationId");
  if (!hash || hash->empty()) return MissingParameter(ex, "cabIdHash");
  const auto cab = ex.ctx.dataset.DecodeCabIdHash(*hash);
  const auto& failures = ex.ctx.dataset.failures();
  const bool app_ok = !needs_application ||
                      (cab && ex.ctx.dataset.driver(failures[cab->failure].driver).application_id ==
                                  util::Trim(*app));
  if (!cab || !app_ok || cab->collected > ex.ctx.clock.Now())
    return SendStoreError(ex, 404, "NotFound", "CabNotFound", "No cab with this cabIdHash.");
  if (ex.ctx.clock.Now() > Dataset::CabExpiration(*cab))
    return SendStoreError(ex, 404, "NotFound", "CabExpired",
                          "The cab is past its CabExpirationTime.");
  std::string location = BlobUrl(ex, CabBlobPath(ex.ctx.dataset.CabIdHash(*cab)), kCabLinkLifetime);
  if (ex.HasFault(FaultKind::kRelativeLocation)) location = RelativeLocation(ex, location);
  ex.response.set("Location", location);
  SendBody(ex, 302, "text/plain", "");
}

std::optional<util::TimePoint> DateQuery(Exchange& ex, std::string_view name, bool* bad) {
  auto v = ex.Query(name);
  if (!v || v->empty()) return std::nullopt;
  auto t = util::ParseTimestamp(*v);
  if (!t.ok()) *bad = true;
  return t.ok() ? std::optional(*t) : std::nullopt;
}

std::optional<long long> IntQuery(Exchange& ex, std::string_view name, bool* bad) {
  auto v = ex.Query(name);
  if (!v) return std::nullopt;
  auto n = IntMember(Json{{"v", *v}}, "v");
  if (!n) *bad = true;
  return n;
}

Json CabEntry(Exchange& ex, const CabRef& cab, const DriverInfo& drv, const FailureInfo& f) {
  const std::string id = ex.ctx.dataset.CabIdHash(cab);
  return {{"applicationId", drv.application_id},
          {"submissionId", drv.submission_id},
          {"failureHash", f.hash},
          {"cabIdHash", id},
          {"cabUrl", BlobUrl(ex, CabBlobPath(id), kCabLinkLifetime)},
          {"date", DataTime(cab.collected)},
          {"cabExpirationTime", DataTime(Dataset::CabExpiration(cab))}};
}

void Batch(Exchange& ex) {
  const auto app = ex.Query("applicationId");
  const auto failure_hash = ex.Query("failureHash");
  if (!app || app->empty()) return MissingParameter(ex, "applicationId");
  if (!failure_hash || failure_hash->empty()) return MissingParameter(ex, "failureHash");
  bool bad = false;
  const util::TimePoint now = ex.ctx.clock.Now();
  const auto start = DateQuery(ex, "startDate", &bad);
  const auto end = DateQuery(ex, "endDate", &bad);
  if (bad) return MissingParameter(ex, "startDate/endDate");
  const long long top = IntQuery(ex, "top", &bad).value_or(100);
  const long long skip = IntQuery(ex, "skip", &bad).value_or(0);
  if (bad || top < 1 || top > 100) return MissingParameter(ex, "top");
  if (skip < 0) return MissingParameter(ex, "skip");
  const util::TimePoint from = start.value_or(now - std::chrono::days(30));
  const util::TimePoint to =
      std::min(now, end ? *end + std::chrono::days(1) - util::Duration(1) : now);
  std::vector<CabRef> cabs;
  const auto f = ex.ctx.dataset.FindFailure(*failure_hash);
  const auto& failures = ex.ctx.dataset.failures();
  if (f && ex.ctx.dataset.driver(failures[*f].driver).application_id == util::Trim(*app))
    cabs = ex.ctx.dataset.CabsBetween(*f, from, to, ex.settings.cab_every_hours);
  Json value = Json::array();
  for (long long i = skip; i < static_cast<long long>(cabs.size()) && i < skip + top; ++i)
    value.push_back(
        CabEntry(ex, cabs[i], ex.ctx.dataset.driver(failures[*f].driver), failures[*f]));
  Json body = {{"Value", value}, {"TotalCount", cabs.size()}};
  if (skip + top < static_cast<long long>(cabs.size())) {
    std::string next = ex.ctx.api_base + "/v1.0/my/analytics/driver/cabdownloadbatch?";
    std::string a, h;
    Poco::URI::encode(std::string(util::Trim(*app)), "&=+", a);
    Poco::URI::encode(std::string(util::Trim(*failure_hash)), "&=+", h);
    next += "applicationId=" + a + "&failureHash=" + h + "&startDate=" + util::FormatDate(from) +
            "&endDate=" + util::FormatDate(to) + "&top=" + std::to_string(top) +
            "&skip=" + std::to_string(skip + top);
    body["@nextLink"] = next;
  }
  SendJson(ex, 200, body);
}

}  // namespace

std::string CabBlobPath(const std::string& cab_id_hash) {
  return "/drivers/Cabs/" + cab_id_hash + ".cab";
}

void RegisterCabRoutes(Router& router) {
  const std::string base = "/v1.0/my/analytics/";
  router.Add({"GET", base + "driver/cabdownload", "cabdownload.driver", HostKind::kApi, true,
              [](Exchange& ex) { Download(ex, true); }});
  router.Add({"GET", base + "hardware/cabdownload", "cabdownload.hardware", HostKind::kApi, true,
              [](Exchange& ex) { Download(ex, false); }});
  router.Add({"GET", base + "ihvdriver/cabdownload", "cabdownload.ihvdriver", HostKind::kApi, true,
              [](Exchange& ex) { Download(ex, false); }});
  router.Add(
      {"GET", base + "driver/cabdownloadbatch", "cabdownloadbatch", HostKind::kApi, true, Batch});
}

}  // namespace hdc::emulator
