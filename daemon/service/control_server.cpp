#include "service/control_server.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <exception>
#include <istream>
#include <mutex>
#include <thread>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/SocketDefs.h>
#include <Poco/ThreadPool.h>
#include <Poco/Timespan.h>

#include "service/callback_token.h"
#include "service/prometheus_text.h"
#include "util/logging.h"
#include "util/redact.h"

namespace hdc::service {

using Poco::Net::HTTPRequest;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;
using util::Result;
using util::Status;

struct ControlServer::Impl {
  ControlServerOptions options;
  ControlHandlers handlers;
  util::Metrics* metrics = nullptr;
  std::string address;
  std::mutex stop_mu;
  bool stopped = false;  // guarded by stop_mu
  // Destroyed in reverse: the server before the socket before the pool.
  Poco::ThreadPool pool{1, 2};
  std::unique_ptr<Poco::Net::ServerSocket> socket;
  std::unique_ptr<Poco::Net::HTTPServer> server;
};

namespace {

constexpr std::string_view kCallbackPrefix = "/callback/";
constexpr std::string_view kTextType = "text/plain; charset=utf-8";

std::shared_ptr<spdlog::logger> Log() { return util::GetLogger("control"); }

// ---- Address -------------------------------------------------------------

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
};

Status BadAddress(std::string_view listen, std::string_view why) {
  return util::ConfigError("control listen address '" + std::string(listen) +
                           "': " + std::string(why));
}

// "host:port" or "[v6 address]:port".
Result<Endpoint> ParseListen(std::string_view listen) {
  std::string_view host;
  std::string_view port;
  if (!listen.empty() && listen.front() == '[') {
    const std::size_t close = listen.find(']');
    if (close == std::string_view::npos || listen.substr(close + 1, 1) != ":") {
      return BadAddress(listen, "expected [address]:port");
    }
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else {
    const std::size_t colon = listen.rfind(':');
    if (colon == std::string_view::npos) return BadAddress(listen, "expected host:port");
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return BadAddress(listen, "an IPv6 address needs brackets, as in [::1]:9187");
    }
  }
  if (host.empty()) return BadAddress(listen, "no host");
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || port.size() > 5 || ec != std::errc() || end != port.data() + port.size() ||
      value > 65535) {
    return BadAddress(listen, "the port must be a number from 0 to 65535");
  }
  return Endpoint{std::string(host), static_cast<std::uint16_t>(value)};
}

Result<std::unique_ptr<Poco::Net::ServerSocket>> Bind(std::string_view listen) {
  Result<Endpoint> endpoint = ParseListen(listen);
  if (!endpoint.ok()) return endpoint.status();
  Poco::Net::SocketAddress address;
  try {
    address = Poco::Net::SocketAddress(endpoint->host, endpoint->port);
  } catch (const Poco::Exception& e) {
    return BadAddress(listen, "cannot resolve " + endpoint->host + ": " + e.message());
  }
#ifdef _WIN32
  const bool reuse_address = false;  // on Windows it would let us steal a port in use
#else
  const bool reuse_address = true;  // rebinding over TIME_WAIT, never over a listener
#endif
  auto socket = std::make_unique<Poco::Net::ServerSocket>();
  try {
    socket->bind(address, reuse_address, /*reusePort=*/false);
    socket->listen(16);
  } catch (const Poco::Exception& e) {
#ifdef _WIN32
    const std::string why = e.message();
#else
    const std::string why = e.code() > 0 ? std::strerror(e.code()) : e.message();
#endif
    const util::ErrorKind kind =
        e.code() == POCO_EADDRINUSE ? util::ErrorKind::kUnavailable : util::ErrorKind::kConfig;
    return Status::Error(kind, "control listener: cannot listen on " + std::string(listen) + " (" +
                                   address.toString() + "): " + why);
  }
  if (!address.host().isLoopback()) {
    Log()->warn(
        "control listener on non-loopback address {}: health, metrics and the callback "
        "are reachable from the network",
        address.toString());
  }
  return socket;
}

// ---- Routing -------------------------------------------------------------

enum class Route { kHealth, kMetrics, kCallback, kRefusedCallback, kNotFound, kBadRequest };

// What the factory decided before the handler runs. A status other than 200
// is the answer, without reading the body or calling a handler.
struct Plan {
  Route route = Route::kNotFound;
  int status = 404;
};

std::string_view PathOf(std::string_view target) { return target.substr(0, target.find('?')); }

