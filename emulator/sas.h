// Shared access signatures for the emulator's blob host, in the shape of
// Azure's service SAS: sv, st, se, sr=b, sp=r and sig = base64(HMAC-SHA256)
// over the permissions, start, expiry and blob path, with a key derived from
// the seed (so links survive a restart with the same seed). Never logs a
// signature. Immutable; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/clock.h"

namespace hdc::emulator {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

enum class SasVerdict { kOk, kMissing, kBadSignature, kExpired, kNotYetValid };

class SasSigner {
 public:
  explicit SasSigner(std::uint64_t seed);
  // The query string (no leading '?') granting read of `path` in [start, expiry].
  std::string Sign(std::string_view path, util::TimePoint start, util::TimePoint expiry) const;
  // `detail` receives Azure's AuthenticationErrorDetail text on refusal.
  SasVerdict Verify(std::string_view path, const QueryParams& query, util::TimePoint now,
                    std::string* detail) const;

 private:
  std::string Signature(std::string_view path, std::string_view st, std::string_view se) const;
  std::string key_;
};

std::string HmacSha256(std::string_view key, std::string_view message);
std::string Base64(std::string_view bytes);
std::string Md5Base64(std::string_view bytes);

}  // namespace hdc::emulator
