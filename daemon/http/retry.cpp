#include "http/retry.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <string>
#include <vector>

#include "http/log_name.h"
#include "util/logging.h"

namespace hdc::http {
namespace {

using std::chrono::seconds;

// Delta-seconds beyond this are clamped (the caller caps them far lower).
constexpr std::uint64_t kMaxDeltaSeconds = 1'000'000'000'000ull;

std::vector<std::string_view> SplitSpaces(std::string_view text) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = text.find_first_not_of(' ', pos);
    if (start == std::string_view::npos) break;
    size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    pos = end;
  }
  return out;
}

std::optional<unsigned> Number(std::string_view text, size_t min_digits, size_t max_digits) {
  if (text.size() < min_digits || text.size() > max_digits) return std::nullopt;
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<unsigned> Month(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kMonths{
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (unsigned i = 0; i < kMonths.size(); ++i) {
    if (kMonths[i] == name) return i + 1;
  }
  return std::nullopt;
}

bool IsDayName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalpha(static_cast<unsigned char>(c));
  });
}

// Builds a time from fields; "hh:mm:ss" in `clock`.
std::optional<util::TimePoint> MakeTime(unsigned year, std::optional<unsigned> month,
                                        std::optional<unsigned> day, std::string_view clock) {
  if (!month || !day || clock.size() != 8 || clock[2] != ':' || clock[5] != ':') {
    return std::nullopt;
  }
  auto h = Number(clock.substr(0, 2), 2, 2);
  auto m = Number(clock.substr(3, 2), 2, 2);
  auto s = Number(clock.substr(6, 2), 2, 2);
  if (!h || !m || !s || *h > 23 || *m > 59 || *s > 60) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(static_cast<int>(year)),
                                         std::chrono::month(*month), std::chrono::day(*day)};
  if (!date.ok()) return std::nullopt;
  return util::TimePoint(std::chrono::sys_days(date)) + std::chrono::hours(*h) +
         std::chrono::minutes(*m) + seconds(*s);
}

// IMF-fixdate, RFC 850 and asctime forms (RFC 9110 section 5.6.7).
std::optional<util::TimePoint> ParseHttpDate(std::string_view text) {
  const std::vector<std::string_view> t = SplitSpaces(text);
  if (t.size() == 6 && t[0].ends_with(',') && IsDayName(t[0].substr(0, t[0].size() - 1)) &&
      t[5] == "GMT") {  // Sun, 06 Nov 1994 08:49:37 GMT
    auto year = Number(t[3], 4, 4);
    if (!year) return std::nullopt;
    return MakeTime(*year, Month(t[2]), Number(t[1], 1, 2), t[4]);
  }
  if (t.size() == 4 && t[0].ends_with(',') && IsDayName(t[0].substr(0, t[0].size() - 1)) &&
      t[3] == "GMT" && t[1].size() == 9 && t[1][2] == '-' && t[1][6] == '-') {
    // Sunday, 06-Nov-94 08:49:37 GMT; two-digit years as RFC 9110 says, roughly.
    auto year = Number(t[1].substr(7), 2, 2);
    if (!year) return std::nullopt;
    return MakeTime(*year < 70 ? 2000 + *year : 1900 + *year, Month(t[1].substr(3, 3)),
                    Number(t[1].substr(0, 2), 2, 2), t[2]);
  }
  if (t.size() == 5 && IsDayName(t[0])) {  // Sun Nov  6 08:49:37 1994
    auto year = Number(t[4], 4, 4);
    if (!year) return std::nullopt;
    return MakeTime(*year, Month(t[1]), Number(t[2], 1, 2), t[3]);
  }
  return std::nullopt;
}

std::string Seconds(util::Duration d) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f s", static_cast<double>(d.count()) / 1000.0);
  return buffer;
}

bool HasHeader(const Request& request, std::string_view name) {
  return std::any_of(request.headers.begin(), request.headers.end(), [&](const Header& h) {
    return std::equal(h.name.begin(), h.name.end(), name.begin(), name.end(), [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a)) ==
             std::tolower(static_cast<unsigned char>(b));
    });
  });
}

// `last_http`: the status of the last response when it was one ("HTTP 503"),
// else 0.
util::Status GiveUp(const std::string& what, const std::string& last, int last_http, int attempts,
                    std::string_view why = "") {
  return util::Status::Error(util::ErrorKind::kUnavailable,
                             what + ": " + last + " after " + std::to_string(attempts) +
                                 (attempts == 1 ? " attempt" : " attempts") + std::string(why))
      .WithHttpStatus(last_http);
}

}  // namespace

std::optional<util::Duration> ParseRetryAfter(std::string_view value, util::TimePoint now) {
  const size_t first = value.find_first_not_of(" \t");
  if (first == std::string_view::npos) return std::nullopt;
  value = value.substr(first, value.find_last_not_of(" \t") + 1 - first);
  if (std::all_of(value.begin(), value.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    std::uint64_t delta = kMaxDeltaSeconds;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), delta);
    if (ec != std::errc() || delta > kMaxDeltaSeconds) delta = kMaxDeltaSeconds;
    return seconds(static_cast<seconds::rep>(delta));
  }
  auto date = ParseHttpDate(value);
  if (!date) return std::nullopt;
  return *date > now ? *date - now : util::Duration(0);
}

