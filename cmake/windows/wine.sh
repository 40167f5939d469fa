#!/usr/bin/env bash
# Runs a Windows program under Wine, headless, in the project's own Wine
# prefix: CMake's CMAKE_CROSSCOMPILING_EMULATOR for the Windows tree (ctest
# and doctest's test discovery go through it) and the Windows tests' runner.
#
# The prefix is $HDC_WINEPREFIX, or ~/.cache/hdc-reportd/wineprefix; it is
# made once (wineboot -i, about 20 s) under a lock. The Wine server
# stays up 30 s after its last client, so a test suite pays its start once.
set -euo pipefail
export WINEPREFIX=${HDC_WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/hdc-reportd/wineprefix}
export WINEDEBUG=${WINEDEBUG:--all}
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}
unset DISPLAY WAYLAND_DISPLAY
# Every wine here runs without address-space randomization. Debian's wine64
# is a fixed-address program at 0x7d000000, and Wine maps its own area at
# 0x7ff00000-0x7fff0000 (the shared user data page at 0x7ffe0000). The
# kernel puts the heap (brk, about 0.5 MiB by then) at a random start up to
# 1 GiB above the program, so about once in 700 starts it lies across that
# area: the program never starts, exit 1 and no output ("failed to map the
# shared user data: c0000018" when err is logged). It failed CI twice.
# Without randomization the heap starts right after the program
# (0x7d005000), every time.
wine=(setarch "$(uname -m)" -R wine)
if [[ ! -f $WINEPREFIX/.hdc-ready ]]; then
  mkdir -p "$(dirname "$WINEPREFIX")"
  (
    flock 9
    if [[ ! -f $WINEPREFIX/.hdc-ready ]]; then
      "${wine[@]}" wineboot -i </dev/null >/dev/null 2>&1
      wineserver -w
      touch "$WINEPREFIX/.hdc-ready"
    fi
  ) 9>"$WINEPREFIX.lock"
fi
# Wine's own background processes (services.exe, winedevice.exe, ...) start
# with the first program of a server and inherit its standard streams; were
# those a pipe (ctest's, a $(...)), the pipe would stay open and its reader
# wait for ever. So a server is started here, with a first program whose
# streams are /dev/null, and kept 30 s past its last client.
server_dir=/tmp/.wine-$(id -u)/server-$(printf '%x-%x' "$(stat -c %d "$WINEPREFIX")" "$(stat -c %i "$WINEPREFIX")")
if [[ ! -S $server_dir/socket ]] || ! wineserver -k0 2>/dev/null; then
  wineserver -p30 </dev/null >/dev/null 2>&1 || true
  "${wine[@]}" cmd /c exit 0 </dev/null >/dev/null 2>&1 || true
fi
exec "${wine[@]}" "$@"
