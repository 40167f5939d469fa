#include "service/control_server.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <doctest/doctest.h>

#include "service/prometheus_text.h"
#include "support/fd_limit.h"
#include "support/log_capture.h"
#include "support/prometheus_parser.h"
#include "support/skip.h"
#include "util/logging.h"

namespace hdc::service {
namespace {

using Poco::Net::HTTPRequest;
using Poco::Net::HTTPResponse;

constexpr std::string_view kToken = "0123456789abcdef0123456789abcdef";

struct Answer {
  int status = 0;
  std::string content_type;
  std::string allow;
  std::string body;
};

struct RequestSpec {
  std::string method = HTTPRequest::HTTP_GET;
  std::string target = "/";
  std::string body;
  bool chunked = false;
};

std::unique_ptr<Poco::Net::HTTPClientSession> Session(const std::string& address) {
  auto session = std::make_unique<Poco::Net::HTTPClientSession>(Poco::Net::SocketAddress(address));
  session->setTimeout(Poco::Timespan(30, 0));  // a failing test, not a wait
  return session;
}

Answer Read(Poco::Net::HTTPClientSession& session) {
  HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  Answer answer;
  answer.status = response.getStatus();
  answer.content_type = response.getContentType();
  answer.allow = response.get("Allow", "");
  Poco::StreamCopier::copyToString(in, answer.body);
  return answer;
}

Answer Send(const std::string& address, const RequestSpec& spec) {
  const auto session = Session(address);
  HTTPRequest request(spec.method, spec.target, HTTPRequest::HTTP_1_1);
  if (spec.chunked) {
    request.setChunkedTransferEncoding(true);
  } else if (!spec.body.empty() || spec.method == HTTPRequest::HTTP_POST) {
    request.setContentLength64(static_cast<Poco::Int64>(spec.body.size()));
  }
  std::ostream& out = session->sendRequest(request);
  out << spec.body;
  return Read(*session);
}

// Sends raw bytes and returns what comes back until the server closes
// (Poco's client would report its own failed writes after an early answer).
std::string Exchange(const std::string& address, const std::string& bytes) {
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress{address});
  socket.setReceiveTimeout(Poco::Timespan(30, 0));
  socket.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
  std::string out;
  char buf[4096];
  try {
    while (const int n = socket.receiveBytes(buf, sizeof buf)) out.append(buf, n);
  } catch (const Poco::Exception&) {
    // A reset after the answer: keep what arrived.
  }
  return out;
}

// A chunked POST in 1 KiB chunks, as one write.
std::string ChunkedPost(const std::string& target, std::size_t size) {
  std::string bytes =
      "POST " + target + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::size_t sent = 0; sent < size; sent += 1024) {
    bytes += "400\r\n" + std::string(1024, 'c') + "\r\n";
  }
  return bytes + "0\r\n\r\n";
}

Answer Get(const std::string& address, const std::string& target) {
  return Send(address, {HTTPRequest::HTTP_GET, target, "", false});
}
Answer Post(const std::string& address, const std::string& target, const std::string& body) {
  return Send(address, {HTTPRequest::HTTP_POST, target, body, false});
}

// A server on an ephemeral loopback port whose handlers record their calls.
struct Fixture {
  util::Metrics metrics;
  std::atomic<bool> healthy{true};
  std::atomic<int> health_calls{0};
  std::mutex mu;
  std::vector<std::string> callbacks;  // guarded by mu
  std::vector<bool> json_flags;        // guarded by mu
  std::unique_ptr<ControlServer> server;

  explicit Fixture(ControlServerOptions options = {}) {
    if (options.listen.empty()) options.listen = "127.0.0.1:0";
    if (options.callback_token.empty()) options.callback_token = std::string(kToken);
    ControlHandlers handlers;
    handlers.health = [this](bool json) {
      ++health_calls;
      std::lock_guard lock(mu);
      json_flags.push_back(json);
      const bool ok = healthy.load();
      return HealthAnswer{ok, json ? std::string(ok ? "{\"healthy\":true}" : "{\"healthy\":false}")
                                   : std::string(ok ? "ok\n" : "job a: no success for 3h\n")};
    };
    handlers.metrics = [this] { return RenderPrometheusText(metrics.Snapshot()); };
    handlers.callback = [this](std::string_view body) {
      std::lock_guard lock(mu);
      callbacks.emplace_back(body);
    };
    util::Result<std::unique_ptr<ControlServer>> started =
        ControlServer::Start(std::move(options), std::move(handlers), &metrics);
    INFO(started.status().message());
    REQUIRE(started.ok());
    server = std::move(*started);
  }

