#include "auth/client_assertion.h"

#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Crypto/RSADigestEngine.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/Crypto/X509Certificate.h>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "auth/token_provider.h"
#include "support/scripted_http.h"
#include "support/skip.h"
#include "support/temp_dir.h"
#include "util/time_format.h"

namespace hdc::auth {
namespace {

using nlohmann::json;

constexpr const char* kTokenEndpoint =
    "https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token";
constexpr const char* kClientId = "11111111-2222-3333-4444-555555555555";

// A time with a fraction of a second: the claims carry whole seconds.
util::TimePoint AssertionNow() {
  return *util::ParseTimestamp("2026-11-01T00:00:00Z") + std::chrono::milliseconds(750);
}
constexpr std::int64_t kAssertionNowSeconds = 1793491200;  // 2026-11-01T00:00:00Z

std::string FileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Standard base64 turned into base64url without padding, independently of
// the module's own encoder.
std::string ToBase64Url(const std::string& bytes) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(0);
  encoder << bytes;
  encoder.close();
  std::string text = out.str();
  for (char& c : text) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!text.empty() && text.back() == '=') text.pop_back();
  return text;
}

std::string FromBase64Url(std::string text) {
  for (char& c : text) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (text.size() % 4 != 0) text += '=';
  std::istringstream in(text);
  Poco::Base64Decoder decoder(in);
  std::ostringstream out;
  out << decoder.rdbuf();
  return out.str();
}

// "sha256 Fingerprint=AB:CD:..." (openssl x509 -fingerprint) as base64url.
std::string FingerprintAsBase64Url(const std::string& openssl_output) {
  std::string bytes;
  const std::size_t equals = openssl_output.find('=');
  if (equals == std::string::npos) return "";
  for (std::size_t i = equals + 1; i + 1 < openssl_output.size(); ++i) {
    if (!std::isxdigit(static_cast<unsigned char>(openssl_output[i]))) continue;
    bytes += static_cast<char>(std::stoi(openssl_output.substr(i, 2), nullptr, 16));
    ++i;
  }
  return ToBase64Url(bytes);
}

// The keys and certificates of these tests, made once per run with the
// openssl command into a temporary folder (none is checked in).
class AssertionPki {
 public:
  AssertionPki() {
    has_openssl = Openssl("version");
    if (has_openssl) Make();
  }

  testing::TempDir dir;
  bool has_openssl = false;
  std::string failure;  // what could not be made, with openssl's output
  std::string cert = dir / "cert.pem", key = dir / "key.pem";
  std::string combined = dir / "combined.pem", key_first = dir / "key_first.pem";
  std::string ec_cert = dir / "ec_cert.pem", ec_key = dir / "ec_key.pem";
  std::string other_key = dir / "other_key.pem", encrypted_key = dir / "encrypted_key.pem";
  std::string short_cert = dir / "short_cert.pem", short_key = dir / "short_key.pem";
  std::string sha256_b64url, sha1_b64url;

 private:
  // Runs "openssl <args>"; its output is left in `output_`.
  bool Openssl(const std::string& args) {
    const std::string log = dir / "openssl.out";
    const bool ok = std::system(("openssl " + args + " > \"" + log + "\" 2>&1").c_str()) == 0;
    output_ = FileText(log);
    if (!ok && has_openssl && failure.empty()) failure = "openssl " + args + ": " + output_;
    return ok;
  }

  std::string SelfSigned(const std::string& new_key, const std::string& key_file,
                         const std::string& cert_file, const std::string& name) {
    return "req -x509 -newkey " + new_key + " -nodes -days 2 -subj \"/CN=" + name +
           "\" -keyout \"" + key_file + "\" -out \"" + cert_file + "\"";
  }

  void Make() {
    Openssl(SelfSigned("rsa:2048", key, cert, "hdc-reportd test"));
    Openssl(SelfSigned("ec -pkeyopt ec_paramgen_curve:P-256", ec_key, ec_cert, "ec test"));
    Openssl(SelfSigned("rsa:1024", short_key, short_cert, "short test"));
    Openssl("genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out \"" + other_key + "\"");
    Openssl("pkey -in \"" + key + "\" -aes256 -passout pass:test-pass -out \"" + encrypted_key +
            "\"");
    Openssl("x509 -in \"" + cert + "\" -noout -fingerprint -sha256");
    sha256_b64url = FingerprintAsBase64Url(output_);
    Openssl("x509 -in \"" + cert + "\" -noout -fingerprint -sha1");
    sha1_b64url = FingerprintAsBase64Url(output_);
    std::ofstream(combined, std::ios::binary) << FileText(cert) << FileText(key);
    std::ofstream(key_first, std::ios::binary) << FileText(key) << FileText(cert);
  }

