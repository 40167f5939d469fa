// A tiny in-process HTTP(S) server for tests, on 127.0.0.1 and an ephemeral
// port. Each request is recorded, then answered by a handler lambda. Poco
// stays in the .cpp file.
//
// Handlers run on the server's threads (several at once when the client
// opens several connections); they may block, e.g. on a latch the test
// releases, but must return before the server is destroyed. Destruction
// aborts open keep-alive connections and joins all server threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hdc::testing {

struct RecordedRequest {
  std::string method;
  std::string target;  // path and query, as sent
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string peer;  // client address and port: one value per connection
  // Case-insensitive lookup of the first header of that name.
  std::optional<std::string> Header(std::string_view name) const;
};

struct HttpReply {
  HttpReply() = default;
  HttpReply(int status, std::vector<std::pair<std::string, std::string>> headers = {},
            std::string body = "")
      : status(status), headers(std::move(headers)), body(std::move(body)) {}

  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // A Content-Length to announce instead of body.size() (a lying or
  // truncating server); the connection is closed after the body.
  std::optional<std::uint64_t> content_length;
  // Content-Length fields sent as given, one per value ("-1", "abc", two
  // that differ), in place of the true one; written by hand (Poco would
  // parse them), then the body and the connection closes.
  std::vector<std::string> raw_content_length;
  bool chunked = false;  // Transfer-Encoding: chunked instead of Content-Length
  // Closes the connection after the reply without announcing it, as a server
  // does when a keep-alive connection idles out.
  bool drop_connection = false;
  // A slow server: the body goes out `drip_piece` bytes at a time with a
  // pause of `drip_every` of real time before each piece (0 = all at once).
  std::chrono::milliseconds drip_every{0};
  size_t drip_piece = 1;
};

using HttpHandler = std::function<HttpReply(const RecordedRequest&)>;

// PEM files for a TLS server.
struct TlsFiles {
  std::string cert_file;
  std::string key_file;
};

class TestHttpServer {
 public:
  // Plain http, or https when `tls` is given. Starts listening at once.
  explicit TestHttpServer(HttpHandler handler, std::optional<TlsFiles> tls = std::nullopt);
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  std::uint16_t port() const;
  // "http://127.0.0.1:<port>" + target (https when TLS is on); `host` may
  // name the server differently ("localhost").
  std::string Url(std::string_view target = "/", std::string_view host = "127.0.0.1") const;

  std::vector<RecordedRequest> requests() const;
  int request_count() const;
  // Distinct client connections seen so far.
  int connection_count() const;
  // Blocks until at least n requests have been recorded (before their
  // handler runs); false if that takes longer than a generous real-time
  // limit (a failing test, not a wait the test relies on).
  bool AwaitRequests(int n) const;

  struct Impl;  // the server's state, defined in the .cpp

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace hdc::testing
