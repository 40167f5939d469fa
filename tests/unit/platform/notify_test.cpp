#include "platform/notify.h"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "support/temp_dir.h"

namespace hdc::platform {
namespace {

using std::chrono::microseconds;
using util::ErrorKind;

// Sets (or unsets, with std::nullopt) an environment variable for one test and
// restores the previous value afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// A bound AF_UNIX datagram socket standing in for systemd's notify socket.
// `address` is "/path" or "@abstract-name", the $NOTIFY_SOCKET spelling.
class NotifyListener {
 public:
  explicit NotifyListener(const std::string& address) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(address.size() < sizeof(addr.sun_path));
    std::memcpy(addr.sun_path, address.data(), address.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size());
    if (address.front() == '@') {
      addr.sun_path[0] = '\0';
    } else {
      len += 1;
    }
    REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), len) == 0);
  }
  ~NotifyListener() { ::close(fd_); }
  NotifyListener(const NotifyListener&) = delete;
  NotifyListener& operator=(const NotifyListener&) = delete;

  // The next datagram, exactly as sent; std::nullopt if none arrives within 2 s.
  std::optional<std::string> Receive() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 2000) != 1) return std::nullopt;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
  }
  // True if a datagram is waiting (checks that a no-op sent nothing).
  bool Pending() {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) == 1;
  }

 private:
  int fd_ = -1;
};

std::uint64_t MonotonicUsec() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1000000u +
         static_cast<std::uint64_t>(now.tv_nsec) / 1000u;
}

