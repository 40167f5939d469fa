// The service-host seam. POSIX: systemd and the journal do the Windows
// pieces' job; the other functions are empty there, so only the root check
// is tested, against the kernel's own account of the process. Windows (run
// under Wine by make test-windows): the Service Control Manager, the event
// log, the registry and the ProgramData known folder.
#include "platform/service_host.h"

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <doctest/doctest.h>

namespace hdc::platform {
namespace {

#ifndef _WIN32
TEST_CASE("service host: the root check agrees with the effective uid in /proc/self/status") {
  // "Uid:\treal\teffective\tsaved\tfilesystem"; a system without procfs
  // has nothing to compare with.
  std::ifstream status("/proc/self/status");
  std::string line;
  std::string effective;
  while (std::getline(status, line)) {
    if (line.rfind("Uid:", 0) != 0) continue;
    std::istringstream fields(line.substr(4));
    std::string real;
    fields >> real >> effective;
  }
  if (effective.empty()) {
    MESSAGE("no /proc/self/status: nothing to compare the root check with");
    return;
  }
  CHECK(IsRunningAsRoot() == (effective == "0"));
}
#else
TEST_CASE("service host: the event log takes any text without failing the process") {
  // noexcept: a failure inside would end the test binary, not an assertion.
  ReportToEventLog(EventLevel::kInfo, "started");
  ReportToEventLog(EventLevel::kWarning, "");
  ReportToEventLog(EventLevel::kError, std::string(100000, 'x'));
  constexpr char kOdd[] = "bad UTF-8 \xff\xfe, a NUL \0 inside";
  ReportToEventLog(EventLevel::kError, std::string_view(kOdd, sizeof kOdd - 1));
}

TEST_CASE("service host: recovery actions for a missing service fail naming it") {
  const util::Status s = SetServiceRecoveryActions("hdc-reportd-no-such-service");
  REQUIRE_FALSE(s.ok());
  CHECK(s.kind() == util::ErrorKind::kUnavailable);
  CHECK(s.message().find("hdc-reportd-no-such-service") != std::string::npos);
  CHECK(s.message().find("error 1060") != std::string::npos);  // ERROR_SERVICE_DOES_NOT_EXIST
}

TEST_CASE("service host: the event log source can be registered and removed") {
  CHECK(RegisterEventLogSource("C:\\Program Files\\hdc-reportd\\hdc-reportd.exe").ok());
  CHECK(UnregisterEventLogSource().ok());
  CHECK(UnregisterEventLogSource().ok());  // a missing one is fine
}

TEST_CASE("service host: ProgramData is the machine's, with our folder") {
  const std::string dir = ProgramDataDir();
  CHECK(dir.size() > std::string("\\hdc-reportd").size());
  CHECK(dir.substr(dir.size() - 12) == "\\hdc-reportd");
  CHECK(dir.find("ProgramData") != std::string::npos);
}

TEST_CASE("service host: a test run is not LocalSystem") { CHECK_FALSE(IsRunningAsRoot()); }
#endif

}  // namespace
}  // namespace hdc::platform
