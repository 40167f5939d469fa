// Fuzz target: the error answers (api/errors.h): the server's message from
// any body (JSON envelope, analytics shape, Azure AD, blob XML), the status
// it maps to, and the envelope's errors. The first input byte picks the HTTP
// status. The error's one-line form has no line break: abort otherwise.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "api/errors.h"
#include "api/models.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = hdc::fuzz::AsText(data, size);
  const int status = 400 + hdc::fuzz::TakeByte(&text) % 200;
  (void)hdc::api::ServerMessage(text);
  const auto error = hdc::api::ErrorFromResponse("GET", "/reportdata", status, text);
  if (error.ToString().find('\n') != std::string::npos) std::abort();
  auto json = hdc::api::ParseJson(text, "/fuzz");
  if (json.ok()) (void)hdc::api::EnvelopeErrors(json.value());
  return 0;
}
