#include "util/strings.h"

#include <doctest/doctest.h>

namespace hdc::util {
namespace {

TEST_CASE("case-insensitive equality and lower case are ASCII only") {
  CHECK(EqualsIgnoreCase("Content-MD5", "content-md5"));
  CHECK_FALSE(EqualsIgnoreCase("abc", "abcd"));
  CHECK_FALSE(EqualsIgnoreCase("ä", "Ä"));
  CHECK(ToLower("DeviceId-42") == "deviceid-42");
}

TEST_CASE("percent-encoding keeps only unreserved characters") {
  CHECK(PercentEncode("a-b_c.d~e") == "a-b_c.d~e");
  CHECK(PercentEncode("s3cr&t= /+") == "s3cr%26t%3D%20%2F%2B");
  CHECK(PercentEncode("https://x") == "https%3A%2F%2Fx");
  CHECK(PercentEncode("\xff") == "%FF");
}

}  // namespace
}  // namespace hdc::util