  std::string address() const { return server->address(); }
  std::vector<std::string> Callbacks() {
    std::lock_guard lock(mu);
    return callbacks;
  }
  double Counter(std::string_view name) {
    for (const util::MetricFamily& family : metrics.Snapshot()) {
      if (family.name == name && !family.series.empty()) return family.series[0].value;
    }
    return -1;
  }
  // control_connections_dropped_total{kind="limit"} or {kind="timeout"}.
  double Dropped(std::string_view kind) {
    for (const util::MetricFamily& family : metrics.Snapshot()) {
      if (family.name != kConnectionsDroppedMetric) continue;
      for (const util::MetricSeries& series : family.series) {
        if (series.labels == util::MetricLabels{{"kind", std::string(kind)}}) return series.value;
      }
    }
    return -1;
  }
};

using hdc::testing::LogCapture;

std::string CallbackPath(std::string_view token = kToken) {
  return "/callback/" + std::string(token);
}

TEST_CASE("control server: /healthz answers 200 when healthy and 503 when not") {
  Fixture f;
  Answer answer = Get(f.address(), "/healthz");
  CHECK(answer.status == 200);
  CHECK(answer.body == "ok\n");
  CHECK(answer.content_type.find("text/plain") == 0);
  f.healthy = false;
  answer = Get(f.address(), "/healthz");
  CHECK(answer.status == 503);
  CHECK(answer.body == "job a: no success for 3h\n");
}

TEST_CASE("control server: /healthz?format=json passes the json flag and answers JSON") {
  Fixture f;
  const Answer text = Get(f.address(), "/healthz?verbose=1");
  const Answer json = Get(f.address(), "/healthz?x=1&format=json");
  CHECK(text.status == 200);
  CHECK(json.status == 200);
  CHECK(json.content_type == "application/json");
  CHECK(json.body == "{\"healthy\":true}");
  std::lock_guard lock(f.mu);
  CHECK(f.json_flags == std::vector<bool>{false, true});
}

TEST_CASE("control server: HEAD /healthz has the status and headers but no body") {
  Fixture f;
  f.healthy = false;
  const Answer answer = Send(f.address(), {HTTPRequest::HTTP_HEAD, "/healthz", "", false});
  CHECK(answer.status == 503);
  CHECK(answer.body.empty());
}

TEST_CASE("control server: /metrics serves the registry as text/plain version 0.0.4") {
  Fixture f;
  f.metrics.Describe("cabs_fetched_total", util::MetricType::kCounter, "Cabs fetched.");
  f.metrics.Add("cabs_fetched_total", {{"job", "a"}}, 3);
  const Answer answer = Get(f.address(), "/metrics");
  CHECK(answer.status == 200);
  CHECK(answer.content_type.find("text/plain") == 0);
  CHECK(answer.content_type.find("version=0.0.4") != std::string::npos);
  const auto parsed = testing::ParsePrometheusText(answer.body);
  INFO(parsed.status().message());
  REQUIRE(parsed.ok());
  CHECK(parsed->Value("hdc_reportd_cabs_fetched_total", {{"job", "a"}}) == 3);
  CHECK(parsed->Value("hdc_reportd_control_callback_accepted_total") == 0);
  CHECK(parsed->Value("hdc_reportd_control_callback_refused_total") == 0);
}

TEST_CASE("control server: a callback with the right token reaches the handler with its body") {
  Fixture f;
  const Answer answer = Post(f.address(), CallbackPath(), "{\"event\":\"ready\"}");
  CHECK(answer.status == 200);
  CHECK(answer.body == "ok\n");
  CHECK(f.Callbacks() == std::vector<std::string>{"{\"event\":\"ready\"}"});
  CHECK(f.Counter(kCallbackAcceptedMetric) == 1);
  CHECK(f.Counter(kCallbackRefusedMetric) == 0);
  // A chunked body is read too; an empty body is fine.
  CHECK(Send(f.address(), {HTTPRequest::HTTP_POST, CallbackPath(), "chunked body", true}).status ==
        200);
  CHECK(Post(f.address(), CallbackPath(), "").status == 200);
  CHECK(f.Callbacks() == std::vector<std::string>{"{\"event\":\"ready\"}", "chunked body", ""});
}

