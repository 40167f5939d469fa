#include "http/retry.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <sstream>
#include <stop_token>
#include <vector>

#include <doctest/doctest.h>

#include "support/test_http_server.h"
#include "util/logging.h"

namespace hdc::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::HttpReply;
using testing::RecordedRequest;
using testing::TestHttpServer;

// 2024-05-01T00:00:00Z, a Wednesday.
const util::TimePoint kStart = util::TimePoint(milliseconds(1714521600000LL));

TEST_CASE("Retry-After accepts delta-seconds and the three HTTP-date forms") {
  struct Case {
    const char* value;
    std::optional<util::Duration> expected;
  };
  const Case cases[] = {
      {"7", seconds(7)},
      {"0", seconds(0)},
      {" 120 ", seconds(120)},
      {"1000000000", seconds(1000000000)},
      {"Wed, 01 May 2024 00:01:30 GMT", seconds(90)},
      {"Wednesday, 01-May-24 00:01:30 GMT", seconds(90)},
      {"Wed May  1 00:01:30 2024", seconds(90)},
      {"Wed, 01 May 2024 00:00:00 GMT", seconds(0)},
      {"Tue, 30 Apr 2024 23:00:00 GMT", seconds(0)},  // past: now
      {"-5", std::nullopt},
      {"+5", std::nullopt},
      {"1.5", std::nullopt},
      {"", std::nullopt},
      {"soon", std::nullopt},
      {"Wed, 01 May 2024 00:01:30 UTC", std::nullopt},
      {"Wed, 31 Feb 2024 00:01:30 GMT", std::nullopt},
      {"Wed, 01 Foo 2024 00:01:30 GMT", std::nullopt},
      {"Wed, 01 May 2024 25:01:30 GMT", std::nullopt},
      {"Wed, 01 May 2024 00:01 GMT", std::nullopt},
  };
  for (const Case& c : cases) {
    CAPTURE(c.value);
    CHECK(ParseRetryAfter(c.value, kStart) == c.expected);
  }
  // Absurdly long numbers are clamped, not overflowed.
  auto huge = ParseRetryAfter("99999999999999999999999999", kStart);
  REQUIRE(huge.has_value());
  CHECK(*huge > std::chrono::hours(24 * 365));
}

TEST_CASE("backoff ceilings double from the initial delay up to the cap") {
  RetryPolicy policy;
  util::Random random(1);
  Backoff backoff(policy, random);
  CHECK(backoff.Ceiling(0) == seconds(1));
  CHECK(backoff.Ceiling(1) == seconds(2));
  CHECK(backoff.Ceiling(2) == seconds(4));
  CHECK(backoff.Ceiling(8) == seconds(256));
  CHECK(backoff.Ceiling(9) == minutes(5));
  CHECK(backoff.Ceiling(1000) == minutes(5));
}

TEST_CASE("backoff delays are full-jitter: spread over [0, ceiling]") {
  RetryPolicy policy;
  util::Random random(20240501);
  Backoff backoff(policy, random);
  for (int retry : {0, 3, 12}) {
    CAPTURE(retry);
    const util::Duration ceiling = backoff.Ceiling(retry);
    util::Duration low = ceiling, high(0);
    for (int i = 0; i < 2000; ++i) {
      const util::Duration d = backoff.Delay(retry);
      REQUIRE(d >= util::Duration(0));
      REQUIRE(d <= ceiling);
      low = std::min(low, d);
      high = std::max(high, d);
    }
    CHECK(low < ceiling / 20);
    CHECK(high > ceiling * 19 / 20);
  }
}

TEST_CASE("Retry-After wins over backoff and is capped") {
  RetryPolicy policy;
  util::Random random(3);
  Backoff backoff(policy, random);
  CHECK(backoff.Delay(0, seconds(7)) == seconds(7));
  CHECK(backoff.Delay(5, seconds(0)) == seconds(0));
  CHECK(backoff.Delay(0, minutes(20)) == minutes(15));
  CHECK(backoff.Delay(0, -seconds(3)) == seconds(0));
}