// An abstract name no other test process uses.
std::string UniqueAbstractName() {
  static int counter = 0;
  return "@hdc-notify-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

TEST_CASE("notify: each helper sends its exact datagram to a path NOTIFY_SOCKET") {
  const hdc::testing::TempDir dir;
  const std::string path = dir / "notify.sock";
  NotifyListener listener(path);
  const ScopedEnv env("NOTIFY_SOCKET", path);
  const ServiceNotifier notifier = ServiceNotifier::FromEnvironment();
  REQUIRE(notifier.enabled());
  CHECK(notifier.socket() == path);

  REQUIRE(notifier.Ready().ok());
  CHECK(listener.Receive() == std::optional<std::string>("READY=1"));
  REQUIRE(notifier.SetStatus("3 jobs, 2 downloads pending").ok());
  CHECK(listener.Receive() == std::optional<std::string>("STATUS=3 jobs, 2 downloads pending"));
  REQUIRE(notifier.Stopping().ok());
  CHECK(listener.Receive() == std::optional<std::string>("STOPPING=1"));
  REQUIRE(notifier.WatchdogPing().ok());
  CHECK(listener.Receive() == std::optional<std::string>("WATCHDOG=1"));
  REQUIRE(notifier.ExtendTimeout(std::chrono::seconds(5)).ok());
  CHECK(listener.Receive() == std::optional<std::string>("EXTEND_TIMEOUT_USEC=5000000"));
  REQUIRE(notifier.Send("FDSTORE=0\nCUSTOM=x").ok());
  CHECK(listener.Receive() == std::optional<std::string>("FDSTORE=0\nCUSTOM=x"));
  CHECK_FALSE(listener.Pending());
}

TEST_CASE("notify: STATUS is one line even when the text has line breaks") {
  const hdc::testing::TempDir dir;
  NotifyListener listener(dir / "notify.sock");
  const ServiceNotifier notifier(dir / "notify.sock");
  REQUIRE(notifier.SetStatus("ok\nREADY=1\r\nx").ok());
  CHECK(listener.Receive() == std::optional<std::string>("STATUS=ok READY=1  x"));
}

TEST_CASE("notify: RELOADING carries CLOCK_MONOTONIC in microseconds") {
  const hdc::testing::TempDir dir;
  NotifyListener listener(dir / "notify.sock");
  const ServiceNotifier notifier(dir / "notify.sock");
  const std::uint64_t before = MonotonicUsec();
  REQUIRE(notifier.Reloading().ok());
  const std::uint64_t after = MonotonicUsec();
  const auto got = listener.Receive();
  REQUIRE(got.has_value());
  const std::string prefix = "RELOADING=1\nMONOTONIC_USEC=";
  REQUIRE(got->rfind(prefix, 0) == 0);
  const std::string digits = got->substr(prefix.size());
  REQUIRE(!digits.empty());
  CHECK(digits.find_first_not_of("0123456789") == std::string::npos);
  const std::uint64_t usec = std::stoull(digits);
  CHECK(usec >= before);
  CHECK(usec <= after);
}

TEST_CASE("notify: an abstract NOTIFY_SOCKET starting with @ is reached") {
  const std::string name = UniqueAbstractName();
  NotifyListener listener(name);
  const ScopedEnv env("NOTIFY_SOCKET", name);
  const ServiceNotifier notifier = ServiceNotifier::FromEnvironment();
  REQUIRE(notifier.Ready().ok());
  CHECK(listener.Receive() == std::optional<std::string>("READY=1"));
  REQUIRE(notifier.WatchdogPing().ok());
  CHECK(listener.Receive() == std::optional<std::string>("WATCHDOG=1"));
}

TEST_CASE("notify: without NOTIFY_SOCKET every call is a no-op that succeeds") {
  const ScopedEnv env("NOTIFY_SOCKET", std::nullopt);
  const ServiceNotifier notifier = ServiceNotifier::FromEnvironment();
  CHECK_FALSE(notifier.enabled());
  CHECK(notifier.Ready().ok());
  CHECK(notifier.SetStatus("x").ok());
  CHECK(notifier.Reloading().ok());
  CHECK(notifier.Stopping().ok());
  CHECK(notifier.WatchdogPing().ok());
  CHECK(notifier.ExtendTimeout(microseconds(1)).ok());

  const ScopedEnv empty("NOTIFY_SOCKET", std::string());
  CHECK_FALSE(ServiceNotifier::FromEnvironment().enabled());
}

TEST_CASE("notify: a socket nobody listens on is an error naming it") {
  const hdc::testing::TempDir dir;
  const ServiceNotifier notifier(dir / "absent.sock");
  const util::Status status = notifier.Ready();
  REQUIRE_FALSE(status.ok());
  CHECK(status.kind() == ErrorKind::kUnavailable);
  CHECK(status.message().find(dir / "absent.sock") != std::string::npos);
}

TEST_CASE("notify: an address that is neither a path nor @name is refused") {
  for (const std::string bad : {"relative/notify.sock", "@", "vsock:2:1234"}) {
    CAPTURE(bad);
    const util::Status status = ServiceNotifier(bad).Ready();
    REQUIRE_FALSE(status.ok());
    CHECK(status.kind() == ErrorKind::kUnavailable);
  }
  CHECK_FALSE(ServiceNotifier("/" + std::string(200, 'x')).Ready().ok());
}

TEST_CASE("notify: the watchdog ping interval is half of WATCHDOG_USEC") {
  const ScopedEnv pid("WATCHDOG_PID", std::nullopt);
  {
    const ScopedEnv usec("WATCHDOG_USEC", std::nullopt);
    const auto interval = WatchdogPingInterval();
    REQUIRE(interval.ok());
    CHECK_FALSE(interval->has_value());
  }
  {
    const ScopedEnv usec("WATCHDOG_USEC", "60000000");
    const auto interval = WatchdogPingInterval();
    REQUIRE(interval.ok());
    CHECK(*interval == std::optional<microseconds>(std::chrono::seconds(30)));
  }
  {
    const ScopedEnv usec("WATCHDOG_USEC", "1");
    const auto interval = WatchdogPingInterval();
    REQUIRE(interval.ok());
    CHECK(*interval == std::optional<microseconds>(microseconds(1)));
  }
}

TEST_CASE("notify: WATCHDOG_PID decides whose watchdog it is") {
  const ScopedEnv usec("WATCHDOG_USEC", "10000000");
  {
    const ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid()));
    const auto interval = WatchdogPingInterval();
    REQUIRE(interval.ok());
    CHECK(*interval == std::optional<microseconds>(std::chrono::seconds(5)));
  }
  {
    // Our parent: a live process that is not us, as when a child inherits
    // the variables from the service's main process.
    const ScopedEnv pid("WATCHDOG_PID", std::to_string(::getppid()));
    const auto interval = WatchdogPingInterval();
    REQUIRE(interval.ok());
    CHECK_FALSE(interval->has_value());
  }
}

TEST_CASE("notify: a malformed WATCHDOG_USEC or WATCHDOG_PID is a config error") {
  {
    const ScopedEnv pid("WATCHDOG_PID", std::nullopt);
    for (const std::string bad : {"", "abc", "0", "-5", "10s", " 10", "99999999999999999999999"}) {
      CAPTURE(bad);
      const ScopedEnv usec("WATCHDOG_USEC", bad);
      const auto interval = WatchdogPingInterval();
      REQUIRE_FALSE(interval.ok());
      CHECK(interval.status().kind() == ErrorKind::kConfig);
      CHECK(interval.status().message().find("WATCHDOG_USEC") != std::string::npos);
    }
  }
  const ScopedEnv usec("WATCHDOG_USEC", "10000000");
  const ScopedEnv pid("WATCHDOG_PID", "self");
  const auto interval = WatchdogPingInterval();
  REQUIRE_FALSE(interval.ok());
  CHECK(interval.status().kind() == ErrorKind::kConfig);
  CHECK(interval.status().message().find("WATCHDOG_PID") != std::string::npos);
}

}  // namespace
}  // namespace hdc::platform