TEST_CASE("control server: a wrong callback token is a 404 like an unknown path, and is counted") {
  Fixture f;
  const Answer unknown = Post(f.address(), "/no/such/path", "x");
  CHECK(unknown.status == 404);
  const std::string wrong[] = {
      CallbackPath("0123456789abcdef0123456789abcdee"),  // one character off
      CallbackPath(kToken.substr(0, 31)),                // a prefix
      CallbackPath(std::string(kToken) + "0"),           // longer
      CallbackPath(std::string(kToken) + "/"),
      CallbackPath(""),
  };
  for (const std::string& target : wrong) {
    INFO(target);
    const Answer answer = Post(f.address(), target, "x");
    CHECK(answer.status == unknown.status);
    CHECK(answer.body == unknown.body);
    CHECK(answer.content_type == unknown.content_type);
  }
  // The wrong method with a wrong token is still just "not found".
  CHECK(Get(f.address(), CallbackPath("ffffffffffffffffffffffffffffffff")).status == 404);
  CHECK(f.Callbacks().empty());
  CHECK(f.Counter(kCallbackRefusedMetric) == 6);
  CHECK(f.Counter(kCallbackAcceptedMetric) == 0);
}

TEST_CASE("control server: with no token configured every callback path is 404") {
  ControlServerOptions options;
  options.listen = "127.0.0.1:0";
  util::Metrics metrics;
  ControlHandlers handlers;
  int calls = 0;
  handlers.callback = [&](std::string_view) { ++calls; };
  auto server = ControlServer::Start(options, handlers, &metrics);
  REQUIRE(server.ok());
  CHECK(Post((*server)->address(), "/callback/", "x").status == 404);
  CHECK(Post((*server)->address(), CallbackPath(), "x").status == 404);
  // Handlers that are not set make their paths unknown.
  CHECK(Get((*server)->address(), "/healthz").status == 404);
  CHECK(Get((*server)->address(), "/metrics").status == 404);
  CHECK(calls == 0);
}

TEST_CASE("control server: unknown paths get 404 and wrong methods 405, with one short line") {
  Fixture f;
  struct Case {
    std::string method;
    std::string target;
    int status;
    std::string allow;
  };
  const Case cases[] = {
      {HTTPRequest::HTTP_GET, "/", 404, ""},
      {HTTPRequest::HTTP_GET, "/healthz/", 404, ""},
      {HTTPRequest::HTTP_GET, "/metricsx", 404, ""},
      {HTTPRequest::HTTP_GET, "/callback", 404, ""},
      {HTTPRequest::HTTP_DELETE, "/etc/passwd", 404, ""},
      {HTTPRequest::HTTP_POST, "/healthz", 405, "GET, HEAD"},
      {HTTPRequest::HTTP_PUT, "/metrics", 405, "GET, HEAD"},
      {HTTPRequest::HTTP_GET, CallbackPath(), 405, "POST"},
      {HTTPRequest::HTTP_PUT, CallbackPath(), 405, "POST"},
  };
  for (const Case& c : cases) {
    INFO(c.method, " ", c.target);
    const Answer answer = Send(f.address(), {c.method, c.target, "", false});
    CHECK(answer.status == c.status);
    CHECK(answer.allow == c.allow);
    CHECK(answer.body.size() <= 40);
    CHECK(answer.body.find('\n') == answer.body.size() - 1);
  }
  CHECK(f.Callbacks().empty());
  CHECK(f.health_calls == 0);
}

TEST_CASE("control server: a 10 MiB body gets 413 before it is sent") {
  Fixture f;
  const auto start = std::chrono::steady_clock::now();
  {
    // The headers announce 10 MiB; the answer comes without any body byte.
    const auto session = Session(f.address());
    HTTPRequest request(HTTPRequest::HTTP_POST, CallbackPath(), HTTPRequest::HTTP_1_1);
    request.setContentLength64(10 << 20);
    session->sendRequest(request);
    const Answer answer = Read(*session);
    CHECK(answer.status == 413);
    CHECK(answer.body == "payload too large\n");
  }
  {
    // With Expect: 100-continue (as curl sends for large bodies) the client
    // sees the 413 instead of "100 Continue" and never sends the body.
    const auto session = Session(f.address());
    HTTPRequest request(HTTPRequest::HTTP_POST, CallbackPath(), HTTPRequest::HTTP_1_1);
    request.setContentLength64(10 << 20);
    request.setExpectContinue(true);
    session->sendRequest(request);
    HTTPResponse response;
    CHECK_FALSE(session->peekResponse(response));
    CHECK(response.getStatus() == HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE);
  }
  CHECK(f.Callbacks().empty());
  // Generous: it must not wait for a timeout or read 10 MiB.
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
}

TEST_CASE("control server: a callback that expects 100-continue gets it, then its answer") {
  Fixture f;
  const auto session = Session(f.address());
  HTTPRequest request(HTTPRequest::HTTP_POST, CallbackPath(), HTTPRequest::HTTP_1_1);
  request.setContentLength64(5);
  request.setExpectContinue(true);
  std::ostream& out = session->sendRequest(request);
  HTTPResponse interim;
  REQUIRE(session->peekResponse(interim));  // "100 Continue"
  out << "hello";
  const Answer answer = Read(*session);
  CHECK(answer.status == 200);
  CHECK(f.Callbacks() == std::vector<std::string>{"hello"});
}

