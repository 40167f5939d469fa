// Minimal URL parsing for validation and policy decisions (is this host
// loopback? did scheme, host or port change?). Not a general URI library:
// the HTTP adapter uses Poco::URI for requests.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.h"

namespace hdc::util {

struct Url {
  std::string scheme;      // lower case: "http" or "https"
  std::string host;        // lower case, without brackets for IPv6
  std::uint16_t port = 0;  // explicit or the scheme's default
  std::string target;      // path and query, "/" when empty
};

// Accepts http and https URLs with an optional port; no user info. Hosts are
// DNS names or IPv4 literals (letters, digits, '-', '.', '_') or bracketed
// IPv6 literals.
Result<Url> ParseUrl(std::string_view text);

// 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(std::string_view host);

// https anywhere; http only to a loopback host. kConfig naming the host.
Status CheckUrlPolicy(std::string_view text);

// The URL without its query string (safe to log: SAS signatures live there).
std::string StripQuery(std::string_view url);

}  // namespace hdc::util
