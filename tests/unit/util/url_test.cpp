#include "util/url.h"

#include <string>

#include <doctest/doctest.h>

namespace hdc::util {
namespace {

Url Parsed(const std::string& text) {
  const Result<Url> r = ParseUrl(text);
  const std::string error = r.status().message();
  INFO("url: '", text, "' error: ", error);
  REQUIRE(r.ok());
  return *r;
}

// The error message; checks the URL was rejected as a configuration error.
std::string Rejected(const std::string& text) {
  const Result<Url> r = ParseUrl(text);
  INFO("url: '", text, "'");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().kind() == ErrorKind::kConfig);
  return r.status().message();
}

TEST_CASE("ParseUrl fills in the scheme's default port and a root target") {
  const Url https = Parsed("https://api.example.com");
  CHECK(https.scheme == "https");
  CHECK(https.host == "api.example.com");
  CHECK(https.port == 443);
  CHECK(https.target == "/");

  const Url http = Parsed("http://127.0.0.1/");
  CHECK(http.scheme == "http");
  CHECK(http.host == "127.0.0.1");
  CHECK(http.port == 80);
  CHECK(http.target == "/");
}

TEST_CASE("ParseUrl reads explicit ports, paths and queries") {
  const Url u = Parsed("https://api.example.com:8443/v1/reports?top=10&skip=0");
  CHECK(u.scheme == "https");
  CHECK(u.host == "api.example.com");
  CHECK(u.port == 8443);
  CHECK(u.target == "/v1/reports?top=10&skip=0");

  CHECK(Parsed("http://localhost:1").port == 1);
  CHECK(Parsed("http://localhost:65535").port == 65535);
  CHECK(Parsed("http://localhost:8080").target == "/");
  CHECK(Parsed("https://h?x=1").target == "/?x=1");
  CHECK(Parsed("https://h:444?x=1").port == 444);
  CHECK(Parsed("https://h/a@b").target == "/a@b");  // '@' in the path is not user info
}

TEST_CASE("ParseUrl lower-cases the scheme and the host") {
  const Url u = Parsed("HTTPS://API.Example.COM/Path");
  CHECK(u.scheme == "https");
  CHECK(u.host == "api.example.com");
  CHECK(u.target == "/Path");
}

TEST_CASE("ParseUrl reads bracketed IPv6 hosts") {
  const Url u = Parsed("http://[::1]:8080/token");
  CHECK(u.host == "::1");
  CHECK(u.port == 8080);
  CHECK(u.target == "/token");

  const Url v = Parsed("https://[2001:DB8::1]");
  CHECK(v.host == "2001:db8::1");
  CHECK(v.port == 443);
  CHECK(v.target == "/");
}

TEST_CASE("ParseUrl rejects other schemes and text that is not a URL") {
  CHECK(Rejected("ftp://example.com/").find("only http and https") != std::string::npos);
  CHECK(Rejected("file:///etc/passwd").find("only http and https") != std::string::npos);
  CHECK(Rejected("example.com/path").find("http://") != std::string::npos);
  Rejected("");
  Rejected("https:/example.com");
}

TEST_CASE("ParseUrl rejects a missing host") {
  CHECK(Rejected("https://").find("missing host") != std::string::npos);
  CHECK(Rejected("https:///path").find("missing host") != std::string::npos);
  CHECK(Rejected("https://:8443/").find("missing host") != std::string::npos);
  CHECK(Rejected("http://[]:80/").find("missing host") != std::string::npos);
}

TEST_CASE("ParseUrl rejects bad ports") {
  for (const char* text : {"https://h:0/", "https://h:70000/", "https://h:65536", "https://h:x/",
                           "https://h:-1/", "https://h:80x/", "http://[::1]:0/"}) {
    CHECK(Rejected(text).find("bad port") != std::string::npos);
  }
}

TEST_CASE("ParseUrl rejects malformed IPv6 hosts") {
  CHECK(Rejected("http://[::1/").find("unclosed") != std::string::npos);
  CHECK(Rejected("http://[::1]x/").find("unexpected text after host") != std::string::npos);
}

TEST_CASE("ParseUrl rejects user information") {
  CHECK(Rejected("https://user:pass@example.com/").find("user information") != std::string::npos);
  CHECK(Rejected("https://user@example.com").find("user information") != std::string::npos);
}

TEST_CASE("ParseUrl errors leave out the query string") {
  const std::string m = Rejected("ftp://h/b.cab?sig=secret-signature");
  CHECK(m.find("secret-signature") == std::string::npos);
  CHECK(m.find("ftp://h/b.cab") != std::string::npos);
}

TEST_CASE("IsLoopbackHost knows 127.0.0.0/8, ::1 and localhost") {
  for (const char* host : {"127.0.0.1", "127.255.255.254", "127.0.0.0", "127.1.2.3", "localhost",
                           "LOCALHOST", "LocalHost", "::1", "[::1]"}) {
    INFO("host: ", host);
    CHECK(IsLoopbackHost(host));
  }
}

TEST_CASE("IsLoopbackHost rejects everything else") {
  for (const char* host : {"128.0.0.1", "127.0.0", "10.0.0.1", "example.com", "127.0.0.1.evil.com",
                           "127.0.0.256", "127.0.0.1.", ".127.0.0.1", "127..0.1", "127.0.0.-1", "",
                           "::2", "localhost.example.com", "0.0.0.0", "127.0.0.1:80"}) {
    INFO("host: ", host);
    CHECK_FALSE(IsLoopbackHost(host));
  }
}

TEST_CASE("CheckUrlPolicy allows https anywhere") {
  CHECK(CheckUrlPolicy("https://api.example.com/v1").ok());
  CHECK(CheckUrlPolicy("https://10.0.0.1:8443/").ok());
  CHECK(CheckUrlPolicy("https://localhost/").ok());
}

TEST_CASE("CheckUrlPolicy allows plain http only to loopback hosts") {
  CHECK(CheckUrlPolicy("http://127.0.0.1:8080/").ok());
  CHECK(CheckUrlPolicy("http://localhost/").ok());
  CHECK(CheckUrlPolicy("http://[::1]:9000/token").ok());
  CHECK(CheckUrlPolicy("http://127.200.1.1/").ok());

  const Status s = CheckUrlPolicy("http://api.example.com/v1?x=1");
  REQUIRE_FALSE(s.ok());
  CHECK(s.kind() == ErrorKind::kConfig);
  CHECK(s.message().find("'api.example.com'") != std::string::npos);
  CHECK(s.message().find("use https://") != std::string::npos);

  const Status evil = CheckUrlPolicy("http://127.0.0.1.evil.com/");
  REQUIRE_FALSE(evil.ok());
  CHECK(evil.message().find("127.0.0.1.evil.com") != std::string::npos);
}

TEST_CASE("CheckUrlPolicy passes on parse errors") {
  const Status s = CheckUrlPolicy("ftp://example.com/");
  REQUIRE_FALSE(s.ok());
  CHECK(s.kind() == ErrorKind::kConfig);
  CHECK(s.message().find("only http and https") != std::string::npos);
}

TEST_CASE("StripQuery drops the query string and fragment") {
  CHECK(StripQuery("https://h/c/b.cab?sv=2020&sig=AbC") == "https://h/c/b.cab");
  CHECK(StripQuery("https://h/c/b.cab#frag") == "https://h/c/b.cab");
  CHECK(StripQuery("https://h/c/b.cab") == "https://h/c/b.cab");
  CHECK(StripQuery("https://h/?") == "https://h/");
  CHECK(StripQuery("") == "");
}

}  // namespace
}  // namespace hdc::util

namespace hdc::util {
namespace {

TEST_CASE("hosts with spaces, unbracketed IPv6 or an empty port are refused") {
  CHECK(ParseUrl("http://exa mple.com/").status().message() ==
        "bad URL 'http://exa mple.com/': bad character in host");
  CHECK_FALSE(ParseUrl("http://::1/").ok());
  CHECK_FALSE(ParseUrl("http://h:80:80/").ok());
  CHECK(ParseUrl("http://host:/").status().message() == "bad URL 'http://host:/': empty port");
  CHECK(ParseUrl("http://[::1]:8080/").ok());
}

}  // namespace
}  // namespace hdc::util
