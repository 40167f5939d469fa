// Names the calling thread, so `top -H`, `ps -L`, a debugger, a crash
// report and bench/bench_idle.sh can tell the daemon's threads apart. The
// names are listed in docs/operations.md §Threads.
#pragma once

#include <string_view>

namespace hdc::platform {

// POSIX: pthread_setname_np on the calling thread, the name cut to the
// kernel's 15 bytes. Windows: SetThreadDescription, looked up in
// kernel32.dll at run time (Windows 10 1607 and later; older systems keep
// unnamed threads). Best effort: a thread's name is a diagnostic aid, so a
// failure is ignored.
void NameThisThread(std::string_view name);

}  // namespace hdc::platform