TEST_CASE("only 429, 500, 502, 503 and 504 are retryable statuses") {
  for (int s : {429, 500, 502, 503, 504}) CHECK(IsRetryableStatus(s));
  for (int s : {200, 201, 206, 301, 302, 400, 401, 403, 404, 409, 416, 501, 505}) {
    CHECK_FALSE(IsRetryableStatus(s));
  }
}

// Runs SendWithRetry on another thread against a manual clock. `done` fires
// when it returns, so a test waiting for a clock waiter never hangs.
class RetryRun {
 public:
  RetryRun(HttpClient& client, Request request, RetryPolicy policy, std::uint64_t seed,
           util::ManualClock& clock, std::stop_token stop = {})
      : clock_(clock), random_(seed), request_(std::move(request)), policy_(policy) {
    result_ = std::async(std::launch::async, [this, &client, stop] {
      auto result = SendWithRetry(client, request_, sink, policy_, clock_, random_, stop);
      done_.request_stop();
      return result;
    });
  }
  // Waits until the sender sleeps on the clock, then moves the clock.
  void AdvanceWhenWaiting(util::Duration d) {
    clock_.AwaitWaiters(1, done_.get_token());
    clock_.Advance(d);
  }
  bool Waiting(int n) { return clock_.waiters() == n; }
  util::ManualClock& clock() { return clock_; }
  util::Result<Response> Get() {
    REQUIRE(result_.wait_for(seconds(30)) == std::future_status::ready);
    return result_.get();
  }
  util::StringSink sink;

 private:
  util::ManualClock& clock_;
  util::Random random_;
  Request request_;
  RetryPolicy policy_;
  std::stop_source done_;
  std::future<util::Result<Response>> result_;
};

// A server whose n-th answer (from 1) comes from a script; it notes the
// manual clock's time at each request.
struct ScriptedServer {
  explicit ScriptedServer(std::function<HttpReply(int)> script,
                          util::ManualClock* manual_clock = nullptr)
      : clock(manual_clock), server([this, script](const RecordedRequest&) {
          std::lock_guard lock(mu);
          if (clock) times.push_back(clock->Now());
          return script(++count);
        }) {}
  std::vector<util::TimePoint> Times() {
    std::lock_guard lock(mu);
    return times;
  }
  std::mutex mu;
  util::ManualClock* const clock;
  int count = 0;
  std::vector<util::TimePoint> times;
  TestHttpServer server;
};

Request Get(std::string url) {
  Request request;
  request.url = std::move(url);
  return request;
}

