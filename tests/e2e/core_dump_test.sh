#!/usr/bin/env bash
# No client secret in a core dump or in the environment block (S14 and S3 of
# docs/reliability.md §Security checklist): the real hdc-reportd (daemon and
# --once) and hdc-reportctl plan, against the real emulator, with
# `ulimit -c unlimited` in a scratch working directory:
#   * the process is not dumpable: /proc/PID/status is owned by root although
#     the process runs as an ordinary user (the kernel gives a non-dumpable
#     process's /proc/PID entries to root; this needs a non-root process, so
#     a root run drops to nobody with setpriv);
#   * its environment block no longer holds the secret (read as root only: a
#     non-dumpable process's /proc/PID/environ is closed to its own user);
#   * kill -SEGV leaves no core in its working directory, and the secret is
#     nowhere under that directory.
# The control runs the same checks against a process that did not forbid
# core dumps (sleep, started the same way with the same environment): it is
# dumpable, its environment shows the secret, and SIGSEGV leaves a core that
# holds the secret. The core checks need a core_pattern that writes a file
# in the working directory (a name without '/'); with a pipe (systemd-coredump,
# apport) or an absolute path they are skipped, and so is the whole test
# (exit 77) once everything else has passed. core_pattern is never changed.
set -uo pipefail
bin=$(realpath "$1")  # the processes start in their own working directories
src=$(realpath "$2")
build=$(dirname "$(dirname "$bin")")
ctl_bin="$(dirname "$bin")/hdc-reportctl"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$src/tests/e2e/lib.sh"

skipped=()
skip_part() { echo "skip $*"; skipped+=("$*"); }

# Who the processes run as: an ordinary user, so that /proc ownership tells.
as_user=()
if [[ $(id -u) == 0 ]]; then
  command -v setpriv >/dev/null || { echo "skipped: running as root and setpriv is missing"; exit 77; }
  as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
  chmod 755 "$tmp"
fi
run_uid=$("${as_user[@]}" id -u)

# Can a core land in the working directory?
pattern=$(cat /proc/sys/kernel/core_pattern)
cores=yes
if [[ $pattern == \|* ]]; then
  cores=no; skip_part "core files: core_pattern is a pipe ($pattern), not changed by this test"
