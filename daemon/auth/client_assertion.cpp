#include "auth/client_assertion.h"

#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>

#include <Poco/Base64Encoder.h>
#include <Poco/Crypto/EVPPKey.h>
#include <Poco/Crypto/RSADigestEngine.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/Crypto/X509Certificate.h>
#include <Poco/DateTime.h>
#include <Poco/Timestamp.h>
#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "util/strings.h"

namespace hdc::auth {

struct CertificateCredential::Key {
  explicit Key(Poco::Crypto::RSAKey key) : rsa(std::move(key)) {}
  const Poco::Crypto::RSAKey rsa;
};

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A certificate with its chain and key is a few KiB; a larger file is some
// other file named by mistake, and is not read into memory.
constexpr std::uintmax_t kMaxPemFileBytes = 1 << 20;
// Microsoft's minimum for certificate credentials.
constexpr int kMinRsaKeyBits = 2048;

using EvpKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using MemoryBio = std::unique_ptr<BIO, decltype(&BIO_free)>;

// File text that may hold a private key: overwritten before it is freed.
struct WipedText {
  WipedText() = default;
  WipedText(const WipedText&) = delete;
  WipedText& operator=(const WipedText&) = delete;
  ~WipedText() { OPENSSL_cleanse(text.data(), text.size()); }
  std::string text;
};

// A configured path (UTF-8) as the system's path type, so a non-ASCII name
// opens on Windows too.
fs::path NativePath(const std::string& path) {
  return fs::path(std::u8string(path.begin(), path.end()));
}

// Reads a whole PEM file into `out` (sized once, so no stray copies of a key
// are left in freed buffers). `source` begins every message.
util::Status ReadPemFile(const std::string& path, const std::string& source, std::string& out) {
  std::error_code ec;
  const fs::path native = NativePath(path);
  const fs::file_status status = fs::status(native, ec);
  if (!fs::exists(status)) {
    return util::ConfigError(
        source + ": " +
        (ec && status.type() != fs::file_type::not_found ? ec.message() : "file not found"));
  }
  if (!fs::is_regular_file(status)) return util::ConfigError(source + ": not a regular file");
  const std::uintmax_t size = fs::file_size(native, ec);
  if (ec) return util::ConfigError(source + ": cannot read it (" + ec.message() + ")");
  if (size == 0) return util::ConfigError(source + ": the file is empty");
  if (size > kMaxPemFileBytes) {
    return util::ConfigError(source + ": over 1 MiB, too large for a PEM certificate or key");
  }
  std::ifstream in(native, std::ios::binary);
  out.resize(static_cast<std::size_t>(size));
  if (!in || !in.read(out.data(), static_cast<std::streamsize>(out.size()))) {
    return util::ConfigError(source + ": cannot read it");
  }
  return util::Status::Ok();
}

std::string Base64Url(const void* data, std::size_t size) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
  encoder.rdbuf()->setLineLength(0);
  encoder.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  encoder.close();
  return out.str();
}

std::string Base64Url(std::string_view text) { return Base64Url(text.data(), text.size()); }

std::string Hex(std::uint64_t value, int digits) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text(static_cast<std::size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, value >>= 4)
    text[static_cast<std::size_t>(i)] = kDigits[value & 0xF];
  return text;
}

// A version 4 UUID ("3f2a...-4...-8...") from `random`.
std::string RandomGuid(util::Random& random) {
  const std::uint64_t high = (random.Next() & ~std::uint64_t{0xF000}) | 0x4000;
  const std::uint64_t low = (random.Next() >> 2) | (std::uint64_t{1} << 63);
  return Hex(high >> 32, 8) + "-" + Hex(high >> 16, 4) + "-" + Hex(high, 4) + "-" +
         Hex(low >> 48, 4) + "-" + Hex(low, 12);
}

