#include <string>

#include <windows.h>

#include "platform/thread_name.h"

namespace hdc::platform {

void NameThisThread(std::string_view name) {
  using SetThreadDescriptionFn = HRESULT(WINAPI*)(HANDLE, PCWSTR);
  static const auto set_description = [] {
    const HMODULE kernel32 = ::GetModuleHandleW(L"kernel32.dll");
    return kernel32 == nullptr ? nullptr
                               : reinterpret_cast<SetThreadDescriptionFn>(reinterpret_cast<void*>(
                                     ::GetProcAddress(kernel32, "SetThreadDescription")));
  }();
  if (set_description == nullptr) return;
  // The names are ASCII: widen byte by byte.
  const std::wstring wide(name.begin(), name.end());
  (void)set_description(::GetCurrentThread(), wide.c_str());
}

}  // namespace hdc::platform
