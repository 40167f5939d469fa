#!/usr/bin/env bash
# Compiles the Windows halves of the platform seam (and the portable modules
# they sit on) with MinGW-w64 in seconds, inside the Linux suite. The full
# Windows build and its test run under Wine are `make test-windows`.
set -euo pipefail
root=${1:-$(dirname "$0")/../..}
cxx=x86_64-w64-mingw32-g++-posix
if ! command -v "$cxx" >/dev/null; then
  echo "windows_compile_check: $cxx not found (make deps installs g++-mingw-w64-x86-64-posix)"
  exit 1
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
x86_64-w64-mingw32-windmc -h "$out" -r "$out" "$root/daemon/platform/event_messages.mc"
for f in daemon/platform/filesystem_windows.cpp daemon/platform/dir_lock_windows.cpp \
         daemon/platform/terminal_windows.cpp daemon/platform/notify_windows.cpp \
         daemon/platform/service_host_windows.cpp daemon/platform/process_guard_windows.cpp \
         daemon/platform/thread_name_windows.cpp \
         daemon/service/windows_service.cpp \
         daemon/util/rate_limiter.cpp \
         daemon/util/result.cpp daemon/util/time_format.cpp daemon/util/url.cpp \
         daemon/util/redact.cpp daemon/util/clock.cpp daemon/util/strings.cpp daemon/config/ini_parser.cpp \
         daemon/config/columns.cpp daemon/config/filter_expr.cpp; do
  "$cxx" -std=c++20 -Wall -Wextra -Werror -I "$root/daemon" -I "$out" -fsyntax-only "$root/$f"
  echo "compiled for Windows: $f"
done
