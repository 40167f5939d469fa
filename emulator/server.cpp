#include "emulator/server.h"

#include <ctime>
#include <istream>
#include <thread>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include "emulator/callback.h"
#include "emulator/context.h"
#include "emulator/exchange.h"
#include "emulator/routes.h"
#include "util/logging.h"
#include "util/strings.h"
#include "util/time_format.h"

namespace hdc::emulator {
namespace {

constexpr std::streamsize kMaxBody = 4 << 20;

void SendFaultStatus(Exchange& ex) {
  const FaultRule& r = ex.fault.rule;
  if (ex.fault.kind == FaultKind::kTooManyRequests) {
    if (r.retry_after_date) {
      const auto at = ex.ctx.clock.Now() + std::chrono::seconds(r.retry_after_seconds);
      ex.response.set("Retry-After", HttpDate(at));
    } else {
      ex.response.set("Retry-After", std::to_string(r.retry_after_seconds));
    }
  }
  const int status = ex.fault.kind == FaultKind::kTooManyRequests ? 429 : r.status;
  const std::string code = status == 429   ? "TooManyRequests"
                           : status == 503 ? "ServiceUnavailable"
                                           : "InternalServerError";
  if (ex.blob_host)
    return SendBlobError(ex, status, status == 503 ? "ServerBusy" : "InternalError", code);
  SendEnvelopeError(ex, status, code, "injected fault");
}

// Applies a pre-handler fault; true when it answered the request.
bool ApplyFault(Exchange& ex) {
  switch (ex.fault.kind) {
    case FaultKind::kLatency:
      std::this_thread::sleep_for(std::chrono::milliseconds(ex.fault.rule.ms));
      return false;
    case FaultKind::kStatus:
    case FaultKind::kTooManyRequests:
      SendFaultStatus(ex);
      return true;
    default:
      return false;
  }
}

std::string StripAlias(std::string path) {
  static constexpr std::string_view kAlias = "/v1.0/my/analytics/driver/report";
  if (path.size() >= kAlias.size() && util::EqualsIgnoreCase(path.substr(0, kAlias.size()), kAlias))
    return path.substr(std::string_view("/v1.0/my").size());
  return path;
}

class Dispatcher : public Poco::Net::HTTPRequestHandler {
 public:
  Dispatcher(Context& ctx, const Router& api, const Router& admin)
      : ctx_(ctx), api_(api), admin_(admin) {}

  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    Exchange ex(req, resp, ctx_);
    const bool admin = Prepare(ex);
    ex.log = !admin;
    try {
      Serve(ex, admin);
    } catch (const std::exception& e) {
      util::GetLogger("emulator")->error("{} {}: {}", req.getMethod(), ex.path, e.what());
      if (!resp.sent()) SendEnvelopeError(ex, 500, "InternalServerError", "emulator error");
    }
    ex.Record(static_cast<int>(resp.getStatus()));
  }

 private:
  bool Prepare(Exchange& ex) {
    Poco::URI uri(ex.request.getURI());
    ex.path = uri.getPath();
    for (auto& [k, v] : uri.getQueryParameters()) ex.query.emplace_back(k, v);
    ex.blob_host = ex.request.serverAddress().host().toString() == ctx_.options.blob_host &&
                   ctx_.options.blob_host != ctx_.options.host;
    if (ex.request.getMethod() == "POST" || ex.request.getMethod() == "PUT") {
      auto& in = ex.request.stream();
      const std::streamsize declared =
          ex.request.hasContentLength() ? ex.request.getContentLength64() : -1;
      if (declared >= 0 && declared <= kMaxBody) {  // the usual case: one read, no scratch buffer
        ex.body.resize(static_cast<size_t>(declared));
        in.read(ex.body.data(), declared);
        ex.body.resize(static_cast<size_t>(in.gcount()));
      } else if (!ex.request.getChunkedTransferEncoding()) {
        // RFC 9112 6.3: a request without Content-Length or chunked coding
        // has no body (reading to EOF would hang until the client gives up).
      } else {
        char chunk[8192];
        while (in && static_cast<std::streamsize>(ex.body.size()) < kMaxBody) {
          in.read(chunk, sizeof chunk);
          ex.body.append(chunk, static_cast<size_t>(in.gcount()));
        }
      }
    }
    if (ex.path.rfind("/_emulator/", 0) == 0) return true;
    if (!ex.blob_host) ex.path = StripAlias(ex.path);
    return false;
  }

