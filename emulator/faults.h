// Injected faults: which requests fail, and how.
//
// A FaultPlan is a list of rules, each naming an endpoint (a route name such
// as "reportdata", or a prefix of one: "cabdownload" covers
// "cabdownload.driver"; "*" covers all), optionally a `target` text the
// request's path and query must contain (a cab id: one cab's cabdownload and
// blob requests), a kind, and a trigger: the Nth
// request to a matching endpoint (with a burst `count`), a seeded
// probability, or always. Decide() is called once per request and returns
// the first rule that fires. Counting and the random source are per plan, so
// the same plan, seed and request sequence give the same faults.
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/random.h"
#include "util/result.h"

namespace hdc::emulator {

enum class FaultKind {
  kNone,
  kStatus,               // answer `status` (500, 503, ...) with an error envelope
  kTooManyRequests,      // 429 with Retry-After (seconds or HTTP-date)
  kLatency,              // wait `ms` of real time, then answer normally
  kReset,                // send half the body, then reset the connection
  kShortBody,            // Content-Length of the whole body, half of it sent
  kMalformedJson,        // a JSON body cut in the middle
  kTokenEarlyExpiry,     // token says expires_in=lifetime, dies after `seconds`
  kSasExpired,           // links handed out already expired
  kDuplicateExecutions,  // every execution listed twice in report data
  kHostileIds,           // report files carry path-like CabIdHash values
                         // (HostileCabIds(), every third row with a cab)
  kDrip,                 // headers at once, then the body at `rate` bytes per second
                         // of real time (JSON answers and blobs alike)
  kLongField,            // on blob.report: the first row's FailureName is `bytes`
                         // long, on one line (a hostile server's record)
  kContentLength,        // the answer's Content-Length is `value` ("-1", "abc",
                         // "1000000000000000"), the true body follows, then the
                         // connection closes (JSON answers and blobs alike)
  kRelativeLocation,     // cabdownload: the 302's Location is relative, of the
                         // form `value`: "absolute-path" (default), "dot-segments"
                         // or "network-path"; the API host serves the blob then
  kClientSecretExpired,  // token: a secret client is refused with AADSTS7000222
};

// long_field's largest field: 1 GiB, so a typo cannot exhaust the emulator.
inline constexpr std::uint64_t kMaxLongField = std::uint64_t{1} << 30;

struct FaultRule {
  std::string endpoint = "*";
  std::string target;  // "" = every request of the endpoint; else a substring of path?query
  FaultKind kind = FaultKind::kNone;
  int status = 503;
  int retry_after_seconds = 1;
  bool retry_after_date = false;  // HTTP-date form instead of seconds
  int ms = 0;
  int seconds = 60;
  int rate = 1;                            // drip: bytes per second
  std::uint64_t bytes = 10 * 1000 * 1000;  // long_field: the field's length
  std::string value;  // content_length: the header value; relative_location: the form
  // Trigger: nth > 0 → requests nth .. nth+count-1; else probability (1 = always).
  std::uint64_t nth = 0;
  std::uint64_t count = 1;
  double probability = 1.0;
};

struct FaultAction {
  FaultKind kind = FaultKind::kNone;
  FaultRule rule;
};

util::Result<FaultKind> ParseFaultKind(std::string_view name);
// Checks a rule's `value` for its kind and fills in the default.
util::Result<FaultRule> CheckValue(FaultRule rule);
std::string_view FaultKindName(FaultKind kind);
// {"faults":[{...}, ...]} or a bare array of rules.
util::Result<std::vector<FaultRule>> ParseFaultRules(const nlohmann::json& j);
nlohmann::json FaultRulesToJson(const std::vector<FaultRule>& rules);

class FaultPlan {
 public:
  explicit FaultPlan(std::uint64_t seed) : seed_(seed), random_(seed) {}
  // Replaces the rules and restarts counting.
  void Set(std::vector<FaultRule> rules);
  std::vector<FaultRule> rules() const;
  // `uri` is the request's path and query as sent (rules with a target).
  FaultAction Decide(std::string_view endpoint, std::string_view uri = {});

 private:
  static bool Matches(std::string_view pattern, std::string_view endpoint);
  mutable std::mutex mu_;
  std::atomic<bool> empty_{true};  // lets Decide() skip the lock without rules
  std::uint64_t seed_;
  util::Random random_;
  std::vector<FaultRule> rules_;
  std::vector<std::uint64_t> seen_;  // matching requests per rule
};

}  // namespace hdc::emulator
