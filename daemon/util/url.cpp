#include "util/url.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "util/strings.h"

namespace hdc::util {
namespace {

std::string Lower(std::string_view s) { return ToLower(s); }

bool IsIpv4Loopback(std::string_view host) {
  // Four dotted decimal octets, the first 127.
  int parts = 0;
  size_t pos = 0;
  while (pos <= host.size()) {
    size_t end = host.find('.', pos);
    if (end == std::string_view::npos) end = host.size();
    const std::string_view part = host.substr(pos, end - pos);
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || ec != std::errc() || ptr != part.data() + part.size() || value > 255) {
      return false;
    }
    if (parts == 0 && value != 127) return false;
    ++parts;
    pos = end + 1;
  }
  return parts == 4;
}

}  // namespace

Result<Url> ParseUrl(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return ConfigError("bad URL '" + StripQuery(text) + "': " + std::string(why));
  };
  const size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return bad("expected http:// or https://");
  Url url;
  url.scheme = Lower(text.substr(0, scheme_end));
  if (url.scheme != "http" && url.scheme != "https")
    return bad("only http and https are supported");
  std::string_view rest = text.substr(scheme_end + 3);
  const size_t authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  url.target =
      authority_end == std::string_view::npos ? "/" : std::string(rest.substr(authority_end));
  if (!url.target.empty() && url.target[0] != '/') url.target = "/" + url.target;
  if (authority.find('@') != std::string_view::npos) return bad("user information is not allowed");
  std::string_view port_text;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed '[' in host");
    url.host = Lower(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad("unexpected text after host");
      port_text = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    url.host = Lower(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return bad("empty port");
    }
  }
  if (url.host.empty()) return bad("missing host");
  const bool bracketed = !authority.empty() && authority[0] == '[';
  for (char c : url.host) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ||
                    c == '_' || (bracketed && c == ':');
    if (!ok) return bad("bad character in host");
  }
  url.port = url.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return bad("bad port");
    }
    url.port = static_cast<std::uint16_t>(port);
  }
  return url;
}

bool IsLoopbackHost(std::string_view host) {
  const std::string h = Lower(host);
  return h == "localhost" || h == "::1" || h == "[::1]" || IsIpv4Loopback(h);
}

Status CheckUrlPolicy(std::string_view text) {
  auto url = ParseUrl(text);
  if (!url.ok()) return url.status();
  if (url->scheme == "http" && !IsLoopbackHost(url->host)) {
    return ConfigError(
        "plain http:// is allowed only for loopback hosts (127.0.0.0/8, ::1, "
        "localhost), not '" +
        url->host + "'; use https://");
  }
  return Status::Ok();
}

std::string StripQuery(std::string_view url) {
  return std::string(url.substr(0, url.find_first_of("?#")));
}

}  // namespace hdc::util
