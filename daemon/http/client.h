// The HTTP client: the daemon's only way onto the network.
//
// One interface (HttpClient) with one real implementation over Poco::Net
// (poco_client.cpp, Poco only there) and a scripted fake for unit tests.
// Policy that every caller gets, implemented once:
// - TLS verifies peer and host name against the system CA store (loaded
//   explicitly) plus an optional ca_file; plain http only to loopback hosts,
//   for configured URLs and for URLs from the server (redirects) alike.
// - Proxy from the options or HTTPS_PROXY / NO_PROXY; connect and read
//   timeouts; bounds on each attempt (transfer_guard.h): the request's
//   deadline, a minimum transfer rate and the client's run budget, with the
//   socket's read timeout cut to the time they leave (a slow or dripping
//   server ends with kTemporary naming the bound and the measured rate,
//   docs/reliability.md §Fault catalogue, N04); keep-alive reuse per host; a User-Agent naming
//   hdc-reportd and its version; an x-ms-correlation-id / request id header on every call.
// - Redirects are never followed by Poco: Send() returns the 3xx, and
//   Follow() applies our policy: Authorization is dropped whenever scheme,
//   host or port change (as curl does since CVE-2022-27776).
// - Bodies stream into a util::ByteSink; nothing holds a large body whole.
// - Logs name method, host, path (never the query: SAS signatures live
//   there), status, duration and request id; never an Authorization value.
// Retries live in retry.h, on the injected Clock.
// Thread-safe: one client may serve several threads (connections are pooled
// per host and never shared by two requests at once).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/byte_sink.h"
#include "util/clock.h"
#include "util/result.h"
#include "util/url.h"

namespace hdc::http {

using Header = util::HeaderField;

struct Request {
  std::string method = "GET";
  std::string url;              // absolute http(s) URL
  std::vector<Header> headers;  // e.g. Authorization, Content-Type, Range, If-Range
  std::string body;             // small request bodies only (JSON, form)
  bool idempotent = true;       // POST creates set false: never retried blindly
  bool caller_resumes = false;  // a body cut short is resumed by the caller (Range),
                                // so SendWithRetry returns instead of starting again
  util::Duration deadline{0};   // this attempt, from connect to the last body byte;
                                // 0 = none (SendWithRetry sets it from RetryPolicy)
  // When set, SendWithRetry makes the body of every retry with it (the
  // first attempt sends `body`): a body that must not be sent twice, such
  // as a client assertion, whose jti the identity platform refuses to see
  // again.
  std::function<util::Result<std::string>()> retry_body;
};

struct Response {
  int status = 0;
  std::vector<Header> headers;
  // Case-insensitive header lookup.
  std::optional<std::string> FindHeader(std::string_view name) const;
};

struct ClientOptions {
  std::string user_agent;  // "hdc-reportd/0.1.0"
  std::string ca_file;     // extra PEM bundle, optional
  std::string proxy;       // http://host:port; empty: environment
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(15)};
  std::chrono::milliseconds read_timeout{std::chrono::seconds(60)};  // per socket read
  // The floor every attempt must keep, averaged over the window (curl's
  // --speed-limit and --speed-time); 0 = none.
  std::uint64_t min_transfer_rate = 1024;  // bytes per second
  std::chrono::milliseconds min_transfer_rate_window{std::chrono::seconds(30)};
  // No request of this client runs past its creation plus this (--once's
  // run budget); 0 = unbounded. Requests after it fail at once, kTemporary.
  std::chrono::milliseconds run_budget{0};
  std::uint64_t max_json_bytes = 16u << 20;  // limit for ReadJsonBody
  int max_json_depth = 64;                   // before nlohmann_json sees it
  bool allow_http_loopback = true;           // plain http to 127.0.0.0/8, ::1, localhost
  // Called after every request with its URL and the status (0: no answer),
  // from the sending thread; for request counters. Must not block.
  std::function<void(const util::Url& url, int status)> on_response;
  // Called when a bound (deadline, rate floor, run budget) cut an attempt,
  // with the URL (its query is the caller's to drop), the rate measured over
  // the last window and the error; from the sending thread. Must not block.
  std::function<void(const util::Url& url, std::uint64_t measured_rate, const util::Status& error)>
      on_transfer_cut;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends one request; sink.StartResponse(status, headers) is called when the status is
  // known, then the body of any status streams into `sink` (2xx
  // and errors alike; callers read error bodies from a StringSink). Network
  // failures (refused, reset, timeout, TLS) are kUnavailable/kTemporary and
  // name the request as their context (WithContext("METHOD host/path: "),
  // which SendWithRetry leaves out of its own lines). A body cut short of its
  // Content-Length is kTemporary ("truncated").
  virtual util::Result<Response> Send(const Request& request, util::ByteSink& sink) = 0;
};

// The real client.
std::unique_ptr<HttpClient> MakePocoClient(const ClientOptions& options);

// Resolves a Location header against the request URL and decides which
// headers travel with the next request: Authorization (and Cookie) only when
// scheme, host and port are unchanged. Refuses non-http(s) targets and plain
// http to non-loopback hosts.
util::Result<Request> FollowRedirect(const Request& previous, const Response& redirect);

// The absolute URL a redirect points to: its Location (absolute, or relative
// and resolved against previous.url, RFC 9110 §10.2.2 and RFC 3986 §5),
// with the policy FollowRedirect applies: http(s) only, no https-to-http
// downgrade, plain http only to loopback hosts. kBadData otherwise; messages
// never carry a query. For callers that take the target without following
// it at once (the cab download link).
util::Result<std::string> RedirectTarget(const Request& previous, const Response& redirect);

// Checks that a JSON text nests no deeper than max_depth (arrays and objects),
// so the parser's recursion stays bounded. Strings are skipped correctly.
bool JsonDepthWithin(std::string_view text, int max_depth);

}  // namespace hdc::http