  std::string output_;
};

const AssertionPki& SharedAssertionPki() {
  static const AssertionPki pki;
  return pki;
}

// The start of a case that needs the test keys: skipped without openssl.
#define HDC_SKIP_WITHOUT_OPENSSL(pki)                                          \
  const AssertionPki& pki = SharedAssertionPki();                              \
  if (!pki.has_openssl) HDC_SKIP_TEST("no openssl command to make test keys"); \
  REQUIRE_MESSAGE(pki.failure.empty(), pki.failure)

// A refusal as the operator sees it: kConfig, one line naming `path`, and
// no PEM text (no marker line, no base64 line of any test file).
void CheckRefusal(const util::Status& status, const std::string& path) {
  CHECK(status.kind() == util::ErrorKind::kConfig);
  CHECK_MESSAGE(status.message().find(path) != std::string::npos, status.message());
  CHECK(status.message().find('\n') == std::string::npos);
  CHECK(status.message().find("-----") == std::string::npos);
  const AssertionPki& pki = SharedAssertionPki();
  for (const std::string& file : {pki.key, pki.cert, pki.ec_key, pki.other_key}) {
    std::istringstream lines(FileText(file));
    for (std::string line; std::getline(lines, line);) {
      if (line.size() >= 32) CHECK(status.message().find(line.substr(0, 32)) == std::string::npos);
    }
  }
}

struct Jwt {
  std::string header_b64, claims_b64, signature_b64;
  json header, claims;
};

Jwt SplitJwt(const std::string& text) {
  Jwt jwt;
  const std::size_t first = text.find('.');
  const std::size_t second = text.find('.', first + 1);
  REQUIRE(first != std::string::npos);
  REQUIRE(second != std::string::npos);
  REQUIRE(text.find('.', second + 1) == std::string::npos);
  jwt.header_b64 = text.substr(0, first);
  jwt.claims_b64 = text.substr(first + 1, second - first - 1);
  jwt.signature_b64 = text.substr(second + 1);
  jwt.header = json::parse(FromBase64Url(jwt.header_b64));
  jwt.claims = json::parse(FromBase64Url(jwt.claims_b64));
  return jwt;
}

CertificateCredential LoadedCredential(const AssertionPki& pki) {
  auto credential = CertificateCredential::Load(pki.cert, pki.key);
  REQUIRE_MESSAGE(credential.ok(), credential.status().message());
  return *credential;
}

