// The operating system's trusted root certificates, for TLS verification.
//
// POSIX: empty; OpenSSL's default verify paths are the system bundle
// (/etc/ssl/certs on Debian). Windows: OpenSSL has no system bundle there
// (its built-in paths point at a folder nobody fills), so the client imports
// the certificates of the Windows "ROOT" store (the machine's and the
// service account's trusted roots, as Windows' own TLS stack uses them) into
// OpenSSL's verify store; [account] ca_file still adds a private CA.
#pragma once

#include <string>
#include <vector>

namespace hdc::platform {

// Each certificate DER-encoded; empty when the store cannot be opened.
std::vector<std::string> SystemTrustAnchorsDer();

}  // namespace hdc::platform
