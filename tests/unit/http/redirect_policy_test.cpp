#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "http/client.h"

namespace hdc::http {
namespace {

Request Authorized(std::string url, std::string method = "GET") {
  Request request;
  request.method = std::move(method);
  request.url = std::move(url);
  request.headers = {
      {"Authorization", "Bearer CANARY"}, {"Cookie", "session=1"}, {"Accept", "application/json"}};
  return request;
}

Response Redirect(int status, std::string location) {
  Response response;
  response.status = status;
  response.headers = {{"Location", std::move(location)}};
  return response;
}

bool Has(const Request& request, std::string_view name) {
  for (const auto& h : request.headers) {
    if (h.name == name) return true;
  }
  return false;
}

TEST_CASE("Authorization and Cookie travel only when scheme, host and port stay the same") {
  struct Case {
    std::string from;
    std::string location;
    std::string expected_url;
    bool keeps_credentials;
  };
  const std::vector<Case> cases = {
      {"https://api.example.com/v1/cab?x=1", "https://api.example.com/blob/a",
       "https://api.example.com/blob/a", true},
      {"https://api.example.com/v1/cab", "https://API.example.com:443/b",
       "https://API.example.com:443/b", true},
      {"https://api.example.com/v1/cab", "/blob/a?sig=s", "https://api.example.com/blob/a?sig=s",
       true},
      {"https://api.example.com/v1/cab", "blob/b", "https://api.example.com/v1/blob/b", true},
      {"https://api.example.com/v1/cab/x", "../y/./z", "https://api.example.com/v1/y/z", true},
      {"https://api.example.com/v1/cab", "?page=2", "https://api.example.com/v1/cab?page=2", true},
      {"https://api.example.com/v1/cab", "https://blob.example.net/c?sig=s",
       "https://blob.example.net/c?sig=s", false},
      {"https://api.example.com/v1/cab", "https://api.example.com:8443/c",
       "https://api.example.com:8443/c", false},
      {"https://api.example.com/v1/cab", "//cdn.example.com/x", "https://cdn.example.com/x", false},
      {"http://127.0.0.1:8080/a", "http://127.0.0.1:8080/b", "http://127.0.0.1:8080/b", true},
      {"http://127.0.0.1:8080/a", "/b", "http://127.0.0.1:8080/b", true},
      {"http://127.0.0.1:8080/a", "http://127.0.0.1:9090/b", "http://127.0.0.1:9090/b", false},
      {"http://127.0.0.1:8080/a", "http://localhost:8080/b", "http://localhost:8080/b", false},
      {"http://127.0.0.1:8080/a", "http://127.0.0.2:8080/b", "http://127.0.0.2:8080/b", false},
      {"http://127.0.0.1:8080/a", "https://127.0.0.1:8080/b", "https://127.0.0.1:8080/b", false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.from);
    CAPTURE(c.location);
    auto next = FollowRedirect(Authorized(c.from), Redirect(302, c.location));
    REQUIRE_MESSAGE(next.ok(), next.status().message());
    CHECK(next->url == c.expected_url);
    CHECK(next->method == "GET");
    CHECK(Has(*next, "Authorization") == c.keeps_credentials);
    CHECK(Has(*next, "Cookie") == c.keeps_credentials);
    CHECK(Has(*next, "Accept"));
  }
}

TEST_CASE("credential headers are dropped whatever their case") {
  Request request = Authorized("https://api.example.com/a");
  request.headers.push_back({"authorization", "Bearer lower"});
  request.headers.push_back({"COOKIE", "x=1"});
  auto next = FollowRedirect(request, Redirect(307, "https://blob.example.net/b"));
  REQUIRE(next.ok());
  REQUIRE(next->headers.size() == 1);
  CHECK(next->headers[0].name == "Accept");
}

TEST_CASE("dangerous or unusable redirect targets are refused as bad server data") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"https://api.example.com/a", "ftp://files.example.com/x"},
      {"https://api.example.com/a", "file:///etc/passwd"},
      {"https://api.example.com/a", "javascript:alert(1)"},
      {"https://api.example.com/a", "http://127.0.0.1:8080/downgrade"},
      {"https://api.example.com/a", "http://example.com/plain"},
      {"http://127.0.0.1:8080/a", "http://example.com/plain"},
      {"https://api.example.com/a", "https://user:pass@evil.example.com/"},
      {"https://api.example.com/a", "https:///nohost"},
  };
  for (const auto& [from, location] : cases) {
    CAPTURE(location);
    auto next = FollowRedirect(Authorized(from), Redirect(302, location));
    REQUIRE_FALSE(next.ok());
    CHECK(next.status().kind() == util::ErrorKind::kBadData);
    CHECK(next.status().message().find("CANARY") == std::string::npos);
  }
}