TEST_CASE("control server: a body over max_body is refused, a body at max_body accepted") {
  ControlServerOptions options;
  options.max_body = 1024;
  Fixture f(options);
  CHECK(Post(f.address(), CallbackPath(), std::string(1024, 'a')).status == 200);
  CHECK(Post(f.address(), CallbackPath(), std::string(1025, 'b')).status == 413);
  // Chunked: no length announced, so the body is read up to the cap.
  const std::string chunked = Exchange(f.address(), ChunkedPost(CallbackPath(), 8192));
  CHECK(chunked.rfind("HTTP/1.1 413 ", 0) == 0);
  REQUIRE(f.Callbacks().size() == 1);
  CHECK(f.Callbacks()[0].size() == 1024);
}

TEST_CASE("control server: a handler that throws gets 500 without the exception text") {
  ControlServerOptions options;
  options.listen = "127.0.0.1:0";
  options.callback_token = std::string(kToken);
  ControlHandlers handlers;
  handlers.health = [](bool) -> HealthAnswer { throw std::runtime_error("secret-in-message"); };
  handlers.metrics = []() -> std::string { throw 42; };
  handlers.callback = [](std::string_view) { throw std::runtime_error("secret-in-message"); };
  auto server = ControlServer::Start(options, handlers, nullptr);
  REQUIRE(server.ok());
  for (const Answer& answer :
       {Get((*server)->address(), "/healthz"), Get((*server)->address(), "/metrics"),
        Post((*server)->address(), CallbackPath(), "x")}) {
    CHECK(answer.status == 500);
    CHECK(answer.body == "internal error\n");
  }
}

TEST_CASE("control server: port 0 binds an ephemeral port that address() reports") {
  for (const char* listen : {"127.0.0.1:0", "localhost:0"}) {
    INFO(listen);
    ControlServerOptions options;
    options.listen = listen;
    Fixture f(options);
    const std::string address = f.address();
    CHECK(address.rfind("127.0.0.1:", 0) == 0);
    CHECK(Poco::Net::SocketAddress(address).port() != 0);
    CHECK(Get(address, "/healthz").status == 200);
  }
}

TEST_CASE("control server: [::1] works where IPv6 loopback exists") {
  ControlServerOptions options;
  options.listen = "[::1]:0";
  ControlHandlers handlers;
  handlers.health = [](bool) { return HealthAnswer{true, "ok\n"}; };
  auto server = ControlServer::Start(options, handlers, nullptr);
  if (!server.ok()) {
    MESSAGE("no IPv6 loopback here: ", server.status().message());
    return;
  }
  CHECK((*server)->address().rfind("[::1]:", 0) == 0);
  CHECK(Get((*server)->address(), "/healthz").status == 200);
}

TEST_CASE("control server: a port in use is an unavailable error naming the address") {
  Fixture first;
  ControlServerOptions options;
  options.listen = first.address();
  auto second = ControlServer::Start(options, {}, nullptr);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().kind() == util::ErrorKind::kUnavailable);
  CHECK(second.status().message().find(first.address()) != std::string::npos);
  CHECK(second.status().message().find("in use") != std::string::npos);
  // The first server still answers.
  CHECK(Get(first.address(), "/healthz").status == 200);
}

TEST_CASE("control server: malformed listen addresses are config errors naming them") {
  for (const char* listen :
       {"", "nope", "127.0.0.1", "127.0.0.1:", ":9187", "::1:9187", "[::1]9187", "[::1",
        "127.0.0.1:65536", "127.0.0.1:http", "127.0.0.1:-1"}) {
    INFO(listen);
    ControlServerOptions options;
    options.listen = listen;
    auto server = ControlServer::Start(options, {}, nullptr);
    REQUIRE_FALSE(server.ok());
    CHECK(server.status().kind() == util::ErrorKind::kConfig);
    CHECK(server.status().message().find("'" + std::string(listen) + "'") != std::string::npos);
  }
}

TEST_CASE("control server: a non-loopback address works and logs one warning") {
  LogCapture log;
  ControlServerOptions options;
  options.listen = "0.0.0.0:0";
  Fixture f(options);
  const std::uint16_t port = Poco::Net::SocketAddress(f.address()).port();
  CHECK(Get("127.0.0.1:" + std::to_string(port), "/healthz").status == 200);
  const std::string text = log.text();
  CHECK(text.find("non-loopback address 0.0.0.0:") != std::string::npos);
  CHECK(text.find("warn") != std::string::npos);
  CHECK(text.find("non-loopback") == text.rfind("non-loopback"));
}

