// A throw-away PKI for TLS tests: a CA and certificates it issues, made with
// the openssl command line in a temporary directory at test time (no private
// key is checked in). EC P-256 keys, so each certificate takes milliseconds.
#pragma once

#include <mutex>
#include <string>

#include "support/temp_dir.h"
#include "support/test_http_server.h"

namespace hdc::testing {

class TestPki {
 public:
  // Creates the CA; aborts the test run if openssl fails.
  TestPki();

  // The CA certificate (PEM), to pass as ca_file.
  const std::string& ca_file() const { return ca_file_; }
  // A server certificate signed by the CA. `alt_names` is a subjectAltName
  // value such as "IP:127.0.0.1,DNS:localhost".
  TlsFiles Issue(const std::string& name, const std::string& alt_names);
  // A self-signed server certificate, trusted by nobody.
  TlsFiles SelfSigned(const std::string& name, const std::string& alt_names);

 private:
  std::string WriteConfig(const std::string& name, const std::string& alt_names) const;

  TempDir dir_;
  std::string ca_file_;
  std::mutex mu_;
  int serial_ = 1;
};

// One PKI per test process, made on first use.
TestPki& SharedPki();

}  // namespace hdc::testing
