// Windows: the certificates of the "ROOT" system store (crypt32).
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
// After windows.h, which it needs.
#include <wincrypt.h>

#include "platform/trust_store.h"

namespace hdc::platform {

std::vector<std::string> SystemTrustAnchorsDer() {
  std::vector<std::string> out;
  HCERTSTORE store = ::CertOpenSystemStoreW(0, L"ROOT");
  if (store == nullptr) return out;
  PCCERT_CONTEXT cert = nullptr;
  while ((cert = ::CertEnumCertificatesInStore(store, cert)) != nullptr) {
    if (cert->dwCertEncodingType & X509_ASN_ENCODING) {
      out.emplace_back(reinterpret_cast<const char*>(cert->pbCertEncoded), cert->cbCertEncoded);
    }
  }
  ::CertCloseStore(store, 0);
  return out;
}

}  // namespace hdc::platform
