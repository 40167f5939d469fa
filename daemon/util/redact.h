// Redaction: the last line of defence that keeps secrets and device
// identifiers out of logs.
//
// Removes bearer tokens ("Bearer x") and bare JWTs ("eyJ...x.y.z"), access
// tokens and client secrets in
// form, JSON and key=value shapes, SAS "sig=" values, and the values of
// DeviceId and HardwareId (any case, in key=value, key: value and JSON
// shapes). Values registered with AddSecret are replaced wherever they occur.
// The logging sink calls Redact on every line; code should still never pass
// such values to a log call (redaction is structural first, this is a net).
#pragma once

#include <string>
#include <string_view>

namespace hdc::util {

inline constexpr std::string_view kRedacted = "[REDACTED]";

// Returns text with every secret value replaced by [REDACTED].
std::string Redact(std::string_view text);

// Registers a literal secret (e.g. the client secret) that Redact replaces
// wherever it appears. Values shorter than 6 characters are ignored, since
// replacing them would mangle ordinary text. Thread-safe.
void AddSecret(std::string_view secret);
// Forgets all registered secrets (tests).
void ClearSecrets();

}  // namespace hdc::util
