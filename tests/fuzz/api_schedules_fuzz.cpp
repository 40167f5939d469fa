// Fuzz target: the schedule answers of the HDC API (api/models.h): the
// listing (normalised to the create form) and the id of a created schedule.
#include <cstddef>
#include <cstdint>

#include "api/models.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = hdc::fuzz::AsText(data, size);
  (void)hdc::api::ParseScheduleList(text, "/schedules");
  (void)hdc::api::ParseReportId(text, "/schedules");
  return 0;
}
