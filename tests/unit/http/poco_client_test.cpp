#include <atomic>
#include <chrono>
#include <cstdlib>
#include <latch>
#include <optional>
#include <sstream>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "http/client.h"
#include "http/retry.h"
#include "support/env.h"
#include "support/test_http_server.h"
#include "util/clock.h"
#include "util/logging.h"
#include "util/random.h"

namespace hdc::http {
namespace {

using testing::HttpReply;
using testing::RecordedRequest;
using testing::TestHttpServer;

ClientOptions TestOptions() {
  ClientOptions options;
  options.user_agent = "hdc-reportd/0.1.0-test";
  options.connect_timeout = std::chrono::seconds(5);
  options.read_timeout = std::chrono::seconds(5);
  return options;
}

HttpReply Ok(std::string body = "ok") { return HttpReply{200, {}, std::move(body)}; }

Request Get(std::string url) {
  Request request;
  request.url = std::move(url);
  return request;
}

// Records the size of every Append call.
class ChunkSink final : public util::ByteSink {
 public:
  util::Status Append(std::string_view data) override {
    appends.push_back(data.size());
    data_.append(data);
    return util::Status::Ok();
  }
  std::uint64_t size() const override { return data_.size(); }
  util::Status Truncate() override {
    data_.clear();
    return util::Status::Ok();
  }
  const std::string& data() const { return data_; }
  std::vector<size_t> appends;

