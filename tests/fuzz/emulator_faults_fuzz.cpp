// Fuzz target: the emulator's --faults file (emulator/faults_file.h), JSON
// or INI as its content decides, and so emulator::ParseFaultRules and the
// settings knobs. Rules it accepts are written back (FaultRulesToJson) and
// must parse again: abort otherwise.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "emulator/faults.h"
#include "emulator/faults_file.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const hdc::emulator::Settings settings;
  auto file = hdc::emulator::ParseFaultsFile(hdc::fuzz::AsText(data, size), "fuzz", settings);
  if (!file.ok()) return 0;
  const auto again =
      hdc::emulator::ParseFaultRules(hdc::emulator::FaultRulesToJson(file.value().rules));
  if (!again.ok()) std::abort();
  return 0;
}