// Keeps the retry log lines out of the test output.
class QuietLogs {
 public:
  QuietLogs() {
    util::LogOptions options;
    options.level = "info";
    util::SetupLogging(options, &out_);
  }
  ~QuietLogs() { util::SetupLogging(util::LogOptions{}); }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

TEST_CASE("503 twice then 200: three attempts, waiting the jittered backoff on the clock") {
  QuietLogs logs;
  util::ManualClock clock(kStart);
  ScriptedServer s(
      [](int n) {
        return n <= 2 ? HttpReply{503, {}, "busy"} : HttpReply{200, {}, "done"};
      },
      &clock);
  auto client = MakePocoClient(ClientOptions{});
  const RetryPolicy policy;
  util::Random twin(99);
  Backoff expected(policy, twin);
  const util::Duration d0 = expected.Delay(0), d1 = expected.Delay(1);
  REQUIRE(d0 > util::Duration(0));
  REQUIRE(d1 > util::Duration(0));

  RetryRun run(*client, Get(s.server.Url("/busy?sig=S")), policy, 99, clock);
  REQUIRE(s.server.AwaitRequests(1));
  run.AdvanceWhenWaiting(d0);
  REQUIRE(s.server.AwaitRequests(2));
  run.AdvanceWhenWaiting(d1);
  auto result = run.Get();
  REQUIRE_MESSAGE(result.ok(), result.status().message());
  CHECK(result->status == 200);
  CHECK(run.sink.data() == "done");  // the 503 bodies were truncated away
  CHECK(s.server.request_count() == 3);
  const auto times = s.Times();
  REQUIRE(times.size() == 3);
  CHECK(times[1] - times[0] == d0);
  CHECK(times[2] - times[1] == d1);
  CHECK(logs.text().find("HTTP 503; attempt 2 of 8") != std::string::npos);
  CHECK(logs.text().find("sig=") == std::string::npos);
}

// A body that must not be sent twice (a client assertion's jti) is made
// afresh for every retry; the first attempt sends the request's own.
TEST_CASE("retry_body makes the body of every retry, the first attempt sends body") {
  QuietLogs logs;
  util::ManualClock clock(kStart);
  ScriptedServer s([](int n) {
    return n <= 2 ? HttpReply{503, {}, "busy"} : HttpReply{200, {}, "ok"};
  });
  auto client = MakePocoClient(ClientOptions{});
  Request request = Get(s.server.Url("/token"));
  request.method = "POST";
  request.body = "assertion=0";
  int made = 0;
  request.retry_body = [&made]() -> util::Result<std::string> {
    return "assertion=" + std::to_string(++made);
  };
  RetryRun run(*client, request, RetryPolicy{}, 7, clock);
  REQUIRE(s.server.AwaitRequests(1));
  run.AdvanceWhenWaiting(minutes(1));
  REQUIRE(s.server.AwaitRequests(2));
  run.AdvanceWhenWaiting(minutes(1));
  auto result = run.Get();
  REQUIRE_MESSAGE(result.ok(), result.status().message());
  CHECK(result->status == 200);
  std::vector<std::string> bodies;
  for (const auto& r : s.server.requests()) bodies.push_back(r.body);
  CHECK(bodies == std::vector<std::string>{"assertion=0", "assertion=1", "assertion=2"});

  // When it cannot make one, that error ends the request.
  ScriptedServer busy([](int) { return HttpReply{503, {}, "busy"}; });
  Request failing = Get(busy.server.Url("/token"));
  failing.retry_body = []() -> util::Result<std::string> {
    return util::ConfigError("client_certificate_file: unreadable");
  };
  RetryRun refused(*client, failing, RetryPolicy{}, 7, clock);
  REQUIRE(busy.server.AwaitRequests(1));
  refused.AdvanceWhenWaiting(minutes(1));
  auto ended = refused.Get();
  REQUIRE_FALSE(ended.ok());
  CHECK(ended.status().message() == "client_certificate_file: unreadable");
  CHECK(busy.server.request_count() == 1);
}

TEST_CASE("429 with Retry-After: 7 waits exactly 7 seconds") {
  QuietLogs logs;
  util::ManualClock clock(kStart);
  ScriptedServer s(
      [](int n) {
        return n == 1 ? HttpReply{429, {{"Retry-After", "7"}}, ""} : HttpReply{200, {}, "ok"};
      },
      &clock);
  auto client = MakePocoClient(ClientOptions{});
  RetryRun run(*client, Get(s.server.Url("/limited")), RetryPolicy{}, 5, clock);
  REQUIRE(s.server.AwaitRequests(1));
  run.AdvanceWhenWaiting(milliseconds(6999));
  CHECK(run.Waiting(1));  // still asleep a millisecond short
  CHECK(s.server.request_count() == 1);
  run.clock().Advance(milliseconds(1));
  auto result = run.Get();
  REQUIRE(result.ok());
  CHECK(result->status == 200);
  const auto times = s.Times();
  REQUIRE(times.size() == 2);
  CHECK(times[1] - times[0] == seconds(7));
}

TEST_CASE("Retry-After as an HTTP-date waits until that date") {
  QuietLogs logs;
  ScriptedServer s([](int n) {
    return n == 1 ? HttpReply{503, {{"Retry-After", "Wed, 01 May 2024 00:01:30 GMT"}}, ""}
                  : HttpReply{200, {}, "ok"};
  });
  auto client = MakePocoClient(ClientOptions{});
  util::ManualClock clock(kStart);
  RetryRun run(*client, Get(s.server.Url("/x")), RetryPolicy{}, 5, clock);
  REQUIRE(s.server.AwaitRequests(1));
  run.AdvanceWhenWaiting(seconds(89));
  CHECK(run.Waiting(1));
  run.clock().Advance(seconds(1));
  auto result = run.Get();
  REQUIRE(result.ok());
  CHECK(run.clock().Now() == kStart + seconds(90));
}

TEST_CASE("a non-idempotent POST is sent once, whatever the answer") {
  ScriptedServer s([](int) { return HttpReply{503, {{"Retry-After", "1"}}, "busy"}; });
  auto client = MakePocoClient(ClientOptions{});
  Request post = Get(s.server.Url("/analytics/driver/report"));
  post.method = "POST";
  post.body = "{}";
  post.idempotent = false;
  util::ManualClock clock(kStart);
  RetryRun run(*client, post, RetryPolicy{}, 1, clock);
  auto result = run.Get();
  REQUIRE(result.ok());
  CHECK(result->status == 503);
  CHECK(run.sink.data() == "busy");
  CHECK(s.server.request_count() == 1);
  CHECK(run.clock().Now() == kStart);
}

TEST_CASE("a status that is not retryable is returned at once") {
  ScriptedServer s([](int) { return HttpReply{404, {}, "nope"}; });
  auto client = MakePocoClient(ClientOptions{});
  util::ManualClock clock(kStart);
  RetryRun run(*client, Get(s.server.Url("/missing")), RetryPolicy{}, 1, clock);
  auto result = run.Get();
  REQUIRE(result.ok());
  CHECK(result->status == 404);
  CHECK(s.server.request_count() == 1);
}

TEST_CASE("retries give up after max_attempts with kUnavailable and a clear message") {
  QuietLogs logs;
  ScriptedServer s([](int) { return HttpReply{503, {}, "still busy"}; });
  auto client = MakePocoClient(ClientOptions{});
  RetryPolicy policy;
  policy.max_attempts = 3;
  util::ManualClock clock(kStart);
  RetryRun run(*client, Get(s.server.Url("/busy?sig=S")), policy, 11, clock);
  for (int k = 1; k < 3; ++k) {
    REQUIRE(s.server.AwaitRequests(k));
    run.AdvanceWhenWaiting(minutes(5));  // beyond any jittered delay
  }
  auto result = run.Get();
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().kind() == util::ErrorKind::kUnavailable);
  CHECK(result.status().message() ==
        "GET 127.0.0.1:" + std::to_string(s.server.port()) + "/busy: HTTP 503 after 3 attempts");
  CHECK(result.status().http_status() == 503);  // typed, beside the text
  CHECK(s.server.request_count() == 3);
  CHECK(run.sink.data() == "still busy");  // the last error body, for the caller
}

