#include "emulator/client_assertion.h"

#include <exception>
#include <sstream>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Crypto/RSADigestEngine.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/Crypto/X509Certificate.h>
#include <nlohmann/json.hpp>
#include <openssl/err.h>

#include "util/time_format.h"

namespace hdc::emulator {
namespace {

using nlohmann::json;

std::optional<std::string> FromBase64Url(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::string standard = text;
  for (char& c : standard) {
    if (c == '-') {
      c = '+';
    } else if (c == '_') {
      c = '/';
    } else if (!std::isalnum(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
  }
  while (standard.size() % 4 != 0) standard += '=';
  try {
    std::istringstream in(standard);
    Poco::Base64Decoder decoder(in);
    std::ostringstream out;
    out << decoder.rdbuf();
    return out.str();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string ToBase64Url(const std::vector<unsigned char>& bytes) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
  encoder.rdbuf()->setLineLength(0);
  encoder.write(reinterpret_cast<const char*>(bytes.data()),
                static_cast<std::streamsize>(bytes.size()));
  encoder.close();
  return out.str();
}

AadError Malformed(const std::string& why) {
  return {400, "invalid_request", 50027, "JWT token is invalid or malformed: " + why + "."};
}

AadError SignatureRefused(const std::string& reason) {
  return {401, "invalid_client", 700027,
          "Client assertion failed signature validation. [Reason - " + reason + "]"};
}

struct Jwt {
  std::string signed_part;
  std::string signature;
  json header, claims;
};

std::optional<AadError> Split(const std::string& text, Jwt* jwt) {
  const std::size_t first = text.find('.');
  const std::size_t second = first == std::string::npos ? first : text.find('.', first + 1);
  if (second == std::string::npos || text.find('.', second + 1) != std::string::npos) {
    return Malformed("the client assertion is not three dot-separated parts");
  }
  auto header = FromBase64Url(text.substr(0, first));
  auto claims = FromBase64Url(text.substr(first + 1, second - first - 1));
  auto signature = FromBase64Url(text.substr(second + 1));
  if (!header || !claims || !signature) return Malformed("a part is not base64url");
  jwt->header = json::parse(*header, nullptr, false);
  jwt->claims = json::parse(*claims, nullptr, false);
  if (!jwt->header.is_object() || !jwt->claims.is_object()) {
    return Malformed("the header or the claims are not a JSON object");
  }
  jwt->signed_part = text.substr(0, second);
  jwt->signature = std::move(*signature);
  return std::nullopt;
}

std::string StringMember(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

std::optional<long long> NumberMember(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_number()) return std::nullopt;
  return it->is_number_float() ? static_cast<long long>(it->get<double>()) : it->get<long long>();
}

util::TimePoint FromPoco(const Poco::DateTime& time) {
  return util::TimePoint(std::chrono::milliseconds(time.timestamp().epochMicroseconds() / 1000));
}

// The key named by the header, not expired (notAfter) at `now`, and whose signature is right.
std::optional<AadError> CheckSignature(const AssertionCheck& check, const Jwt& jwt) {
  if (StringMember(jwt.header, "alg") != "RS256") {
    return Malformed("the algorithm '" + StringMember(jwt.header, "alg") + "' is not supported");
  }
  const std::string sha256 = StringMember(jwt.header, "x5t#S256");
  const std::string sha1 = StringMember(jwt.header, "x5t");
  if (sha256.empty() && sha1.empty()) return Malformed("the header has no x5t#S256 and no x5t");
  try {
    std::istringstream pem(check.certificate_pem);
    Poco::Crypto::X509Certificate certificate(pem);
    const bool named = !sha256.empty() ? sha256 == ToBase64Url(certificate.fingerprint("SHA256"))
                                       : sha1 == ToBase64Url(certificate.fingerprint("SHA1"));
    if (!named) {
      return SignatureRefused("The key was not found., Thumbprint of key used by client: '" +
                              (sha256.empty() ? sha1 : sha256) + "'");
    }
    if (check.now >= FromPoco(certificate.expiresOn())) {
      return SignatureRefused("The key used is expired.");
    }
    Poco::Crypto::RSADigestEngine engine(Poco::Crypto::RSAKey(certificate), "SHA256");
    engine.update(jwt.signed_part.data(), jwt.signed_part.size());
    const Poco::DigestEngine::Digest signature(jwt.signature.begin(), jwt.signature.end());
    if (!engine.verify(signature)) {
      ERR_clear_error();
      return SignatureRefused(
          "The provided signature value did not match the expected signature value.");
    }
  } catch (const std::exception&) {
    ERR_clear_error();
    return SignatureRefused("The key could not be used.");
  }
  return std::nullopt;
}

std::optional<AadError> CheckTimes(const AssertionCheck& check, const Jwt& jwt,
                                   AcceptedAssertion* accepted) {
  const auto nbf = NumberMember(jwt.claims, "nbf");
  const auto exp = NumberMember(jwt.claims, "exp");
  if (!exp) return Malformed("the claims have no numeric exp");
  const util::TimePoint valid_from{std::chrono::seconds(nbf.value_or(0))};
  const util::TimePoint valid_to{std::chrono::seconds(*exp)};
  const bool early = nbf && check.now + kAssertionClockSkew < valid_from;
  if (early || check.now - kAssertionClockSkew >= valid_to) {
    return AadError{400, "invalid_client", 700024,
                    "Client assertion is not within its valid time range. Current time: " +
                        util::FormatTimestamp(check.now) + ", assertion valid from " +
                        (nbf ? util::FormatTimestamp(valid_from) : std::string("(no nbf)")) +
                        ", expiry time of assertion " + util::FormatTimestamp(valid_to) + "."};
  }
  accepted->expires = valid_to + kAssertionClockSkew;
  return std::nullopt;
}

std::optional<AadError> CheckClaims(const AssertionCheck& check, const Jwt& jwt) {
  const std::string aud = StringMember(jwt.claims, "aud");
  bool audience_ok = false;
  for (const std::string& a : check.audiences) audience_ok = audience_ok || a == aud;
  if (!audience_ok) {
    return AadError{401, "invalid_client", 700023,
                    "Client assertion audience claim does not match Realm issuer."};
  }
  const std::string iss = StringMember(jwt.claims, "iss");
  const std::string sub = StringMember(jwt.claims, "sub");
  if (iss != sub || iss != check.client_id) {
    return AadError{401, "invalid_client", 700021,
                    "Client assertion application identifier doesn't match 'client_id' "
                    "parameter."};
  }
  return std::nullopt;
}

constexpr std::string_view kIssuerKeyId = "hdc-emulator-workload-issuer";

std::optional<AadError> NoFederatedRecord(const Jwt& jwt) {
  return AadError{400, "invalid_request", 70021,
                  "No matching federated identity record found for presented assertion. "
                  "Assertion Issuer: '" +
                      StringMember(jwt.claims, "iss") + "'. Assertion Subject: '" +
                      StringMember(jwt.claims, "sub") + "'. Assertion Audience: '" +
                      StringMember(jwt.claims, "aud") + "'."};
}

}  // namespace

WorkloadIssuer::WorkloadIssuer() = default;
WorkloadIssuer::~WorkloadIssuer() = default;

Poco::Crypto::RSAKey& WorkloadIssuer::Key() {
  std::call_once(made_, [this] {
    key_ = std::make_unique<Poco::Crypto::RSAKey>(Poco::Crypto::RSAKey::KL_2048,
                                                  Poco::Crypto::RSAKey::EXP_LARGE);
  });
  return *key_;
}

std::string WorkloadIssuer::Mint(const Claims& claims) {
  const long long iat =
      std::chrono::floor<std::chrono::seconds>(claims.issued.time_since_epoch()).count();
  const json header = {{"alg", "RS256"}, {"typ", "JWT"}, {"kid", kIssuerKeyId}};
  const json body = {{"iss", claims.issuer},
                     {"sub", claims.subject},
                     {"aud", claims.audience},
                     {"iat", iat},
                     {"nbf", iat},
                     {"exp", iat + claims.lifetime.count()}};
  auto part = [](const std::string& text) {
    return ToBase64Url(std::vector<unsigned char>(text.begin(), text.end()));
  };
  const std::string signed_part = part(header.dump()) + "." + part(body.dump());
  Poco::Crypto::RSADigestEngine engine(Key(), "SHA256");
  engine.update(signed_part.data(), signed_part.size());
  return signed_part + "." + ToBase64Url(engine.signature());
}

std::optional<AadError> WorkloadIssuer::Verify(const Check& check) {
  Jwt jwt;
  if (auto e = Split(check.assertion, &jwt)) return e;
  if (StringMember(jwt.header, "alg") != "RS256") {
    return Malformed("the algorithm '" + StringMember(jwt.header, "alg") + "' is not supported");
  }
  try {
    Poco::Crypto::RSADigestEngine engine(Key(), "SHA256");
    engine.update(jwt.signed_part.data(), jwt.signed_part.size());
    const Poco::DigestEngine::Digest signature(jwt.signature.begin(), jwt.signature.end());
    if (StringMember(jwt.header, "kid") != kIssuerKeyId || !engine.verify(signature)) {
      ERR_clear_error();
      return SignatureRefused(
          "The provided signature value did not match the expected signature value.");
    }
  } catch (const std::exception&) {
    ERR_clear_error();
    return SignatureRefused("The key could not be used.");
  }
  AcceptedAssertion times;
  if (auto e = CheckTimes({check.assertion, "", "", {}, check.now}, jwt, &times)) return e;
  if (StringMember(jwt.claims, "iss") != check.issuer) {
    return AadError{400, "invalid_request", 700211,
                    "No matching federated identity record found for presented assertion "
                    "issuer '" +
                        StringMember(jwt.claims, "iss") +
                        "'. Please check your federated identity credential Subject, Audience "
                        "and Issuer against the presented assertion."};
  }
  if (StringMember(jwt.claims, "sub") != check.subject ||
      StringMember(jwt.claims, "aud") != kTokenExchangeAudience) {
    return NoFederatedRecord(jwt);
  }
  return std::nullopt;
}

std::optional<AadError> VerifyClientAssertion(const AssertionCheck& check,
                                              AcceptedAssertion* accepted) {
  Jwt jwt;
  if (auto e = Split(check.assertion, &jwt)) return e;
  if (auto e = CheckSignature(check, jwt)) return e;
  if (auto e = CheckTimes(check, jwt, accepted)) return e;
  if (auto e = CheckClaims(check, jwt)) return e;
  accepted->jti = StringMember(jwt.claims, "jti");
  if (accepted->jti.empty()) return Malformed("the claims have no jti");
  return std::nullopt;
}

std::string CertificateThumbprintSha256(const std::string& certificate_pem) {
  try {
    std::istringstream pem(certificate_pem);
    Poco::Crypto::X509Certificate certificate(pem);
    return ToBase64Url(certificate.fingerprint("SHA256"));
  } catch (const std::exception&) {
    ERR_clear_error();
    return "";
  }
}

}  // namespace hdc::emulator
