// What the host operating system's service manager offers beyond start and
// stop: recovery actions, the system event log, the machine-wide data folder
// and the "am I the superuser?" question.
//
// Windows: the Service Control Manager, the Application event log and
// %ProgramData%. POSIX (systemd): Restart= in the unit and the journal (which
// stores stderr) do this job, so the first three are no-ops there.
// No Poco here, so the Windows half compiles with MinGW-w64 on Linux CI
// (tests/arch/windows_compile_check.sh).
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace hdc::platform {

// Sets the recovery actions of an installed service: restart after 1 minute,
// restart again after 5 minutes, then nothing; the failure count resets after
// 1 day; a stop with a non-zero exit code counts as a failure, not just a
// crash (docs/operations.md §Windows service). Needs administrator rights, like
// /registerService. Errors name the service and the Windows error: kAuth when
// access is denied, kUnavailable otherwise (no SCM, no such service).
// POSIX: OK, nothing to do (the systemd unit has Restart=on-failure).
util::Status SetServiceRecoveryActions(const std::string& service_name);

// Registers `executable` (the full path of hdc-reportd.exe, which carries the
// message table) as the message file of the Application event log source
// "hdc-reportd", so Event Viewer shows each entry's text. Needs administrator
// rights, like --registerService, which calls it. POSIX: OK, nothing to do.
util::Status RegisterEventLogSource(const std::string& executable);
// Removes that registration (--unregisterService); a missing one is OK.
util::Status UnregisterEventLogSource();

// Makes an installed service run as its virtual account "NT SERVICE\<name>"
// (a least-privilege account Windows manages, with no password) instead of
// LocalSystem. Needs administrator rights. POSIX: OK, nothing to do (the
// unit's User=).
util::Status SetServiceVirtualAccount(const std::string& service_name);

enum class EventLevel { kInfo, kWarning, kError };

// Writes one entry (UTF-8 text) to the Application event log under the source
// "hdc-reportd", for start, stop and fatal start-up errors that must be seen
// even when the log file does not exist yet. Best effort: never throws, and
// failures are ignored. POSIX: no-op (stderr already reaches the journal).
void ReportToEventLog(EventLevel level, std::string_view message) noexcept;

// Windows: "<ProgramData>\hdc-reportd" (the known folder, else %ProgramData%,
// else C:\ProgramData), where the service's config and state live because
// the SCM starts it without arguments. POSIX: "" (unused; paths come from
// the FHS and the systemd unit).
std::string ProgramDataDir();

// True when the process runs with the machine's highest privileges: effective
// uid 0 on POSIX, LocalSystem on Windows. The daemon and --once refuse to run
// so without --allow-root (docs/operations.md §Privileges).
bool IsRunningAsRoot();

}  // namespace hdc::platform