TEST_CASE("transport errors are retried, then reported as unavailable") {
  QuietLogs logs;
  std::uint16_t port = 0;
  {
    TestHttpServer gone([](const RecordedRequest&) { return HttpReply{}; });
    port = gone.port();
  }
  auto client = MakePocoClient(ClientOptions{});
  RetryPolicy policy;
  policy.max_attempts = 2;
  util::ManualClock clock(kStart);
  RetryRun run(*client, Get("http://127.0.0.1:" + std::to_string(port) + "/x?sig=S"), policy, 2,
               clock);
  run.AdvanceWhenWaiting(seconds(1));
  auto result = run.Get();
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().kind() == util::ErrorKind::kUnavailable);
  CHECK(result.status().message() ==
        "GET 127.0.0.1:" + std::to_string(port) + "/x: connection refused after 2 attempts");
  CHECK(result.status().http_status() == 0);  // no response: no HTTP status
}

TEST_CASE("a Retry-After beyond the time budget gives up instead of waiting") {
  ScriptedServer s([](int) { return HttpReply{429, {{"Retry-After", "600"}}, ""}; });
  auto client = MakePocoClient(ClientOptions{});
  RetryPolicy policy;
  policy.max_total = minutes(5);
  util::ManualClock clock(kStart);
  RetryRun run(*client, Get(s.server.Url("/x")), policy, 2, clock);
  auto result = run.Get();
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().kind() == util::ErrorKind::kUnavailable);
  CHECK(result.status().message().find("HTTP 429 after 1 attempt, retry time budget spent") !=
        std::string::npos);
  CHECK(result.status().http_status() == 429);
  CHECK(run.clock().Now() == kStart);
}

