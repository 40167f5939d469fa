#include "platform/trust_store.h"

#include <string>

#include <doctest/doctest.h>
#include <openssl/x509.h>

namespace hdc::platform {
namespace {

#ifdef _WIN32
// Wine fills its ROOT store from the host's trusted roots (ca-certificates),
// as Windows fills it from Windows Update; either way it is not empty.
TEST_CASE("trust store: the Windows ROOT store gives DER certificates OpenSSL can read") {
  const auto anchors = SystemTrustAnchorsDer();
  REQUIRE(anchors.size() > 10);
  for (const std::string& der : anchors) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    X509* cert = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
    CHECK(cert != nullptr);
    X509_free(cert);
  }
}
#else
TEST_CASE("trust store: POSIX adds nothing to OpenSSL's default verify paths") {
  CHECK(SystemTrustAnchorsDer().empty());
}
#endif

}  // namespace
}  // namespace hdc::platform