TEST_CASE("RedirectTarget gives the resolved target under the same policy as FollowRedirect") {
  const Request from =
      Authorized("https://api.example.com/v1.0/my/analytics/driver/cabdownload?x=1");
  auto relative = RedirectTarget(from, Redirect(302, "../blob/c.cab?sig=S"));
  REQUIRE_MESSAGE(relative.ok(), relative.status().message());
  CHECK(*relative == "https://api.example.com/v1.0/my/analytics/blob/c.cab?sig=S");
  auto followed = FollowRedirect(from, Redirect(302, "../blob/c.cab?sig=S"));
  REQUIRE(followed.ok());
  CHECK(followed->url == *relative);
  auto downgrade = RedirectTarget(from, Redirect(302, "http://127.0.0.1/c.cab?sig=S"));
  REQUIRE_FALSE(downgrade.ok());
  CHECK(downgrade.status().kind() == util::ErrorKind::kBadData);
  CHECK(downgrade.status().message().find("sig=") == std::string::npos);
}

TEST_CASE("a redirect without Location is bad data naming the request, not its query") {
  Response response;
  response.status = 302;
  auto next = FollowRedirect(Authorized("https://api.example.com/cab?sig=S"), response);
  REQUIRE_FALSE(next.ok());
  CHECK(next.status().kind() == util::ErrorKind::kBadData);
  CHECK(next.status().message() == "GET api.example.com/cab: HTTP 302 without a Location header");
}

TEST_CASE("the Location header is found whatever its case") {
  Response response;
  response.status = 301;
  response.headers = {{"location", "/moved"}};
  auto next = FollowRedirect(Authorized("https://api.example.com/a"), response);
  REQUIRE(next.ok());
  CHECK(next->url == "https://api.example.com/moved");
}

TEST_CASE("a status that is not a redirect is a caller bug") {
  auto next = FollowRedirect(Authorized("https://api.example.com/a"), Redirect(200, "/b"));
  REQUIRE_FALSE(next.ok());
  CHECK(next.status().kind() == util::ErrorKind::kInternal);
}

TEST_CASE("303 turns a POST into a GET without body, 307 and 308 repeat it") {
  Request post = Authorized("https://api.example.com/report", "POST");
  post.body = R"({"a":1})";
  post.headers.push_back({"Content-Type", "application/json"});
  post.idempotent = false;

  auto see_other = FollowRedirect(post, Redirect(303, "/status/1"));
  REQUIRE(see_other.ok());
  CHECK(see_other->method == "GET");
  CHECK(see_other->body.empty());
  CHECK_FALSE(Has(*see_other, "Content-Type"));
  CHECK(Has(*see_other, "Authorization"));
  CHECK(see_other->idempotent);

  auto found = FollowRedirect(post, Redirect(302, "/elsewhere"));
  REQUIRE(found.ok());
  CHECK(found->method == "GET");
  CHECK(found->body.empty());

  for (int status : {307, 308}) {
    auto again = FollowRedirect(post, Redirect(status, "/v2/report"));
    REQUIRE(again.ok());
    CHECK(again->method == "POST");
    CHECK(again->body == post.body);
    CHECK(Has(*again, "Content-Type"));
    CHECK_FALSE(again->idempotent);
  }

  Request head = Authorized("https://api.example.com/a", "HEAD");
  auto head_next = FollowRedirect(head, Redirect(303, "/b"));
  REQUIRE(head_next.ok());
  CHECK(head_next->method == "HEAD");
}

}  // namespace
}  // namespace hdc::http