bool IsGuid(const std::string& text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

TEST_CASE(
    "a client assertion's header is RS256 with the certificate's SHA-256 and SHA-1 "
    "thumbprints") {
  HDC_SKIP_WITHOUT_OPENSSL(pki);
  REQUIRE(pki.sha256_b64url.size() == 43);  // 32 bytes
  REQUIRE(pki.sha1_b64url.size() == 27);    // 20 bytes
  const CertificateCredential credential = LoadedCredential(pki);
  util::Random random(1);
  auto assertion = credential.Assertion(kTokenEndpoint, kClientId, AssertionNow(), random);
  REQUIRE(assertion.ok());
  const Jwt jwt = SplitJwt(*assertion);
  CHECK(jwt.header.size() == 4);
  CHECK(jwt.header.at("alg") == "RS256");
  CHECK(jwt.header.at("typ") == "JWT");
  CHECK(jwt.header.at("x5t#S256") == pki.sha256_b64url);
  CHECK(jwt.header.at("x5t") == pki.sha1_b64url);
  CHECK(credential.thumbprint_sha256_b64url() == pki.sha256_b64url);
  CHECK(credential.thumbprint_sha1_b64url() == pki.sha1_b64url);
  // base64url without padding in every part.
  CHECK(assertion->find_first_of("+/=") == std::string::npos);
}

TEST_CASE(
    "a client assertion's claims are the endpoint, the client id, a fresh jti and now "
    "to now plus the lifetime") {
  HDC_SKIP_WITHOUT_OPENSSL(pki);
  const CertificateCredential credential = LoadedCredential(pki);
  util::Random random(7);
  auto first = credential.Assertion(kTokenEndpoint, kClientId, AssertionNow(), random);
  auto second = credential.Assertion(kTokenEndpoint, kClientId, AssertionNow(), random,
                                     std::chrono::minutes(5));
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  const json claims = SplitJwt(*first).claims;
  CHECK(claims.size() == 7);
  CHECK(claims.at("aud") == kTokenEndpoint);
  CHECK(claims.at("iss") == kClientId);
  CHECK(claims.at("sub") == kClientId);
  CHECK(claims.at("nbf") == kAssertionNowSeconds);
  CHECK(claims.at("iat") == kAssertionNowSeconds);
  CHECK(claims.at("exp") == kAssertionNowSeconds + 600);  // the default: 10 minutes
  const std::string jti = claims.at("jti");
  CHECK_MESSAGE(IsGuid(jti), jti);
  const json later = SplitJwt(*second).claims;
  CHECK(later.at("exp") == kAssertionNowSeconds + 300);
  CHECK(later.at("jti") != jti);
}

TEST_CASE(
    "a client assertion's signature verifies with the certificate's public key and "
    "fails on one changed byte (control)") {
  HDC_SKIP_WITHOUT_OPENSSL(pki);
  const CertificateCredential credential = LoadedCredential(pki);
  util::Random random(3);
  auto assertion = credential.Assertion(kTokenEndpoint, kClientId, AssertionNow(), random);
  REQUIRE(assertion.ok());
  const Jwt jwt = SplitJwt(*assertion);
  const std::string signature_bytes = FromBase64Url(jwt.signature_b64);
  CHECK(signature_bytes.size() == 256);  // RSA 2048
  const Poco::Crypto::RSAKey public_key{Poco::Crypto::X509Certificate(pki.cert)};
  auto verifies = [&](const std::string& signed_part) {
    Poco::Crypto::RSADigestEngine engine(public_key, "SHA256");
    engine.update(signed_part);
    return engine.verify(
        Poco::DigestEngine::Digest(signature_bytes.begin(), signature_bytes.end()));
  };
  const std::string signed_part = jwt.header_b64 + "." + jwt.claims_b64;
  CHECK(verifies(signed_part));
  std::string changed = signed_part;
  changed[jwt.header_b64.size() + 5] ^= 0x01;  // a byte of the claims
  CHECK_FALSE(verifies(changed));
}

TEST_CASE(
    "the private key may follow or precede the certificate in its file, or have a file "
    "of its own") {
  HDC_SKIP_WITHOUT_OPENSSL(pki);
  const std::vector<std::pair<std::string, std::string>> layouts = {
      {pki.cert, pki.key}, {pki.combined, ""}, {pki.key_first, ""}};
  for (const auto& layout : layouts) {
    CAPTURE(layout.first);
    auto credential = CertificateCredential::Load(layout.first, layout.second);
    REQUIRE_MESSAGE(credential.ok(), credential.status().message());
    CHECK(credential->thumbprint_sha256_b64url() == pki.sha256_b64url);
    util::Random random(5);
    CHECK(credential->Assertion(kTokenEndpoint, kClientId, AssertionNow(), random).ok());
  }
}

TEST_CASE(
    "a credential keeps the certificate's notAfter and describes itself without key "
    "material") {
  HDC_SKIP_WITHOUT_OPENSSL(pki);
  const CertificateCredential credential = LoadedCredential(pki);
  // Made with -days 2 a moment ago.
  const auto wall = std::chrono::system_clock::now();
  CHECK(credential.not_after() > wall + std::chrono::hours(47));
  CHECK(credential.not_after() < wall + std::chrono::hours(49));
  CHECK(credential.Describe() == "certificate CN=hdc-reportd test, SHA-256 thumbprint " +
                                     pki.sha256_b64url.substr(0, 8) + "...");
}

TEST_CASE("an EC key is refused: certificate credentials are signed with RS256") {
  HDC_SKIP_WITHOUT_OPENSSL(pki);
  auto credential = CertificateCredential::Load(pki.ec_cert, pki.ec_key);
  REQUIRE_FALSE(credential.ok());
  CheckRefusal(credential.status(), pki.ec_key);
  CHECK(credential.status().message() ==
        "client_certificate_key_file " + pki.ec_key +
            ": the private key is an EC key; Azure AD certificate credentials need an RSA key "
            "(RS256)");
}

TEST_CASE("a private key that is not the certificate's is refused") {
  HDC_SKIP_WITHOUT_OPENSSL(pki);
  auto credential = CertificateCredential::Load(pki.cert, pki.other_key);
  REQUIRE_FALSE(credential.ok());
  CheckRefusal(credential.status(), pki.other_key);
  CHECK(credential.status().message() == "client_certificate_key_file " + pki.other_key +
                                             ": the private key does not match the certificate "
                                             "of client_certificate_file " +
                                             pki.cert);
  // The EC certificate's key beside an RSA certificate: refused the same way.
  auto crossed = CertificateCredential::Load(pki.ec_cert, pki.key);
  REQUIRE_FALSE(crossed.ok());
  CHECK(crossed.status().message().find("does not match") != std::string::npos);
}

TEST_CASE("a certificate file without a private key, and no key file, is refused") {
  HDC_SKIP_WITHOUT_OPENSSL(pki);
  auto credential = CertificateCredential::Load(pki.cert, "");
  REQUIRE_FALSE(credential.ok());
  CheckRefusal(credential.status(), pki.cert);
  CHECK(credential.status().message().find("no private key found") != std::string::npos);
  // A key file given as the certificate file: no certificate.
  auto swapped = CertificateCredential::Load(pki.key, pki.cert);
  REQUIRE_FALSE(swapped.ok());
  CheckRefusal(swapped.status(), pki.key);
  CHECK(swapped.status().message() ==
        "client_certificate_file " + pki.key + ": no certificate found (a PEM file is expected)");
}

TEST_CASE("an RSA key under 2048 bits is refused") {
  HDC_SKIP_WITHOUT_OPENSSL(pki);
  auto credential = CertificateCredential::Load(pki.short_cert, pki.short_key);
  REQUIRE_FALSE(credential.ok());
  CheckRefusal(credential.status(), pki.short_key);
  CHECK(credential.status().message().find("1024 bits") != std::string::npos);
}

TEST_CASE("an encrypted private key is refused without asking for a passphrase") {
  HDC_SKIP_WITHOUT_OPENSSL(pki);
  // OpenSSL's default would prompt on the terminal; the test would hang.
  auto credential = CertificateCredential::Load(pki.cert, pki.encrypted_key);
  REQUIRE_FALSE(credential.ok());
  CheckRefusal(credential.status(), pki.encrypted_key);
  CHECK(credential.status().message().find("encrypted") != std::string::npos);
}

TEST_CASE("a lifetime over ten minutes or under a second is refused") {
  HDC_SKIP_WITHOUT_OPENSSL(pki);
  const CertificateCredential credential = LoadedCredential(pki);
  util::Random random(1);
  const auto now = AssertionNow();
  CHECK(
      credential.Assertion(kTokenEndpoint, kClientId, now, random, std::chrono::minutes(10)).ok());
  for (const util::Duration lifetime :
       {util::Duration(std::chrono::seconds(601)), util::Duration(std::chrono::hours(1)),
        util::Duration(std::chrono::milliseconds(999)), util::Duration(0), util::Duration(-1000)}) {
    CAPTURE(lifetime.count());
    auto refused = credential.Assertion(kTokenEndpoint, kClientId, now, random, lifetime);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.status().kind() == util::ErrorKind::kConfig);
    CHECK(refused.status().message().find("10 minutes") != std::string::npos);
  }
}

