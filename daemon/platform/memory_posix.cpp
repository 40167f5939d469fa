#include "platform/memory.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace hdc::platform {

void ReleaseFreeMemory() {
#if defined(__GLIBC__)
  (void)::malloc_trim(0);
#endif
}

}  // namespace hdc::platform
