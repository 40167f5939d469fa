#include "emulator/faults.h"

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

#include "emulator/json_util.h"
#include "util/result.h"
#include "util/strings.h"

namespace hdc::emulator {
namespace {

constexpr std::array<std::pair<FaultKind, std::string_view>, 16> kKinds{{
    {FaultKind::kNone, "none"},
    {FaultKind::kStatus, "status"},
    {FaultKind::kTooManyRequests, "429"},
    {FaultKind::kLatency, "latency"},
    {FaultKind::kReset, "reset"},
    {FaultKind::kShortBody, "short_body"},
    {FaultKind::kMalformedJson, "malformed_json"},
    {FaultKind::kTokenEarlyExpiry, "token_early_expiry"},
    {FaultKind::kSasExpired, "sas_expired"},
    {FaultKind::kDuplicateExecutions, "duplicate_executions"},
    {FaultKind::kHostileIds, "hostile_ids"},
    {FaultKind::kDrip, "drip"},
    {FaultKind::kLongField, "long_field"},
    {FaultKind::kContentLength, "content_length"},
    {FaultKind::kRelativeLocation, "relative_location"},
    {FaultKind::kClientSecretExpired, "client_secret_expired"},
}};

// The forms of a relative Location (relative_location); "" is the first.
bool IsLocationForm(const std::string& form) {
  return form.empty() || form == "absolute-path" || form == "dot-segments" ||
         form == "network-path";
}

}  // namespace

util::Result<FaultRule> CheckValue(FaultRule r) {
  if (r.kind == FaultKind::kContentLength) {
    if (r.value.empty()) r.value = "-1";
    // It goes into a header line as is: no line break may end it early.
    if (r.value.find_first_of("\r\n") != std::string::npos) {
      return util::UsageError("fault rule: value holds a line break");
    }
  }
  if (r.kind == FaultKind::kRelativeLocation && !IsLocationForm(r.value)) {
    return util::UsageError(
        "fault rule: relative_location value must be absolute-path, "
        "dot-segments or network-path");
  }
  return r;
}

namespace {

// The whole number at KEY of rule J into *out, left as is when KEY is absent.
// nlohmann's get<int>() would cast a fraction or a number out of range
// (undefined behaviour for a float such as 1e60): both are refused, naming
// the key.
template <typename T>
util::Status WholeNumber(const nlohmann::json& j, const char* key, T* out) {
  const nlohmann::json* v = FindMember(j, key);
  if (v == nullptr) return util::Status::Ok();
  bool fits = false;
  if (v->is_number_unsigned()) {
    fits = v->get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<T>::max());
  } else if (v->is_number_integer()) {
    const std::int64_t n = v->get<std::int64_t>();
    fits = std::is_signed_v<T> ? n >= static_cast<std::int64_t>(std::numeric_limits<T>::min()) &&
                                     n <= static_cast<std::int64_t>(std::numeric_limits<T>::max())
                               : n >= 0;
  }
  if (!fits) {
    return util::UsageError(std::string("fault rule: \"") + key +
                            "\" must be a whole number from " +
                            std::to_string(std::numeric_limits<T>::min()) + " to " +
                            std::to_string(std::numeric_limits<T>::max()));
  }
  *out = v->get<T>();
  return util::Status::Ok();
}

util::Result<FaultRule> ParseRule(const nlohmann::json& j) {
  if (!j.is_object()) return util::UsageError("fault rule must be an object");
  FaultRule r;
  try {
    if (auto* v = FindMember(j, "endpoint")) r.endpoint = v->get<std::string>();
    if (auto* v = FindMember(j, "target")) r.target = v->get<std::string>();
    auto* kind = FindMember(j, "kind");
    if (kind == nullptr) return util::UsageError("fault rule without \"kind\"");
    auto k = ParseFaultKind(kind->get<std::string>());
    if (!k.ok()) return k.status();
    r.kind = *k;
    HDC_RETURN_IF_ERROR(WholeNumber(j, "status", &r.status));
    HDC_RETURN_IF_ERROR(WholeNumber(j, "retry_after", &r.retry_after_seconds));
    if (auto* v = FindMember(j, "retry_after_form"))
      r.retry_after_date = v->get<std::string>() == "date";
    HDC_RETURN_IF_ERROR(WholeNumber(j, "ms", &r.ms));
    HDC_RETURN_IF_ERROR(WholeNumber(j, "seconds", &r.seconds));
    HDC_RETURN_IF_ERROR(WholeNumber(j, "rate", &r.rate));
    HDC_RETURN_IF_ERROR(WholeNumber(j, "bytes", &r.bytes));
    // A number or any text (the content_length fault sends it as is).
    if (auto* v = FindMember(j, "value"))
      r.value = v->is_string() ? v->get<std::string>() : v->dump();
    HDC_RETURN_IF_ERROR(WholeNumber(j, "nth", &r.nth));
    HDC_RETURN_IF_ERROR(WholeNumber(j, "count", &r.count));
    if (auto* v = FindMember(j, "probability")) r.probability = v->get<double>();
  } catch (const nlohmann::json::exception& e) {
    return util::UsageError(std::string("fault rule: ") + e.what());
  }
  if (r.status < 100 || r.status > 599) return util::UsageError("fault rule: bad status");
  if (r.probability < 0 || r.probability > 1)
    return util::UsageError("fault rule: bad probability");
  if (r.rate < 1) return util::UsageError("fault rule: rate must be at least 1 byte per second");
  if (r.bytes < 1 || r.bytes > kMaxLongField) {
    return util::UsageError("fault rule: bytes must be from 1 to " + std::to_string(kMaxLongField));
  }
  return CheckValue(r);
}

}  // namespace