TEST_CASE(
    "a missing, empty, garbage or damaged certificate file is refused in one line "
    "naming it") {
  testing::TempDir dir;
  const std::string missing = dir / "missing.pem";
  const std::string empty = dir.Write("empty.pem", "");
  const std::string garbage = dir.Write("garbage.pem", std::string("\x30\x82\x01\x0a garbage\n"));
  const std::string damaged = dir.Write("damaged.pem",
                                        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n"
                                        "-----END CERTIFICATE-----\n");
  const std::string cut = dir.Write("cut.pem", "-----BEGIN CERTIFICATE-----\nMIIBIjAN\n");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {missing, "file not found"},           {empty, "the file is empty"},
      {garbage, "no certificate found"},     {damaged, "the certificate cannot be read"},
      {cut, "the certificate is cut short"}, {dir.path(), "not a regular file"}};
  for (const auto& entry : cases) {
    const std::string& file = entry.first;
    const std::string& reason = entry.second;
    CAPTURE(file);
    auto credential = CertificateCredential::Load(file, "");
    REQUIRE_FALSE(credential.ok());
    CHECK(credential.status().message().rfind("client_certificate_file " + file + ": ", 0) == 0);
    CHECK_MESSAGE(credential.status().message().find(reason) != std::string::npos,
                  credential.status().message());
    CHECK(credential.status().kind() == util::ErrorKind::kConfig);
    CHECK(credential.status().message().find('\n') == std::string::npos);
    CHECK(credential.status().message().find("-----") == std::string::npos);
  }
  // A missing key file is named, not the certificate file.
  auto no_key = CertificateCredential::Load(damaged, missing);
  REQUIRE_FALSE(no_key.ok());
  CHECK(no_key.status().message() == "client_certificate_key_file " + missing + ": file not found");
}

