// A stable identity for a template or schedule: SHA-256 (lower-case hex) of
// its canonical JSON. Equal fingerprints mean "the same remote object".
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace hdc::reconcile {

std::string Sha256Hex(std::string_view data);
std::string Fingerprint(const nlohmann::json& canonical_value);

}  // namespace hdc::reconcile
