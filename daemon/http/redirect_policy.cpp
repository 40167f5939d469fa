// Redirects by our own policy (Poco never follows them), and the small
// Poco-free helpers of client.h.
#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "http/client.h"
#include "http/log_name.h"
#include "util/strings.h"
#include "util/url.h"

namespace hdc::http {
namespace {

using util::EqualsIgnoreCase;

// The scheme of an absolute URI reference ("ftp" of "ftp://x", "javascript"
// of "javascript:..."), or "" for a relative reference.
std::string SchemeOf(std::string_view ref) {
  const size_t colon = ref.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > ref.find_first_of("/?#")) return "";
  if (!std::isalpha(static_cast<unsigned char>(ref[0]))) return "";
  std::string scheme;
  for (char c : ref.substr(0, colon)) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return "";
    }
    scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return scheme;
}

// RFC 3986 section 5.2.4, for a path that starts with '/'.
std::string RemoveDotSegments(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t pos = 1;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(pos, end - pos);
    const bool last = end == path.size();
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      if (last) segments.push_back("");
    } else if (segment == ".") {
      if (last) segments.push_back("");
    } else {
      segments.push_back(segment);
    }
    pos = end + 1;
  }
  std::string out;
  for (std::string_view s : segments) {
    out += '/';
    out += s;
  }
  return out.empty() ? "/" : out;
}

// Resolves a Location value against the URL of the request that got it.
std::string Resolve(const util::Url& base, std::string_view location) {
  if (!SchemeOf(location).empty()) return std::string(location);
  if (location.starts_with("//")) return base.scheme + ":" + std::string(location);
  const std::string host =
      base.host.find(':') == std::string::npos ? base.host : "[" + base.host + "]";
  const bool default_port = base.port == (base.scheme == "https" ? 443 : 80);
  const std::string origin =
      base.scheme + "://" + host + (default_port ? "" : ":" + std::to_string(base.port));
  const std::string base_path = base.target.substr(0, base.target.find_first_of("?#"));
  const size_t rest_at = std::min(location.find_first_of("?#"), location.size());
  const std::string_view path = location.substr(0, rest_at);
  const std::string_view rest = location.substr(rest_at);
  if (path.empty()) return origin + base_path + std::string(rest);
  if (path[0] == '/') return origin + RemoveDotSegments(path) + std::string(rest);
  const std::string dir = base_path.substr(0, base_path.rfind('/') + 1);
  return origin + RemoveDotSegments(dir + std::string(path)) + std::string(rest);
}

bool IsRedirectStatus(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// Headers that describe a body, dropped with it.
bool IsBodyHeader(std::string_view name) {
  return EqualsIgnoreCase(name, "Content-Type") || EqualsIgnoreCase(name, "Content-Length") ||
         EqualsIgnoreCase(name, "Content-MD5") || EqualsIgnoreCase(name, "Content-Encoding");
}

// Headers that belong to the origin they were meant for.
bool IsOriginBoundHeader(std::string_view name) {
  return EqualsIgnoreCase(name, "Authorization") || EqualsIgnoreCase(name, "Cookie") ||
         EqualsIgnoreCase(name, "Proxy-Authorization") || EqualsIgnoreCase(name, "Host");
}

// 303 asks for a GET (HEAD stays HEAD); 301 and 302 turn a POST into a GET,
// as browsers and curl do; 307 and 308 repeat the request as it was.
bool TurnsIntoGet(int status, std::string_view method) {
  if (status == 303) return method != "HEAD" && method != "GET";
  if (status == 301 || status == 302) return method == "POST";
  return false;
}

}  // namespace

std::optional<std::string> Response::FindHeader(std::string_view name) const {
  for (const auto& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) return h.value;
  }
  return std::nullopt;
}

util::Result<std::string> RedirectTarget(const Request& previous, const Response& redirect) {
  const std::string from = LogName(previous.method, previous.url);
  const std::string status = "HTTP " + std::to_string(redirect.status);
  if (!IsRedirectStatus(redirect.status)) {
    return util::InternalError(from + ": " + status + " is not a redirect to follow");
  }
  HDC_ASSIGN_OR_RETURN(auto base, util::ParseUrl(previous.url));
  const std::optional<std::string> location = redirect.FindHeader("Location");
  if (!location || location->find_first_not_of(" \t") == std::string::npos) {
    return util::BadDataError(from + ": " + status + " without a Location header");
  }
  const std::string trimmed =
      location->substr(location->find_first_not_of(" \t"),
                       location->find_last_not_of(" \t") + 1 - location->find_first_not_of(" \t"));
  const std::string scheme = SchemeOf(trimmed);
  if (!scheme.empty() && scheme != "http" && scheme != "https") {
    return util::BadDataError(from + ": " + status + " to a " + scheme +
                              ": URL refused (only http and https are followed)");
  }
  const std::string target = Resolve(base, trimmed);
  auto next_url = util::ParseUrl(target);
  if (!next_url.ok()) {
    return util::BadDataError(from + ": " + status +
                              " to an unusable Location: " + next_url.status().message());
  }
  const std::string to = LogName(target);
  if (next_url->scheme == "http" && base.scheme == "https") {
    return util::BadDataError(from + ": " + status + " from https to plain http (" + to +
                              ") refused");
  }
  if (next_url->scheme == "http" && !util::IsLoopbackHost(next_url->host)) {
    return util::BadDataError(from + ": " + status + " to plain http on a non-loopback host (" +
                              to + ") refused");
  }
  return target;
}

util::Result<Request> FollowRedirect(const Request& previous, const Response& redirect) {
  HDC_ASSIGN_OR_RETURN(auto target, RedirectTarget(previous, redirect));
  auto base = util::ParseUrl(previous.url);
  auto next_url = util::ParseUrl(target);
  if (!base.ok() || !next_url.ok()) return util::InternalError("redirect target not a URL");
  Request next;
  next.url = target;
  const bool to_get = TurnsIntoGet(redirect.status, previous.method);
  next.method = to_get ? std::string("GET") : previous.method;
  next.body = to_get ? "" : previous.body;
  next.idempotent = to_get ? true : previous.idempotent;
  const bool same_origin = next_url->scheme == base->scheme && next_url->host == base->host &&
                           next_url->port == base->port;
  for (const auto& h : previous.headers) {
    if (to_get && IsBodyHeader(h.name)) continue;
    if (!same_origin && IsOriginBoundHeader(h.name)) continue;
    next.headers.push_back(h);
  }
  return next;
}

}  // namespace hdc::http
