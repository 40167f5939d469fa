// The token endpoint's certificate clients
// (docs/hdc-api.md §Certificate credentials).
// Every refusal with its AADSTS code, and a control that a
// correct assertion is accepted. The assertions are signed here with
// Poco::Crypto, independently of the daemon's signer; the keys and
// certificates come from the openssl command at test time (skipped without it).
#include "emulator/client_assertion.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <Poco/Base64Encoder.h>
#include <Poco/Crypto/RSADigestEngine.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/Crypto/X509Certificate.h>

#include "emulator/cli.h"
#include "emulator_fixture.h"
#include "support/skip.h"
#include "support/temp_dir.h"

namespace hdc::emulator::testing {
namespace {

constexpr const char* kTenant = "00000000-0000-0000-0000-0000000000c1";
constexpr const char* kCertClient = "c1c1c1c1-0000-0000-0000-000000000001";
constexpr const char* kJwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

std::string FileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string B64Url(const std::string& bytes) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
  encoder.rdbuf()->setLineLength(0);
  encoder << bytes;
  encoder.close();
  return out.str();
}

std::string B64Url(const std::vector<unsigned char>& bytes) {
  return B64Url(std::string(bytes.begin(), bytes.end()));
}

// Two RSA certificates and their keys, made once per run with openssl.
struct CertPki {
  CertPki() {
    ok = std::system("openssl version > /dev/null 2>&1") == 0;
    if (!ok) return;
    for (const auto& [key, cert] : {std::pair{key_a, cert_a}, std::pair{key_b, cert_b}}) {
      const std::string command =
          "openssl req -x509 -newkey rsa:2048 -nodes -days 3 -subj "
          "\"/CN=emulator test\" -keyout \"" +
          key + "\" -out \"" + cert + "\" > \"" + std::string(dir / "openssl.log") + "\" 2>&1";
      ok = ok && std::system(command.c_str()) == 0;
    }
  }
  hdc::testing::TempDir dir;
  bool ok = false;
  std::string key_a = dir / "a.key", cert_a = dir / "a.pem";
  std::string key_b = dir / "b.key", cert_b = dir / "b.pem";
};

const CertPki& Pki() {
  static const CertPki pki;
  return pki;
}

#define HDC_SKIP_WITHOUT_OPENSSL()                                              \
  if (!Pki().ok) HDC_SKIP_TEST("no openssl command to make test certificates"); \
  static_cast<void>(0)

util::TimePoint NotBefore(const std::string& cert_file) {
  Poco::Crypto::X509Certificate cert(cert_file);
  return util::TimePoint(
      std::chrono::milliseconds(cert.validFrom().timestamp().epochMicroseconds() / 1000));
}

// An assertion as the platform's page describes it, each part adjustable.
struct Assertion {
  Json header;
  Json claims;
  std::string key_file;

  std::string Signed() const {
    const std::string part = B64Url(header.dump()) + "." + B64Url(claims.dump());
    Poco::Crypto::RSADigestEngine engine(Poco::Crypto::RSAKey("", key_file), "SHA256");
    engine.update(part);
    return part + "." + B64Url(engine.signature());
  }
};

std::string Thumbprint(const std::string& cert_file, const char* digest) {
  Poco::Crypto::X509Certificate cert(cert_file);
  return B64Url(cert.fingerprint(digest));
}

// An emulator with the demo (secret) client and one certificate client whose
// certificate is a.pem, its clock at the certificate's start plus an hour.
struct CertEmulator {
  CertEmulator() : emu(Options()) {
    emu.clock().Set(NotBefore(Pki().cert_a) + std::chrono::hours(1));
  }

  static ServerOptions Options() {
    ServerOptions o;
    o.clients = {DemoClient(),
                 ClientCredential{kTenant, kCertClient, "", FileText(Pki().cert_a), ""}};
    return o;
  }
  std::string Endpoint() const { return emu.Url(std::string("/") + kTenant + "/oauth2/token"); }

  Assertion Valid(std::int64_t offset_seconds = 0) {
    const std::int64_t now =
        std::chrono::floor<std::chrono::seconds>(emu.clock().Now().time_since_epoch()).count() +
        offset_seconds;
    return {Json{{"alg", "RS256"},
                 {"typ", "JWT"},
                 {"x5t#S256", Thumbprint(Pki().cert_a, "SHA256")},
                 {"x5t", Thumbprint(Pki().cert_a, "SHA1")}},
            Json{{"aud", Endpoint()},
                 {"iss", kCertClient},
                 {"sub", kCertClient},
                 {"jti", "jti-" + std::to_string(++jti)},
                 {"nbf", now},
                 {"iat", now},
                 {"exp", now + 600}},
            Pki().key_a};
  }

  HttpResult Send(const std::string& assertion, const std::string& extra = "") {
    std::string encoded;
    Poco::URI::encode(assertion, "&=+", encoded);
    return emu.TokenRequest(std::string("grant_type=client_credentials&client_id=") + kCertClient +
                                "&client_assertion_type=" + kJwtBearer +
                                "&client_assertion=" + encoded + extra +
                                "&resource=https://manage.devcenter.microsoft.com",
                            kTenant);
  }