// The first certificate of `pem`, the client's own (a chain follows it).
util::Result<Poco::Crypto::X509Certificate> ReadCertificate(std::string_view pem,
                                                            const std::string& source) {
  static constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  static constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  const std::size_t begin = pem.find(kBegin);
  if (begin == std::string_view::npos) {
    return util::ConfigError(source + ": no certificate found (a PEM file is expected)");
  }
  const std::size_t end = pem.find(kEnd, begin);
  if (end == std::string_view::npos) {
    return util::ConfigError(source + ": the certificate is cut short (no END line)");
  }
  // Only the certificate's own lines go to Poco, which copies what it reads:
  // a key in the same file is not copied along.
  std::istringstream in(std::string(pem.substr(begin, end + kEnd.size() - begin)));
  try {
    return Poco::Crypto::X509Certificate(in);
  } catch (const std::exception&) {
    ERR_clear_error();
    return util::ConfigError(source + ": the certificate cannot be read (damaged PEM)");
  }
}

// OpenSSL calls this for an encrypted key instead of prompting on the
// terminal (its default, which would hang a service): no passphrase.
int RefusePassphrase(char* /*buffer*/, int /*size*/, int /*writing*/, void* asked) {
  *static_cast<bool*>(asked) = true;
  return -1;
}

std::string KeyKind(const EVP_PKEY* key) {
  switch (EVP_PKEY_id(key)) {
    case EVP_PKEY_EC:
      return "an EC key";
    case EVP_PKEY_RSA_PSS:
      return "an RSA-PSS key";
    case EVP_PKEY_ED25519:
      return "an Ed25519 key";
    case EVP_PKEY_DSA:
      return "a DSA key";
    default:
      return "a key of another type";
  }
}

// The first private key of `pem`: unencrypted RSA, 2,048 bits or more.
// OpenSSL reads it straight from `pem` (we make no copy; OpenSSL wipes its own).
util::Result<EvpKey> ReadPrivateKey(std::string_view pem, const std::string& source,
                                    bool beside_certificate) {
  if (pem.find("PRIVATE KEY-----") == std::string_view::npos) {
    return util::ConfigError(source + ": no private key found" +
                             (beside_certificate ? " (put it after the certificate, or name its "
                                                   "file in client_certificate_key_file)"
                                                 : ""));
  }
  bool asked = false;
  MemoryBio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  EvpKey key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, &RefusePassphrase, &asked) : nullptr,
             &EVP_PKEY_free);
  ERR_clear_error();  // a failure's reasons would confuse the next TLS error report
  if (asked) {
    return util::ConfigError(source +
                             ": the private key is encrypted; give it without a passphrase "
                             "and let the file's permissions protect it");
  }
  if (!key) return util::ConfigError(source + ": the private key cannot be read (damaged PEM)");
  if (EVP_PKEY_id(key.get()) != EVP_PKEY_RSA) {
    return util::ConfigError(source + ": the private key is " + KeyKind(key.get()) +
                             "; Azure AD certificate credentials need an RSA key (RS256)");
  }
  if (const int bits = EVP_PKEY_bits(key.get()); bits < kMinRsaKeyBits) {
    return util::ConfigError(source + ": the RSA key has " + std::to_string(bits) +
                             " bits; Azure AD needs 2048 or more");
  }
  return key;
}

util::TimePoint ToTimePoint(const Poco::DateTime& time) {
  return util::TimePoint(std::chrono::milliseconds(time.timestamp().epochMicroseconds() / 1000));
}

}  // namespace

util::Result<CertificateCredential> CertificateCredential::Load(const std::string& certificate_file,
                                                                const std::string& key_file) {
  const std::string certificate_source = "client_certificate_file " + certificate_file;
  WipedText certificate_pem;
  HDC_RETURN_IF_ERROR(ReadPemFile(certificate_file, certificate_source, certificate_pem.text));
  if (key_file.empty()) {
    return FromPem(certificate_pem.text, "", certificate_source, certificate_source);
  }
  const std::string key_source = "client_certificate_key_file " + key_file;
  WipedText key_pem;
  HDC_RETURN_IF_ERROR(ReadPemFile(key_file, key_source, key_pem.text));
  return FromPem(certificate_pem.text, key_pem.text, certificate_source, key_source);
}