elif [[ $pattern == */* ]]; then
  cores=no; skip_part "core files: core_pattern is a path outside the working directory ($pattern)"
elif ! (ulimit -c unlimited) 2>/dev/null; then
  cores=no; skip_part "core files: the hard core limit is $(ulimit -Hc), so ulimit -c unlimited fails"
fi

# spawn NAME COMMAND...: starts COMMAND as the run user, in $tmp/crash/NAME
# with ulimit -c unlimited, stderr to $tmp/NAME.err; sets PID.
spawn() {
  local dir=$tmp/crash/$1
  mkdir -p "$dir"
  chmod 777 "$dir"
  (cd "$dir" && { ulimit -c unlimited 2>/dev/null || true; } && exec "${as_user[@]}" "${@:2}") \
    2>"$tmp/$1.err" &
  PID=$!
}
# The entries in /proc/PID (not the folder itself) belong to the process's
# user while it is dumpable, and to root once it is not.
not_dumpable() {  # /proc/PID/status owned by root while the process is not root
  [[ $(stat -c %u "/proc/$1/status") == 0 && $(awk '/^Uid:/ { print $2 }' "/proc/$1/status") != 0 ]]
}
dumpable() { [[ $(stat -c %u "/proc/$1/status") == "$run_uid" ]]; }
environ_has_secret() { grep -qa -- "$HDC_CLIENT_SECRET" "/proc/$1/environ"; }
environ_lacks_secret() { [[ -r /proc/$1/environ ]] && ! environ_has_secret "$1"; }
# crash NAME: SIGSEGV to $PID, then reaps it; sets STATUS.
crash() {
  kill -SEGV "$PID"
  wait "$PID"
  STATUS=$?
}
# died_of_crash NAME: STATUS is SIGSEGV's 139; under make asan or make tsan
# the sanitizer's SIGSEGV handler reports the fault (on NAME's stderr, or
# "ThreadSanitizer:DEADLYSIGNAL" there and the report in its log file) and
# ends the process itself (status 1, 66, or 134 when it aborts), which is as
# much a crash.
died_of_crash() {
  [[ $STATUS == 139 ]] ||
    { [[ $STATUS != 0 ]] && grep -qE 'AddressSanitizer|Sanitizer:DEADLYSIGNAL' "$tmp/$1.err"; }
}
no_core() { [[ -z $(ls -A "$tmp/crash/$1") ]]; }
fails() { ! "$@"; }  # fails COMMAND...: for the controls, which must see the opposite
secret_absent() { ! grep -rqa -- "$HDC_CLIENT_SECRET" "$tmp/crash/$1" "$tmp/$1.err"; }

e2e_world 7 daily
mkdir -p "$tmp/state"
[[ -n ${as_user[*]} ]] && chown 65534:65534 "$tmp/state"
export HDC_CLIENT_SECRET=$DEMO_SECRET

# --- Control: a process that did not forbid core dumps.
spawn control sleep 600
# Until setpriv has exec'd sleep, the process is root's or mid-way (a change
# of user makes it non-dumpable until the next exec).
wait_for "sleep to start" grep -qx sleep "/proc/$PID/comm"
check "control: a process that did not forbid core dumps is dumpable (/proc/PID/status owned by uid $run_uid)" \
  wait_for "the control to be dumpable" dumpable "$PID"
check "control: the not-dumpable check fails on it" fails not_dumpable "$PID"
if [[ $(id -u) == 0 ]]; then
  check "control: its environment block shows the secret" environ_has_secret "$PID"
fi
crash control
check "control: it died of SIGSEGV ($STATUS)" test "$STATUS" = 139
if [[ $cores == yes ]]; then
  check "control: SIGSEGV left a core in its working directory ($(ls -A "$tmp/crash/control" | tr '\n' ' '))" \
    fails no_core control
  check "control: the secret is in that core" fails secret_absent control
fi

# --- The daemon, after it has read the secret and used a token.
spawn daemon "$real_bin" --config "$tmp/hdc.ini"
check "the daemon starts and creates its schedule" \
  wait_for "the schedule" grep -q "create schedule for job kernel" "$tmp/daemon.err"
check "the daemon is not dumpable (/proc/PID/status owned by root, the process uid $run_uid)" not_dumpable "$PID"
if [[ $(id -u) == 0 ]]; then
  check "the daemon's environment block no longer holds the secret" environ_lacks_secret "$PID"
else
  skip_part "the daemon's environment block: only root may read a non-dumpable process's /proc/PID/environ"
fi
check "the daemon warned once that the environment is the weakest source" \
  test "$(grep -c 'HDC_CLIENT_SECRET, the weakest source' "$tmp/daemon.err")" = 1
crash daemon
check "the daemon died of SIGSEGV ($STATUS)" died_of_crash daemon
[[ $cores == yes ]] && check "SIGSEGV left no core in the daemon's working directory" no_core daemon
check "the secret is nowhere under the daemon's working directory or in its log" secret_absent daemon

# --- --once and hdc-reportctl plan, held in their token request (latency).
emu_faults '[{"endpoint":"token","kind":"latency","ms":10000,"count":100}]'
connected() { [[ -n $(ss -Htn state established "( dport = :$EMU_PORT )") ]]; }
for mode in once plan; do
  if [[ $mode == once ]]; then
    spawn once "$real_bin" --once --config "$tmp/hdc.ini"
  else
    spawn plan "$ctl_bin" --config "$tmp/hdc.ini" plan
  fi
  check "$mode: reaches its token request (secret read)" wait_for "$mode's token request" connected
  check "$mode: not dumpable" not_dumpable "$PID"
  crash "$mode"
  check "$mode: died of SIGSEGV ($STATUS)" died_of_crash "$mode"
  [[ $cores == yes ]] && check "$mode: SIGSEGV left no core in its working directory" no_core "$mode"
  check "$mode: the secret is nowhere under its working directory or in its output" secret_absent "$mode"
  wait_for "the connection to close" fails connected >/dev/null
done

echo "$failures failed"
if ((failures > 0)); then exit 1; fi
if ((${#skipped[@]} > 0)); then
  printf 'skipped: %s\n' "${skipped[@]}"
  exit 77
fi
exit 0