util::Result<FaultKind> ParseFaultKind(std::string_view name) {
  for (const auto& [kind, text] : kKinds) {
    if (util::EqualsIgnoreCase(text, name)) return kind;
  }
  if (util::EqualsIgnoreCase(name, "too_many_requests")) return FaultKind::kTooManyRequests;
  return util::UsageError("unknown fault kind '" + std::string(name) + "'");
}

std::string_view FaultKindName(FaultKind kind) {
  for (const auto& [k, text] : kKinds) {
    if (k == kind) return text;
  }
  return "none";
}

util::Result<std::vector<FaultRule>> ParseFaultRules(const nlohmann::json& j) {
  const nlohmann::json* list = &j;
  if (j.is_object()) list = FindMember(j, "faults");
  if (list == nullptr || !list->is_array()) return util::UsageError("expected {\"faults\":[...]}");
  std::vector<FaultRule> rules;
  for (const auto& item : *list) {
    auto r = ParseRule(item);
    if (!r.ok()) return r.status();
    rules.push_back(*r);
  }
  return rules;
}

nlohmann::json FaultRulesToJson(const std::vector<FaultRule>& rules) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : rules) {
    out.push_back({{"endpoint", r.endpoint},
                   {"target", r.target},
                   {"kind", FaultKindName(r.kind)},
                   {"status", r.status},
                   {"retry_after", r.retry_after_seconds},
                   {"retry_after_form", r.retry_after_date ? "date" : "seconds"},
                   {"ms", r.ms},
                   {"seconds", r.seconds},
                   {"rate", r.rate},
                   {"bytes", r.bytes},
                   {"value", r.value},
                   {"nth", r.nth},
                   {"count", r.count},
                   {"probability", r.probability}});
  }
  return {{"faults", out}};
}

void FaultPlan::Set(std::vector<FaultRule> rules) {
  std::lock_guard lock(mu_);
  rules_ = std::move(rules);
  empty_ = rules_.empty();
  seen_.assign(rules_.size(), 0);
  random_ = util::Random(seed_);
}

std::vector<FaultRule> FaultPlan::rules() const {
  std::lock_guard lock(mu_);
  return rules_;
}

bool FaultPlan::Matches(std::string_view pattern, std::string_view endpoint) {
  if (pattern == "*" || pattern == endpoint) return true;
  return endpoint.size() > pattern.size() && endpoint.substr(0, pattern.size()) == pattern &&
         endpoint[pattern.size()] == '.';
}

FaultAction FaultPlan::Decide(std::string_view endpoint, std::string_view uri) {
  FaultAction action;
  if (empty_) return action;
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < rules_.size(); ++i) {
    const FaultRule& r = rules_[i];
    if (!Matches(r.endpoint, endpoint)) continue;
    if (!r.target.empty() && uri.find(r.target) == std::string_view::npos) continue;
    const std::uint64_t n = ++seen_[i];
    bool fire = false;
    if (r.nth > 0) {
      fire = n >= r.nth && n < r.nth + r.count;
    } else {
      fire = r.probability >= 1.0 || random_.Unit() < r.probability;
    }
    if (fire && action.kind == FaultKind::kNone) action = {r.kind, r};
  }
  return action;
}

}  // namespace hdc::emulator