util::Result<CertificateCredential> CertificateCredential::FromPem(
    std::string_view certificate_pem, std::string_view key_pem,
    const std::string& certificate_source, const std::string& key_source) {
  // BIO_new_mem_buf takes an int length; no PEM file comes near this cap.
  if (certificate_pem.size() > kMaxPemFileBytes) {
    return util::ConfigError(certificate_source + ": over 1 MiB of PEM text");
  }
  if (key_pem.size() > kMaxPemFileBytes) {
    return util::ConfigError(key_source + ": over 1 MiB of PEM text");
  }
  HDC_ASSIGN_OR_RETURN(auto certificate, ReadCertificate(certificate_pem, certificate_source));
  const bool beside_certificate = key_pem.empty();
  HDC_ASSIGN_OR_RETURN(EvpKey key, ReadPrivateKey(beside_certificate ? certificate_pem : key_pem,
                                                  key_source, beside_certificate));
  if (X509_check_private_key(certificate.certificate(), key.get()) != 1) {
    ERR_clear_error();
    return util::ConfigError(key_source + ": the private key does not match the certificate" +
                             (key_source == certificate_source ? "" : " of " + certificate_source));
  }
  CertificateCredential credential;
  try {
    credential.key_ =
        std::make_shared<const Key>(Poco::Crypto::RSAKey(Poco::Crypto::EVPPKey(key.get())));
    const auto sha256 = certificate.fingerprint("SHA256");
    const auto sha1 = certificate.fingerprint("SHA1");
    credential.thumbprint_sha256_ = Base64Url(sha256.data(), sha256.size());
    credential.thumbprint_sha1_ = Base64Url(sha1.data(), sha1.size());
    credential.common_name_ = certificate.commonName();
    credential.not_after_ = ToTimePoint(certificate.expiresOn());
  } catch (const std::exception&) {
    ERR_clear_error();
    return util::ConfigError(certificate_source + ": the certificate or its key cannot be used");
  }
  return credential;
}

std::string CertificateCredential::Describe() const {
  const std::string name =
      common_name_.empty() ? "certificate without a CN"
                           : "certificate CN=" + util::Printable(common_name_, util::kShownChars);
  return name + ", SHA-256 thumbprint " + thumbprint_sha256_.substr(0, 8) + "...";
}

util::Result<std::string> CertificateCredential::Assertion(std::string_view audience,
                                                           std::string_view client_id,
                                                           util::TimePoint now,
                                                           util::Random& random,
                                                           util::Duration lifetime) const {
  const auto lifetime_seconds = std::chrono::floor<std::chrono::seconds>(lifetime);
  if (lifetime_seconds.count() < 1 || lifetime > kMaxAssertionLifetime) {
    return util::ConfigError("client assertion lifetime " +
                             std::to_string(lifetime_seconds.count()) +
                             "s: must be from 1s to 10 minutes (Azure AD's limit)");
  }
  if (audience.empty() || client_id.empty()) {
    return util::ConfigError("client assertion: empty audience or client id");
  }
  const std::int64_t issued =
      std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
  const json header = {{"alg", "RS256"},
                       {"typ", "JWT"},
                       {"x5t#S256", thumbprint_sha256_},
                       {"x5t", thumbprint_sha1_}};
  const json claims = {{"aud", std::string(audience)},
                       {"iss", std::string(client_id)},
                       {"sub", std::string(client_id)},
                       {"jti", RandomGuid(random)},
                       {"nbf", issued},
                       {"iat", issued},
                       {"exp", issued + lifetime_seconds.count()}};
  std::string signed_part;
  try {
    signed_part = Base64Url(header.dump()) + "." + Base64Url(claims.dump());
  } catch (const json::exception&) {
    return util::ConfigError("client assertion: the audience or client id is not UTF-8");
  }
  try {
    Poco::Crypto::RSADigestEngine engine(key_->rsa, "SHA256");
    engine.update(signed_part.data(), signed_part.size());
    const auto& signature = engine.signature();
    return signed_part + "." + Base64Url(signature.data(), signature.size());
  } catch (const std::exception&) {
    ERR_clear_error();
    return util::InternalError("client assertion: RS256 signing failed");
  }
}

}  // namespace hdc::auth
