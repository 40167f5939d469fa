// Keeping the process's secrets out of places other processes and files can
// see: crash dumps and the environment block (S14 and S3 of
// docs/reliability.md §Security checklist).
//
// Both are called from the composition roots, before the client secret is
// read. Neither is fatal: a failure is returned for the caller to log once at
// warn. Neither logs, and neither touches anything but the calling process
// (on Windows, ForbidCoreDumps also writes one per-user registry value, see
// below). Not thread-safe: call them while the process has one thread.
#pragma once

#include <string_view>

#include "util/result.h"

namespace hdc::platform {

// Forbids crash dumps of this process.
// POSIX: prctl(PR_SET_DUMPABLE, 0), so the kernel writes no core on any
// core_pattern (a file or a pipe to systemd-coredump or apport) and other
// processes of the same user can neither ptrace it nor read /proc/PID/mem or
// /proc/PID/environ; then RLIMIT_CORE is lowered to 0 (soft and hard) unless
// it is 0 already (the units' LimitCORE=0). Execve and a change of user
// would reset the first; the daemon does neither.
// Windows: SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX), so an
// unhandled exception ends the process without Windows Error Reporting's
// dialog or report, and WerAddExcludedApplication(<this exe's name>, FALSE)
// (looked up in wer.dll at run time), which excludes the executable from WER
// for the account it runs as. Fail-fast exceptions that go to WER directly,
// LocalDumps configured by an administrator for excluded applications, and
// an administrator's debugger or dump tool are not prevented.
// An error names the call that failed and why; the others are still made.
util::Status ForbidCoreDumps();

// Removes the variable `name` from the process's environment, first
// overwriting its value where it lies, so neither child processes nor a
// reader of the environment block (/proc/PID/environ on Linux) see it. OK when
// it is not set. Any copy the caller made is the caller's to wipe.
// POSIX: the value's bytes are zeroed in place, then unsetenv. Windows: the
// C runtime's copy is zeroed in place, then _putenv_s(name, "") removes it
// from the C runtime and from the process environment block (the block's
// old memory is Windows' and is not wiped).
util::Status RemoveEnvironmentVariable(std::string_view name);

}  // namespace hdc::platform