  void Serve(Exchange& ex, bool admin) {
    bool path_known = false;
    const Router& router = admin ? admin_ : api_;
    const HostKind host = ex.blob_host && !admin ? HostKind::kBlob : HostKind::kApi;
    const Route* route =
        router.Match(ex.request.getMethod(), ex.path, host, &ex.params, &path_known);
    if (route == nullptr && host == HostKind::kApi && !admin) {
      // Blob paths on the API host too: where a relative cab Location
      // (the relative_location fault) resolves. Blob-shaped answers then.
      bool blob_path_known = false;
      route = router.Match(ex.request.getMethod(), ex.path, HostKind::kBlob, &ex.params,
                           &blob_path_known);
      if (route != nullptr) ex.blob_host = true;
    }
    if (route == nullptr) return NotFound(ex, path_known);
    ex.endpoint = route->endpoint;
    if (!admin) {
      ex.fault = ctx_.faults.Decide(ex.endpoint, ex.request.getURI());
      if (ApplyFault(ex)) return;
      if (route->auth && !Authorize(ex)) return;
    }
    route->handler(ex);
  }

  void NotFound(Exchange& ex, bool path_known) {
    if (ex.blob_host) {
      if (path_known)
        return SendBlobError(ex, 405, "UnsupportedHttpVerb",
                             "The resource doesn't support the specified HTTP verb.");
      return SendBlobError(ex, 404, "ResourceNotFound", "The specified resource does not exist.");
    }
    if (path_known)
      return SendEnvelopeError(ex, 405, "MethodNotAllowed", "method not allowed here");
    SendEnvelopeError(ex, 404, "NotFound", "no such resource");
  }

  Context& ctx_;
  const Router& api_;
  const Router& admin_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(Context& ctx, const Router& api, const Router& admin)
      : ctx_(ctx), api_(api), admin_(admin) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Dispatcher(ctx_, api_, admin_);
  }

 private:
  Context& ctx_;
  const Router& api_;
  const Router& admin_;
};

// A listening socket; with a TLS context a SecureServerSocket (the TLS
// handshake then happens on the connection's thread, not the acceptor's).
// SO_REUSEADDR only: Poco's bind(addr, true) would also set SO_REUSEPORT,
// which lets another process bind the same address and port and take half
// of our connections.
Poco::Net::ServerSocket Bind(const std::string& host, int port,
                             const Poco::Net::Context::Ptr& tls) {
  Poco::Net::ServerSocket socket =
      tls ? Poco::Net::SecureServerSocket(tls) : Poco::Net::ServerSocket();
  socket.bind(Poco::Net::SocketAddress(host, static_cast<Poco::UInt16>(port)),
              /*reuseAddress=*/true,
              /*reusePort=*/false);
  socket.listen(256);
  return socket;
}

util::Result<Poco::Net::Context::Ptr> TlsContext(const ServerOptions& o) {
  if (o.tls_cert.empty() && o.tls_key.empty()) return Poco::Net::Context::Ptr();
  if (o.tls_cert.empty() || o.tls_key.empty())
    return util::UsageError("--tls needs a certificate and a key");
  try {
    return Poco::Net::Context::Ptr(new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE,
                                                          o.tls_key, o.tls_cert, "",
                                                          Poco::Net::Context::VERIFY_NONE));
  } catch (const Poco::Exception& e) {
    return util::UsageError("--tls " + o.tls_cert + " " + o.tls_key + ": " + e.displayText());
  }
}

}  // namespace

ClientCredential DemoClient() {
  return {"00000000-0000-0000-0000-000000000001", "11111111-2222-3333-4444-555555555555",
          "demo-secret", "", ""};
}

struct Server::Impl {
  Impl(ServerOptions o, util::Clock& clock) : ctx(o, clock), callbacks(ctx) {}
  Context ctx;
  Router api, admin;
  CallbackWorker callbacks;
  std::unique_ptr<Poco::ThreadPool> pool;
  std::unique_ptr<Poco::Net::HTTPServer> api_server, blob_server;
  int port = 0, blob_port = 0;
  std::mutex save_mu;

