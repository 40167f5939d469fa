// Helpers shared by the fuzz targets (docs/contributing.md §Fuzzing): the
// input as text, and a selector byte taken off its front. Header-only, no
// state, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace hdc::fuzz {

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Takes one byte off the front of `text` (0 when it is empty).
inline uint8_t TakeByte(std::string_view* text) {
  if (text->empty()) return 0;
  const auto byte = static_cast<uint8_t>(text->front());
  text->remove_prefix(1);
  return byte;
}

}  // namespace hdc::fuzz
