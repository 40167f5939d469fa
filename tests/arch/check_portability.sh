#!/usr/bin/env bash
# Keeps operating-system code behind the platform seam, so the daemon stays
# portable to Windows (docs/architecture.md §Platform code: platform/ holds the
# OS-specific pieces, *_posix.cpp and *_windows.cpp chosen by CMake).
#
# In daemon/ (the emulator, benches and tests are Linux-only tools):
#   * POSIX-only headers and calls only in daemon/platform/*_posix.cpp and
#     daemon/service/signals_posix.cpp;
#   * Windows-only headers only in daemon/platform/*_windows.cpp and
#     daemon/service/*_windows.cpp.
# <csignal> is standard C++ and allowed anywhere; <signal.h> is not, since in
# C++ it is the spelling that brings sigaction, kill and sigset_t. Comments and
# string literals are ignored. Prints "file:line: ..." for each violation and
# exits 1 if there is one.
set -euo pipefail
root=${1:-$(dirname "$0")/../..}
cd "$root"

posix_headers='unistd\.h|fcntl\.h|sys/[^>]+|pthread\.h|signal\.h|dirent\.h|termios\.h|poll\.h'
posix_headers+='|netinet/[^>]+|arpa/[^>]+|dlfcn\.h|syslog\.h|pwd\.h|grp\.h'
posix_calls='fsync|fdatasync|sync_file_range|openat|sigwait|pthread_sigmask|getuid|geteuid'
posix_calls+='|kill|fork|umask|prctl'
windows_headers='windows\.h|winsvc\.h|shlobj\.h'

posix_ok() { [[ $1 == daemon/platform/*_posix.cpp || $1 == daemon/service/signals_posix.cpp ]]; }
windows_ok() { [[ $1 == daemon/platform/*_windows.cpp || $1 == daemon/service/*_windows.cpp ]]; }

# Prints "line:code" for each line of a C++ file, with comments removed and
# string and character literals emptied ("" and ''), so neither can match.
code_lines() {
  awk '
    BEGIN { in_block = 0 }
    {
      out = ""; in_str = 0; quote = ""; n = length($0)
      for (i = 1; i <= n; i++) {
        c = substr($0, i, 1); two = substr($0, i, 2)
        if (in_block) {
          if (two == "*/") { in_block = 0; i++ }
          continue
        }
        if (in_str) {
          if (c == "\\") { i++; continue }
          if (c == quote) { in_str = 0; out = out c }
          continue
        }
        if (two == "//") break
        if (two == "/*") { in_block = 1; i++; out = out " "; continue }
        if (c == "\"" || c == "'\''") { in_str = 1; quote = c }
        out = out c
      }
      print NR ":" out
    }' "$1"
}

failures=0
fail() { echo "$1: $2"; failures=$((failures + 1)); }

while IFS= read -r file; do
  code=$(code_lines "$file")
  if ! posix_ok "$file"; then
    while IFS=: read -r line text; do
      header=$(sed -E 's/.*<([^>]+)>.*/\1/' <<<"$text")
      fail "$file:$line" "POSIX-only header <$header> (belongs in platform/*_posix.cpp)"
    done < <(grep -E "^[0-9]+:[[:space:]]*#[[:space:]]*include[[:space:]]*<($posix_headers)>" \
               <<<"$code" || true)
    while IFS=: read -r line text; do
      call=$(grep -oE "(^|[^[:alnum:]_.>])(::)?($posix_calls)[[:space:]]*\(" <<<"$text" |
             head -n1 | sed -E 's/^[^[:alnum:]_]*//; s/[[:space:]]*\($//')
      fail "$file:$line" "POSIX-only call $call() (belongs in platform/*_posix.cpp)"
    done < <(grep -E "^[0-9]+:(.*[^[:alnum:]_.>])?(::)?($posix_calls)[[:space:]]*\(" \
               <<<"$code" || true)
  fi
  if ! windows_ok "$file"; then
    while IFS=: read -r line text; do
      header=$(sed -E 's/.*<([^>]+)>.*/\1/' <<<"$text")
      fail "$file:$line" "Windows-only header <$header> (belongs in platform/*_windows.cpp)"
    done < <(grep -iE "^[0-9]+:[[:space:]]*#[[:space:]]*include[[:space:]]*<($windows_headers)>" \
               <<<"$code" || true)
  fi
done < <(find daemon -type f \( -name '*.h' -o -name '*.hpp' -o -name '*.cpp' -o -name '*.cc' \) |
         sort)

if (( failures > 0 )); then
  echo "check_portability: $failures violation(s)"
  exit 1
fi
echo "check_portability: OS-specific code stays in platform/"