bool WantsJson(std::string_view target) {
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) return false;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    if (query.substr(0, amp) == "format=json") return true;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

Plan PlanCallback(const ControlServer::Impl& impl, const HTTPServerRequest& request,
                  std::string_view token) {
  if (impl.options.callback_token.empty() || !impl.handlers.callback ||
      !TokenEquals(token, impl.options.callback_token)) {
    return {Route::kRefusedCallback, 404};
  }
  if (request.getMethod() != HTTPRequest::HTTP_POST) return {Route::kCallback, 405};
  if (!request.getChunkedTransferEncoding() && request.hasContentLength()) {
    const Poco::Int64 length = request.getContentLength64();  // throws when malformed
    if (length < 0) return {Route::kBadRequest, 400};
    if (static_cast<std::uint64_t>(length) > impl.options.max_body) return {Route::kCallback, 413};
  }
  return {Route::kCallback, 200};
}

Plan Decide(const ControlServer::Impl& impl, const HTTPServerRequest& request) {
  const std::string_view path = PathOf(request.getURI());
  const std::string& method = request.getMethod();
  const bool get = method == HTTPRequest::HTTP_GET || method == HTTPRequest::HTTP_HEAD;
  if (path == "/healthz" && impl.handlers.health) return {Route::kHealth, get ? 200 : 405};
  if (path == "/metrics" && impl.handlers.metrics) return {Route::kMetrics, get ? 200 : 405};
  if (path.substr(0, kCallbackPrefix.size()) == kCallbackPrefix) {
    try {
      return PlanCallback(impl, request, path.substr(kCallbackPrefix.size()));
    } catch (const Poco::Exception&) {
      return {Route::kBadRequest, 400};
    }
  }
  return {Route::kNotFound, 404};
}

// ---- Answering -----------------------------------------------------------

struct Reply {
  int status = 200;
  std::string_view content_type = kTextType;
  std::string body;
  std::string_view allow;  // for 405
};

Reply Refusal(const Plan& plan) {
  switch (plan.status) {
    case 400:
      return {400, kTextType, "bad request\n", {}};
    case 405:
      return {405, kTextType, "method not allowed\n",
              plan.route == Route::kCallback ? "POST" : "GET, HEAD"};
    case 413:
      return {413, kTextType, "payload too large\n", {}};
    default:
      return {404, kTextType, "not found\n", {}};
  }
}

