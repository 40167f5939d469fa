#include <malloc.h>

#include "platform/memory.h"

namespace hdc::platform {

void ReleaseFreeMemory() { (void)::_heapmin(); }

}  // namespace hdc::platform