bool IsRetryableStatus(int status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

util::Duration Backoff::Ceiling(int retry) const {
  if (policy_.initial <= util::Duration(0)) return util::Duration(0);
  util::Duration ceiling = policy_.initial;
  for (int i = 0; i < retry && ceiling < policy_.max_delay; ++i) ceiling *= 2;
  return std::min(ceiling, policy_.max_delay);
}

util::Duration Backoff::Delay(int retry, std::optional<util::Duration> retry_after) {
  if (retry_after) {
    return std::clamp(*retry_after, util::Duration(0), policy_.retry_after_cap);
  }
  const util::Duration ceiling = Ceiling(retry);
  if (ceiling <= util::Duration(0)) return util::Duration(0);
  return util::Duration(static_cast<util::Duration::rep>(
      random_.Uniform(0, static_cast<std::uint64_t>(ceiling.count()))));
}

namespace {

// Forwards to the caller's sink and remembers whether the sink itself
// failed (disk full, a size limit): retrying the request cannot help then.
class SinkGuard final : public util::ByteSink {
 public:
  explicit SinkGuard(util::ByteSink& sink) : sink_(sink) {}
  util::Status StartResponse(int status, const std::vector<util::HeaderField>& headers) override {
    return Check(sink_.StartResponse(status, headers));
  }
  util::Status Start(int status) override { return Check(sink_.Start(status)); }
  util::Status ExpectLength(std::uint64_t length) override {
    return Check(sink_.ExpectLength(length));
  }
  util::Status Append(std::string_view data) override { return Check(sink_.Append(data)); }
  std::uint64_t size() const override { return sink_.size(); }
  util::Status Truncate() override { return Check(sink_.Truncate()); }
  bool failed() const { return failed_; }

 private:
  util::Status Check(util::Status status) {
    if (!status.ok()) failed_ = true;
    return status;
  }
  util::ByteSink& sink_;
  bool failed_ = false;
};

// A request that is never retried, sent once within the policy's deadline.
util::Result<Response> SendOnce(HttpClient& client, const Request& request, util::ByteSink& sink,
                                const RetryPolicy& policy) {
  if (policy.deadline.count() <= 0) return client.Send(request, sink);
  Request once = request;
  once.deadline = policy.deadline;
  return client.Send(once, sink);
}

// An attempt worth retrying: what it came to, for the log and the final error.
struct Retryable {
  std::string outcome;  // "HTTP 503", or the transport error without its context
  int http = 0;         // the status when the outcome is one
  std::optional<util::Duration> retry_after;
};

// nullopt when the result is final: a status not worth retrying, or an error
// other than kUnavailable and kTemporary.
std::optional<Retryable> RetryableOutcome(const util::Result<Response>& result,
                                          util::Clock& clock) {
  Retryable retryable;
  if (result.ok()) {
    if (!IsRetryableStatus(result->status)) return std::nullopt;
    retryable.outcome = "HTTP " + std::to_string(result->status);
    retryable.http = result->status;
    if (auto header = result->FindHeader("Retry-After")) {
      retryable.retry_after = ParseRetryAfter(*header, clock.Now());
    }
    return retryable;
  }
  const util::ErrorKind kind = result.status().kind();
  if (kind != util::ErrorKind::kUnavailable && kind != util::ErrorKind::kTemporary) {
    return std::nullopt;
  }
  // The client names the request as the error's context ("METHOD
  // host/path: "); the retry lines name it themselves.
  retryable.outcome = std::string(result.status().MessageWithoutContext());
  return retryable;
}

}  // namespace

util::Result<Response> SendWithRetry(HttpClient& client, const Request& request,
                                     util::ByteSink& caller_sink, const RetryPolicy& policy,
                                     util::Clock& clock, util::Random& random,
                                     std::stop_token stop) {
  if (!request.idempotent) return SendOnce(client, request, caller_sink, policy);
  SinkGuard sink(caller_sink);
  const std::string what = LogName(request.method, request.url);
  const bool ranged = HasHeader(request, "Range") || request.caller_resumes;
  const std::uint64_t initial_size = sink.size();
  const util::TimePoint start = clock.Now();
  const int max_attempts = std::max(1, policy.max_attempts);
  const bool bounded = policy.deadline.count() > 0;
  const util::Duration budget =
      bounded ? std::min(policy.max_total, policy.deadline) : policy.max_total;
  Request next = request;
  Backoff backoff(policy, random);
  Retryable last;
  for (int attempt = 1;; ++attempt) {
    if (stop.stop_requested()) return util::TemporaryError(what + ": stopped");
    if (bounded) {
      next.deadline = policy.deadline - (clock.Now() - start);
      if (next.deadline.count() <= 0) {
        return GiveUp(what, last.outcome, last.http, attempt - 1, ", request deadline spent");
      }
    }
    if (attempt > 1 && request.retry_body) {
      auto body = request.retry_body();
      if (!body.ok()) return body.status();
      next.body = std::move(*body);
    }
    auto result = client.Send(next, sink);
    if (sink.failed()) return result;  // the sink's own error: not the network's
    const std::optional<Retryable> retryable = RetryableOutcome(result, clock);
    if (!retryable) return result;
    const auto& [outcome, outcome_http, retry_after] = *retryable;
    if (ranged && sink.size() != initial_size) return result;  // the caller resumes
    if (attempt >= max_attempts) return GiveUp(what, outcome, outcome_http, attempt);
    last = *retryable;
    const util::Duration delay = backoff.Delay(attempt - 1, retry_after);
    if (clock.Now() + delay - start > budget) {
      return GiveUp(what, outcome, outcome_http, attempt, ", retry time budget spent");
    }
    util::GetLogger("http")->info("{}: {}; attempt {} of {} in {}", what, outcome, attempt + 1,
                                  max_attempts, Seconds(delay));
    if (!clock.WaitFor(delay, stop)) return util::TemporaryError(what + ": stopped");
    if (sink.size() != initial_size) HDC_RETURN_IF_ERROR(sink.Truncate());
  }
}

}  // namespace hdc::http