TEST_CASE("a stop request ends the wait between attempts") {
  QuietLogs logs;
  ScriptedServer s([](int) { return HttpReply{503, {}, ""}; });
  auto client = MakePocoClient(ClientOptions{});
  std::stop_source stop;
  util::ManualClock clock(kStart);
  RetryRun run(*client, Get(s.server.Url("/busy")), RetryPolicy{}, 4, clock, stop.get_token());
  REQUIRE(s.server.AwaitRequests(1));
  run.clock().AwaitWaiters(1);
  stop.request_stop();
  auto result = run.Get();
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().kind() == util::ErrorKind::kTemporary);
  CHECK(result.status().message().ends_with(": stopped"));
  CHECK(s.server.request_count() == 1);
}

// A client that answers from a script, for sink behaviour without a server.
class ScriptedClient final : public HttpClient {
 public:
  using Step = std::function<util::Result<Response>(util::ByteSink&)>;
  explicit ScriptedClient(std::vector<Step> steps) : steps_(std::move(steps)) {}
  util::Result<Response> Send(const Request&, util::ByteSink& sink) override {
    return steps_.at(calls++)(sink);
  }
  int calls = 0;

 private:
  std::vector<Step> steps_;
};

util::Result<Response> Partial(util::ByteSink& sink) {
  (void)sink.Append("partial");
  return util::TemporaryError("truncated: got 7 of 100 bytes").WithContext("GET h/p: ");
}

util::Result<Response> Whole(util::ByteSink& sink) {
  (void)sink.Append("whole");
  Response response;
  response.status = 200;
  return response;
}

TEST_CASE("a retried body starts again from byte 0, errors of other kinds are not retried") {
  RetryPolicy instant;
  instant.initial = util::Duration(0);  // zero waits: no clock driving needed
  util::ManualClock clock(kStart);
  util::Random random(1);
  QuietLogs logs;

  ScriptedClient client({Partial, Whole});
  util::StringSink sink;
  auto result = SendWithRetry(client, Get("https://h/p"), sink, instant, clock, random, {});
  REQUIRE(result.ok());
  CHECK(sink.data() == "whole");
  CHECK(client.calls == 2);

  ScriptedClient bad(
      {[](util::ByteSink&) -> util::Result<Response> { return util::BadDataError("nonsense"); }});
  util::StringSink unused;
  auto refused = SendWithRetry(bad, Get("https://h/p"), unused, instant, clock, random, {});
  CHECK(refused.status().kind() == util::ErrorKind::kBadData);
  CHECK(bad.calls == 1);
}

TEST_CASE("a ranged request is not retried once its sink has grown, the caller resumes") {
  RetryPolicy instant;
  instant.initial = util::Duration(0);
  util::ManualClock clock(kStart);
  util::Random random(1);
  ScriptedClient client({Partial, Whole});
  util::StringSink sink;
  REQUIRE(sink.Append("earlier").ok());
  Request ranged = Get("https://blob.example.net/f");
  ranged.headers.push_back({"Range", "bytes=7-"});
  auto result = SendWithRetry(client, ranged, sink, instant, clock, random, {});
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().kind() == util::ErrorKind::kTemporary);
  CHECK(sink.data() == "earlierpartial");
  CHECK(client.calls == 1);
}

}  // namespace
}  // namespace hdc::http

