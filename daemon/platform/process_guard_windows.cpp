#include <string>

#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "platform/process_guard.h"

namespace hdc::platform {
namespace {

std::string ErrorText(DWORD code) { return "Windows error " + std::to_string(code); }

// WerAddExcludedApplication from wer.dll, looked up at run time so no import
// library is needed and a system without it still starts.
util::Status ExcludeFromErrorReporting() {
  wchar_t path[MAX_PATH];
  const DWORD length = ::GetModuleFileNameW(nullptr, path, MAX_PATH);
  if (length == 0 || length >= MAX_PATH) {
    return util::InternalError("GetModuleFileNameW: " + ErrorText(::GetLastError()));
  }
  const wchar_t* name = path;
  for (const wchar_t* p = path; *p != L'\0'; ++p) {
    if (*p == L'\\' || *p == L'/') name = p + 1;
  }
  HMODULE wer = ::LoadLibraryExW(L"wer.dll", nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32);
  if (wer == nullptr) return util::InternalError("wer.dll: " + ErrorText(::GetLastError()));
  using Exclude = HRESULT(WINAPI*)(PCWSTR, BOOL);
  const auto exclude = reinterpret_cast<Exclude>(
      reinterpret_cast<void*>(::GetProcAddress(wer, "WerAddExcludedApplication")));
  util::Status status = util::Status::Ok();
  if (exclude == nullptr) {
    status = util::InternalError("WerAddExcludedApplication: " + ErrorText(::GetLastError()));
  } else if (const HRESULT hr = exclude(name, FALSE); FAILED(hr)) {
    status = util::InternalError("WerAddExcludedApplication: HRESULT " +
                                 std::to_string(static_cast<unsigned long>(hr)));
  }
  ::FreeLibrary(wer);
  return status;
}

}  // namespace

util::Status ForbidCoreDumps() {
  // Adds to the mode set so far (SetErrorMode replaces it).
  const UINT wanted = SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX;
  ::SetErrorMode(::GetErrorMode() | wanted);
  if ((::GetErrorMode() & wanted) != wanted) {
    return util::InternalError("cannot forbid crash dumps: SetErrorMode did not take");
  }
  if (util::Status excluded = ExcludeFromErrorReporting(); !excluded.ok()) {
    return util::InternalError("cannot forbid crash dumps: " + excluded.message());
  }
  return util::Status::Ok();
}

util::Status RemoveEnvironmentVariable(std::string_view name) {
  const std::string key(name);
  // getenv returns the C runtime's own string, not a copy.
  if (char* value = ::getenv(key.c_str())) SecureZeroMemory(value, strlen(value));
  if (_putenv_s(key.c_str(), "") != 0) {
    return util::InternalError("cannot remove " + key + " from the environment");
  }
  if (!::SetEnvironmentVariableA(key.c_str(), nullptr) &&
      ::GetLastError() != ERROR_ENVVAR_NOT_FOUND) {
    return util::InternalError("cannot remove " + key +
                               " from the environment: " + ErrorText(::GetLastError()));
  }
  return util::Status::Ok();
}

}  // namespace hdc::platform
