#include "util/redact.h"

#include <string>

#include <doctest/doctest.h>

namespace hdc::util {
namespace {

// Redacts text and checks that none of the given secrets survive.
std::string Clean(const std::string& text, std::initializer_list<const char*> secrets) {
  const std::string out = Redact(text);
  INFO("input:  ", text);
  INFO("output: ", out);
  for (const char* secret : secrets) {
    INFO("secret: ", secret);
    CHECK(out.find(secret) == std::string::npos);
  }
  return out;
}

constexpr const char* kJwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXBhcnQ";

TEST_CASE("bearer tokens are redacted in headers and in prose") {
  const std::string header = std::string("Authorization: Bearer ") + kJwt;
  CHECK(Clean(header, {kJwt, "eyJ"}) == "Authorization: Bearer [REDACTED]");

  CHECK(Clean("sending bearer abc.def-ghi to the API", {"abc.def-ghi"}) ==
        "sending bearer [REDACTED] to the API");
  CHECK(Clean("BEARER\tabc.def-ghi", {"abc.def-ghi"}) == "BEARER\t[REDACTED]");
  CHECK(Clean("Authorization: Bearer abc.def-ghi\nnext line", {"abc.def-ghi"}) ==
        "Authorization: Bearer [REDACTED]\nnext line");
  CHECK(Clean("{\"Authorization\":\"Bearer abc.def-ghi\"}", {"abc.def-ghi"}) ==
        "{\"Authorization\":\"[REDACTED]\"}");
  CHECK(Clean("headers: [Bearer abc.def-ghi, other]", {"abc.def-ghi"}) ==
        "headers: [Bearer [REDACTED], other]");
}

TEST_CASE("other authorization schemes lose the rest of the line") {
  CHECK(Clean("Authorization: Basic dXNlcjpwYXNzd29yZA==\nok", {"dXNlcjpwYXNzd29yZA"}) ==
        "Authorization: [REDACTED]\nok");
  CHECK(Clean("authorization=SharedKey acct:c2lnbmF0dXJl", {"c2lnbmF0dXJl"}) ==
        "authorization=[REDACTED]");
}

TEST_CASE(
    "a secret next to the word Bearer, as a value, twice or before a key, is still redacted") {
  Clean("client_secret= Bearer abc.def-ghi", {"abc.def-ghi"});
  Clean("password=BEARER\tabc.def-ghi&x=1", {"abc.def-ghi"});
  Clean("DeviceId: bearer abc.def-ghi", {"abc.def-ghi"});
  CHECK(Clean("Authorization: Bearer Bearer abc.def-ghi", {"abc.def-ghi"}) ==
        "Authorization: Bearer Bearer [REDACTED]");
  Clean("bearer Bearer abc.def-ghi", {"abc.def-ghi"});
  Clean("bearer PASSWORD: abc.def-ghi", {"abc.def-ghi"});
  Clean("Bearer DeviceId: abc.def-ghi", {"abc.def-ghi"});
  Clean("&sig= HardwareId: abc.def-ghi", {"abc.def-ghi"});
  Clean("{\"client_secret\":\"password=abc def-ghi\"}", {"abc", "def-ghi"});
}

TEST_CASE("the word bearer without a token is left alone") {
  CHECK(Redact("bearer") == "bearer");
  CHECK(Redact("Bearer ") == "Bearer ");
  CHECK(Redact("cupbearer x") == "cupbearer x");
}

TEST_CASE("access tokens are redacted in JSON with and without spaces") {
  const std::string json = std::string("{\"token_type\":\"Bearer\",\"access_token\":\"") + kJwt +
                           "\",\"expires_in\":3599}";
  CHECK(Clean(json, {kJwt, "eyJ"}) ==
        "{\"token_type\":\"Bearer\",\"access_token\":\"[REDACTED]\",\"expires_in\":3599}");

  CHECK(Clean("{\"access_token\" : \"xyzzy-token\"}", {"xyzzy-token"}) ==
        "{\"access_token\" : \"[REDACTED]\"}");
  CHECK(Clean("{\"refresh_token\": \"r3fr3sh\", \"id_token\":\"1d-t0k3n\"}",
              {"r3fr3sh", "1d-t0k3n"}) ==
        "{\"refresh_token\": \"[REDACTED]\", \"id_token\":\"[REDACTED]\"}");
  // Escaped quotes inside the value do not end it early.
  CHECK(Clean(R"({"access_token":"ab\"cd-tail"})", {"cd-tail"}) ==
        R"({"access_token":"[REDACTED]"})");
  CHECK(Clean("{'ACCESS_TOKEN': 'single-quoted'}", {"single-quoted"}) ==
        "{'ACCESS_TOKEN': '[REDACTED]'}");
}

TEST_CASE("client secrets in a form body are redacted and the other fields survive") {
  const std::string form =
      "grant_type=client_credentials&client_id=app&client_secret=abc%2Fdef&"
      "resource=https://api.example.com";
  const std::string out = Clean(form, {"abc%2Fdef", "abc"});
  CHECK(out ==
        "grant_type=client_credentials&client_id=app&client_secret=[REDACTED]&"
        "resource=https://api.example.com");
  CHECK(Clean("client_secret=abc%2Fdef", {"abc%2Fdef"}) == "client_secret=[REDACTED]");
  CHECK(Clean("password=hunter22&user=me", {"hunter22"}) == "password=[REDACTED]&user=me");
  CHECK(Clean("?access_token=tok123&x=1", {"tok123"}) == "?access_token=[REDACTED]&x=1");
}

TEST_CASE("the SAS signature is redacted and the other query parameters survive") {
  const std::string url = "https://h/c/b.cab?sv=2020&sr=b&sig=AbC%2B%3D&se=2024";
  CHECK(Clean(url, {"AbC%2B%3D", "AbC"}) ==
        "https://h/c/b.cab?sv=2020&sr=b&sig=[REDACTED]&se=2024");
  CHECK(Clean("GET https://h/b?sig=AbC%2B%3D failed", {"AbC"}) ==
        "GET https://h/b?sig=[REDACTED] failed");
  CHECK(Clean("url='https://h/b?SIG=AbC%2B%3D'", {"AbC"}) == "url='https://h/b?SIG=[REDACTED]'");
}

TEST_CASE("the SAS signature is redacted in a JSON body that escapes the ampersand") {
  // .NET's JSON writer escapes '&' (and '+') in strings; the escape must not
  // hide the "sig" key from the redactor.
  const std::string body =
      R"({"cabUrl":"https://h/c/b.cab?sv=2020\u0026sr=b\u0026sig=AbC\u002BdEf%3D\u0026se=2024"})";
  const std::string out = Clean(body, {"AbC", "dEf"});
  CHECK(out == R"({"cabUrl":"https://h/c/b.cab?sv=2020\u0026sr=b\u0026sig=[REDACTED]"})");
  CHECK(Clean(R"(x=\u0026SIG=AbCdEf)", {"AbCdEf"}) == R"(x=\u0026SIG=[REDACTED])");
  CHECK(Clean(R"(\u0026DeviceId=s:1234)", {"1234"}) == R"(\u0026DeviceId=[REDACTED])");
  // Only a full \uXXXX escape counts as a separator.
  CHECK(Redact(R"(\u00zsig=abc)") == R"(\u00zsig=abc)");
  CHECK(Redact(R"(u0026sig=abc)") == R"(u0026sig=abc)");
}

TEST_CASE("device identifiers are redacted in every shape") {
  CHECK(Clean("DeviceId=s:1234-ABCD", {"1234-ABCD", "s:"}) == "DeviceId=[REDACTED]");
  CHECK(Clean("report deviceid: abc for job", {"abc "}) == "report deviceid: [REDACTED] for job");
  CHECK(Clean("{\"DeviceId\":\"x\"}", {"\"x\""}) == "{\"DeviceId\":\"[REDACTED]\"}");
  CHECK(Clean("DEVICEID = s:1234-ABCD, next", {"1234"}) == "DEVICEID = [REDACTED], next");
  // A device id holding '&' keeps going: only a delimiter ends it.
  CHECK(Clean("DeviceId=a&b&c done", {"&b&c"}) == "DeviceId=[REDACTED] done");
}

TEST_CASE("hardware identifiers are redacted whole, including their ampersands") {
  CHECK(Clean("HardwareId=PCI\\VEN_8086&DEV_1234&SUBSYS_0",
              {"PCI", "VEN_8086", "&DEV_", "SUBSYS"}) == "HardwareId=[REDACTED]");
  CHECK(Clean("x HardwareId=PCI\\VEN_8086&DEV_1234&SUBSYS_0 y", {"VEN_8086", "DEV_1234"}) ==
        "x HardwareId=[REDACTED] y");
  CHECK(Clean(R"({"hardwareId": "USB\\VID_1", "n": 1})", {"USB", "VID_1"}) ==
        R"({"hardwareId": "[REDACTED]", "n": 1})");
}

TEST_CASE("keys that merely start with a secret key's name are left alone") {
  CHECK(Redact("DeviceIdHash=abc") == "DeviceIdHash=abc");
  CHECK(Redact("\"deviceIdHash\":\"abc\"") == "\"deviceIdHash\":\"abc\"");
  CHECK(Redact("signature=abc&design=2") == "signature=abc&design=2");
  CHECK(Redact("mydeviceid=abc") == "mydeviceid=abc");
  CHECK(Redact("x_access_token=abc") == "x_access_token=abc");
  CHECK(Redact("passwords are never logged") == "passwords are never logged");
}

TEST_CASE("text without secrets is unchanged") {
  CHECK(Redact("") == "");
  const std::string plain =
      "job 'weekly' fetched 120 rows from https://api.example.com/reports?top=100 in 2.5s";
  CHECK(Redact(plain) == plain);
  CHECK(Redact("deviceid") == "deviceid");
  CHECK(Redact("DeviceId=") == "DeviceId=");
  CHECK(Redact("sig") == "sig");
  CHECK(Redact("\"access_token\":\"\"") == "\"access_token\":\"\"");
}

TEST_CASE("a registered secret is replaced wherever it appears") {
  ClearSecrets();
  AddSecret("s3cr3t-value");
  CHECK(Redact("x s3cr3t-value y s3cr3t-value") == "x [REDACTED] y [REDACTED]");
  CHECK(Redact("prefixs3cr3t-valuesuffix") == "prefix[REDACTED]suffix");
  CHECK(Redact("nothing here") == "nothing here");

  // Adding it twice does no harm.
  AddSecret("s3cr3t-value");
  CHECK(Redact("s3cr3t-value") == "[REDACTED]");

  ClearSecrets();
  CHECK(Redact("x s3cr3t-value y") == "x s3cr3t-value y");
}

TEST_CASE("registered secrets shorter than six characters are ignored") {
  ClearSecrets();
  AddSecret("abcde");
  AddSecret("");
  CHECK(Redact("abcde is a word") == "abcde is a word");
  AddSecret("abcdef");
  CHECK(Redact("abcdef is a secret") == "[REDACTED] is a secret");
  ClearSecrets();
}

TEST_CASE("a registered secret is replaced even when it contains the redaction marker") {
  ClearSecrets();
  AddSecret("[REDACTED]x");
  CHECK(Redact("a [REDACTED]x b") == "a [REDACTED] b");
  ClearSecrets();
}

}  // namespace
}  // namespace hdc::util

namespace hdc::util {
namespace {

TEST_CASE("a bare JWT is redacted wherever it appears") {
  CHECK(Redact("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl expired") ==
        "token [REDACTED] expired");
  CHECK(Redact("eyJonly.one-dot") == "eyJonly.one-dot");
}

}  // namespace
}  // namespace hdc::util
