// Fuzz target: the template answers of the HDC API (api/models.h): the
// listing, one template, and the id of a created template.
#include <cstddef>
#include <cstdint>

#include "api/models.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = hdc::fuzz::AsText(data, size);
  (void)hdc::api::ParseTemplateList(text, "/templates");
  (void)hdc::api::ParseTemplate(text, "/templates/1");
  (void)hdc::api::ParseCreatedTemplateId(text, "/templates");
  return 0;
}
