#!/usr/bin/env bash
# make test-windows: the Windows tree's CTest suite under Wine (unit and
# emulator tests a CTest entry per test file, tests/windows/doctest_by_file.py;
# integration tests one per case; the end-to-end scripts of tests/windows/),
# after a summary of what the Linux suite covers that cannot run here, with
# the reason.
# Usage: run_suite.sh WIN_BUILD NATIVE_BUILD
set -euo pipefail
win_build=$1
native_build=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
[[ -x $native_build/emulator/hdc-emulator ]] ||
  { echo "test-windows: $native_build/emulator/hdc-emulator is missing (make build)"; exit 1; }

cat <<'TXT'
test-windows: Linux-only parts of the suite, not run under Wine:
  e2e.* (tests/e2e)        POSIX signals, sd_notify, systemd units, strace: the Windows
                           equivalents are windows.once_test and windows.service_test
  arch.*                   source checks; they do not depend on the target
  emulator.*_test.sh       the emulator is a test tool; the Windows tests use the
                           native one, its contract tests run under Wine here
  package.*                .deb/.rpm and man pages; windows.package_test covers the MSI
TXT
cd "$win_build"
# The Wine server is shared by every test; one start for the whole suite.
"$src/cmake/windows/wine.sh" cmd /c exit 0 >/dev/null 2>&1 || true
# Every Wine program of the suite, those the scripts start with `wine`
# directly too, without address-space randomization (cmake/windows/wine.sh
# says why); the setting passes to every child process.
setarch "$(uname -m)" -R ctest --output-on-failure -j "${JOBS:-$(nproc)}" --timeout 300
