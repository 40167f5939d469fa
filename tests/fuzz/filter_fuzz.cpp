// Fuzz target: the where/having expression language (config::ParseFilter),
// and on a parsed tree the helpers that walk it (Comparisons,
// SplitAggregate). A parsed tree must not be empty of comparisons: abort
// otherwise.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/filter_expr.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto tree = hdc::config::ParseFilter(hdc::fuzz::AsText(data, size));
  if (!tree.ok()) return 0;
  const auto comparisons = hdc::config::Comparisons(tree.value());
  if (comparisons.empty()) std::abort();
  for (const auto* node : comparisons) {
    std::string function;
    std::string column;
    (void)hdc::config::SplitAggregate(node->attribute, &function, &column);
  }
  return 0;
}
