// Fuzz target: the report data answer (executions and their links,
// api::ParseReportData) and a page of cab links (api::ParseCabPage). A ready
// execution always has a link: abort otherwise.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "api/models.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = hdc::fuzz::AsText(data, size);
  auto executions = hdc::api::ParseReportData(text, "/reportdata");
  if (executions.ok()) {
    for (const auto& execution : executions.value()) {
      if (execution.ready() && execution.location.empty()) std::abort();
    }
  }
  (void)hdc::api::ParseCabPage(text, "/cabs");
  return 0;
}
