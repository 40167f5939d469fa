// Windows: the Service Control Manager's failure actions, the Application
// event log, the ProgramData known folder and the LocalSystem check. Win32
// only (no Poco), compiled on Linux by tests/arch/windows_compile_check.sh.
// Links with advapi32 (SCM, event log, tokens), shell32 (known folders),
// ole32 (CoTaskMemFree) and uuid (FOLDERID_ProgramData).
#include <cstddef>
#include <string>
#include <string_view>

#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
// After windows.h, which they need.
#include <knownfolders.h>
#include <shlobj.h>

#include "platform/service_host.h"

namespace hdc::platform {
namespace {

std::wstring Wide(std::string_view utf8) {
  if (utf8.empty()) return std::wstring();
  const int n =
      ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
  if (n <= 0) return std::wstring();
  std::wstring out(static_cast<std::size_t>(n), L'\0');
  ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), out.data(), n);
  return out;
}

std::string Narrow(const wchar_t* wide) {
  const int n = ::WideCharToMultiByte(CP_UTF8, 0, wide, -1, nullptr, 0, nullptr, nullptr);
  if (n <= 1) return std::string();
  std::string out(static_cast<std::size_t>(n), '\0');
  ::WideCharToMultiByte(CP_UTF8, 0, wide, -1, out.data(), n, nullptr, nullptr);
  out.resize(static_cast<std::size_t>(n - 1));  // drop the terminating NUL
  return out;
}

// "error 5 (Access is denied.)": the code and the system's text for it.
std::string ErrorText(DWORD code) {
  wchar_t* text = nullptr;
  const DWORD n = ::FormatMessageW(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
      nullptr, code, 0, reinterpret_cast<wchar_t*>(&text), 0, nullptr);
  std::string message = n > 0 && text != nullptr ? Narrow(text) : std::string();
  ::LocalFree(text);
  while (!message.empty() &&
         (message.back() == '\n' || message.back() == '\r' || message.back() == ' ')) {
    message.pop_back();
  }
  std::string out = "error " + std::to_string(code);
  if (!message.empty()) out += " (" + message + ")";
  return out;
}

// Closes a service or SCM handle at the end of a scope.
class ScopedServiceHandle {
 public:
  explicit ScopedServiceHandle(SC_HANDLE h) : h_(h) {}
  ~ScopedServiceHandle() {
    if (h_ != nullptr) ::CloseServiceHandle(h_);
  }
  ScopedServiceHandle(const ScopedServiceHandle&) = delete;
  ScopedServiceHandle& operator=(const ScopedServiceHandle&) = delete;
  SC_HANDLE get() const { return h_; }

 private:
  SC_HANDLE h_;
};

util::Status ScmError(const std::string& service_name, const std::string& what, DWORD code) {
  const util::ErrorKind kind =
      code == ERROR_ACCESS_DENIED ? util::ErrorKind::kAuth : util::ErrorKind::kUnavailable;
  return util::Status::Error(kind,
                             "service " + service_name + ": " + what + ": " + ErrorText(code));
}

}  // namespace

util::Status SetServiceRecoveryActions(const std::string& service_name) {
  const ScopedServiceHandle scm(::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
  if (scm.get() == nullptr) {
    return ScmError(service_name, "cannot open the service control manager", ::GetLastError());
  }
  // SC_ACTION_RESTART requires SERVICE_START on the handle as well.
  const ScopedServiceHandle service(
      ::OpenServiceW(scm.get(), Wide(service_name).c_str(), SERVICE_CHANGE_CONFIG | SERVICE_START));
  if (service.get() == nullptr) {
    return ScmError(service_name, "cannot open the service", ::GetLastError());
  }

  SC_ACTION actions[3] = {
      {SC_ACTION_RESTART, 60 * 1000},      // first failure: restart after 1 minute
      {SC_ACTION_RESTART, 5 * 60 * 1000},  // second: restart after 5 minutes
      {SC_ACTION_NONE, 0},                 // then stay stopped
  };
  SERVICE_FAILURE_ACTIONSW failure_actions{};
  failure_actions.dwResetPeriod = 24 * 60 * 60;  // seconds without failure that reset the count
  failure_actions.lpRebootMsg = nullptr;         // unchanged
  failure_actions.lpCommand = nullptr;           // unchanged
  failure_actions.cActions = 3;
  failure_actions.lpsaActions = actions;
  if (!::ChangeServiceConfig2W(service.get(), SERVICE_CONFIG_FAILURE_ACTIONS, &failure_actions)) {
    return ScmError(service_name, "cannot set the failure actions", ::GetLastError());
  }

  // Without this flag only a crash (the process ending without reporting
  // SERVICE_STOPPED) triggers the actions; with it, so does a stop with a
  // non-zero exit code, which is how a failed start-up ends.
  SERVICE_FAILURE_ACTIONS_FLAG flag{};
  flag.fFailureActionsOnNonCrashFailures = TRUE;
  if (!::ChangeServiceConfig2W(service.get(), SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &flag)) {
    return ScmError(service_name, "cannot set the failure actions flag", ::GetLastError());
  }
  return util::Status::Ok();
}

void ReportToEventLog(EventLevel level, std::string_view message) noexcept {
  try {
    // ReportEventW takes at most 31,839 characters per string.
    constexpr std::size_t kMaxChars = 31000;
    std::wstring text = Wide(message);
    if (text.size() > kMaxChars) text.resize(kMaxChars);
    WORD type = EVENTLOG_INFORMATION_TYPE;
    if (level == EventLevel::kWarning) type = EVENTLOG_WARNING_TYPE;
    if (level == EventLevel::kError) type = EVENTLOG_ERROR_TYPE;

    HANDLE source = ::RegisterEventSourceW(nullptr, L"hdc-reportd");
    if (source == nullptr) return;
    const wchar_t* strings[1] = {text.c_str()};
    ::ReportEventW(source, type, /*wCategory=*/0, /*dwEventID=*/0, /*lpUserSid=*/nullptr,
                   /*wNumStrings=*/1, /*dwDataSize=*/0, strings, /*lpRawData=*/nullptr);
    ::DeregisterEventSource(source);
  } catch (...) {
    // Out of memory while converting: the event is lost, the caller goes on.
  }
}

std::string ProgramDataDir() {
  std::string base;
  wchar_t* known = nullptr;
  if (SUCCEEDED(::SHGetKnownFolderPath(FOLDERID_ProgramData, 0, nullptr, &known)) &&
      known != nullptr) {
    base = Narrow(known);
  }
  ::CoTaskMemFree(known);  // required even when the call failed
  if (base.empty()) {
    wchar_t env[MAX_PATH + 1];
    const DWORD n = ::GetEnvironmentVariableW(L"ProgramData", env, MAX_PATH + 1);
    if (n > 0 && n <= MAX_PATH) base = Narrow(env);
  }
  if (base.empty()) base = "C:\\ProgramData";
  return base + "\\hdc-reportd";
}

bool IsRunningAsRoot() {
  BYTE sid[SECURITY_MAX_SID_SIZE];
  DWORD size = sizeof sid;
  if (!::CreateWellKnownSid(WinLocalSystemSid, nullptr, sid, &size)) return false;
  BOOL member = FALSE;
  // A null token: the thread's impersonation token, else the process token.
  if (!::CheckTokenMembership(nullptr, sid, &member)) return false;
  return member != FALSE;
}

}  // namespace hdc::platform