TEST_CASE("control server: the callback token never reaches the log") {
  LogCapture log;
  {
    Fixture f;
    CHECK(Post(f.address(), CallbackPath(), "x").status == 200);
    CHECK(Post(f.address(), CallbackPath("ffffffffffffffffffffffffffffffff"), "x").status == 404);
    CHECK(Get(f.address(), CallbackPath()).status == 405);
  }
  const std::string text = log.text();
  CHECK(text.find("refused a callback") != std::string::npos);  // debug lines were on
  CHECK(text.find(kToken) == std::string::npos);
  CHECK(text.find("ffffffffffffffffffffffffffffffff") == std::string::npos);
}

TEST_CASE("control server: Stop is idempotent and closes the port") {
  Fixture f;
  const std::string address = f.address();
  f.server->Stop();
  f.server->Stop();
  CHECK_THROWS(Get(address, "/healthz"));
  f.server.reset();  // the destructor stops again, harmlessly
}

TEST_CASE("control server: the poll waits for the next deadline, and when idle for a minute") {
  const auto now = std::chrono::steady_clock::now();
  using std::chrono::microseconds;
  using std::chrono::seconds;
  // Idle (nothing open, accepting): the loop sleeps until a connection or
  // Stop; the minute is a safety net, not a tick (was 100 ms: 10 wake-ups/s).
  CHECK(ControlPollWait(now, std::nullopt, kControlIdlePollWait) == seconds(60));
  CHECK(ControlPollWait(now, now + seconds(2), kControlIdlePollWait) == seconds(2));
  CHECK(ControlPollWait(now, now + seconds(90), kControlIdlePollWait) == seconds(60));
  // Never a busy loop, even for a deadline already past.
  CHECK(ControlPollWait(now, now - seconds(1), kControlIdlePollWait) == microseconds(1000));
  // Without a wake-up socket the cap is what notices Stop.
  CHECK(ControlPollWait(now, now + seconds(5), std::chrono::milliseconds(100)) ==
        std::chrono::milliseconds(100));
}

TEST_CASE("control server: Stop wakes an idle listener at once, not at its next poll timeout") {
  Fixture f;
  CHECK(Get(f.address(), "/healthz").status == 200);  // the loop is back in its idle poll
  const auto start = std::chrono::steady_clock::now();
  f.server->Stop();
  // The idle poll lasts a minute; only the wake-up ends it sooner. Half of
  // it is a bound no loaded machine reaches, and no wake-up passes.
  CHECK(std::chrono::steady_clock::now() - start < kControlIdlePollWait / 2);
}

// ---- Floods ----------------------------------------------------------------

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr std::string_view kSlowHead = "GET /healthz HTTP/1.1\r\nX-a: ";

void SendAll(Poco::Net::StreamSocket& socket, std::string_view bytes) {
  socket.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
}

// One more byte of a header that never ends; false once the server has
// closed the connection (the write fails).
bool Drip(Poco::Net::StreamSocket& socket) {
  try {
    SendAll(socket, "a");
    return true;
  } catch (const Poco::Exception&) {
    return false;
  }
}

// Waits up to `limit` for the server to close the connection: true on EOF or
// a reset, false when it is still open. Reads and discards any answer.
bool ClosedWithin(Poco::Net::StreamSocket& socket, milliseconds limit) {
  const auto until = steady_clock::now() + limit;
  char buf[512];
  while (true) {
    const auto left = std::max(
        std::chrono::microseconds(0),
        std::chrono::duration_cast<std::chrono::microseconds>(until - steady_clock::now()));
    if (!socket.poll(Poco::Timespan(left.count()), Poco::Net::Socket::SELECT_READ)) return false;
    try {
      if (socket.receiveBytes(buf, sizeof buf) <= 0) return true;
    } catch (const Poco::Exception&) {
      return true;  // reset
    }
    if (steady_clock::now() >= until) return false;  // bytes, but no close
  }
}

// Still open right now: no EOF or reset is waiting to be read.
bool StillOpen(Poco::Net::StreamSocket& socket) { return !ClosedWithin(socket, milliseconds(0)); }

// Connections that hold a slot, each already accepted by the kernel.
std::vector<Poco::Net::StreamSocket> Connect(const std::string& address, int count,
                                             std::string_view send = {}) {
  std::vector<Poco::Net::StreamSocket> sockets;
  for (int i = 0; i < count; ++i) {
    Poco::Net::StreamSocket socket;
    socket.connect(Poco::Net::SocketAddress(address), Poco::Timespan(5, 0));
    if (!send.empty()) SendAll(socket, send);
    sockets.push_back(std::move(socket));
  }
  return sockets;
}

