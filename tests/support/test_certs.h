// A throw-away PKI for TLS tests: a CA and certificates it issues, made in
// the test process with OpenSSL's library (no command-line tool, so it runs
// on Windows too) and written as PEM files to a temporary directory (no
// private key is checked in). EC P-256 keys, so each certificate takes
// milliseconds.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "support/temp_dir.h"
#include "support/test_http_server.h"

namespace hdc::testing {

class TestPki {
 public:
  // Creates the CA; aborts the test run if OpenSSL fails.
  TestPki();
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  // The CA certificate (PEM), to pass as ca_file.
  const std::string& ca_file() const { return ca_file_; }
  // A server certificate signed by the CA. `alt_names` is a subjectAltName
  // value such as "IP:127.0.0.1,DNS:localhost".
  TlsFiles Issue(const std::string& name, const std::string& alt_names);
  // A self-signed server certificate, trusted by nobody.
  TlsFiles SelfSigned(const std::string& name, const std::string& alt_names);

 private:
  struct Key;
  struct Cert;
  static std::unique_ptr<Cert> MakeCert(const Key& key, const std::string& name,
                                        const std::string& alt_names, const Cert* issuer,
                                        const Key& issuer_key, long serial);

  TempDir dir_;
  std::unique_ptr<Key> ca_key_;
  std::unique_ptr<Cert> ca_cert_;
  std::string ca_file_;
  std::mutex mu_;
  int serial_ = 1;
};

// One PKI per test process, made on first use.
TestPki& SharedPki();

}  // namespace hdc::testing
