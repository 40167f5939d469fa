// Fuzz target: the helpers that read HTTP header values from a server. The
// first input byte picks the helper, the rest is the header value:
//   0 Content-Length (download::ParseContentLength)
//   1 Content-Range total (download::ParseRangeTotal)
//   2 Retry-After, seconds or HTTP-date (http::ParseRetryAfter)
//   3 Location against a request URL (http::RedirectTarget, FollowRedirect)
//   4 a URL (util::ParseUrl, CheckUrlPolicy, StripQuery)
//   5 JSON nesting (http::JsonDepthWithin)
//   6 ETag as a resume validator (download::ResumeValidator)
// Properties, abort on violation: a length is all digits; a Retry-After is
// never negative; a redirect target is an http(s) URL that never goes from
// https to http and carries Authorization only to the same origin; a
// stripped URL holds no '?'; a validator is empty or the whole header value,
// quoted, with no byte that could end or split an If-Range header.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "download/download_sink.h"
#include "fuzz_input.h"
#include "http/client.h"
#include "http/retry.h"
#include "util/url.h"

namespace {

using hdc::fuzz::AsText;
using hdc::fuzz::TakeByte;

void Check(bool ok) {
  if (!ok) std::abort();
}

void ContentLength(std::string_view text) {
  if (hdc::download::ParseContentLength(text)) {
    Check(text.find_first_not_of("0123456789") == std::string_view::npos);
  }
  (void)hdc::download::ParseRangeTotal(text);
}

void Etag(std::string_view text) {
  const std::string validator = hdc::download::ResumeValidator(text);
  if (validator.empty()) return;
  Check(validator == text && validator.size() >= 2 && validator.size() <= 256);
  Check(validator.front() == '"' && validator.back() == '"');
  for (size_t i = 1; i + 1 < validator.size(); ++i) {
    const auto byte = static_cast<unsigned char>(validator[i]);
    Check(byte > 0x20 && byte != 0x7f && byte != '"');
  }
}

void RetryAfter(std::string_view text) {
  using namespace std::chrono;
  const hdc::util::TimePoint now = sys_days{year{2026} / 12 / 4} + hours(13);
  const auto delay = hdc::http::ParseRetryAfter(text, now);
  if (delay) Check(delay->count() >= 0);
}

bool SameOrigin(const hdc::util::Url& a, const hdc::util::Url& b) {
  return a.scheme == b.scheme && a.host == b.host && a.port == b.port;
}

void Redirect(uint8_t base, std::string_view location) {
  static constexpr std::string_view kBases[] = {
      "https://manage.devcenter.microsoft.com/v2.0/my/analytics/reportdata?a=1",
      "https://store.blob.core.windows.net/c/b.tsv?sv=1&sig=x", "http://127.0.0.1:8080/a/b/c",
      "http://[::1]:9/x"};
  hdc::http::Request previous;
  previous.url = std::string(kBases[base % 4]);
  previous.headers = {{"Authorization", "Bearer t"}, {"Cookie", "c=1"}};
  hdc::http::Response redirect{302, {{"Location", std::string(location)}}};
  const auto from = hdc::util::ParseUrl(previous.url);
  if (auto target = hdc::http::RedirectTarget(previous, redirect); target.ok()) {
    const auto to = hdc::util::ParseUrl(target.value());
    Check(to.ok());
    Check(!(from->scheme == "https" && to->scheme == "http"));
  }
  if (auto next = hdc::http::FollowRedirect(previous, redirect); next.ok()) {
    const auto to = hdc::util::ParseUrl(next->url);
    Check(to.ok());
    for (const auto& header : next->headers) {
      if (header.name == "Authorization") Check(SameOrigin(from.value(), to.value()));
    }
  }
}

void Url(std::string_view text) {
  (void)hdc::util::ParseUrl(text);
  (void)hdc::util::CheckUrlPolicy(text);
  Check(hdc::util::StripQuery(text).find('?') == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = AsText(data, size);
  const uint8_t selector = TakeByte(&text);
  switch (selector % 7) {
    case 0:
    case 1:
      ContentLength(text);
      break;
    case 2:
      RetryAfter(text);
      break;
    case 3:
      Redirect(selector / 7, text);
      break;
    case 4:
      Url(text);
      break;
    case 5:
      (void)hdc::http::JsonDepthWithin(text, 8);
      break;
    default:
      Etag(text);
      break;
  }
  return 0;
}
