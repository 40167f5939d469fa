// Stateless 64-bit mixing for deterministic data: the same inputs give the
// same value on every run and platform (splitmix64 finaliser).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>

namespace hdc::emulator {

inline std::uint64_t Mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

inline std::uint64_t Hash(std::initializer_list<std::uint64_t> parts) {
  std::uint64_t h = 0x6a09e667f3bcc908ULL;
  for (std::uint64_t p : parts) h = Mix64(h ^ p);
  return h;
}

inline std::uint64_t HashText(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a, then mixed
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return Mix64(h);
}

// Uniform in [0, 1) from a hash.
inline double Unit(std::uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

}  // namespace hdc::emulator
