// TLS behaviour of the real client against the in-process server with
// certificates made at test time.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <doctest/doctest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "http/client.h"
#include "support/env.h"
#include "support/temp_dir.h"
#include "support/test_certs.h"
#include "support/test_http_server.h"
#include "util/logging.h"

namespace hdc::http {
namespace {

using testing::HttpReply;
using testing::RecordedRequest;
using testing::SharedPki;
using testing::TestHttpServer;

HttpReply Ok(const RecordedRequest&) { return HttpReply{200, {}, "secure"}; }

ClientOptions Options(std::string ca_file) {
  ClientOptions options;
  options.user_agent = "hdc-reportd/test";
  options.ca_file = std::move(ca_file);
  options.connect_timeout = std::chrono::seconds(5);
  options.read_timeout = std::chrono::seconds(5);
  return options;
}

util::Result<Response> Get(HttpClient& client, const std::string& url, util::StringSink& sink) {
  Request request;
  request.url = url;
  return client.Send(request, sink);
}

TEST_CASE("https to a certificate issued by the ca_file's CA for 127.0.0.1 succeeds") {
  TestHttpServer server(Ok, SharedPki().Issue("loopback", "IP:127.0.0.1,DNS:localhost"));
  auto client = MakePocoClient(Options(SharedPki().ca_file()));
  util::StringSink sink;
  auto response = Get(*client, server.Url("/ok?sig=x"), sink);
  REQUIRE_MESSAGE(response.ok(), response.status().message());
  CHECK(response->status == 200);
  CHECK(sink.data() == "secure");
  // Keep-alive holds for TLS too.
  util::StringSink again;
  REQUIRE(Get(*client, server.Url("/ok"), again).ok());
  CHECK(server.connection_count() == 1);
}

// The CA certificate copied into `dir` under OpenSSL's hashed name
// (what c_rehash makes in /etc/ssl/certs).
void WriteHashed(const std::string& ca_file, const testing::TempDir& dir) {
  FILE* in = std::fopen(ca_file.c_str(), "r");
  REQUIRE(in != nullptr);
  X509* cert = PEM_read_X509(in, nullptr, nullptr, nullptr);
  std::fclose(in);
  REQUIRE(cert != nullptr);
  char name[16];
  std::snprintf(name, sizeof name, "%08lx.0", X509_subject_name_hash(cert));
  X509_free(cert);
  std::ifstream pem(ca_file, std::ios::binary);
  std::ofstream(dir / name, std::ios::binary) << pem.rdbuf();
}

// Sets SSL_CERT_DIR and SSL_CERT_FILE for one case, and removes them after.
class TrustEnv {
 public:
  TrustEnv(const std::string& dir, const std::string& file) {
    testing::SetEnv("SSL_CERT_DIR", dir);
    testing::SetEnv("SSL_CERT_FILE", file);
  }
  ~TrustEnv() {
    testing::UnsetEnv("SSL_CERT_DIR");
    testing::UnsetEnv("SSL_CERT_FILE");
  }
};

TEST_CASE("the system trust store's hashed folder is read when a chain needs a root") {
  TestHttpServer server(Ok, SharedPki().Issue("hashed", "IP:127.0.0.1"));
  testing::TempDir hashed;
  WriteHashed(SharedPki().ca_file(), hashed);
  {
    // No bundle file at all: the root can only come from the folder.
    TrustEnv env(hashed.path(), hashed / "no-bundle.pem");
    auto client = MakePocoClient(Options(""));
    util::StringSink sink;
    auto response = Get(*client, server.Url("/ok"), sink);
    REQUIRE_MESSAGE(response.ok(), response.status().message());
    CHECK(sink.data() == "secure");
  }
  {
    // Control: a folder without the CA trusts nothing of it.
    testing::TempDir empty;
    TrustEnv env(empty.path(), empty / "no-bundle.pem");
    auto client = MakePocoClient(Options(""));
    util::StringSink sink;
    auto response = Get(*client, server.Url("/ok"), sink);
    REQUIRE_FALSE(response.ok());
    CHECK(response.status().message().find("not trusted") != std::string::npos);
  }
}

TEST_CASE("a self-signed certificate is refused with a clear message") {
  TestHttpServer server(Ok, SharedPki().SelfSigned("selfsigned", "IP:127.0.0.1"));
  // Trusting the test CA (or only the system store) does not help.
  for (const std::string& ca_file : {SharedPki().ca_file(), std::string()}) {
    auto client = MakePocoClient(Options(ca_file));
    util::StringSink sink;
    auto response = Get(*client, server.Url("/x?sig=CANARY"), sink);
    REQUIRE_FALSE(response.ok());
    CHECK(response.status().kind() == util::ErrorKind::kConfig);  // never retried
    const std::string& message = response.status().message();
    CHECK(message.find("GET 127.0.0.1:" + std::to_string(server.port()) +
                       "/x: TLS certificate of 127.0.0.1 not trusted: self-signed") == 0);
    CHECK(message.find("CANARY") == std::string::npos);
  }
  CHECK(server.request_count() == 0);
}

TEST_CASE("a certificate from a CA outside the trust store is refused") {
  TestHttpServer server(Ok, SharedPki().Issue("unknownca", "IP:127.0.0.1"));
  auto client = MakePocoClient(Options(""));
  util::StringSink sink;
  auto response = Get(*client, server.Url("/x"), sink);
  REQUIRE_FALSE(response.ok());
  CHECK(response.status().kind() == util::ErrorKind::kConfig);
  CHECK(response.status().message().find("TLS certificate of 127.0.0.1 not trusted: unable to get "
                                         "local issuer certificate") != std::string::npos);
}

TEST_CASE("a trusted certificate for another host name is refused") {
  TestHttpServer server(Ok, SharedPki().Issue("wronghost", "DNS:wronghost.invalid"));
  auto client = MakePocoClient(Options(SharedPki().ca_file()));
  util::StringSink sink;
  auto response = Get(*client, server.Url("/x"), sink);
  REQUIRE_FALSE(response.ok());
  CHECK(response.status().kind() == util::ErrorKind::kConfig);
  CHECK(response.status().message() ==
        "GET 127.0.0.1:" + std::to_string(server.port()) +
            "/x: TLS certificate of 127.0.0.1 not trusted: it was issued for another host name "
            "(a private CA goes in [account] ca_file)");
  CHECK(server.request_count() == 0);
}

TEST_CASE("a certificate for localhost is valid as localhost but not as 127.0.0.1") {
  TestHttpServer server(Ok, SharedPki().Issue("localhostonly", "DNS:localhost"));
  auto client = MakePocoClient(Options(SharedPki().ca_file()));
  util::StringSink sink;
  auto by_name = Get(*client, server.Url("/x", "localhost"), sink);
  REQUIRE_MESSAGE(by_name.ok(), by_name.status().message());
  auto by_ip = Get(*client, server.Url("/x"), sink);
  REQUIRE_FALSE(by_ip.ok());
  CHECK(by_ip.status().message().find(
            "TLS certificate of 127.0.0.1 not trusted: it was issued for another host name") !=
        std::string::npos);
}

TEST_CASE("an unreadable ca_file fails every request as a configuration error") {
  std::ostringstream logs;
  util::LogOptions quiet;
  util::SetupLogging(quiet, &logs);
  testing::TempDir dir;
  auto client = MakePocoClient(Options(dir / "missing.pem"));
  util::StringSink sink;
  auto response = Get(*client, "https://127.0.0.1:1/x", sink);
  REQUIRE_FALSE(response.ok());
  CHECK(response.status().kind() == util::ErrorKind::kConfig);
  CHECK(response.status().message().find("missing.pem") != std::string::npos);
  CHECK(logs.str().find("TLS set-up failed") != std::string::npos);  // said once, at start
  util::SetupLogging(util::LogOptions{});
}

}  // namespace
}  // namespace hdc::http