  void Persist() {
    if (ctx.options.state_file.empty()) return;
    std::lock_guard save(save_mu);
    RemoteState copy;
    {
      std::lock_guard lock(ctx.mu);
      copy = ctx.state;
    }
    auto st = SaveStateFile(ctx.options.state_file, copy);
    if (!st.ok()) util::GetLogger("emulator")->error("{}", st.ToString());
  }
};

Server::Server(ServerOptions options, util::Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), clock)) {
  RegisterTokenRoutes(impl_->api);
  RegisterTemplateRoutes(impl_->api);
  RegisterScheduleRoutes(impl_->api);
  RegisterCabRoutes(impl_->api);
  RegisterBlobRoutes(impl_->api);
  RegisterAdminRoutes(impl_->admin);
}

Server::~Server() { Stop(); }

util::Status Server::Start() {
  Context& ctx = impl_->ctx;
  if (!ctx.options.state_file.empty()) {
    auto loaded = LoadStateFile(ctx.options.state_file);
    if (!loaded.ok()) return loaded.status();
    ctx.state = std::move(*loaded);
  }
  auto clients = ctx.options.clients;
  if (clients.empty()) clients.push_back(DemoClient());
  for (const auto& c : clients)
    ctx.state.clients.push_back(
        {c.tenant, c.client_id, c.secret, c.certificate_pem, c.federated_subject});
  ctx.faults.Set(ctx.options.faults);
  auto tls = TlsContext(ctx.options);
  if (!tls.ok()) return tls.status();
  try {
    auto api_socket = Bind(ctx.options.host, ctx.options.port, *tls);
    impl_->port = api_socket.address().port();
    Poco::Net::ServerSocket blob_socket;
    const int wanted = ctx.options.blob_port >= 0 ? ctx.options.blob_port : impl_->port;
    try {
      blob_socket = Bind(ctx.options.blob_host, wanted, *tls);
    } catch (const Poco::Exception&) {
      if (ctx.options.blob_port >= 0) throw;
      blob_socket = Bind(ctx.options.blob_host, 0, *tls);
    }
    impl_->blob_port = blob_socket.address().port();
    impl_->pool = std::make_unique<Poco::ThreadPool>(2, 2 * ctx.options.threads + 4);
    auto params = [&] {
      auto* p = new Poco::Net::HTTPServerParams;
      p->setMaxThreads(ctx.options.threads);
      p->setKeepAlive(true);
      p->setMaxKeepAliveRequests(0);
      return Poco::Net::HTTPServerParams::Ptr(p);
    };
    auto factory =
        Poco::Net::HTTPRequestHandlerFactory::Ptr(new Factory(ctx, impl_->api, impl_->admin));
    impl_->api_server =
        std::make_unique<Poco::Net::HTTPServer>(factory, *impl_->pool, api_socket, params());
    impl_->blob_server =
        std::make_unique<Poco::Net::HTTPServer>(factory, *impl_->pool, blob_socket, params());
  } catch (const Poco::Exception& e) {
    return util::UsageError("cannot listen on " + ctx.options.host + ":" +
                            std::to_string(ctx.options.port) + ": " + e.displayText());
  }
  const std::string scheme = *tls ? "https://" : "http://";
  ctx.api_base = scheme + ctx.options.host + ":" + std::to_string(impl_->port);
  ctx.blob_base = scheme + ctx.options.blob_host + ":" + std::to_string(impl_->blob_port);
  ctx.on_change = [this](bool plan) {
    impl_->Persist();
    if (plan) impl_->callbacks.Wake();
  };
  impl_->api_server->start();
  impl_->blob_server->start();
  impl_->callbacks.Start();
  return {};
}

void Server::Stop() {
  if (!impl_->api_server) return;
  // Each listener notices a stop within its 250 ms poll; stop both at once.
  std::thread blob_stop([this] { impl_->blob_server->stopAll(true); });
  impl_->api_server->stopAll(true);
  blob_stop.join();
  impl_->callbacks.Stop();
  impl_->pool->joinAll();
  impl_->api_server.reset();
  impl_->blob_server.reset();
}

int Server::port() const { return impl_->port; }
int Server::blob_port() const { return impl_->blob_port; }
std::string Server::base_url() const { return impl_->ctx.api_base; }
std::string Server::blob_base_url() const { return impl_->ctx.blob_base; }

}  // namespace hdc::emulator
