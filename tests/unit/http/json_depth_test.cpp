#include <string>

#include <doctest/doctest.h>

#include "http/client.h"

namespace hdc::http {
namespace {

TEST_CASE("JSON nesting depth counts arrays and objects") {
  CHECK(JsonDepthWithin("", 0));
  CHECK(JsonDepthWithin("42", 0));
  CHECK(JsonDepthWithin("[]", 1));
  CHECK_FALSE(JsonDepthWithin("[]", 0));
  CHECK(JsonDepthWithin("[[[]]]", 3));
  CHECK_FALSE(JsonDepthWithin("[[[]]]", 2));
  CHECK(JsonDepthWithin(R"({"a":{"b":[1,2]}})", 3));
  CHECK_FALSE(JsonDepthWithin(R"({"a":{"b":[1,2]}})", 2));
  CHECK(JsonDepthWithin("[][][][]", 1));  // siblings do not add up
  CHECK(JsonDepthWithin(R"([{"a":1},{"b":[2]}])", 3));
}

TEST_CASE("JSON nesting depth ignores brackets inside strings, escaped quotes included") {
  CHECK(JsonDepthWithin(R"(["[[[[{{{{"])", 1));
  CHECK(JsonDepthWithin(R"({"k]]]":"v{{{"})", 1));
  CHECK(JsonDepthWithin(R"(["a\"[[[[", "b"])", 1));    // \" does not end the string
  CHECK_FALSE(JsonDepthWithin(R"(["a\\",[[]]])", 2));  // \\ does: the brackets count
  CHECK(JsonDepthWithin(R"(["a\\",[[]]])", 3));
  CHECK(JsonDepthWithin(R"(["\u005b\u005b"])", 1));
}

TEST_CASE("very deep input is refused quickly and without recursion") {
  const std::string deep = std::string(1000000, '[') + std::string(1000000, ']');
  CHECK_FALSE(JsonDepthWithin(deep, 64));
  CHECK(JsonDepthWithin(deep, 1000000));
  const std::string objects = std::string(100000, '{');  // unbalanced: still only depth
  CHECK_FALSE(JsonDepthWithin(objects, 32));
}

}  // namespace
}  // namespace hdc::http