  EmulatorFixture emu;
  int jti = 0;
};

// The refusal's status, error and AADSTS code, as Azure AD shapes them.
void CheckRefused(const HttpResult& r, int status, const std::string& error, int code) {
  CHECK_MESSAGE(r.status == status, r.body);
  const Json j = r.json();
  CHECK(j["error"] == error);
  REQUIRE(j["error_codes"].is_array());
  CHECK(j["error_codes"][0] == code);
  CHECK(j["error_description"].get<std::string>().rfind("AADSTS" + std::to_string(code), 0) == 0);
}

}  // namespace

TEST_CASE("a certificate client's signed assertion gets a token, with x5t#S256 or x5t alone") {
  HDC_SKIP_WITHOUT_OPENSSL();
  CertEmulator c;
  auto r = c.Send(c.Valid().Signed());
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(r.json()["access_token"].get<std::string>().rfind("eyJ", 0) == 0);
  Assertion sha1_only = c.Valid();
  sha1_only.header.erase("x5t#S256");
  CHECK(c.Send(sha1_only.Signed()).status == 200);
  // The documented v2.0 endpoint as the audience is accepted too.
  Assertion v2 = c.Valid();
  v2.claims["aud"] = c.emu.Url(std::string("/") + kTenant + "/oauth2/v2.0/token");
  CHECK(c.Send(v2.Signed()).status == 200);
}

TEST_CASE("an assertion whose signature does not verify is refused with AADSTS700027") {
  HDC_SKIP_WITHOUT_OPENSSL();
  CertEmulator c;
  const std::string good = c.Valid().Signed();
  // Claims changed after signing: the signature no longer matches.
  Assertion other = c.Valid();
  other.claims["sub"] = "tampered";
  const std::string tampered = good.substr(0, good.find('.') + 1) + B64Url(other.claims.dump()) +
                               good.substr(good.rfind('.'));
  CheckRefused(c.Send(tampered), 401, "invalid_client", 700027);
  // Signed by another key under the registered certificate's thumbprint.
  Assertion wrong_key = c.Valid();
  wrong_key.key_file = Pki().key_b;
  CheckRefused(c.Send(wrong_key.Signed()), 401, "invalid_client", 700027);
}

TEST_CASE(
    "an assertion made with a certificate that is not registered is refused with AADSTS700027") {
  HDC_SKIP_WITHOUT_OPENSSL();
  CertEmulator c;
  Assertion other = c.Valid();
  other.key_file = Pki().key_b;
  other.header["x5t#S256"] = Thumbprint(Pki().cert_b, "SHA256");
  other.header["x5t"] = Thumbprint(Pki().cert_b, "SHA1");
  auto r = c.Send(other.Signed());
  CheckRefused(r, 401, "invalid_client", 700027);
  CHECK(r.json()["error_description"].get<std::string>().find("The key was not found") !=
        std::string::npos);
}

TEST_CASE("an assertion is refused when the registered certificate has expired") {
  HDC_SKIP_WITHOUT_OPENSSL();
  CertEmulator c;
  c.emu.Advance(std::chrono::hours(24 * 4));  // the certificate is valid for 3 days
  auto r = c.Send(c.Valid().Signed());
  CheckRefused(r, 401, "invalid_client", 700027);
  CHECK(r.json()["error_description"].get<std::string>().find("The key used is expired") !=
        std::string::npos);
}

TEST_CASE("an expired assertion is refused with AADSTS700024, within 5 minutes of skew it passes") {
  HDC_SKIP_WITHOUT_OPENSSL();
  CertEmulator c;
  // exp 4 minutes ago: inside the skew (control).
  CHECK(c.Send(c.Valid(-600 - 240).Signed()).status == 200);
  // exp 6 minutes ago: outside.
  CheckRefused(c.Send(c.Valid(-600 - 360).Signed()), 400, "invalid_client", 700024);
}

TEST_CASE("an assertion whose nbf is more than 5 minutes ahead is refused with AADSTS700024") {
  HDC_SKIP_WITHOUT_OPENSSL();
  CertEmulator c;
  CHECK(c.Send(c.Valid(240).Signed()).status == 200);  // control: inside the skew
  CheckRefused(c.Send(c.Valid(360).Signed()), 400, "invalid_client", 700024);
}

TEST_CASE("an assertion for another audience is refused with AADSTS700023") {
  HDC_SKIP_WITHOUT_OPENSSL();
  CertEmulator c;
  for (const std::string& aud :
       {c.Endpoint() + "/",
        std::string("https://login.microsoftonline.com/") + kTenant + "/oauth2/token",
        c.emu.Url("/other-tenant/oauth2/token"), std::string()}) {
    Assertion a = c.Valid();
    a.claims["aud"] = aud;
    CheckRefused(c.Send(a.Signed()), 401, "invalid_client", 700023);
  }
}