TEST_CASE(
    "control server: /healthz is answered within 1 s while 1,000 idle and 50 slowloris "
    "connections are held") {
  // Measured under Wine 8: its socket layer accepted and dropped 432 of the
  // 1,050 connections in 3 s, so /healthz, queued behind them, was not
  // answered in time. A bound for Wine's emulation, not Windows; not yet
  // measured on a Windows host (docs/reliability.md §Not done).
  HDC_SKIP_ON_WINDOWS(
      "under Wine 8 the flood is accepted at ~150 connections a second, so /healthz waits "
      "behind it for 3 s; the 1 s bound is measured on Linux only (not yet on a Windows host)");
  constexpr int kIdle = 1000;
  constexpr int kSlow = 50;
  std::string why;
  // 1,050 client ends, the server's (at most max_connections, 256) and slack.
  if (!testing::EnsureOpenFileLimit(1500, why)) HDC_SKIP_TEST(why);
  Fixture f;  // the defaults: 256 connections, 64 per peer, header_timeout 2 s
  const Poco::Net::SocketAddress address(f.address());
  // Idle connections: connected (the kernel completes the handshake), never a byte.
  std::vector<Poco::Net::StreamSocket> idle(kIdle);
  for (Poco::Net::StreamSocket& socket : idle) socket.connectNB(address);
  std::vector<Poco::Net::StreamSocket> slow = Connect(f.address(), kSlow, kSlowHead);
  int dripping = 0;
  for (Poco::Net::StreamSocket& socket : slow) dripping += Drip(socket) ? 1 : 0;
  MESSAGE("a drip byte written to ", dripping, " of ", kSlow, " slowloris connections");

  const auto start = steady_clock::now();
  Answer answer;
  try {
    const auto session = Session(f.address());
    session->setTimeout(Poco::Timespan(3, 0));  // past the requirement: fail, not wait
    HTTPRequest request(HTTPRequest::HTTP_GET, "/healthz", HTTPRequest::HTTP_1_1);
    session->sendRequest(request);
    answer = Read(*session);
  } catch (const Poco::Exception& e) {
    FAIL_CHECK("no answer to /healthz under the flood: ", e.displayText());
  }
  const auto elapsed = std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
  MESSAGE("/healthz answered in ", elapsed.count(),
          " ms; connections dropped over a cap: ", f.Dropped("limit"));
  CHECK(answer.status == 200);
  CHECK(answer.body == "ok\n");
  CHECK(elapsed < milliseconds(1000));
  // Everything over the per-peer cap of 64 was pushed out, oldest first: the
  // first idle connection is closed, the newest slowloris one still open.
  CHECK(ClosedWithin(idle.front(), milliseconds(5000)));
  CHECK(StillOpen(slow.back()));
  CHECK(f.Dropped("limit") >= kIdle + kSlow + 1 - 64);
}

TEST_CASE("control server: a slowloris connection is closed within the header timeout") {
  ControlServerOptions options;
  options.header_timeout = milliseconds(200);
  Fixture f(options);
  Poco::Net::StreamSocket socket = std::move(Connect(f.address(), 1, kSlowHead).front());
  const auto start = steady_clock::now();
  bool closed = false;
  // A byte every 20 ms (the waits are for the server's close, which ends them).
  while (!closed && steady_clock::now() - start < milliseconds(5000)) {
    closed = ClosedWithin(socket, milliseconds(20)) || !Drip(socket);
  }
  const auto elapsed = std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
  MESSAGE("closed after ", elapsed.count(), " ms");
  CHECK(closed);
  CHECK(elapsed >= milliseconds(150));  // not before its deadline (accepted just before start)
  CHECK(elapsed < milliseconds(1000));
  CHECK(f.Dropped("timeout") == 1);
  CHECK(f.Dropped("limit") == 0);
}

TEST_CASE("control server: a slow request that completes within the header timeout is answered") {
  // The control for the case above: dripping is not what closes a connection.
  Fixture f;  // header_timeout 2 s
  Poco::Net::StreamSocket socket = std::move(Connect(f.address(), 1, kSlowHead).front());
  for (int i = 0; i < 20; ++i) REQUIRE(Drip(socket));
  SendAll(socket, "\r\n\r\n");
  socket.setReceiveTimeout(Poco::Timespan(5, 0));
  std::string reply;
  char buf[512];
  while (const int n = socket.receiveBytes(buf, sizeof buf)) reply.append(buf, n);
  CHECK(reply.rfind("HTTP/1.1 200 ", 0) == 0);
  CHECK(reply.find("\r\n\r\nok\n") != std::string::npos);
  CHECK(f.Dropped("timeout") == 0);
}

