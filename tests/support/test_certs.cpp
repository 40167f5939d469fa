#include "support/test_certs.h"

#include <cstdio>
#include <cstdlib>
#include <memory>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace hdc::testing {
namespace {

// Two days, as the certificates of a test run need; valid from an hour ago,
// so a clock a little behind still accepts them.
constexpr long kValidSeconds = 2 * 24 * 3600;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "test PKI: %s failed\n", what);
  std::abort();
}

template <typename T>
T* Check(T* p, const char* what) {
  if (p == nullptr) Fail(what);
  return p;
}

void Check(int rc, const char* what) {
  if (rc <= 0) Fail(what);
}

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;

std::string Drain(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace

struct TestPki::Key {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey{
      Check(EVP_EC_gen("P-256"), "EC P-256 key generation"), &EVP_PKEY_free};

  std::string Pem() const {
    Bio bio(BIO_new(BIO_s_mem()), &BIO_free);
    Check(PEM_write_bio_PrivateKey(bio.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr),
          "writing a key");
    return Drain(bio.get());
  }
};

struct TestPki::Cert {
  std::unique_ptr<X509, decltype(&X509_free)> x509{Check(X509_new(), "X509_new"), &X509_free};

  std::string Pem() const {
    Bio bio(BIO_new(BIO_s_mem()), &BIO_free);
    Check(PEM_write_bio_X509(bio.get(), x509.get()), "writing a certificate");
    return Drain(bio.get());
  }
};

namespace {

void AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = Check(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()),
                              "making a certificate extension");
  Check(X509_add_ext(cert, ext, -1), "adding a certificate extension");
  X509_EXTENSION_free(ext);
}

}  // namespace

// A certificate for `key` named CN=`name`, signed by `issuer` (itself when
// null): the CA's extensions when `alt_names` is empty, a TLS server's
// with that subjectAltName otherwise.
std::unique_ptr<TestPki::Cert> TestPki::MakeCert(const Key& key, const std::string& name,
                                                 const std::string& alt_names, const Cert* issuer,
                                                 const Key& issuer_key, long serial) {
  auto cert = std::make_unique<Cert>();
  X509* x = cert->x509.get();
  Check(X509_set_version(x, 2), "X509_set_version");
  Check(ASN1_INTEGER_set(X509_get_serialNumber(x), serial), "setting the serial");
  Check(X509_gmtime_adj(X509_getm_notBefore(x), -3600) != nullptr ? 1 : 0, "notBefore");
  Check(X509_gmtime_adj(X509_getm_notAfter(x), kValidSeconds) != nullptr ? 1 : 0, "notAfter");
  Check(X509_set_pubkey(x, key.pkey.get()), "X509_set_pubkey");
  X509_NAME* subject = X509_get_subject_name(x);
  Check(X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0),
        "naming a certificate");
  X509* signer = issuer != nullptr ? issuer->x509.get() : x;
  Check(X509_set_issuer_name(x, X509_get_subject_name(signer)), "X509_set_issuer_name");
  if (alt_names.empty()) {
    AddExtension(x, signer, NID_basic_constraints, "critical,CA:TRUE");
    AddExtension(x, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    AddExtension(x, signer, NID_subject_key_identifier, "hash");
  } else {
    AddExtension(x, signer, NID_basic_constraints, "CA:FALSE");
    AddExtension(x, signer, NID_key_usage, "critical,digitalSignature");
    AddExtension(x, signer, NID_ext_key_usage, "serverAuth");
    AddExtension(x, signer, NID_subject_alt_name, alt_names);
  }
  Check(X509_sign(x, issuer_key.pkey.get(), EVP_sha256()), "signing a certificate");
  return cert;
}

TestPki::TestPki() : ca_key_(std::make_unique<Key>()) {
  ca_cert_ = MakeCert(*ca_key_, "hdc test CA", "", nullptr, *ca_key_, 1);
  ca_file_ = dir_.Write("ca.pem", ca_cert_->Pem());
}

TestPki::~TestPki() = default;

TlsFiles TestPki::Issue(const std::string& name, const std::string& alt_names) {
  std::lock_guard lock(mu_);
  const Key key;
  const auto cert = MakeCert(key, name, alt_names, ca_cert_.get(), *ca_key_, ++serial_);
  return {dir_.Write(name + ".pem", cert->Pem()), dir_.Write(name + ".key", key.Pem())};
}

TlsFiles TestPki::SelfSigned(const std::string& name, const std::string& alt_names) {
  std::lock_guard lock(mu_);
  const Key key;
  const auto cert = MakeCert(key, name, alt_names, nullptr, key, ++serial_);
  return {dir_.Write(name + ".pem", cert->Pem()), dir_.Write(name + ".key", key.Pem())};
}

TestPki& SharedPki() {
  static TestPki pki;  // its directory goes away at exit
  return pki;
}

}  // namespace hdc::testing
