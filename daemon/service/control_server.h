// The control listener: a small HTTP server, on loopback by default, for
// GET /healthz, GET /metrics, POST /callback/<token> and the dashboard's
// GET /, /static/* and /api/v1/* (docs/operations.md §Control listener;
// docs/reliability.md §Security checklist, S10).
//
// It tells outsiders as little as possible: unknown paths, and a callback
// with a wrong token, get the same 404 with a one-word body; a known path
// with a wrong method gets 405; a body over max_body gets 413 before it is
// read (Content-Length is checked first, and Expect: 100-continue is not
// answered, so curl never sends it); a handler that throws gets 500 and the
// exception is logged, not sent. There is no keep-alive.
//
// One thread serves every connection over non-blocking sockets, so no client
// can hold it: a connection must deliver its whole request within
// header_timeout of being accepted (a head over 8 KiB gets 431), and take the
// answer within `timeout`, or it is closed. At most max_connections are held,
// max_connections_per_peer from one address; a new connection over either cap
// closes the oldest connection that has not been answered yet (counted in
// control_connections_dropped_total), so a fresh request always gets in. Its
// resources are bounded: one thread, at most max_connections descriptors, and
// per connection 8 KiB of head (and, for a callback with the right token,
// max_body of body).
//
// The handlers run on that thread, one at a time: they must be thread-safe
// (the daemon's other threads share their state) and quick (render from state
// the daemon keeps, never do I/O that can hang), since the listener waits for
// them. A handler that is not set makes its path a 404.
//
// The web handler (the dashboard) is the exception to "quick": it gets the
// request and a `reply` to call once, from any thread, later or at once.
// The connection waits for it up to `timeout` (then 503) while the loop
// serves everyone else, so a slow query never holds /healthz.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/metrics.h"
#include "util/result.h"

namespace hdc::service {

struct HealthAnswer {
  bool healthy = true;
  std::string body;  // text or JSON, already rendered
};

struct WebAnswer {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra response headers
};
using WebReply = std::function<void(WebAnswer)>;

struct ControlHandlers {
  // GET /healthz (json when ?format=json): 200 if healthy, else 503.
  std::function<HealthAnswer(bool json)> health;
  // GET /metrics: 200, text/plain; version=0.0.4.
  std::function<std::string()> metrics;
  // POST /callback/<token> with the right token: 200 "ok\n".
  std::function<void(std::string_view body)> callback;
  // GET or HEAD of /, /static/* and /api/v1/* (target: path and query):
  // calls `reply` exactly once, on any thread (a reply after the connection
  // closed, or after Stop, is dropped).
  std::function<void(const std::string& target, WebReply reply)> web;
};

struct ControlServerOptions {
  // "127.0.0.1:9187", "[::1]:9187", "localhost:0"; port 0 = ephemeral. A
  // non-loopback address works but logs a warning.
  std::string listen;
  std::string callback_token;  // empty: /callback/* is always 404
  std::size_t max_body = 64 * 1024;
  // A connection must deliver its whole request (head and body) within
  // header_timeout of being accepted, or it is closed.
  std::chrono::milliseconds header_timeout{2000};
  // The web handler must reply within `timeout` of being asked, or the
  // client gets 503 "busy"; the client must take the answer within
  // `timeout`, or it is closed.
  std::chrono::milliseconds timeout{5000};
  // Connections held at once, in total and per peer address. A new one over
  // a cap closes the oldest connection that has no answer on its way yet.
  std::size_t max_connections = 256;
  std::size_t max_connections_per_peer = 64;
};

// The loop sleeps in poll until a connection is ready, a deadline passes or
// Stop wakes it (through a loopback datagram socket connected to itself), so
// an idle listener wakes once per kControlIdlePollWait, a safety net only.
inline constexpr std::chrono::milliseconds kControlIdlePollWait{60'000};

// The loop's poll timeout at `now`: until `due` (the earliest connection
// deadline or the end of an accept pause), at most `cap`, at least 1 ms.
std::chrono::microseconds ControlPollWait(std::chrono::steady_clock::time_point now,
                                          std::optional<std::chrono::steady_clock::time_point> due,
                                          std::chrono::milliseconds cap);

// Counters kept in the Metrics passed to Start.
inline constexpr std::string_view kCallbackAcceptedMetric = "control_callback_accepted_total";
inline constexpr std::string_view kCallbackRefusedMetric = "control_callback_refused_total";
// Labelled kind="limit" (pushed out by a newer connection over a cap) or
// kind="timeout" (no complete request within header_timeout).
inline constexpr std::string_view kConnectionsDroppedMetric = "control_connections_dropped_total";

class ControlServer {
 public:
  // Binds and starts serving. Errors name the address: kConfig for a
  // malformed or unusable address, kUnavailable when the port is in use.
  // `metrics` may be null; otherwise it must outlive the server.
  static util::Result<std::unique_ptr<ControlServer>> Start(ControlServerOptions options,
                                                            ControlHandlers handlers,
                                                            util::Metrics* metrics);
  ~ControlServer();  // stops
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // "127.0.0.1:<bound port>" ("[::1]:<port>" for IPv6).
  std::string address() const;
  // Stops accepting, waits for requests in progress; idempotent.
  void Stop();

  struct Impl;  // defined in the .cpp

 private:
  explicit ControlServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hdc::service
