// Fuzz target: template JSON as the client reads it back. The input goes
// through config::ParseTemplateJson (a template_file, Microsoft's template
// body); when it is JSON at all, through reconcile::NormaliseTemplate (the
// canonical form a server listing is compared in) and reconcile::Fingerprint.
// A template the reader accepts and validation passes is also built back into the API's JSON
// (reconcile::BuildTemplate) and normalised.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "api/models.h"
#include "config/template_json.h"
#include "fuzz_input.h"
#include "reconcile/fingerprint.h"
#include "reconcile/normalize.h"
#include "reconcile/template_builder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = hdc::fuzz::AsText(data, size);
  auto spec = hdc::config::ParseTemplateJson(text, "fuzz.json");
  const hdc::config::WhereFn where = [](std::string_view key) { return std::string(key); };
  if (spec.ok() && hdc::config::ValidateTemplate(spec.value(), where).ok()) {
    hdc::config::JobSpec job;
    job.report = spec.value();
    (void)hdc::reconcile::Fingerprint(
        hdc::reconcile::NormaliseTemplate(hdc::reconcile::BuildTemplate(job)));
  }
  // The API's parser: depth guard first, as for every server answer.
  auto json = hdc::api::ParseJson(text, "/fuzz");
  if (json.ok()) {
    (void)hdc::reconcile::Fingerprint(hdc::reconcile::NormaliseTemplate(json.value()));
  }
  return 0;
}
