#include "api/errors.h"

#include <doctest/doctest.h>

namespace hdc::api {
namespace {

TEST_CASE("HTTP statuses map to error kinds") {
  CHECK(ErrorFromResponse("GET", "/a", 401, "").kind() == util::ErrorKind::kAuth);
  CHECK(ErrorFromResponse("GET", "/a", 403, "").kind() == util::ErrorKind::kAuth);
  CHECK(ErrorFromResponse("GET", "/a", 429, "").kind() == util::ErrorKind::kUnavailable);
  CHECK(ErrorFromResponse("GET", "/a", 503, "").kind() == util::ErrorKind::kUnavailable);
  CHECK(ErrorFromResponse("GET", "/a", 400, "").kind() == util::ErrorKind::kBadData);
  CHECK(ErrorFromResponse("GET", "/a", 404, "").kind() == util::ErrorKind::kBadData);
  CHECK(ErrorFromResponse("GET", "/a", 404, "").message() == "GET /a: HTTP 404");
}

TEST_CASE("the HTTP status is carried typed, whatever the server's message says") {
  CHECK(ErrorFromResponse("GET", "/a", 404, "").http_status() == 404);
  CHECK(ErrorFromResponse("GET", "/a", 503, "").http_status() == 503);
  const util::Status other =
      ErrorFromResponse("GET", "/a", 400, R"({"code":"x","message":"like an HTTP 404"})");
  CHECK(other.message() == "GET /a: HTTP 400: x: like an HTTP 404");
  CHECK(other.http_status() == 400);
}

TEST_CASE("the server's message is taken from each error shape") {
  CHECK(
      ErrorFromResponse(
          "POST", "/analytics/driver/report", 400,
          R"J({"data":null,"errors":[{"code":"BadRequest","message":"recurrenceInterval must be at least 12"}]})J")
          .message() ==
      "POST /analytics/driver/report: HTTP 400: BadRequest: recurrenceInterval must be at least "
      "12");
  CHECK(
      ServerMessage(
          R"J({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret.\r\nTrace ID: x"})J") ==
      "invalid_client: AADSTS7000215: Invalid client secret.");
  CHECK(
      ServerMessage(
          R"J({"code":"BadRequest","message":"bad","source":"AnalyticsAPI","innererror":{"code":"InvalidQueryParameters","message":"m"}})J") ==
      "BadRequest/InvalidQueryParameters: bad");
  CHECK(ServerMessage("<?xml version=\"1.0\"?><Error><Code>AuthenticationFailed</Code><Message>"
                      "Signature not valid.\nRequestId:1</Message></Error>") ==
        "AuthenticationFailed: Signature not valid.");
  CHECK(ServerMessage("plain text") == "");
  CHECK(ServerMessage(R"J({"errors":["x"]})J") == "x");
}

TEST_CASE("server messages are cut short and redacted") {
  const std::string long_message = std::string(R"J({"message":")J") + std::string(500, 'a') + "\"}";
  CHECK(ServerMessage(long_message).size() == 303);
  CHECK(ServerMessage(R"J({"message":"token Bearer abc.def.ghi refused"})J") ==
        "token Bearer [REDACTED] refused");
}

}  // namespace
}  // namespace hdc::api
