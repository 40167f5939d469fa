// The Windows service glue around DaemonApp (written for review; DaemonApp
// does not call it yet). Windows only: on other platforms this header and
// windows_service.cpp are empty.
//
// How DaemonApp runs as a Windows service through Poco's ServerApplication
// (operations.md section 6):
//   * main() calls ServerApplication::run(argc, argv), not Application::run():
//     on Windows it handles /registerService, /unregisterService,
//     /displayName=<name>, /description=<text> and /startup=automatic|manual
//     itself (registering the executable path only, no arguments), and
//     otherwise tries to connect to the SCM as the service named after the
//     executable's base name ("hdc-reportd").
//   * The SCM starts the service with no arguments, so the config path must be
//     the default one: WindowsDefaultConfigPath().
//   * In main(), config().getBool("application.runAsService", false) is true
//     when the SCM started the process; log start, stop and fatal start-up
//     errors to the event log then (platform::ReportToEventLog).
//   * waitForTerminationRequest() returns when the SCM sends stop (or
//     shutdown); the daemon then checkpoints and returns an exit code.
//   * After /registerService succeeded, OnServiceRegistered() sets the
//     recovery actions, which Poco 1.11's ServerApplication does not.
//   * Windows options use Poco's /name=value syntax (/config=C:\x.ini).
//
// This glue itself uses no Poco, so tests/arch/windows_compile_check.sh
// compiles it with MinGW-w64; DaemonApp (Poco) cannot be compiled for Windows
// here, since Poco is installed for Linux only.
#pragma once

#ifdef _WIN32

#include <string>

namespace hdc::service {

// Sets the service's recovery actions (platform::SetServiceRecoveryActions)
// and prints the outcome: a line on stdout when set, a warning on stderr
// (registration itself stands) when not.
void OnServiceRegistered(const std::string& service_name);

// "<ProgramData>\hdc-reportd\hdc-reportd.ini": where the service, started by
// the SCM without arguments, finds its configuration.
std::string WindowsDefaultConfigPath();

}  // namespace hdc::service

#endif  // _WIN32