namespace hdc::http {
namespace {

// A sink that refuses every byte the way a full disk does (kTemporary).
class FullDiskSink final : public util::ByteSink {
 public:
  util::Status Append(std::string_view) override {
    return util::TemporaryError("write store/tmp/x.part: No space left on device");
  }
  std::uint64_t size() const override { return 0; }
  util::Status Truncate() override { return util::Status::Ok(); }
};

TEST_CASE("an error of the sink itself is returned at once, never retried as a network error") {
  RetryPolicy instant;
  instant.initial = util::Duration(0);
  util::ManualClock clock(kStart);
  util::Random random(1);
  QuietLogs logs;
  // As the real client does: a sink error ends the transfer with that error.
  auto body = [](util::ByteSink& sink) -> util::Result<Response> {
    HDC_RETURN_IF_ERROR(sink.Append("bytes"));
    return Response{200, {}};
  };
  ScriptedClient client({body, body, body});
  FullDiskSink sink;
  auto result = SendWithRetry(client, Get("https://h/p"), sink, instant, clock, random, {});
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().message().find("No space left") != std::string::npos);
  CHECK(client.calls == 1);
}

// Attempts that a bound of the client cuts after `takes` of the manual clock
// (or at their deadline, if sooner), recording the deadline each was sent with.
class SlowClient final : public HttpClient {
 public:
  SlowClient(util::ManualClock& clock, util::Duration takes) : clock_(clock), takes_(takes) {}
  util::Result<Response> Send(const Request& request, util::ByteSink&) override {
    deadlines.push_back(request.deadline);
    const bool bounded = request.deadline.count() > 0;
    clock_.Advance(bounded ? std::min(takes_, request.deadline) : takes_);
    return util::TemporaryError("slower than 1.0 KiB/s over 2 s (measured 50 B/s)")
        .WithContext("GET h/p: ");
  }
  std::vector<util::Duration> deadlines;

 private:
  util::ManualClock& clock_;
  const util::Duration takes_;
};

TEST_CASE("with a deadline each attempt gets what is left and retries stop once it is spent") {
  RetryPolicy policy;
  policy.initial = util::Duration(0);  // zero waits: the attempts alone spend the time
  policy.deadline = seconds(10);
  util::ManualClock clock(kStart);
  util::Random random(1);
  QuietLogs logs;
  SlowClient client(clock, seconds(4));
  util::StringSink sink;
  auto result = SendWithRetry(client, Get("https://h/p?sig=S"), sink, policy, clock, random, {});
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().kind() == util::ErrorKind::kUnavailable);
  CHECK(result.status().message() ==
        "GET h/p: slower than 1.0 KiB/s over 2 s (measured 50 B/s) after 3 attempts, request "
        "deadline spent");
  CHECK(result.status().http_status() == 0);
  CHECK(client.deadlines == std::vector<util::Duration>{seconds(10), seconds(6), seconds(2)});
  CHECK(clock.Now() - kStart == seconds(10));  // the third attempt ended at its 2 s deadline
}

TEST_CASE("without a deadline the same slow attempts run until max_attempts (the control)") {
  RetryPolicy policy;
  policy.initial = util::Duration(0);
  util::ManualClock clock(kStart);
  util::Random random(1);
  QuietLogs logs;
  SlowClient client(clock, seconds(4));
  util::StringSink sink;
  auto result = SendWithRetry(client, Get("https://h/p"), sink, policy, clock, random, {});
  REQUIRE_FALSE(result.ok());
  CHECK(client.deadlines == std::vector<util::Duration>(8, util::Duration(0)));
  CHECK(clock.Now() - kStart == seconds(32));
}

TEST_CASE("a non-idempotent request is sent once with the whole deadline") {
  RetryPolicy policy;
  policy.deadline = seconds(10);
  util::ManualClock clock(kStart);
  util::Random random(1);
  SlowClient client(clock, seconds(4));
  Request post = Get("https://h/p");
  post.method = "POST";
  post.idempotent = false;
  util::StringSink sink;
  CHECK_FALSE(SendWithRetry(client, post, sink, policy, clock, random, {}).ok());
  CHECK(client.deadlines == std::vector<util::Duration>{seconds(10)});
}

}  // namespace
}  // namespace hdc::http
