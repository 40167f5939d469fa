#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "platform/notify.h"

namespace hdc::platform {
namespace {

using util::ErrorKind;
using util::Result;
using util::Status;

Status SocketError(const std::string& socket, const std::string& what) {
  return Status::Error(ErrorKind::kUnavailable, "notify socket " + socket + ": " + what);
}

// A whole positive decimal number, nothing before or after it.
std::optional<std::uint64_t> ParsePositive(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value == 0) {
    return std::nullopt;
  }
  return value;
}

// Closes a file descriptor at the end of a scope.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

ServiceNotifier ServiceNotifier::FromEnvironment() {
  const char* value = std::getenv("NOTIFY_SOCKET");
  return ServiceNotifier(value == nullptr ? std::string() : std::string(value));
}

Status ServiceNotifier::Send(std::string_view state) const {
  if (!enabled()) return Status::Ok();

  // "/path" is a file-system socket, "@name" an abstract one (a leading NUL
  // byte in sun_path, and no terminating NUL counted in the length).
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  socklen_t addr_len = 0;
  if (socket_.front() == '/') {
    if (socket_.size() >= sizeof(addr.sun_path)) return SocketError(socket_, "path too long");
    std::memcpy(addr.sun_path, socket_.data(), socket_.size());
    addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size() + 1);
  } else if (socket_.front() == '@' && socket_.size() > 1) {
    if (socket_.size() > sizeof(addr.sun_path)) return SocketError(socket_, "name too long");
    addr.sun_path[0] = '\0';
    std::memcpy(addr.sun_path + 1, socket_.data() + 1, socket_.size() - 1);
    addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size());
  } else {
    return SocketError(socket_, "not an absolute path or an abstract name starting with '@'");
  }

  const ScopedFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return SocketError(socket_, std::string("socket: ") + std::strerror(errno));
  ssize_t sent;
  do {
    sent = ::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
                    reinterpret_cast<const sockaddr*>(&addr), addr_len);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return SocketError(socket_, std::string("sendto: ") + std::strerror(errno));
  if (static_cast<std::size_t>(sent) != state.size()) {
    return SocketError(socket_, "short datagram (" + std::to_string(sent) + " of " +
                                    std::to_string(state.size()) + " bytes)");
  }
  return Status::Ok();
}

Status ServiceNotifier::SetStatus(std::string_view line) const {
  std::string message = "STATUS=";
  for (const char c : line) message += (c == '\n' || c == '\r') ? ' ' : c;
  return Send(message);
}

Status ServiceNotifier::Reloading() const {
  if (!enabled()) return Status::Ok();
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const std::uint64_t usec = static_cast<std::uint64_t>(now.tv_sec) * 1000000u +
                             static_cast<std::uint64_t>(now.tv_nsec) / 1000u;
  return Send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

Status ServiceNotifier::ExtendTimeout(std::chrono::microseconds extra) const {
  return Send("EXTEND_TIMEOUT_USEC=" + std::to_string(extra.count()));
}

Result<std::optional<std::chrono::microseconds>> WatchdogPingInterval() {
  const char* usec_text = std::getenv("WATCHDOG_USEC");
  if (usec_text == nullptr) return std::optional<std::chrono::microseconds>();
  const auto usec = ParsePositive(usec_text);
  if (!usec) {
    return util::ConfigError(std::string("WATCHDOG_USEC=") + usec_text +
                             " is not a positive number of microseconds; no watchdog pings");
  }
  if (const char* pid_text = std::getenv("WATCHDOG_PID"); pid_text != nullptr) {
    const auto pid = ParsePositive(pid_text);
    if (!pid) {
      return util::ConfigError(std::string("WATCHDOG_PID=") + pid_text +
                               " is not a process id; no watchdog pings");
    }
    // Set for another process (we inherited it): not our watchdog.
    if (*pid != static_cast<std::uint64_t>(::getpid())) {
      return std::optional<std::chrono::microseconds>();
    }
  }
  const std::uint64_t half = *usec / 2 == 0 ? 1 : *usec / 2;
  return std::optional<std::chrono::microseconds>(std::chrono::microseconds(half));
}

}  // namespace hdc::platform
