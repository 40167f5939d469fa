// Retries for idempotent HTTP requests, all on the injected Clock.
//
// - Retried: 429, 500, 502, 503, 504 and transport errors of kind
//   kUnavailable or kTemporary (refused, reset, timeout, truncated body).
// - Waits: full-jitter exponential backoff, uniform(0, min(max_delay,
//   initial * 2^n)) for the n-th retry (n from 0); a Retry-After header
//   (delta-seconds or HTTP-date) takes precedence, capped at retry_after_cap.
// - Bounded by max_attempts and by max_total on the clock: a wait that would
//   end past the budget is not started. With a deadline (API and token
//   calls) the whole request, attempts and waits, ends within it: each
//   attempt is sent with what is left as its own deadline, and no attempt
//   starts once it is spent. Without one (blob downloads) only the client's
//   rate floor bounds an attempt (docs/operations.md §Configuration).
// - Every wait ends early on the stop token (the result is then kTemporary
//   "stopped"). No wall-clock sleeps anywhere: tests drive a ManualClock.
// - Non-idempotent requests (creating POSTs) are sent exactly once, whatever
//   the outcome: the caller lists remote state before trying again.
// - Giving up returns kUnavailable naming method, host and path (never the
//   query) and the attempt count; the last error body stays in the sink.
// Stateless apart from the Random it is given; thread-safe when each thread
// brings its own Random.
#pragma once

#include <chrono>
#include <optional>
#include <stop_token>
#include <string_view>

#include "http/client.h"
#include "util/byte_sink.h"
#include "util/clock.h"
#include "util/random.h"
#include "util/result.h"

namespace hdc::http {

struct RetryPolicy {
  int max_attempts = 8;                                       // attempts in all, first included
  util::Duration initial = std::chrono::seconds(1);           // first backoff ceiling
  util::Duration max_delay = std::chrono::minutes(5);         // backoff ceiling cap
  util::Duration max_total = std::chrono::minutes(30);        // budget for all waits and attempts
  util::Duration retry_after_cap = std::chrono::minutes(15);  // longest Retry-After honoured
  util::Duration deadline{0};  // the whole request, retries included; 0 = none
};

// Parses a Retry-After value: delta-seconds ("120") or an HTTP-date
// (IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT"; the obsolete RFC 850 and
// asctime forms too). A date in the past gives 0. Negative numbers and
// anything else give nullopt (the caller falls back to backoff).
std::optional<util::Duration> ParseRetryAfter(std::string_view value, util::TimePoint now);

// True for the statuses worth retrying: 429, 500, 502, 503, 504.
bool IsRetryableStatus(int status);

// Computes the delays between attempts. Not thread-safe (uses the Random).
class Backoff {
 public:
  Backoff(const RetryPolicy& policy, util::Random& random) : policy_(policy), random_(random) {}
  // The delay before retry number `retry` (0 for the first retry). A
  // Retry-After value, when given, wins over the jittered backoff and is
  // capped at retry_after_cap.
  util::Duration Delay(int retry, std::optional<util::Duration> retry_after = std::nullopt);
  // The jitter ceiling for retry number `retry`: min(max_delay, initial * 2^retry).
  util::Duration Ceiling(int retry) const;

 private:
  const RetryPolicy policy_;
  util::Random& random_;
};

// Sends `request`, retrying idempotent ones as described above. Before each
// retry the sink is truncated, so the body of the answer that is returned
// starts at byte 0; the sink is never truncated before the first attempt.
// A request carrying a Range header, or marked caller_resumes, is not
// retried once its sink has received bytes (the caller resumes from the
// sink's new size instead).
// An error raised by the sink itself (disk full, a size limit) is returned
// at once, never retried.
// Returns the first non-retryable response (any status), or an error.
util::Result<Response> SendWithRetry(HttpClient& client, const Request& request,
                                     util::ByteSink& sink, const RetryPolicy& policy,
                                     util::Clock& clock, util::Random& random,
                                     std::stop_token stop);

}  // namespace hdc::http
