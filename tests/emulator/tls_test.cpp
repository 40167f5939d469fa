// --tls: the API and the blob host over HTTPS (Poco NetSSL), with a
// self-signed certificate made at test time (support/test_certs.h).

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPSClientSession.h>

#include "emulator/cli.h"
#include "emulator_fixture.h"
#include "support/test_certs.h"

namespace hdc::emulator::testing {
namespace {

// A self-signed certificate and its key for 127.0.0.1, 127.0.0.2 (the blob
// host) and localhost, in a temporary directory.
class SelfSigned {
 public:
  SelfSigned() : files_(pki_.SelfSigned("127.0.0.1", "IP:127.0.0.1,IP:127.0.0.2,DNS:localhost")) {}
  std::string cert() const { return files_.cert_file; }
  std::string key() const { return files_.key_file; }

 private:
  hdc::testing::TestPki pki_;
  hdc::testing::TlsFiles files_;
};

Poco::Net::Context::Ptr ClientContext(const std::string& ca_file) {
  // ca_file empty: trusts nothing (no default CAs either).
  return new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", ca_file,
                                Poco::Net::Context::VERIFY_STRICT, 9, /*loadDefaultCAs=*/false);
}

HttpResult Https(const std::string& method, const std::string& url,
                 const Poco::Net::Context::Ptr& context, const std::string& body = "",
                 const Headers& headers = {}) {
  HttpResult r;
  try {
    Poco::URI uri(url);
    Poco::Net::HTTPSClientSession session(uri.getHost(), uri.getPort(), context);
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest request(method, uri.getPathEtc(), Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [k, v] : headers) request.set(k, v);
    if (method == "POST") request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    r.status = static_cast<int>(response.getStatus());
    for (const auto& [k, v] : response) r.headers[Lower(k)] = v;
    Poco::StreamCopier::copyToString(in, r.body);
  } catch (const Poco::Exception& e) {
    r.error = e.displayText();
  } catch (const std::exception& e) {
    r.error = e.what();
  }
  return r;
}

ServerOptions TlsOptions(const SelfSigned& tls) {
  ServerOptions o;
  o.tls_cert = tls.cert();
  o.tls_key = tls.key();
  return o;
}

const Headers kForm{{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};

}  // namespace

TEST_CASE("--tls serves the token endpoint over HTTPS to a client that trusts the certificate") {
  SelfSigned tls;
  EmulatorFixture emu(TlsOptions(tls));
  CHECK(emu.server().base_url().rfind("https://127.0.0.1:", 0) == 0);
  CHECK(emu.server().blob_base_url().rfind("https://127.0.0.2:", 0) == 0);
  const std::string token_url = emu.Url("/" + DemoClient().tenant + "/oauth2/token");
  auto ok = Https("POST", token_url, ClientContext(tls.cert()), EmulatorFixture::Form(), kForm);
  REQUIRE_MESSAGE(ok.status == 200, (ok.error + ok.body));
  CHECK(ok.json()["token_type"] == "Bearer");
  // Same request, a client that does not trust the certificate: the handshake fails.
  auto refused = Https("POST", token_url, ClientContext(""), EmulatorFixture::Form(), kForm);
  CHECK(refused.status == -1);
  CHECK(refused.error.find("certificate verify failed") != std::string::npos);
  // Plain HTTP to the TLS port gets no HTTP answer.
  CHECK(Http("POST", "http" + token_url.substr(5), EmulatorFixture::Form(), kForm).status != 200);
}

TEST_CASE("--tls: report links point to the HTTPS blob host, which serves them") {
  SelfSigned tls;
  EmulatorFixture emu(TlsOptions(tls));
  auto trusted = ClientContext(tls.cert());
  auto token = Https("POST", emu.Url("/" + DemoClient().tenant + "/oauth2/token"), trusted,
                     EmulatorFixture::Form(), kForm);
  REQUIRE_MESSAGE(token.status == 200, token.error);
  const Headers auth{{"Authorization", "Bearer " + token.json()["access_token"].get<std::string>()},
                     {"Content-Type", "application/json"}};
  auto tpl = Https("POST", emu.Url("/analytics/driver/reporttemplate"), trusted,
                   SimpleTemplate().dump(), auth);
  REQUIRE_MESSAGE(tpl.status == 201, (tpl.error + tpl.body));
  const Json schedule = {
      {"templateId", tpl.json()["data"]["templateId"]},
      {"schedule",
       {{"startTime", EmulatorFixture::kStart}, {"recurrenceInterval", 24}, {"recurrence", 1}}}};
  auto rep = Https("POST", emu.Url("/analytics/driver/report"), trusted, schedule.dump(), auth);
  REQUIRE(rep.status == 201);
  emu.Advance(std::chrono::minutes(45));  // done at 30m; the token lives 60m
  auto data = Https("GET",
                    emu.Url("/analytics/driver/reportdata/" +
                            std::to_string(rep.json()["data"]["reportId"].get<int>())),
                    trusted, "", auth);
  REQUIRE(data.status == 200);
  const std::string link = data.json()["data"][0]["ReportLocation"].get<std::string>();
  CHECK(link.rfind(emu.server().blob_base_url() + "/drivers/Reports/", 0) == 0);
  auto file = Https("GET", link, trusted);
  CHECK(file.status == 200);
  CHECK(file.body.rfind("FailureHash\t", 0) == 0);
}

TEST_CASE("--tls takes CERT and KEY, unreadable files make Start fail") {
  auto c = ParseCommandLine({"--tls", "/x/cert.pem", "/x/key.pem", "--port", "0"});
  REQUIRE(c.ok());
  CHECK(c->server.tls_cert == "/x/cert.pem");
  CHECK(c->server.tls_key == "/x/key.pem");
  CHECK_FALSE(ParseCommandLine({"--tls", "/x/cert.pem"}).ok());
  CHECK_FALSE(ParseCommandLine({"--tls", "/x/cert.pem", "--port", "0"}).ok());
  ServerOptions o;
  o.tls_cert = "/nonexistent/cert.pem";
  o.tls_key = "/nonexistent/key.pem";
  util::ManualClock clock(At(EmulatorFixture::kStart));
  Server server(o, clock);
  auto st = server.Start();
  CHECK_FALSE(st.ok());
  CHECK(st.exit_code() == 64);
}

}  // namespace hdc::emulator::testing
