#include "reconcile/fingerprint.h"

#include <doctest/doctest.h>

namespace hdc::reconcile {
namespace {

using nlohmann::json;

TEST_CASE("SHA-256 matches the FIPS 180-2 test vectors") {
  CHECK(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("a fingerprint ignores key order and whitespace but not content") {
  const json a = json::parse(R"({"view":"IHVDriver","limit":10})");
  const json b = json::parse("{ \"limit\" : 10,\n \"view\" : \"IHVDriver\" }");
  const json c = json::parse(R"({"view":"IHVDriver","limit":11})");
  CHECK(Fingerprint(a) == Fingerprint(b));
  CHECK(Fingerprint(a) != Fingerprint(c));
  CHECK(Fingerprint(a).size() == 64);
}

}  // namespace
}  // namespace hdc::reconcile