TEST_CASE("control server: a head over 8 KiB gets 431 and the connection closes") {
  Fixture f;
  const std::string head = "GET /healthz HTTP/1.1\r\nX-a: " + std::string(9000, 'a') + "\r\n\r\n";
  CHECK(Exchange(f.address(), head).rfind("HTTP/1.1 431 ", 0) == 0);
  CHECK(f.health_calls == 0);
}

TEST_CASE(
    "control server: over a connection cap the oldest unanswered connection is closed first") {
  struct Caps {
    const char* name;
    std::size_t total;
    std::size_t per_peer;
  };
  for (const Caps caps : {Caps{"per peer", 100, 3}, Caps{"total", 3, 100}}) {
    INFO(caps.name);
    ControlServerOptions options;
    options.max_connections = caps.total;
    options.max_connections_per_peer = caps.per_peer;
    Fixture f(options);
    // Three incomplete requests fill the cap, in this order.
    std::vector<Poco::Net::StreamSocket> held = Connect(f.address(), 3, kSlowHead);
    // A fourth connection, a fresh request, pushes out the oldest and is answered.
    CHECK(Get(f.address(), "/healthz").status == 200);
    CHECK(ClosedWithin(held[0], milliseconds(5000)));
    CHECK(StillOpen(held[1]));
    CHECK(StillOpen(held[2]));
    CHECK(f.Dropped("limit") == 1);
    // With the cap full again, the next one pushes out the next oldest.
    held.push_back(std::move(Connect(f.address(), 1, kSlowHead).front()));
    CHECK(Get(f.address(), "/healthz").status == 200);
    CHECK(ClosedWithin(held[1], milliseconds(5000)));
    CHECK(StillOpen(held[2]));
    CHECK(StillOpen(held[3]));
    CHECK(f.Dropped("limit") == 2);
    CHECK(f.Dropped("timeout") == 0);
  }
}

TEST_CASE("control server: under the connection caps no connection is closed early") {
  // The control for the case above: the same connections, caps not reached.
  ControlServerOptions options;
  options.max_connections = 5;
  options.max_connections_per_peer = 5;
  Fixture f(options);
  std::vector<Poco::Net::StreamSocket> held = Connect(f.address(), 3, kSlowHead);
  CHECK(Get(f.address(), "/healthz").status == 200);
  CHECK(Get(f.address(), "/healthz").status == 200);
  for (Poco::Net::StreamSocket& socket : held) CHECK(StillOpen(socket));
  CHECK(f.Dropped("limit") == 0);
}

TEST_CASE("control server: the dropped-connections counter is on /metrics from the start") {
  Fixture f;
  const auto parsed = testing::ParsePrometheusText(Get(f.address(), "/metrics").body);
  REQUIRE(parsed.ok());
  CHECK(parsed->Value("hdc_reportd_control_connections_dropped_total", {{"kind", "limit"}}) == 0);
  CHECK(parsed->Value("hdc_reportd_control_connections_dropped_total", {{"kind", "timeout"}}) == 0);
}

}  // namespace
}  // namespace hdc::service

namespace hdc::service {
namespace {

// A server whose web handler keeps each reply for the test to send.
struct WebFixture {
  std::mutex mu;
  std::vector<std::pair<std::string, WebReply>> asked;  // guarded by mu
  std::unique_ptr<ControlServer> server;