// A token provider's options for the tenant's token URL.
TokenOptions CertificateTokenOptions() {
  TokenOptions options;
  options.login_url = "http://127.0.0.1:9";
  options.tenant_id = "tenant-1";
  options.client_id = kClientId;
  return options;
}

// Signing with `pki`'s certificate.
Credential CertificateOf(const AssertionPki& pki) {
  return Credential::FromCertificate(
      std::make_shared<const CertificateCredential>(LoadedCredential(pki)), "certificate");
}

hdc::testing::ScriptedReply TenMinuteToken() {
  return {200, R"J({"token_type":"Bearer","expires_in":"600","access_token":"tok"})J"};
}

TEST_CASE(
    "a token provider with a certificate posts a fresh client_assertion for its token URL "
    "instead of a secret") {
  HDC_SKIP_WITHOUT_OPENSSL(pki);
  hdc::testing::ScriptedHttp http([](const http::Request&) { return TenMinuteToken(); });
  util::ManualClock clock(AssertionNow());
  util::Random random(3);
  TokenProvider provider(CertificateTokenOptions(), CertificateOf(pki), http, clock, random, {});
  REQUIRE(provider.Token().ok());
  clock.Advance(std::chrono::minutes(9));  // past half of the 10-minute token: renewed
  REQUIRE(provider.Token().ok());
  const auto requests = http.requests();
  REQUIRE(requests.size() == 2);
  std::vector<std::string> jtis;
  for (const auto& request : requests) {
    const std::string& body = request.body;
    CHECK(body.find("client_secret") == std::string::npos);
    CHECK(body.find("&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type"
                    "%3Ajwt-bearer&client_assertion=") != std::string::npos);
    const std::size_t start = body.find("&client_assertion=") + 18;
    const std::string assertion = body.substr(start, body.find('&', start) - start);
    const Jwt jwt = SplitJwt(assertion);
    CHECK(jwt.claims.at("aud") == "http://127.0.0.1:9/tenant-1/oauth2/token");
    CHECK(jwt.claims.at("iss") == kClientId);
    CHECK(jwt.claims.at("exp").get<std::int64_t>() - jwt.claims.at("nbf").get<std::int64_t>() ==
          600);
    jtis.push_back(jwt.claims.at("jti").get<std::string>());
  }
  CHECK(jtis[0] != jtis[1]);
}

TEST_CASE("a retried token request carries a new client_assertion, never the same jti twice") {
  HDC_SKIP_WITHOUT_OPENSSL(pki);
  int sent = 0;
  hdc::testing::ScriptedHttp http([&](const http::Request&) {
    // The first answer is lost after the identity platform saw the assertion.
    if (++sent == 1) {
      return hdc::testing::ScriptedReply::Fail(
          util::Status::Error(util::ErrorKind::kUnavailable, "connection reset"));
    }
    return TenMinuteToken();
  });
  util::ManualClock clock(AssertionNow());
  util::Random random(3);
  TokenProvider provider(CertificateTokenOptions(), CertificateOf(pki), http, clock, random, {});
  std::optional<util::Result<std::string>> token;
  std::thread asker([&] { token.emplace(provider.Token()); });
  clock.AwaitWaiters(1);  // the backoff before the retry
  clock.Advance(std::chrono::minutes(1));
  asker.join();
  REQUIRE(token->ok());
  const auto requests = http.requests();
  REQUIRE(requests.size() == 2);
  std::vector<std::string> jtis;
  for (const auto& request : requests) {
    const std::size_t start = request.body.find("&client_assertion=") + 18;
    REQUIRE(start >= 18);
    jtis.push_back(SplitJwt(request.body.substr(start, request.body.find('&', start) - start))
                       .claims.at("jti")
                       .get<std::string>());
  }
  CHECK(jtis[0] != jtis[1]);
}

}  // namespace
}  // namespace hdc::auth