 private:
  std::string data_;
};

// Sends logs to a string at debug level for the lifetime of the object.
class LogCapture {
 public:
  LogCapture() {
    util::LogOptions options;
    options.level = "debug";
    util::SetupLogging(options, &out_);
  }
  ~LogCapture() { util::SetupLogging(util::LogOptions{}); }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

TEST_CASE("a GET sends the user agent and a fresh request id, and returns status and body") {
  TestHttpServer server([](const RecordedRequest&) {
    return HttpReply{200, {{"X-Answer", "42"}, {"Content-Type", "text/plain"}}, "hello"};
  });
  auto client = MakePocoClient(TestOptions());
  util::StringSink sink;
  auto first = client->Send(Get(server.Url("/greeting?lang=en")), sink);
  REQUIRE(first.ok());
  CHECK(first->status == 200);
  CHECK(first->FindHeader("x-answer") == "42");
  CHECK(first->FindHeader("CONTENT-TYPE") == "text/plain");
  CHECK_FALSE(first->FindHeader("X-Missing").has_value());
  CHECK(sink.data() == "hello");
  util::StringSink again;
  REQUIRE(client->Send(Get(server.Url("/greeting")), again).ok());

  const auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].method == "GET");
  CHECK(requests[0].target == "/greeting?lang=en");
  CHECK(requests[0].Header("User-Agent") == "hdc-reportd/0.1.0-test");
  const auto id = requests[0].Header("x-ms-correlation-id");
  REQUIRE(id.has_value());
  CHECK(id->size() == 36);
  CHECK(requests[0].Header("x-request-id") == id);
  CHECK(requests[1].Header("x-ms-correlation-id") != id);
}

TEST_CASE("a POST sends its body with Content-Length and the caller's headers") {
  TestHttpServer server([](const RecordedRequest& r) { return HttpReply{201, {}, r.body}; });
  auto client = MakePocoClient(TestOptions());
  Request request;
  request.method = "POST";
  request.url = server.Url("/analytics/driver/reporttemplate");
  request.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer t0ken"}};
  request.body = R"({"name":"x"})";
  request.idempotent = false;
  util::StringSink sink;
  auto response = client->Send(request, sink);
  REQUIRE(response.ok());
  CHECK(response->status == 201);
  CHECK(sink.data() == request.body);
  const auto seen = server.requests().at(0);
  CHECK(seen.method == "POST");
  CHECK(seen.body == request.body);
  CHECK(seen.Header("Content-Length") == std::to_string(request.body.size()));
  CHECK(seen.Header("Content-Type") == "application/json");
  CHECK(seen.Header("Authorization") == "Bearer t0ken");
}

TEST_CASE("a caller's correlation id is sent instead of a random one") {
  TestHttpServer server([](const RecordedRequest&) { return Ok(); });
  auto client = MakePocoClient(TestOptions());
  Request request = Get(server.Url("/x"));
  request.headers.push_back({"x-ms-correlation-id", "my-id-1"});
  util::StringSink sink;
  REQUIRE(client->Send(request, sink).ok());
  CHECK(server.requests().at(0).Header("x-ms-correlation-id") == "my-id-1");
  CHECK(server.requests().at(0).Header("x-request-id") == "my-id-1");
}

TEST_CASE("a large body streams into the sink in chunks of at most 256 KiB") {
  std::string big(4 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  TestHttpServer server([&](const RecordedRequest&) { return Ok(big); });
  auto client = MakePocoClient(TestOptions());
  ChunkSink sink;
  auto response = client->Send(Get(server.Url("/blob")), sink);
  REQUIRE(response.ok());
  CHECK(sink.data() == big);
  CHECK(sink.appends.size() >= 16);
  for (size_t n : sink.appends) CHECK(n <= 256 * 1024);
}

TEST_CASE("a chunked body is read whole") {
  TestHttpServer server([](const RecordedRequest&) {
    HttpReply reply = Ok(std::string(100000, 'c'));
    reply.chunked = true;
    return reply;
  });
  auto client = MakePocoClient(TestOptions());
  util::StringSink sink;
  REQUIRE(client->Send(Get(server.Url("/c")), sink).ok());
  CHECK(sink.size() == 100000);
}

TEST_CASE("error statuses are responses, with their body in the sink") {
  TestHttpServer server([](const RecordedRequest&) {
    return HttpReply{404, {}, R"({"message":"no such template"})"};
  });
  auto client = MakePocoClient(TestOptions());
  util::StringSink sink;
  auto response = client->Send(Get(server.Url("/missing")), sink);
  REQUIRE(response.ok());
  CHECK(response->status == 404);
  CHECK(sink.data() == R"({"message":"no such template"})");
}

TEST_CASE("a redirect is returned, not followed") {
  TestHttpServer server([](const RecordedRequest&) {
    return HttpReply{302, {{"Location", "https://blob.example.net/x"}}, ""};
  });
  auto client = MakePocoClient(TestOptions());
  util::StringSink sink;
  auto response = client->Send(Get(server.Url("/cab")), sink);
  REQUIRE(response.ok());
  CHECK(response->status == 302);
  CHECK(response->FindHeader("Location") == "https://blob.example.net/x");
  CHECK(server.request_count() == 1);
}

TEST_CASE("a HEAD request returns without waiting for a body") {
  TestHttpServer server([](const RecordedRequest&) {
    HttpReply reply = Ok(std::string(1000, 'h'));
    return reply;
  });
  auto client = MakePocoClient(TestOptions());
  Request request = Get(server.Url("/h"));
  request.method = "HEAD";
  util::StringSink sink;
  auto response = client->Send(request, sink);
  REQUIRE(response.ok());
  CHECK(response->FindHeader("Content-Length") == "1000");
  CHECK(sink.size() == 0);
  REQUIRE(client->Send(Get(server.Url("/after")), sink).ok());
  CHECK(sink.size() == 1000);
}

TEST_CASE("sequential requests to one host reuse one keep-alive connection") {
  TestHttpServer server([](const RecordedRequest&) { return Ok(); });
  auto client = MakePocoClient(TestOptions());
  for (int i = 0; i < 5; ++i) {
    util::StringSink sink;
    REQUIRE(client->Send(Get(server.Url("/r" + std::to_string(i))), sink).ok());
  }
  CHECK(server.request_count() == 5);
  CHECK(server.connection_count() == 1);
}

TEST_CASE("a server that closes after its reply gets a fresh connection next time") {
  TestHttpServer server([](const RecordedRequest&) {
    HttpReply reply = Ok();
    reply.headers.push_back({"Connection", "close"});
    return reply;
  });
  auto client = MakePocoClient(TestOptions());
  for (int i = 0; i < 3; ++i) {
    util::StringSink sink;
    auto response = client->Send(Get(server.Url("/c")), sink);
    REQUIRE(response.ok());
    CHECK(sink.data() == "ok");
  }
  CHECK(server.connection_count() == 3);
}

TEST_CASE("a pooled connection the server dropped while idle is replaced for a GET") {
  TestHttpServer server([](const RecordedRequest& r) {
    HttpReply reply = Ok(r.target);
    reply.drop_connection = r.target == "/first";
    return reply;
  });
  auto client = MakePocoClient(TestOptions());
  util::StringSink first, second;
  REQUIRE(client->Send(Get(server.Url("/first")), first).ok());
  auto response = client->Send(Get(server.Url("/second")), second);
  REQUIRE_MESSAGE(response.ok(), response.status().message());
  CHECK(second.data() == "/second");
  CHECK(server.request_count() == 2);
  CHECK(server.connection_count() == 2);
}

TEST_CASE("a non-idempotent request on a dropped pooled connection fails and is not replayed") {
  TestHttpServer server([](const RecordedRequest& r) {
    HttpReply reply = Ok(r.target);
    reply.drop_connection = r.target == "/first";
    return reply;
  });
  auto client = MakePocoClient(TestOptions());
  util::StringSink sink;
  REQUIRE(client->Send(Get(server.Url("/first")), sink).ok());
  Request post = Get(server.Url("/create"));
  post.method = "POST";
  post.body = "{}";
  post.idempotent = false;
  auto response = client->Send(post, sink);
  REQUIRE_FALSE(response.ok());
  CHECK(response.status().kind() == util::ErrorKind::kTemporary);
  CHECK(server.request_count() == 1);
}

// Sets an environment variable for the lifetime of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    hdc::testing::SetEnv(name, value);
  }
  ~ScopedEnv() {
    if (old_) {
      hdc::testing::SetEnv(name_, *old_);
    } else {
      hdc::testing::UnsetEnv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST_CASE("https goes through the configured proxy with CONNECT, loopback goes direct") {
  TestHttpServer proxy([](const RecordedRequest&) { return HttpReply{403, {}, "no"}; });
  TestHttpServer direct([](const RecordedRequest&) { return Ok("direct"); });
  ClientOptions options = TestOptions();
  options.proxy = proxy.Url("");
  auto client = MakePocoClient(options);
  util::StringSink sink;
  auto tunneled = client->Send(Get("https://api.example.invalid/report?sig=S"), sink);
  REQUIRE_FALSE(tunneled.ok());
  CHECK(tunneled.status().message().find("GET api.example.invalid/report: ") == 0);
  REQUIRE(proxy.request_count() == 1);
  CHECK(proxy.requests()[0].method == "CONNECT");
  CHECK(proxy.requests()[0].target == "api.example.invalid:443");

  REQUIRE(client->Send(Get(direct.Url("/x")), sink).ok());
  CHECK(sink.data() == "direct");
  CHECK(proxy.request_count() == 1);
}

TEST_CASE("HTTPS_PROXY is used when no proxy is configured, except for NO_PROXY hosts") {
  TestHttpServer proxy([](const RecordedRequest&) { return HttpReply{403, {}, "no"}; });
  ScopedEnv https_proxy("HTTPS_PROXY", proxy.Url(""));
  ScopedEnv no_proxy("NO_PROXY", "localhost, .internal.invalid");
  auto client = MakePocoClient(TestOptions());
  util::StringSink sink;
  CHECK_FALSE(client->Send(Get("https://api.example.invalid/a"), sink).ok());
  REQUIRE(proxy.request_count() == 1);
  CHECK(proxy.requests()[0].target == "api.example.invalid:443");
  // Bypassed: resolving the name fails, and the proxy sees nothing.
  CHECK_FALSE(client->Send(Get("https://svc.internal.invalid/b"), sink).ok());
  CHECK_FALSE(client->Send(Get("https://internal.invalid/c"), sink).ok());
  CHECK(proxy.request_count() == 1);
}

TEST_CASE("an unusable proxy setting fails requests as a configuration error") {
  for (const char* proxy : {"https://proxy.example.com:3128", "http://user:CANARY@proxy:3128"}) {
    ClientOptions options = TestOptions();
    options.proxy = proxy;
    auto client = MakePocoClient(options);
    util::StringSink sink;
    auto response = client->Send(Get("https://api.example.com/"), sink);
    REQUIRE_FALSE(response.ok());
    CHECK(response.status().kind() == util::ErrorKind::kConfig);
    CHECK(response.status().message().find("CANARY") == std::string::npos);
  }
}

TEST_CASE("concurrent requests never share a connection and all succeed") {
  TestHttpServer server([](const RecordedRequest& r) { return Ok(r.target); });
  auto client = MakePocoClient(TestOptions());
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const std::string target = "/t" + std::to_string(t) + "/" + std::to_string(i);
        util::StringSink sink;
        auto response = client->Send(Get(server.Url(target)), sink);
        if (response.ok() && sink.data() == target) ++good;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(good == 40);
  CHECK(server.connection_count() <= 4 + 1);
}

TEST_CASE("a body shorter than its Content-Length is a temporary 'truncated' error") {
  TestHttpServer server([](const RecordedRequest& r) {
    if (r.target == "/whole") return Ok();
    HttpReply reply = Ok(std::string(50, 't'));
    reply.content_length = 100;
    return reply;
  });
  auto client = MakePocoClient(TestOptions());
  util::StringSink sink;
  auto response = client->Send(Get(server.Url("/cut?sig=CANARY")), sink);
  REQUIRE_FALSE(response.ok());
  CHECK(response.status().kind() == util::ErrorKind::kTemporary);
  const std::string expected =
      "GET 127.0.0.1:" + std::to_string(server.port()) + "/cut: truncated: got 50 of 100 bytes";
  CHECK(response.status().message() == expected);
  CHECK(sink.size() == 50);  // the partial stays for the caller to resume or discard
  util::StringSink next;
  REQUIRE(client->Send(Get(server.Url("/whole")), next).ok());
  CHECK(next.data() == "ok");
}

// Sends `request` through SendWithRetry with waits of a millisecond, so a
// retried error shows as more than one request at the server.
util::Result<Response> SendRetried(HttpClient& client, const Request& request,
                                   util::ByteSink& sink) {
  RetryPolicy policy;
  policy.initial = std::chrono::milliseconds(1);
  policy.max_delay = std::chrono::milliseconds(1);
  util::SystemClock clock;
  util::Random random(7);
  return SendWithRetry(client, request, sink, policy, clock, random, std::stop_token{});
}

TEST_CASE(
    "a Content-Length that is not a length is bad data from the host, sent once, not a truncation "
    "to retry") {
  for (const std::string value :
       {"-1", "abc", "+5", "0x10", "5, 5", "1e15", "99999999999999999999"}) {
    CAPTURE(value);
    TestHttpServer server([&value](const RecordedRequest& r) {
      if (r.target == "/whole") return Ok();
      HttpReply reply = Ok("hello");
      reply.raw_content_length = {value};
      return reply;
    });
    auto client = MakePocoClient(TestOptions());
    util::StringSink sink;
    const auto started = std::chrono::steady_clock::now();
    auto response = SendRetried(*client, Get(server.Url("/cl?sig=CANARY")), sink);
    REQUIRE_FALSE(response.ok());
    CHECK(response.status().kind() == util::ErrorKind::kBadData);
    CHECK(response.status().exit_code() == 65);
    CHECK(response.status().message() == "GET 127.0.0.1:" + std::to_string(server.port()) +
                                             "/cl: 127.0.0.1 sent a malformed Content-Length '" +
                                             value + "'");
    CHECK(server.request_count() == 1);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
    util::StringSink next;  // the client stays usable
    REQUIRE(client->Send(Get(server.Url("/whole")), next).ok());
    CHECK(next.data() == "ok");
  }
}

TEST_CASE("two Content-Length fields that differ are bad data, and two equal ones are one length") {
  TestHttpServer server([](const RecordedRequest& r) {
    HttpReply reply = Ok("hello");
    reply.raw_content_length = r.target == "/same" ? std::vector<std::string>{"5", "5"}
                                                   : std::vector<std::string>{"5", "7"};
    return reply;
  });
  auto client = MakePocoClient(TestOptions());
  util::StringSink sink;
  auto response = SendRetried(*client, Get(server.Url("/differ")), sink);
  REQUIRE_FALSE(response.ok());
  CHECK(response.status().kind() == util::ErrorKind::kBadData);
  CHECK(response.status().message() ==
        "GET 127.0.0.1:" + std::to_string(server.port()) +
            "/differ: 127.0.0.1 sent two different Content-Length values, '5' and '7'");
  CHECK(server.request_count() == 1);
  util::StringSink same;  // the control
  auto control = client->Send(Get(server.Url("/same")), same);
  REQUIRE_MESSAGE(control.ok(), control.status().message());
  CHECK(same.data() == "hello");
}

TEST_CASE(
    "a Content-Length beyond 1 TiB is bad data at once, and 1 TiB itself is taken as the length") {
  TestHttpServer server([](const RecordedRequest& r) {
    HttpReply reply = Ok("x");
    reply.raw_content_length = {r.target.starts_with("/huge") ? "1000000000000000"
                                                              : "1099511627776"};
    return reply;
  });
  auto client = MakePocoClient(TestOptions());
  util::StringSink sink;
  const auto started = std::chrono::steady_clock::now();
  auto response = SendRetried(*client, Get(server.Url("/huge?sig=CANARY")), sink);
  REQUIRE_FALSE(response.ok());
  CHECK(response.status().kind() == util::ErrorKind::kBadData);
  CHECK(response.status().message() ==
        "GET 127.0.0.1:" + std::to_string(server.port()) +
            "/huge: 127.0.0.1 sent Content-Length 1000000000000000, more than the 1 TiB any "
            "answer may have");
  CHECK(server.request_count() == 1);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
  CHECK(sink.size() == 0);
  // The control: 1 TiB is a length; the one byte sent is a truncation.
  util::StringSink tib;
  auto control = client->Send(Get(server.Url("/tib")), tib);
  REQUIRE_FALSE(control.ok());
  CHECK(control.status().kind() == util::ErrorKind::kTemporary);
  CHECK(control.status().message().ends_with("/tib: truncated: got 1 of 1099511627776 bytes"));
}

TEST_CASE("a sink with a size limit refuses a declared length beyond it before the first byte") {
  TestHttpServer server([](const RecordedRequest& r) {
    HttpReply reply = Ok(std::string(2000, 'b'));
    if (r.target == "/big") reply.content_length = 1000000;
    return reply;
  });
  auto client = MakePocoClient(TestOptions());
  util::StringSink limited(1000);
  auto response = client->Send(Get(server.Url("/big")), limited);
  REQUIRE_FALSE(response.ok());
  CHECK(response.status().kind() == util::ErrorKind::kBadData);
  CHECK(response.status().message().ends_with(
      "/big: response body larger than 1000 bytes (Content-Length 1000000)"));
  CHECK(limited.size() == 0);    // refused before the body, not after 1000 bytes of it
  util::StringSink roomy(5000);  // the control
  REQUIRE(client->Send(Get(server.Url("/fits")), roomy).ok());
  CHECK(roomy.size() == 2000);
}

TEST_CASE("a sink error stops the transfer and the client stays usable") {
  TestHttpServer server([](const RecordedRequest& r) {
    return Ok(r.target == "/big" ? std::string(200000, 'b') : "small");
  });
  auto client = MakePocoClient(TestOptions());
  util::StringSink limited(1000);
  auto response = client->Send(Get(server.Url("/big")), limited);
  REQUIRE_FALSE(response.ok());
  CHECK(response.status().kind() == util::ErrorKind::kBadData);
  CHECK(response.status().message().find("/big: response body larger than 1000 bytes") !=
        std::string::npos);
  util::StringSink sink;
  REQUIRE(client->Send(Get(server.Url("/small")), sink).ok());
  CHECK(sink.data() == "small");
}

TEST_CASE("a refused connection is kUnavailable and names host and path, never the query") {
  std::uint16_t port = 0;
  {
    TestHttpServer gone([](const RecordedRequest&) { return Ok(); });
    port = gone.port();
  }
  auto client = MakePocoClient(TestOptions());
  util::StringSink sink;
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/report?sig=CANARY-SIG";
  auto response = client->Send(Get(url), sink);
  REQUIRE_FALSE(response.ok());
  CHECK(response.status().kind() == util::ErrorKind::kUnavailable);
  CHECK(response.status().message() ==
        "GET 127.0.0.1:" + std::to_string(port) + "/report: connection refused");
}

TEST_CASE("a read timeout ends a request to a server that does not answer") {
  std::latch release(1);
  TestHttpServer server([&](const RecordedRequest&) {
    release.wait();
    return Ok();
  });
  ClientOptions options = TestOptions();
  options.read_timeout = std::chrono::milliseconds(200);
  auto client = MakePocoClient(options);
  util::StringSink sink;
  auto response = client->Send(Get(server.Url("/slow?sig=x")), sink);
  release.count_down();
  REQUIRE_FALSE(response.ok());
  CHECK(response.status().kind() == util::ErrorKind::kTemporary);
  CHECK(response.status().message() ==
        "GET 127.0.0.1:" + std::to_string(server.port()) + "/slow: timed out");
}

TEST_CASE("plain http to a non-loopback host is refused without connecting") {
  auto client = MakePocoClient(TestOptions());
  util::StringSink sink;
  auto response = client->Send(Get("http://example.com/analytics?sig=abc"), sink);
  REQUIRE_FALSE(response.ok());
  CHECK(response.status().kind() == util::ErrorKind::kConfig);
  CHECK(response.status().message().find("GET example.com/analytics: plain http://") == 0);
}

TEST_CASE("plain http to loopback can be switched off") {
  TestHttpServer server([](const RecordedRequest&) { return Ok(); });
  ClientOptions options = TestOptions();
  options.allow_http_loopback = false;
  auto client = MakePocoClient(options);
  util::StringSink sink;
  auto response = client->Send(Get(server.Url("/x")), sink);
  REQUIRE_FALSE(response.ok());
  CHECK(response.status().kind() == util::ErrorKind::kConfig);
  CHECK(server.request_count() == 0);
}

TEST_CASE("line breaks in headers or spaces in the target are refused before sending") {
  TestHttpServer server([](const RecordedRequest&) { return Ok(); });
  auto client = MakePocoClient(TestOptions());
  util::StringSink sink;
  Request injected = Get(server.Url("/x"));
  injected.headers.push_back({"X-Note", "a\r\nEvil: 1"});
  auto response = client->Send(injected, sink);
  REQUIRE_FALSE(response.ok());
  CHECK(response.status().kind() == util::ErrorKind::kBadData);
  auto spaced = client->Send(Get(server.Url("/a b")), sink);
  REQUIRE_FALSE(spaced.ok());
  CHECK(spaced.status().kind() == util::ErrorKind::kBadData);
  CHECK(server.request_count() == 0);
}

TEST_CASE("logs name method, host, path, status and request id, and no secret (canary)") {
  TestHttpServer server([](const RecordedRequest&) { return HttpReply{403, {}, "denied"}; });
  auto client = MakePocoClient(TestOptions());
  LogCapture logs;
  Request request = Get(server.Url("/v1.0/my/blob?sig=CANARY-SIG&se=CANARY-SE"));
  request.headers.push_back({"Authorization", "Bearer CANARY-TOKEN"});
  util::StringSink sink;
  REQUIRE(client->Send(request, sink).ok());
  // A failing request too: its error text must be as clean.
  std::uint16_t closed = 0;
  {
    TestHttpServer gone([](const RecordedRequest&) { return Ok(); });
    closed = gone.port();
  }
  request.url = "http://127.0.0.1:" + std::to_string(closed) + "/x?sig=CANARY-SIG";
  CHECK_FALSE(client->Send(request, sink).ok());

  const std::string text = logs.text();
  const auto id = server.requests().at(0).Header("x-ms-correlation-id");
  REQUIRE(id.has_value());
  CHECK(text.find("GET 127.0.0.1:" + std::to_string(server.port()) + "/v1.0/my/blob -> 403") !=
        std::string::npos);
  CHECK(text.find(*id) != std::string::npos);
  CHECK(text.find("connection refused") != std::string::npos);
  CHECK(text.find("CANARY") == std::string::npos);
  CHECK(text.find("Bearer") == std::string::npos);
  CHECK(text.find("sig=") == std::string::npos);
  CHECK(text.find("[REDACTED]") == std::string::npos);  // clean before the redactor, too
}

// A body of 60 bytes, 10 every 100 ms: 100 B/s for 0.6 s.
HttpReply Drip(bool chunked) {
  HttpReply reply = Ok(std::string(60, 'd'));
  reply.drip_every = std::chrono::milliseconds(100);
  reply.drip_piece = 10;
  reply.chunked = chunked;
  return reply;
}

ClientOptions FloorOptions(std::uint64_t rate) {
  ClientOptions options = TestOptions();
  options.min_transfer_rate = rate;
  options.min_transfer_rate_window = std::chrono::milliseconds(300);
  return options;
}

TEST_CASE("a body dripping below the rate floor is cut with the floor and the measured rate") {
  for (const bool chunked : {false, true}) {
    CAPTURE(chunked);
    TestHttpServer server([&](const RecordedRequest&) { return Drip(chunked); });
    ClientOptions options = FloorOptions(1024);
    std::vector<std::string> cuts;
    options.on_transfer_cut = [&](const util::Url& url, std::uint64_t rate, const util::Status&) {
      cuts.push_back(url.host + " " + std::to_string(rate));
    };
    auto client = MakePocoClient(options);
    util::StringSink sink;
    auto response = client->Send(Get(server.Url("/drip?sig=CANARY")), sink);
    REQUIRE_FALSE(response.ok());
    CHECK(response.status().kind() == util::ErrorKind::kTemporary);
    const std::string prefix = "GET 127.0.0.1:" + std::to_string(server.port()) +
                               "/drip: slower than 1.0 KiB/s over 0.300 s (measured ";
    CHECK(response.status().message().starts_with(prefix));
    CHECK(response.status().message().ends_with(" B/s)"));
    CHECK(sink.size() < 60);
    REQUIRE(cuts.size() == 1);
    CHECK(cuts[0].starts_with("127.0.0.1 "));
  }
}

TEST_CASE("the same drip with the rate floor at 0 is read whole (the control)") {
  for (const bool chunked : {false, true}) {
    CAPTURE(chunked);
    TestHttpServer server([&](const RecordedRequest&) { return Drip(chunked); });
    auto client = MakePocoClient(FloorOptions(0));
    util::StringSink sink;
    auto response = client->Send(Get(server.Url("/drip")), sink);
    REQUIRE(response.ok());
    CHECK(sink.data() == std::string(60, 'd'));
  }
}

TEST_CASE("a drip above the rate floor is read whole") {
  TestHttpServer server([&](const RecordedRequest&) { return Drip(false); });
  auto client = MakePocoClient(FloorOptions(20));  // 100 B/s against a floor of 20
  util::StringSink sink;
  REQUIRE(client->Send(Get(server.Url("/drip")), sink).ok());
  CHECK(sink.data() == std::string(60, 'd'));
}

TEST_CASE("a server silent before its headers is cut by the rate floor, not the read timeout") {
  std::latch release(1);
  TestHttpServer server([&](const RecordedRequest&) {
    release.wait();
    return Ok();
  });
  auto client = MakePocoClient(FloorOptions(1024));  // read timeout 5 s, window 0.3 s
  util::StringSink sink;
  auto response = client->Send(Get(server.Url("/silent")), sink);
  release.count_down();
  REQUIRE_FALSE(response.ok());
  CHECK(response.status().kind() == util::ErrorKind::kTemporary);
  CHECK(response.status().message() == "GET 127.0.0.1:" + std::to_string(server.port()) +
                                           "/silent: slower than 1.0 KiB/s over 0.300 s "
                                           "(measured 0 B/s)");
}

TEST_CASE("a request deadline ends a drip that keeps above the rate floor") {
  TestHttpServer server([&](const RecordedRequest&) { return Drip(false); });
  auto client = MakePocoClient(FloorOptions(0));
  Request request = Get(server.Url("/drip"));
  request.deadline = std::chrono::milliseconds(250);
  util::StringSink sink;
  auto response = client->Send(request, sink);
  REQUIRE_FALSE(response.ok());
  CHECK(response.status().kind() == util::ErrorKind::kTemporary);
  CHECK(response.status().message().find("/drip: request deadline of 0.250 s passed after ") !=
        std::string::npos);
}

TEST_CASE("once the run budget is spent a request fails at once without connecting") {
  TestHttpServer server([&](const RecordedRequest&) {
    HttpReply reply = Drip(false);
    reply.body = std::string(600, 'd');  // 6 s of drip: longer than the budget
    return reply;
  });
  ClientOptions options = FloorOptions(0);
  // Long enough for Wine's first connect (its socket layer starts slowly),
  // so the budget ends during the drip, not before it.
  options.run_budget = std::chrono::milliseconds(1500);
  auto client = MakePocoClient(options);
  util::StringSink sink;
  auto first = client->Send(Get(server.Url("/drip")), sink);
  REQUIRE_FALSE(first.ok());
  CHECK_MESSAGE(first.status().message().find("/drip: run budget of 1.500 s passed after ") !=
                    std::string::npos,
                first.status().message());
  auto second = client->Send(Get(server.Url("/drip")), sink);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().kind() == util::ErrorKind::kTemporary);
  CHECK(second.status().message() ==
        "GET 127.0.0.1:" + std::to_string(server.port()) + "/drip: run budget of 1.500 s spent");
  CHECK(server.request_count() == 1);
}

}  // namespace
}  // namespace hdc::http
