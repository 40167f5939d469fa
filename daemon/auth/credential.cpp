#include "auth/credential.h"

#include <utility>

#include "util/strings.h"

namespace hdc::auth {

Credential Credential::FromSecret(std::string secret, std::string description) {
  Credential credential;
  credential.secret_ = std::move(secret);
  credential.description_ = std::move(description);
  return credential;
}

Credential Credential::FromCertificate(std::shared_ptr<const CertificateCredential> certificate,
                                       std::string description) {
  Credential credential;
  credential.certificate_ = std::move(certificate);
  credential.description_ = std::move(description);
  return credential;
}

Credential Credential::FromFederatedToken(FederatedTokenReader read, std::string source,
                                          std::string description) {
  Credential credential;
  credential.federated_token_ = std::move(read);
  credential.federated_source_ = std::move(source);
  credential.description_ = std::move(description);
  return credential;
}

// The secret is copied, then the source wiped: a moved short string would
// leave its characters behind in the source's inline buffer.
Credential::Credential(Credential&& other) noexcept
    : secret_(other.secret_),
      certificate_(std::move(other.certificate_)),
      federated_token_(std::move(other.federated_token_)),
      federated_source_(std::move(other.federated_source_)),
      description_(std::move(other.description_)) {
  util::Wipe(other.secret_);
  other.secret_.clear();
}

Credential& Credential::operator=(Credential&& other) noexcept {
  if (this != &other) {
    util::Wipe(secret_);
    secret_ = other.secret_;
    util::Wipe(other.secret_);
    other.secret_.clear();
    certificate_ = std::move(other.certificate_);
    federated_token_ = std::move(other.federated_token_);
    federated_source_ = std::move(other.federated_source_);
    description_ = std::move(other.description_);
  }
  return *this;
}

Credential::~Credential() { util::Wipe(secret_); }

bool Credential::SameAs(const Credential& other) const {
  if (federated_token_ || other.federated_token_) {
    return federated_token_ && other.federated_token_ &&
           federated_source_ == other.federated_source_;
  }
  if (certificate_ || other.certificate_) {
    return certificate_ && other.certificate_ &&
           certificate_->thumbprint_sha256_b64url() ==
               other.certificate_->thumbprint_sha256_b64url();
  }
  return secret_ == other.secret_;
}

}  // namespace hdc::auth
