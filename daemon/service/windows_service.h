// The Windows service glue around DaemonApp. Windows only: on other
// platforms this header and windows_service.cpp are empty.
//
// How DaemonApp runs as a Windows service through Poco's ServerApplication:
//   * wmain() (service/main.cpp) calls ServerApplication::run(argc, argv):
//     it handles --registerService, --unregisterService, --displayName=NAME,
//     --description=TEXT and --startup=automatic|manual itself (registering
//     the executable path only, no arguments), and otherwise connects to the
//     SCM as the service named after the executable ("hdc-reportd") when the
//     SCM started the process.
//   * The SCM starts the service with no arguments, so the config path is the
//     default one: WindowsDefaultConfigPath().
//   * In DaemonApp::main(), config().getBool("application.runAsService") is
//     true under the SCM; start, stop and fatal start-up errors then also go
//     to the Application event log (platform::ReportToEventLog).
//   * waitForTerminationRequest() returns when the SCM sends stop (or
//     shutdown); the daemon then stops at a checkpoint and returns its exit
//     code, which Poco reports to the SCM.
//   * After --registerService, OnServiceRegistered() sets the recovery
//     actions (which Poco 1.11 does not) and the event message file; after
//     --unregisterService, OnServiceUnregistered() removes the latter.
//   * Options are Unix-style on Windows too (DaemonApp calls
//     setUnixOptions(true)): --config=C:\x.ini or --config C:\x.ini.
#pragma once

#ifdef _WIN32

#include <string>

namespace hdc::service {

// Sets the service's recovery actions (platform::SetServiceRecoveryActions)
// and prints the outcome: a line on stdout when set, a warning on stderr
// (registration itself stands) when not; then registers `executable` as the
// event log source's message file.
void OnServiceRegistered(const std::string& service_name, const std::string& executable);
// Removes the event log source (--unregisterService succeeded).
void OnServiceUnregistered();

// "<ProgramData>\hdc-reportd\hdc-reportd.ini": where the service, started by
// the SCM without arguments, finds its configuration.
std::string WindowsDefaultConfigPath();

}  // namespace hdc::service

#endif  // _WIN32