  explicit WebFixture(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    ControlHandlers handlers;
    handlers.health = [](bool) { return HealthAnswer{true, "ok\n"}; };
    handlers.web = [this](const std::string& target, WebReply reply) {
      if (target == "/static/now") {  // answered at once, on the listener's thread
        reply(WebAnswer{200, "text/css", "body{}", {{"X-Content-Type-Options", "nosniff"}}});
        return;
      }
      std::lock_guard lock(mu);
      asked.emplace_back(target, std::move(reply));
    };
    ControlServerOptions options;
    options.listen = "127.0.0.1:0";
    options.timeout = timeout;
    auto started = ControlServer::Start(options, std::move(handlers), nullptr);
    REQUIRE(started.ok());
    server = std::move(*started);
  }
  // The reply the handler was given for the first request still waiting.
  std::optional<std::pair<std::string, WebReply>> Next() {
    std::lock_guard lock(mu);
    if (asked.empty()) return std::nullopt;
    auto first = std::move(asked.front());
    asked.erase(asked.begin());
    return first;
  }
};

TEST_CASE("control server: a web request waits for its reply while /healthz is answered") {
  WebFixture f;
  const std::string address = f.server->address();
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress{address});
  socket.setReceiveTimeout(Poco::Timespan(30, 0));
  const std::string bytes = "GET /api/v1/summary?days=3 HTTP/1.1\r\nHost: x\r\n\r\n";
  socket.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
  std::optional<std::pair<std::string, WebReply>> asked;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!(asked = f.Next()) && std::chrono::steady_clock::now() < deadline) {
    // The handler is asked once the loop has read the request: poll for it.
    CHECK(Get(address, "/healthz").status == 200);
  }
  REQUIRE(asked.has_value());
  CHECK(asked->first == "/api/v1/summary?days=3");
  CHECK(Get(address, "/healthz").status == 200);  // the web request does not hold the loop
  std::thread([reply = std::move(asked->second)] {
    reply(
        WebAnswer{200, "application/json", "{\"a\":1}\n", {{"X-Content-Type-Options", "nosniff"}}});
  }).join();
  std::string answer;
  char buf[4096];
  try {
    while (const int n = socket.receiveBytes(buf, sizeof buf)) answer.append(buf, n);
  } catch (const Poco::Exception&) {
    // A reset after the answer: keep what arrived.
  }
  CHECK(answer.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(answer.find("Content-Type: application/json\r\n") != std::string::npos);
  CHECK(answer.find("X-Content-Type-Options: nosniff\r\n") != std::string::npos);
  CHECK(answer.ends_with("\r\n\r\n{\"a\":1}\n"));
}

TEST_CASE(
    "control server: a web handler that does not reply within the timeout gets the client 503") {
  // The handler keeps the reply and never gives it in time: at the
  // connection's deadline (200 ms here) the client gets 503 "busy", and the
  // reply given later is dropped. The case above is the control: a reply in
  // time is sent.
  WebFixture f(milliseconds(200));
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress{f.server->address()});
  socket.setReceiveTimeout(Poco::Timespan(30, 0));
  const auto start = steady_clock::now();
  const std::string bytes = "GET /api/v1/trend HTTP/1.1\r\nHost: x\r\n\r\n";
  socket.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
  std::string answer;
  char buf[4096];
  try {
    while (const int n = socket.receiveBytes(buf, sizeof buf)) answer.append(buf, n);
  } catch (const Poco::Exception&) {
    // A reset after the answer: keep what arrived.
  }
  const auto elapsed = std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
  MESSAGE("answered after ", elapsed.count(), " ms");
  CHECK(answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
  CHECK(answer.ends_with("\r\n\r\nbusy\n"));
  CHECK(elapsed >= milliseconds(150));  // not before the deadline
  CHECK(elapsed < milliseconds(5000));
  auto asked = f.Next();
  REQUIRE(asked.has_value());  // the handler was asked, and kept the reply
  CHECK(asked->first == "/api/v1/trend");
  asked->second(WebAnswer{200, "application/json", "{}\n", {}});  // too late: dropped
  CHECK(Get(f.server->address(), "/healthz").status == 200);      // the server goes on
}

TEST_CASE("control server: a web reply given at once is sent, and a POST to a web path is 405") {
  WebFixture f;
  const Answer now = Get(f.server->address(), "/static/now");
  CHECK(now.status == 200);
  CHECK(now.body == "body{}");
  const Answer post = Post(f.server->address(), "/api/v1/summary", "x");
  CHECK(post.status == 405);
  CHECK(post.allow == "GET, HEAD");
  CHECK_FALSE(f.Next().has_value());
}

TEST_CASE("control server: without a web handler / and /api/v1/ are 404") {
  Fixture f;
  CHECK(Get(f.address(), "/").status == 404);
  CHECK(Get(f.address(), "/api/v1/summary").status == 404);
  CHECK(Get(f.address(), "/static/app.js").status == 404);
}

TEST_CASE("control server: a web reply after the server stopped is dropped") {
  std::optional<std::pair<std::string, WebReply>> asked;
  {
    WebFixture f;
    Poco::Net::StreamSocket socket(Poco::Net::SocketAddress{f.server->address()});
    const std::string bytes = "GET /api/v1/new HTTP/1.1\r\nHost: x\r\n\r\n";
    socket.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!(asked = f.Next()) && std::chrono::steady_clock::now() < deadline) {
      CHECK(Get(f.server->address(), "/healthz").status == 200);
    }
    REQUIRE(asked.has_value());
    f.server->Stop();
  }
  asked->second(WebAnswer{});  // no server, no connection: nothing happens
}

}  // namespace
}  // namespace hdc::service