// Reads a request body, never more than max + 1 bytes of it: kTooLarge when
// it is longer than max, kBroken when it is cut short or malformed.
enum class BodyRead { kOk, kTooLarge, kBroken };
BodyRead ReadBody(HTTPServerRequest& request, std::size_t max, std::string& body) {
  const bool chunked = request.getChunkedTransferEncoding();
  if (!chunked && !request.hasContentLength()) return BodyRead::kOk;  // no body
  std::istream& in = request.stream();
  char buf[8192];
  while (true) {
    const std::size_t want = std::min(sizeof buf, max + 1 - body.size());
    in.read(buf, static_cast<std::streamsize>(want));
    if (in.gcount() <= 0) break;
    body.append(buf, static_cast<std::size_t>(in.gcount()));
    if (body.size() > max) return BodyRead::kTooLarge;
  }
  if (in.bad()) return BodyRead::kBroken;  // a timeout or a malformed chunk
  if (!chunked && body.size() != static_cast<std::uint64_t>(request.getContentLength64())) {
    return BodyRead::kBroken;  // the client closed early
  }
  return BodyRead::kOk;
}

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  Handler(ControlServer::Impl& impl, Plan plan) : impl_(impl), plan_(plan) {}

  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    Reply reply;
    try {
      reply = Answer(request);
    } catch (const std::exception& e) {
      Log()->error("the {} handler failed: {}", RouteName(), e.what());
      reply = {500, kTextType, "internal error\n", {}};
    } catch (...) {
      Log()->error("the {} handler failed", RouteName());
      reply = {500, kTextType, "internal error\n", {}};
    }
    Send(response, reply);
  }

 private:
  std::string_view RouteName() const {
    switch (plan_.route) {
      case Route::kHealth:
        return "/healthz";
      case Route::kMetrics:
        return "/metrics";
      default:
        return "/callback";
    }
  }

  Reply Answer(HTTPServerRequest& request) {
    if (plan_.route == Route::kRefusedCallback) {
      if (impl_.metrics != nullptr) impl_.metrics->Add(kCallbackRefusedMetric);
      Log()->debug("refused a callback from {}: wrong or no token",
                   request.clientAddress().toString());
    }
    if (plan_.status != 200) return Refusal(plan_);
    switch (plan_.route) {
      case Route::kHealth: {
        const bool json = WantsJson(request.getURI());
        HealthAnswer answer = impl_.handlers.health(json);
        const std::string_view type = json ? "application/json" : kTextType;
        return {answer.healthy ? 200 : 503, type, std::move(answer.body), {}};
      }
      case Route::kMetrics:
        return {200, kPrometheusContentType, impl_.handlers.metrics(), {}};
      default:
        return Callback(request);
    }
  }

  Reply Callback(HTTPServerRequest& request) {
    std::string body;
    switch (ReadBody(request, impl_.options.max_body, body)) {
      case BodyRead::kTooLarge:
        return Refusal({Route::kCallback, 413});
      case BodyRead::kBroken:
        return Refusal({Route::kCallback, 400});
      case BodyRead::kOk:
        break;
    }
    impl_.handlers.callback(body);
    if (impl_.metrics != nullptr) impl_.metrics->Add(kCallbackAcceptedMetric);
    return {200, kTextType, "ok\n", {}};
  }

  static void Send(HTTPServerResponse& response, const Reply& reply) {
    try {
      response.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(reply.status));
      response.setContentType(std::string(reply.content_type));
      response.set("Cache-Control", "no-store");
      if (!reply.allow.empty()) response.set("Allow", std::string(reply.allow));
      response.setKeepAlive(false);
      response.sendBuffer(reply.body.data(), reply.body.size());  // no body for HEAD
    } catch (const Poco::Exception& e) {
      Log()->debug("cannot send the answer: {}", e.displayText());
    }
  }

  ControlServer::Impl& impl_;
  Plan plan_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(ControlServer::Impl& impl) : impl_(impl) {}

  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest& request) override {
    const Plan plan = Decide(impl_, request);
    // Poco answers "Expect: 100-continue" after this call only while the
    // status is 200: a refused request never gets its body sent.
    if (plan.status != 200) {
      request.response().setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(plan.status));
    }
    return new Handler(impl_, plan);
  }

 private:
  ControlServer::Impl& impl_;
};

}  // namespace

Result<std::unique_ptr<ControlServer>> ControlServer::Start(ControlServerOptions options,
                                                            ControlHandlers handlers,
                                                            util::Metrics* metrics) {
  Result<std::unique_ptr<Poco::Net::ServerSocket>> socket = Bind(options.listen);
  if (!socket.ok()) return socket.status();
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->handlers = std::move(handlers);
  impl->metrics = metrics;
  impl->socket = std::move(*socket);
  impl->address = impl->socket->address().toString();
  if (metrics != nullptr) {
    metrics->Describe(kCallbackAcceptedMetric, util::MetricType::kCounter,
                      "Callback requests accepted (right token).");
    metrics->Describe(kCallbackRefusedMetric, util::MetricType::kCounter,
                      "Callback requests refused with 404 (wrong or no token).");
    metrics->Add(kCallbackAcceptedMetric, {}, 0);
    metrics->Add(kCallbackRefusedMetric, {}, 0);
  }
  util::AddSecret(impl->options.callback_token);

  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setTimeout(Poco::Timespan(static_cast<long>(impl->options.timeout.count()), 0));
  params->setKeepAlive(false);
  params->setMaxThreads(2);
  params->setMaxQueued(16);
  impl->server = std::make_unique<Poco::Net::HTTPServer>(new Factory(*impl), impl->pool,
                                                         *impl->socket, params);
  impl->server->start();
  Log()->info("control listener on {}", impl->address);
  return std::unique_ptr<ControlServer>(new ControlServer(std::move(impl)));
}

ControlServer::ControlServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ControlServer::~ControlServer() { Stop(); }

std::string ControlServer::address() const { return impl_->address; }

void ControlServer::Stop() {
  std::lock_guard lock(impl_->stop_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  // Poco's acceptor polls with a 250 ms timeout before it notices the stop;
  // shutting the listening socket down makes that poll return at once.
  std::thread stopper([this] { impl_->server->stopAll(true); });  // also aborts requests
  try {
    impl_->socket->impl()->shutdown();
  } catch (const Poco::Exception&) {
    // Already shut down, or the platform refuses it for listeners: the poll times out.
  }
  stopper.join();
  impl_->pool.joinAll();
}

}  // namespace hdc::service
