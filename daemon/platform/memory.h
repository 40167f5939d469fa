// Giving the memory the allocator keeps after a busy step back to the
// system, so a daemon that idles for months between runs holds only what it
// uses (bench/bench_idle.sh measures it).
#pragma once

namespace hdc::platform {

// Returns the allocator's free memory to the operating system.
// Linux with glibc: malloc_trim(0), which releases the free pages of every
// arena, not only the top of the main heap that free() gives back by itself.
// Windows: _heapmin(). Elsewhere (or under a sanitizer's allocator, which
// does not use glibc's arenas) nothing. Best effort, thread-safe, and
// costs a walk of the free lists: call it after a step, not per allocation.
void ReleaseFreeMemory();

}  // namespace hdc::platform
