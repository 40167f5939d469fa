// How the http module names a request in logs and error messages:
// "host[:port]/path", never the query (SAS signatures live there) nor the
// fragment. Internal to daemon/http/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/url.h"

namespace hdc::http {

// "127.0.0.1:8080/analytics/driver/report"; the port only when it is not the
// scheme's default. A URL that does not parse is named by its text up to the
// query.
inline std::string LogName(std::string_view url) {
  auto parsed = util::ParseUrl(url);
  if (!parsed.ok()) return util::StripQuery(url);
  std::string name =
      parsed->host.find(':') == std::string::npos ? parsed->host : "[" + parsed->host + "]";
  const std::uint16_t default_port = parsed->scheme == "https" ? 443 : 80;
  if (parsed->port != default_port) name += ":" + std::to_string(parsed->port);
  return name + util::StripQuery(parsed->target);
}

// "GET 127.0.0.1:8080/analytics/driver/report".
inline std::string LogName(std::string_view method, std::string_view url) {
  return std::string(method) + " " + LogName(url);
}

}  // namespace hdc::http
