#!/usr/bin/env bash
# The system calls hdc-reportd makes are allowed by its units'
# SystemCallFilter= (systemd/hdc-reportd.service): strace records a daemon
# run (start, reconcile, a callback-triggered poll and download of reports
# and cabs, /healthz and /metrics, SIGHUP, SIGTERM) and a --once run; every
# syscall seen must be in @system-service minus the unit's ~ lists, expanded
# with systemd-analyze syscall-filter. A call outside the set would be
# refused with EPERM under systemd (SystemCallErrorNumber=EPERM).
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"
for tool in strace systemd-analyze; do
  command -v $tool >/dev/null || { echo "FAIL $tool is not installed (make deps installs it)"; exit 1; }
done
if sanitizer_build; then
  # The sanitizer runtime makes its own calls (e.g. prlimit64, personality),
  # and LeakSanitizer aborts under ptrace: the filter is checked on the
  # production build only.
  echo "skip $bin is a sanitizer build: the filter is checked on the production build"
  exit 77
fi

# The allowed set: the unit's filter lines, groups expanded recursively.
expand() {  # expand NAME...: the syscalls of groups and names, one per line
  local name
  for name in "$@"; do
    if [[ $name == @* ]]; then
      expand $(systemd-analyze syscall-filter "$name" | sed -n '2,$p' | grep -v '^ *#' | tr -d ' ')
    else
      echo "$name"
    fi
  done
}
unit=$src/systemd/hdc-reportd.service
allow=$(grep '^SystemCallFilter=[^~]' "$unit" | sed 's/^SystemCallFilter=//' | tr ' ' '\n' | grep -v '^$')
deny=$(grep '^SystemCallFilter=~' "$unit" | sed 's/^SystemCallFilter=~//' | tr ' ' '\n' | grep -v '^$')
expand $allow | sort -u >"$tmp/allow"
expand $deny | sort -u >"$tmp/deny"
comm -23 "$tmp/allow" "$tmp/deny" >"$tmp/allowed"
check "the unit's filter expands to a syscall set ($(wc -l <"$tmp/allowed") calls)" test -s "$tmp/allowed"

e2e_world 7 "daily yes"
service_keys "$tmp/hdc.ini" "control_listen = 127.0.0.1:0" \
  "callback_url = https://hdc.example.com/hook" "retention_clock = downloaded"
export HDC_CLIENT_SECRET=$DEMO_SECRET
# As root, SQLite fchown()s its files to the database's owner (a call in
# @privileged): trace as an unprivileged user, as the unit runs it.
as_user=()
if [[ $(id -u) == 0 ]]; then
  as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
  chmod 755 "$tmp"
  mkdir -p "$tmp/state" "$tmp/out"
  chown 65534:65534 "$tmp/state" "$tmp/out"
else
  mkdir -p "$tmp/out"
fi

"${as_user[@]}" strace -f -qq -o "$tmp/out/daemon.trace" "$real_bin" --config "$tmp/hdc.ini" 2>"$tmp/daemon.err" &
pid=$!
trap 'kill $pid $EMU_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
wait_for "the schedule" grep -q "create schedule for job kernel" "$tmp/daemon.err"
daemon=$(pgrep -P $pid)  # signals go to the daemon, not to strace
addr=$(cat "$tmp/state/control-address")
emu_clock '{"advance":"51h"}'
curl -sf -X POST "http://$addr/callback/$(cat "$tmp/state/callback-token")" -d '{}' >/dev/null
db() { sqlite3 "$tmp/state/state.db" "$@" 2>/dev/null; }
fetched() { [[ $(db "SELECT count(*) FROM cabs WHERE state = 'fetched'") -gt 0 && $(db "SELECT count(*) FROM cabs WHERE state IN ('pending','fetching')") == 0 ]]; }
check "the traced daemon downloads reports and cabs" wait_for "cabs" fetched
curl -sf "http://$addr/healthz" >/dev/null
curl -sf "http://$addr/metrics" >/dev/null
kill -HUP $daemon
wait_for "reload" grep -q "configuration reloaded" "$tmp/daemon.err"
kill -TERM $daemon
wait $pid
check "the traced daemon exits 0 on SIGTERM" test $? = 0
emu_clock '{"advance":"24h"}'
"${as_user[@]}" strace -f -qq -o "$tmp/out/once.trace" "$real_bin" --once --config "$tmp/hdc.ini" 2>"$tmp/once.err"
check "the traced --once exits 0" test $? = 0

names() {  # the syscall names in an strace -f log
  sed -E 's/^[0-9]+ +//' "$1" | grep -vE '^(\+\+\+|---|<\.\.\.)' | sed -E 's/\(.*//' | grep -E '^[a-z0-9_]+$' | sort -u
}
names "$tmp/out/daemon.trace" >"$tmp/used.daemon"
names "$tmp/out/once.trace" >"$tmp/used.once"
for mode in daemon once; do
  outside=$(comm -23 "$tmp/used.$mode" "$tmp/allowed" | tr '\n' ' ')
  check "every syscall of the $mode run ($(wc -l <"$tmp/used.$mode")) is allowed by SystemCallFilter=${outside:+ (outside: $outside)}" \
    test -z "$outside"
done
finish
