// The service-host seam. POSIX: systemd and the journal do the Windows
// pieces' job, so only the root check does anything. Windows (run under
// Wine by make test-windows): the Service Control Manager, the event log,
// the registry and the ProgramData known folder.
#include "platform/service_host.h"

#include <string>
#include <string_view>

#include <doctest/doctest.h>
#ifndef _WIN32
#include <unistd.h>
#endif

namespace hdc::platform {
namespace {

TEST_CASE("service host: the event log never throws, whatever the text") {
  CHECK_NOTHROW(ReportToEventLog(EventLevel::kInfo, "started"));
  CHECK_NOTHROW(ReportToEventLog(EventLevel::kWarning, ""));
  CHECK_NOTHROW(ReportToEventLog(EventLevel::kError, std::string(100000, 'x')));
  constexpr char kOdd[] = "bad UTF-8 \xff\xfe, a NUL \0 inside";
  CHECK_NOTHROW(ReportToEventLog(EventLevel::kError, std::string_view(kOdd, sizeof kOdd - 1)));
}

#ifndef _WIN32
TEST_CASE("service host: setting recovery actions is an OK no-op on POSIX") {
  CHECK(SetServiceRecoveryActions("hdc-reportd").ok());
  CHECK(SetServiceRecoveryActions("").ok());
  CHECK(SetServiceRecoveryActions("no such service").ok());
}

TEST_CASE("service host: the event log source is an OK no-op on POSIX") {
  CHECK(RegisterEventLogSource("/usr/bin/hdc-reportd").ok());
  CHECK(UnregisterEventLogSource().ok());
}

TEST_CASE("service host: there is no ProgramData directory on POSIX") {
  CHECK(ProgramDataDir().empty());
}

TEST_CASE("service host: the root check follows the effective uid") {
  CHECK(IsRunningAsRoot() == (::geteuid() == 0));
}
#else
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

TEST_CASE("service host: a test run is not LocalSystem") {
  CHECK_FALSE(IsRunningAsRoot());
}
#endif

}  // namespace
}  // namespace hdc::platform
