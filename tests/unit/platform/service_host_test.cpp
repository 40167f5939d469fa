// The POSIX half of the service-host seam: systemd and the journal do the
// Windows pieces' job, so only the root check does anything here. (The
// Windows half is compile-checked by tests/arch/windows_compile_check.sh.)
#include "platform/service_host.h"

#include <string>
#include <string_view>

#include <doctest/doctest.h>
#include <unistd.h>

namespace hdc::platform {
namespace {

TEST_CASE("service host: setting recovery actions is an OK no-op on POSIX") {
  CHECK(SetServiceRecoveryActions("hdc-reportd").ok());
  CHECK(SetServiceRecoveryActions("").ok());
  CHECK(SetServiceRecoveryActions("no such service").ok());
}

TEST_CASE("service host: the event log is a no-op on POSIX and never throws") {
  CHECK_NOTHROW(ReportToEventLog(EventLevel::kInfo, "started"));
  CHECK_NOTHROW(ReportToEventLog(EventLevel::kWarning, ""));
  CHECK_NOTHROW(ReportToEventLog(EventLevel::kError, std::string(100000, 'x')));
  constexpr char kOdd[] = "bad UTF-8 \xff\xfe, a NUL \0 inside";
  CHECK_NOTHROW(ReportToEventLog(EventLevel::kError, std::string_view(kOdd, sizeof kOdd - 1)));
}

TEST_CASE("service host: there is no ProgramData directory on POSIX") {
  CHECK(ProgramDataDir().empty());
}

TEST_CASE("service host: the root check follows the effective uid") {
  CHECK(IsRunningAsRoot() == (::geteuid() == 0));
}

}  // namespace
}  // namespace hdc::platform
