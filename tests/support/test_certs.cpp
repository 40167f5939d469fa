#include "support/test_certs.h"

#include <cstdio>
#include <cstdlib>

namespace hdc::testing {
namespace {

constexpr const char* kNewKey = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -noenc";

void Run(const std::string& command) {
  const std::string quiet = command + " >/dev/null 2>&1";
  if (std::system(quiet.c_str()) != 0) {
    std::fprintf(stderr, "test PKI: command failed: %s\n", command.c_str());
    std::abort();
  }
}

}  // namespace

TestPki::TestPki() : ca_file_(dir_ / "ca.pem") {
  dir_.Write("ca.cnf",
             "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = hdc test CA\n"
             "[ext]\nbasicConstraints = critical,CA:TRUE\n"
             "keyUsage = critical,keyCertSign,cRLSign\nsubjectKeyIdentifier = hash\n");
  Run("openssl req -x509 -new " + std::string(kNewKey) + " -keyout " + (dir_ / "ca.key") +
      " -out " + ca_file_ + " -days 2 -config " + (dir_ / "ca.cnf") + " -extensions ext");
}

std::string TestPki::WriteConfig(const std::string& name, const std::string& alt_names) const {
  return dir_.Write(name + ".cnf",
                    "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = " + name +
                        "\n[ext]\nbasicConstraints = CA:FALSE\n"
                        "keyUsage = critical,digitalSignature\nextendedKeyUsage = serverAuth\n"
                        "subjectAltName = " + alt_names + "\n");
}

TlsFiles TestPki::Issue(const std::string& name, const std::string& alt_names) {
  std::lock_guard lock(mu_);
  const std::string config = WriteConfig(name, alt_names);
  const TlsFiles files{dir_ / (name + ".pem"), dir_ / (name + ".key")};
  Run("openssl req -new " + std::string(kNewKey) + " -keyout " + files.key_file + " -out " +
      (dir_ / (name + ".csr")) + " -config " + config);
  Run("openssl x509 -req -in " + (dir_ / (name + ".csr")) + " -CA " + ca_file_ + " -CAkey " +
      (dir_ / "ca.key") + " -set_serial " + std::to_string(++serial_) + " -days 2 -out " +
      files.cert_file + " -extfile " + config + " -extensions ext");
  return files;
}

TlsFiles TestPki::SelfSigned(const std::string& name, const std::string& alt_names) {
  std::lock_guard lock(mu_);
  const std::string config = WriteConfig(name, alt_names);
  const TlsFiles files{dir_ / (name + ".pem"), dir_ / (name + ".key")};
  Run("openssl req -x509 -new " + std::string(kNewKey) + " -keyout " + files.key_file +
      " -out " + files.cert_file + " -days 2 -config " + config + " -extensions ext");
  return files;
}

TestPki& SharedPki() {
  static TestPki pki;  // its directory goes away at exit
  return pki;
}

}  // namespace hdc::testing