TEST_CASE(
    "an assertion whose iss and sub differ, or are not the client id, is refused with "
    "AADSTS700021") {
  HDC_SKIP_WITHOUT_OPENSSL();
  CertEmulator c;
  Assertion sub = c.Valid();
  sub.claims["sub"] = "someone-else";
  CheckRefused(c.Send(sub.Signed()), 401, "invalid_client", 700021);
  Assertion both = c.Valid();
  both.claims["iss"] = both.claims["sub"] = DemoClient().client_id;
  CheckRefused(c.Send(both.Signed()), 401, "invalid_client", 700021);
}

TEST_CASE("a replayed jti is refused until the assertion has expired") {
  HDC_SKIP_WITHOUT_OPENSSL();
  CertEmulator c;
  const std::string assertion = c.Valid().Signed();
  REQUIRE(c.Send(assertion).status == 200);
  CheckRefused(c.Send(assertion), 401, "invalid_client", 50013);
  // Another jti of the same client is fine (control).
  CHECK(c.Send(c.Valid().Signed()).status == 200);
}

TEST_CASE("a malformed assertion or a missing jti is refused with AADSTS50027") {
  HDC_SKIP_WITHOUT_OPENSSL();
  CertEmulator c;
  CheckRefused(c.Send("not-a-jwt"), 400, "invalid_request", 50027);
  CheckRefused(c.Send("a.b!.c"), 400, "invalid_request", 50027);
  Assertion no_jti = c.Valid();
  no_jti.claims.erase("jti");
  CheckRefused(c.Send(no_jti.Signed()), 400, "invalid_request", 50027);
  Assertion hs256 = c.Valid();
  hs256.header["alg"] = "HS256";
  CheckRefused(c.Send(hs256.Signed()), 400, "invalid_request", 50027);
}

TEST_CASE("a certificate client sending a secret, or a secret client an assertion, is refused") {
  HDC_SKIP_WITHOUT_OPENSSL();
  CertEmulator c;
  CheckRefused(c.Send(c.Valid().Signed(), "&client_secret=demo-secret"), 401, "invalid_client",
               7000215);
  auto secret_only = c.emu.TokenRequest(std::string("grant_type=client_credentials&client_id=") +
                                            kCertClient + "&client_secret=guess&resource=x",
                                        kTenant);
  CheckRefused(secret_only, 401, "invalid_client", 7000215);
  Assertion as_demo = c.Valid();
  as_demo.claims["iss"] = as_demo.claims["sub"] = DemoClient().client_id;
  std::string encoded;
  Poco::URI::encode(as_demo.Signed(), "&=+", encoded);
  auto r =
      c.emu.TokenRequest("grant_type=client_credentials&client_id=" + DemoClient().client_id +
                         "&client_assertion_type=" + kJwtBearer + "&client_assertion=" + encoded +
                         "&resource=https://manage.devcenter.microsoft.com");
  CheckRefused(r, 401, "invalid_client", 700027);
  // The demo client's secret still works (control).
  CHECK(c.emu.TokenRequest(EmulatorFixture::Form()).status == 200);
}

TEST_CASE("--client-cert registers a certificate client and refuses a bad value in one line") {
  HDC_SKIP_WITHOUT_OPENSSL();
  auto c = ParseCommandLine(
      {"--client", "t1/c1:s", "--client-cert", std::string("t2/c2:") + Pki().cert_a});
  REQUIRE_MESSAGE(c.ok(), c.status().message());
  REQUIRE(c->server.clients.size() == 2);
  CHECK(c->server.clients[1].tenant == "t2");
  CHECK(c->server.clients[1].client_id == "c2");
  CHECK(c->server.clients[1].secret.empty());
  CHECK(c->server.clients[1].certificate_pem == FileText(Pki().cert_a));
  CHECK(ParseCommandLine({"--client-cert", "no-slash"}).status().message() ==
        "--client-cert expects TENANT/CLIENT_ID:CERT.pem");
  const std::string missing = std::string(Pki().dir / "missing.pem");
  CHECK(ParseCommandLine({"--client-cert", "t/c:" + missing}).status().message() ==
        "--client-cert t/c:" + missing + ": cannot read " + missing);
  // A key file is not a certificate.
  CHECK(ParseCommandLine({"--client-cert", "t/c:" + Pki().key_a}).status().message() ==
        "--client-cert t/c:" + Pki().key_a + ": " + Pki().key_a +
            " holds no readable PEM certificate");
}

TEST_CASE("the client_secret_expired fault answers AADSTS7000222 to a secret client") {
  EmulatorFixture emu;
  emu.SetFaults(Json::array({{{"endpoint", "token"}, {"kind", "client_secret_expired"}}}));
  CheckRefused(emu.TokenRequest(EmulatorFixture::Form()), 401, "invalid_client", 7000222);
  emu.SetFaults(Json::array());
  CHECK(emu.TokenRequest(EmulatorFixture::Form()).status == 200);  // control
}

}  // namespace hdc::emulator::testing
