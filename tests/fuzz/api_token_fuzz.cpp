// Fuzz target: the token endpoint's answer (auth::ParseTokenResponse):
// access_token and expires_in from an Azure AD JSON body. An accepted answer
// has a token and a positive lifetime: abort otherwise.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "auth/token_provider.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto token = hdc::auth::ParseTokenResponse(hdc::fuzz::AsText(data, size), "/token");
  if (token.ok() && (token->access_token.empty() || token->expires_in.count() <= 0)) {
    std::abort();
  }
  return 0;
}
