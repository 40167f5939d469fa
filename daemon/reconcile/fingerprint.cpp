#include "reconcile/fingerprint.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include "reconcile/template_builder.h"

namespace hdc::reconcile {

std::string Sha256Hex(std::string_view data) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(data.data(), static_cast<unsigned>(data.size()));
  return Poco::DigestEngine::digestToHex(engine.digest());
}

std::string Fingerprint(const nlohmann::json& canonical_value) {
  return Sha256Hex(Canonical(canonical_value));
}

}  // namespace hdc::reconcile
