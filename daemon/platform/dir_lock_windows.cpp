// Windows implementation of the state-directory lock: the lock file opened
// without sharing, so a second open (any process, this one included) fails.
// Windows does not tell who holds a handle; the holder's pid is read from the
// file, written there by the holder.
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <string>

#include <windows.h>

#include "platform/dir_lock.h"
#include "util/state_files.h"

namespace hdc::platform {
namespace {

std::wstring Wide(const std::string& utf8) {
  const int n =
      ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
  std::wstring out(static_cast<size_t>(n), L'\0');
  ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), out.data(), n);
  return out;
}

class WindowsDirLock final : public DirLock {
 public:
  WindowsDirLock(HANDLE h, std::string dir) : h_(h), dir_(std::move(dir)) {}
  ~WindowsDirLock() override { ::CloseHandle(h_); }
  const std::string& directory() const override { return dir_; }

 private:
  HANDLE h_;
  std::string dir_;
};

std::string HolderOf(const std::string& lock_path) {
  HANDLE h = ::CreateFileW(Wide(lock_path).c_str(), GENERIC_READ,
                           FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                           OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) return "another process";
  char buf[32] = {0};
  DWORD n = 0;
  ::ReadFile(h, buf, sizeof buf - 1, &n, nullptr);
  ::CloseHandle(h);
  std::string pid(buf, n);
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == '\r')) pid.pop_back();
  if (pid == std::to_string(::GetCurrentProcessId())) return "this process (pid " + pid + ")";
  return pid.empty() ? "another process" : "process " + pid;
}

// "The system cannot find the path specified." for error 3.
std::string SystemText(DWORD err) {
  char buf[256] = {0};
  ::FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr, err, 0, buf,
                   sizeof buf, nullptr);
  std::string text = buf;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text.empty() ? "error " + std::to_string(err) : text;
}

}  // namespace

util::Result<std::unique_ptr<DirLock>> LockDirectory(const std::string& directory) {
  const std::string lock_path = util::state_files::PathOf(directory, util::state_files::kLock);
  // FILE_SHARE_READ lets others read the holder's pid, nothing more.
  HANDLE h = ::CreateFileW(Wide(lock_path).c_str(), GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ,
                           nullptr, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) {
    const DWORD err = ::GetLastError();
    if (err == ERROR_SHARING_VIOLATION) {
      return util::TemporaryError("state directory " + directory + " is in use by " +
                                  HolderOf(lock_path) + " (lock file " + lock_path + ")");
    }
    return util::TemporaryError("cannot open lock file " + lock_path + ": " + SystemText(err));
  }
  const std::string pid = std::to_string(::GetCurrentProcessId()) + "\n";
  DWORD written = 0;
  ::SetEndOfFile(h);
  ::WriteFile(h, pid.data(), static_cast<DWORD>(pid.size()), &written, nullptr);
  ::FlushFileBuffers(h);
  return std::unique_ptr<DirLock>(new WindowsDirLock(h, directory));
}

}  // namespace hdc::platform
