// An in-process hdc-emulator for tests: ports chosen by the kernel, a
// ManualClock starting at 2024-05-01T00:00:00Z, and a small blocking HTTP
// client that never follows redirects and sends Authorization only when
// asked. Tests move time with Advance(); nothing sleeps.
//
// Reuse from other test binaries: include this header, link hdc_emulator,
// hdc_util, Poco::Net and doctest.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "emulator/server.h"
#include "util/clock.h"
#include "util/time_format.h"

namespace hdc::emulator::testing {

using Json = nlohmann::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResult {
  int status = -1;  // -1: transport error (reset, short body...), text in `error`
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string error;

  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  Json json() const { return Json::parse(body, nullptr, false); }
};

inline std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

inline HttpResult Http(const std::string& method, const std::string& url,
                       const std::string& body = "", const Headers& headers = {}) {
  HttpResult r;
  try {
    Poco::URI uri(url);
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest request(method, uri.getPathEtc(), Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [k, v] : headers) request.set(k, v);
    if (method == "POST" || method == "PUT") {
      if (!request.has("Content-Type")) request.setContentType("application/json");
      request.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    r.status = static_cast<int>(response.getStatus());
    for (const auto& [k, v] : response) r.headers[Lower(k)] = v;
    if (method != "HEAD") Poco::StreamCopier::copyToString(in, r.body);
    if (response.hasContentLength() && method != "HEAD" &&
        static_cast<std::streamsize>(r.body.size()) != response.getContentLength64()) {
      r.error = "short body: " + std::to_string(r.body.size()) + " of " +
                std::to_string(response.getContentLength64());
      r.status = -1;
    }
  } catch (const Poco::Exception& e) {
    r.status = -1;
    r.error = e.displayText();
  } catch (const std::exception& e) {
    r.status = -1;
    r.error = e.what();
  }
  return r;
}

inline util::TimePoint At(const std::string& text) { return *util::ParseTimestamp(text); }

// A template like the example of docs/hdc-api.md §Template body, reduced to plain
// columns.
inline Json SimpleTemplate() {
  return {{"view", "IHVDriver"},
          {"projection",
           {"FailureHash", "DriverName", "CabIdHash", "CabExpirationTime", "ApplicationId",
            "EventCount"}},
          {"dateRange", {{"reportPeriod", "Last7Days"}}}};
}

class EmulatorFixture {
 public:
  static constexpr const char* kStart = "2024-05-01T00:00:00Z";

  explicit EmulatorFixture(ServerOptions options = {})
      : clock_(At(kStart)), server_(std::move(options), clock_) {
    auto st = server_.Start();
    REQUIRE_MESSAGE(st.ok(), st.ToString());
  }

  util::ManualClock& clock() { return clock_; }
  Server& server() { return server_; }
  void Advance(util::Duration d) { clock_.Advance(d); }
  std::string Url(const std::string& path) const { return server_.base_url() + path; }

  HttpResult TokenRequest(const std::string& form,
                          const std::string& tenant = DemoClient().tenant) {
    return Http("POST", Url("/" + tenant + "/oauth2/token"), form,
                {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}});
  }
  static std::string Form(const ClientCredential& c = DemoClient(),
                          const std::string& resource = "https://manage.devcenter.microsoft.com") {
    std::string secret, res;
    Poco::URI::encode(c.secret, "&=+", secret);
    Poco::URI::encode(resource, ":/&=+", res);
    return "grant_type=client_credentials&client_id=" + c.client_id + "&client_secret=" + secret +
           "&resource=" + res;
  }
  // A fresh token of the demo client.
  std::string Token() {
    auto r = TokenRequest(Form());
    REQUIRE_MESSAGE(r.status == 200, r.body);
    const Json j = r.json();
    const Json& in = j["expires_in"];
    const long long seconds =
        in.is_string() ? std::stoll(in.get<std::string>()) : in.get<long long>();
    renew_at_ = clock_.Now() + std::chrono::seconds(seconds) - std::chrono::minutes(5);
    return j["access_token"].get<std::string>();
  }
  // Calls an HDC route with the demo client's token, renewed as a client would.
  HttpResult Call(const std::string& method, const std::string& path,
                  const std::string& body = "") {
    if (token_.empty() || clock_.Now() >= renew_at_) token_ = Token();
    return Http(method, Url(path), body, {{"Authorization", "Bearer " + token_}});
  }
  HttpResult Get(const std::string& path) { return Call("GET", path); }
  HttpResult Post(const std::string& path, const Json& body) {
    return Call("POST", path, body.dump());
  }
  HttpResult Admin(const std::string& method, const std::string& path, const Json& body = nullptr) {
    return Http(method, Url("/_emulator/" + path), body.is_null() ? "" : body.dump());
  }
  // Replaces the fault rules (POST /_emulator/faults).
  void SetFaults(const Json& rules) {
    auto r = Admin("POST", "faults", {{"faults", rules}});
    REQUIRE_MESSAGE(r.status == 200, r.body);
  }

  std::int64_t CreateTemplate(const Json& t = SimpleTemplate()) {
    auto r = Post("/analytics/driver/reporttemplate", t);
    REQUIRE_MESSAGE(r.status == 201, r.body);
    return r.json()["data"]["templateId"].get<std::int64_t>();
  }
  std::int64_t CreateSchedule(std::int64_t template_id, const std::string& start = kStart,
                              int interval = 24, int recurrence = 10,
                              const std::string& callback = "") {
    Json s = {{"startTime", start}, {"recurrenceInterval", interval}, {"recurrence", recurrence}};
    if (!callback.empty()) s["callbackUrl"] = callback;
    auto r = Post("/analytics/driver/report", {{"templateId", template_id}, {"schedule", s}});
    REQUIRE_MESSAGE(r.status == 201, r.body);
    return r.json()["data"]["reportId"].get<std::int64_t>();
  }
  // Report data entries of a schedule (no date bounds).
  Json Executions(std::int64_t report_id) {
    auto r = Get("/analytics/driver/reportdata/" + std::to_string(report_id));
    REQUIRE_MESSAGE(r.status == 200, r.body);
    return r.json()["data"];
  }

 private:
  util::ManualClock clock_;
  Server server_;
  std::string token_;
  util::TimePoint renew_at_;
};

}  // namespace hdc::emulator::testing
