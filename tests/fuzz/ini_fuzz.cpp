// Fuzz target: the INI reader and the typed readers behind it. The input is
// parsed by config::ParseIni and then, as the service file, by
// config::ParseConfig (service, account and job sections through
// SectionReader, job_spec and service_config); a template_file names no
// real file: the reader hands back the input itself, so the template JSON
// reader sees INI text too.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/ini_loader.h"
#include "config/ini_parser.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = hdc::fuzz::AsText(data, size);
  (void)hdc::config::ParseIni(text, "fuzz.ini");
  const hdc::config::ConfigFile file{"fuzz.ini", "/nonexistent", std::string(text)};
  const hdc::config::FileReader read_back =
      [&](const std::string&) -> hdc::util::Result<std::string> { return std::string(text); };
  (void)hdc::config::ParseConfig(file, {}, read_back);
  return 0;
}
