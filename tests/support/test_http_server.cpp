#include "support/test_http_server.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string_view>
#include <thread>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>

#include "util/strings.h"

namespace hdc::testing {
namespace {

using util::EqualsIgnoreCase;

}  // namespace

std::optional<std::string> RecordedRequest::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

struct TestHttpServer::Impl {
  HttpHandler handler;
  bool tls = false;
  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::vector<RecordedRequest> requests;  // guarded by mu
  std::set<std::string> peers;            // guarded by mu
  Poco::ThreadPool pool{2, 16};
  std::unique_ptr<Poco::Net::ServerSocket> socket;
  std::unique_ptr<Poco::Net::HTTPServer> server;

  void Record(const RecordedRequest& request) {
    std::lock_guard lock(mu);
    requests.push_back(request);
    peers.insert(request.peer);
    cv.notify_all();
  }
};

namespace {

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(TestHttpServer::Impl* impl) : impl_(impl) {}

  void handleRequest(Poco::Net::HTTPServerRequest& in,
                     Poco::Net::HTTPServerResponse& out) override {
    RecordedRequest request;
    request.method = in.getMethod();
    request.target = in.getURI();
    for (const auto& [name, value] : in) request.headers.emplace_back(name, value);
    // A request without Content-Length or chunked encoding has no body
    // (Poco would otherwise read until the client closes, e.g. for CONNECT).
    if (in.hasContentLength() || in.getChunkedTransferEncoding()) {
      Poco::StreamCopier::copyToString(in.stream(), request.body);
    }
    request.peer = in.clientAddress().toString();
    impl_->Record(request);

    const HttpReply reply = impl_->handler(request);
    out.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
    // The handler's headers replace Poco's defaults (e.g. Connection).
    std::set<std::string> named;
    for (const auto& [name, value] : reply.headers) {
      if (named.insert(name).second) {
        out.set(name, value);
      } else {
        out.add(name, value);
      }
    }
    if (!reply.raw_content_length.empty()) {
      std::string head = "HTTP/1.1 " + std::to_string(reply.status) + " " +
                         Poco::Net::HTTPResponse::getReasonForStatus(out.getStatus()) + "\r\n";
      for (const auto& [name, value] : reply.headers) head += name + ": " + value + "\r\n";
      for (const std::string& value : reply.raw_content_length) {
        head += "Content-Length: " + value + "\r\n";
      }
      head += "Connection: close\r\n\r\n" + reply.body;
      auto& socket = dynamic_cast<Poco::Net::HTTPServerRequestImpl&>(in).socket();
      try {
        for (std::string_view rest = head; !rest.empty();) {
          const int n = socket.sendBytes(rest.data(), static_cast<int>(rest.size()));
          if (n <= 0) break;
          rest.remove_prefix(static_cast<size_t>(n));
        }
        socket.shutdown();
      } catch (const Poco::Exception&) {
        // the client refused the answer and closed
      }
      out.setKeepAlive(false);
      return;
    }
    if (reply.chunked) {
      out.setChunkedTransferEncoding(true);
    } else if (reply.content_length) {
      out.setContentLength64(static_cast<Poco::Int64>(*reply.content_length));
      out.setKeepAlive(false);
    } else {
      out.setContentLength64(static_cast<Poco::Int64>(reply.body.size()));
    }
    std::ostream& body = out.send();
    if (reply.drip_every.count() > 0) {
      body.flush();  // the headers at once, then the body piece by piece
      std::string_view rest = reply.body;
      while (!rest.empty() && body) {
        std::this_thread::sleep_for(reply.drip_every);
        const std::string_view piece = rest.substr(0, std::max<size_t>(1, reply.drip_piece));
        body.write(piece.data(), static_cast<std::streamsize>(piece.size())).flush();
        rest.remove_prefix(piece.size());
      }
    } else {
      body.write(reply.body.data(), static_cast<std::streamsize>(reply.body.size()));
    }
    if (reply.drop_connection) {
      body.flush();
      // close(), not shutdown(): Linux still delivers data that arrives
      // after shutdown(SHUT_RD), so the next request would be served.
      dynamic_cast<Poco::Net::HTTPServerRequestImpl&>(in).socket().close();
    }
  }

 private:
  TestHttpServer::Impl* impl_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(TestHttpServer::Impl* impl) : impl_(impl) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(impl_);
  }

 private:
  TestHttpServer::Impl* impl_;
};

}  // namespace

TestHttpServer::TestHttpServer(HttpHandler handler, std::optional<TlsFiles> tls)
    : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  impl_->tls = tls.has_value();
  const Poco::Net::SocketAddress address("127.0.0.1", 0);
  if (tls) {
    Poco::Net::Context::Ptr context =
        new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, tls->key_file, tls->cert_file,
                               "", Poco::Net::Context::VERIFY_NONE);
    impl_->socket = std::make_unique<Poco::Net::SecureServerSocket>(address, 64, context);
  } else {
    impl_->socket = std::make_unique<Poco::Net::ServerSocket>(address, 64);
  }
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(16);
  params->setMaxQueued(64);
  impl_->server = std::make_unique<Poco::Net::HTTPServer>(new Factory(impl_.get()), impl_->pool,
                                                          *impl_->socket, params);
  impl_->server->start();
}

TestHttpServer::~TestHttpServer() {
  // Poco's acceptor thread polls with a 250 ms timeout before it notices the
  // stop; shutting the listening socket down makes that poll return at once.
  std::thread stopper([this] { impl_->server->stopAll(true); });  // also ends keep-alives
  try {
    impl_->socket->impl()->shutdown();  // shutdown(fd, SHUT_RDWR / SD_BOTH)
  } catch (const Poco::Exception&) {
    // Already closed: the poll returns anyway.
  }
  stopper.join();
  impl_->pool.joinAll();
}

std::uint16_t TestHttpServer::port() const { return impl_->socket->address().port(); }

std::string TestHttpServer::Url(std::string_view target, std::string_view host) const {
  return std::string(impl_->tls ? "https://" : "http://") + std::string(host) + ":" +
         std::to_string(port()) + std::string(target);
}

std::vector<RecordedRequest> TestHttpServer::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->requests;
}

int TestHttpServer::request_count() const {
  std::lock_guard lock(impl_->mu);
  return static_cast<int>(impl_->requests.size());
}

int TestHttpServer::connection_count() const {
  std::lock_guard lock(impl_->mu);
  return static_cast<int>(impl_->peers.size());
}

bool TestHttpServer::AwaitRequests(int n) const {
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, std::chrono::seconds(30),
                            [&] { return static_cast<int>(impl_->requests.size()) >= n; });
}

}  // namespace hdc::testing
