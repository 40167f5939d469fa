#include "platform/trust_store.h"

namespace hdc::platform {

std::vector<std::string> SystemTrustAnchorsDer() { return {}; }

}  // namespace hdc::platform
