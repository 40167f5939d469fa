#!/usr/bin/env bash
# Proves check_portability.sh can fail, and fails only where it should: in a
# copy of the tree, planted POSIX and Windows code outside its platform files
# must be reported at exactly the planted lines, while the same code in the
# allowed files, in comments and in strings, and <csignal>, must not be.
# Compares against the copy's own report before planting, so it tests the
# checker whatever the state of the tree.
set -euo pipefail
root=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
check="$root/tests/arch/check_portability.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$root/daemon" "$tmp/daemon"
before=$(bash "$check" "$tmp" | grep -v '^check_portability:' || true)

# Violations.
cat >"$tmp/daemon/store/planted_bad.cpp" <<'EOF'
#include <csignal>
#include <unistd.h>
#include <sys/stat.h>
#  include <Windows.h>
void F(int fd) {
  ::fsync(fd);
  if (fork() == 0) kill(1, SIGTERM);
  const int x = 1; (void)x; umask(077);
}
EOF
cat >"$tmp/daemon/platform/planted_posix.cpp" <<'EOF'
#include <unistd.h>
#include <windows.h>
EOF
cat >"$tmp/daemon/platform/planted_windows.cpp" <<'EOF'
#include <windows.h>
#include <fcntl.h>
EOF
cat >"$tmp/daemon/platform/planted.h" <<'EOF'
#pragma once
#include <pthread.h>
EOF
# Allowed: the platform files, comments, strings, members and longer names.
cat >"$tmp/daemon/platform/planted_ok_posix.cpp" <<'EOF'
#include <unistd.h>
#include <sys/stat.h>
void G(int fd) { ::fsync(fd); ::umask(077); }
EOF
cat >"$tmp/daemon/service/signals_posix.cpp" <<'EOF'
#include <signal.h>
#include <pthread.h>
void H(sigset_t* s, int* sig) { pthread_sigmask(SIG_BLOCK, s, nullptr); sigwait(s, sig); }
EOF
cat >"$tmp/daemon/service/planted_windows.cpp" <<'EOF'
#include <windows.h>
#include <winsvc.h>
EOF
cat >"$tmp/daemon/util/planted_ok.cpp" <<'EOF'
#include <csignal>
// fsync(fd) is the platform's business; so is #include <unistd.h>
/* kill(pid, SIGTERM);
   fork(); */
const char* kMessage = "fsync() failed: kill(1) fork() <unistd.h>";
const char kQuote = '"'; int y = my_fsync(1) + process.kill() + ptr->fork() + Refork(2);
EOF

if out=$(bash "$check" "$tmp"); then
  echo "selftest: planted violations were not detected"; exit 1
fi
added=$(comm -13 <(sort <<<"$before") <(grep -v '^check_portability:' <<<"$out" | sort))
expected=$(sort <<'EOF'
daemon/store/planted_bad.cpp:2: POSIX-only header <unistd.h> (belongs in platform/*_posix.cpp)
daemon/store/planted_bad.cpp:3: POSIX-only header <sys/stat.h> (belongs in platform/*_posix.cpp)
daemon/store/planted_bad.cpp:4: Windows-only header <Windows.h> (belongs in platform/*_windows.cpp)
daemon/store/planted_bad.cpp:6: POSIX-only call fsync() (belongs in platform/*_posix.cpp)
daemon/store/planted_bad.cpp:7: POSIX-only call fork() (belongs in platform/*_posix.cpp)
daemon/store/planted_bad.cpp:8: POSIX-only call umask() (belongs in platform/*_posix.cpp)
daemon/platform/planted_posix.cpp:2: Windows-only header <windows.h> (belongs in platform/*_windows.cpp)
daemon/platform/planted_windows.cpp:2: POSIX-only header <fcntl.h> (belongs in platform/*_posix.cpp)
daemon/platform/planted.h:2: POSIX-only header <pthread.h> (belongs in platform/*_posix.cpp)
EOF
)
if [[ $added != "$expected" ]]; then
  echo "selftest: unexpected report"
  diff <(echo "$expected") <(echo "$added") || true
  exit 1
fi
echo "selftest: planted portability violations detected, allowed code passed"
