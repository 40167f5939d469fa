#include "emulator/sas.h"

#include <sstream>

#include <Poco/Base64Encoder.h>
#include <Poco/MD5Engine.h>
#include <Poco/SHA2Engine.h>
#include <Poco/URI.h>

#include "emulator/hash.h"
#include "util/time_format.h"

namespace hdc::emulator {
namespace {

constexpr std::string_view kVersion = "2021-08-06";

std::string Sha256(std::string_view data) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(data.data(), static_cast<unsigned>(data.size()));
  const auto& d = engine.digest();
  return std::string(d.begin(), d.end());
}

std::string Find(const QueryParams& q, std::string_view name) {
  for (const auto& [k, v] : q) {
    if (k == name) return v;
  }
  return "";
}

}  // namespace

std::string HmacSha256(std::string_view key, std::string_view message) {
  std::string k = key.size() > 64 ? Sha256(key) : std::string(key);
  k.resize(64, '\0');
  std::string inner(64, '\0'), outer(64, '\0');
  for (int i = 0; i < 64; ++i) {
    inner[i] = static_cast<char>(k[i] ^ 0x36);
    outer[i] = static_cast<char>(k[i] ^ 0x5c);
  }
  return Sha256(outer + Sha256(inner + std::string(message)));
}

std::string Base64(std::string_view bytes) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  enc.close();
  return out.str();
}

std::string Md5Base64(std::string_view bytes) {
  Poco::MD5Engine md5;
  md5.update(bytes.data(), static_cast<unsigned>(bytes.size()));
  const auto& d = md5.digest();
  return Base64(std::string(d.begin(), d.end()));
}

SasSigner::SasSigner(std::uint64_t seed) {
  for (std::uint64_t i = 0; i < 4; ++i) {
    std::uint64_t h = Hash({seed, 0x5a5, i});
    for (int b = 0; b < 8; ++b, h >>= 8) key_ += static_cast<char>(h & 0xff);
  }
}

std::string SasSigner::Signature(std::string_view path, std::string_view st,
                                 std::string_view se) const {
  std::string message = "r\n" + std::string(st) + "\n" + std::string(se) + "\n" +
                        std::string(path) + "\n" + std::string(kVersion) + "\nb";
  return Base64(HmacSha256(key_, message));
}

std::string SasSigner::Sign(std::string_view path, util::TimePoint start,
                            util::TimePoint expiry) const {
  const std::string st = util::FormatTimestamp(start), se = util::FormatTimestamp(expiry);
  std::string sig;
  Poco::URI::encode(Signature(path, st, se), "+/=&", sig);
  std::string enc_st, enc_se;
  Poco::URI::encode(st, ":", enc_st);
  Poco::URI::encode(se, ":", enc_se);
  return "sv=" + std::string(kVersion) + "&st=" + enc_st + "&se=" + enc_se +
         "&sr=b&sp=r&sig=" + sig;
}

SasVerdict SasSigner::Verify(std::string_view path, const QueryParams& query, util::TimePoint now,
                             std::string* detail) const {
  const std::string st = Find(query, "st"), se = Find(query, "se"), sig = Find(query, "sig");
  if (sig.empty() || se.empty() || Find(query, "sp") != "r" || Find(query, "sr") != "b") {
    *detail = "Signature fields not well formed.";
    return SasVerdict::kMissing;
  }
  if (sig != Signature(path, st, se)) {
    *detail = "Signature did not match. String to sign used was r\n" + st + "\n" + se + "\n" +
              std::string(path);
    return SasVerdict::kBadSignature;
  }
  auto start = util::ParseTimestamp(st);
  auto expiry = util::ParseTimestamp(se);
  if (!expiry.ok() || (!st.empty() && !start.ok())) {
    *detail = "Signature fields not well formed.";
    return SasVerdict::kMissing;
  }
  const std::string frame =
      "Start [" + st + "] - Expiry [" + se + "] - Current [" + util::FormatTimestamp(now) + "]";
  if (now > *expiry) {
    *detail = "Signature not valid in the specified time frame: " + frame;
    return SasVerdict::kExpired;
  }
  if (!st.empty() && now < *start) {
    *detail = "Signature not valid in the specified time frame: " + frame;
    return SasVerdict::kNotYetValid;
  }
  return SasVerdict::kOk;
}

}  // namespace hdc::emulator
