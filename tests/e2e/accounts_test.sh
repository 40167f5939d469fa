#!/usr/bin/env bash
# [account NAME] sections as real processes against a real hdc-emulator:
# a job names its account, the state database records it, and
#   - hdc-reportctl status, executions, cabs and plan filter by --account,
#     an unknown one a usage error (64) listing the accounts;
#   - a job moved to another account is refused at start in one line (78),
#     by --once and by the daemon's reload alike; put back, it runs again
#     (the control: the refusal comes from the move, not from the setup);
#   - a configuration with more than one account is refused at start (78),
#     naming them: this version signs in to one account per daemon
#     (docs/operations.md §Several accounts);
#   - the secret appears in no log (canary).
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
ctl=$build/daemon/hdc-reportctl
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"

e2e_world 3 daily
# The demo client's secret is the canary: it must never reach a log.
export HDC_CLIENT_SECRET=$DEMO_SECRET

# write_accounts NAME...: $tmp/hdc.ini with one [account NAME] per NAME
# (all the emulator's demo client), and the job kernel in the first.
write_accounts() {
  write_config "$tmp/hdc.ini" "$tmp/state" "$tmp/jobs.d"
  sed -i "s/^\[account\]$/[account $1]/" "$tmp/hdc.ini"
  local extra
  for extra in "${@:2}"; do
    printf '[account %s]\ntenant_id = %s\nclient_id = %s\napi_url = %s\nlogin_url = %s\n' \
      "$extra" "$DEMO_TENANT" "$DEMO_CLIENT" "$EMU_URL" "$EMU_URL" >>"$tmp/hdc.ini"
  done
  kernel_job kernel "$t0" 02 >"$tmp/jobs.d/kernel.ini"
  sed -i "/^\[job kernel\]$/a account = $1" "$tmp/jobs.d/kernel.ini"
}

write_accounts vendor
run_once once1.log
check "--once with one named account exits 0" test "$rc" = 0
check "its template and schedule exist remotely" \
  grep -q '"schedules":1' <<<"$(curl -s "$EMU_URL/_emulator/state")"
emu_clock '{"advance":"27h"}'   # the runs of 02:00 on days 0 and 1 complete
run_once once2.log
check "a second --once ingests the runs" test "$rc" = 0

"$ctl" --json status --account vendor --config "$tmp/hdc.ini" >"$tmp/status.json" 2>"$tmp/ctl.err"
check "status --account vendor lists the job" grep -q '"name": *"kernel"' "$tmp/status.json"
"$ctl" executions --account vendor --config "$tmp/hdc.ini" >"$tmp/exec.txt" 2>>"$tmp/ctl.err"; rc=$?
check "executions --account vendor exits 0" test "$rc" = 0
check "... and lists the job's runs" grep -q kernel "$tmp/exec.txt"
"$ctl" cabs --account vendor --config "$tmp/hdc.ini" >/dev/null 2>>"$tmp/ctl.err"; rc=$?
check "cabs --account vendor exits 0" test "$rc" = 0
"$ctl" plan --account vendor --config "$tmp/hdc.ini" >"$tmp/plan.txt" 2>>"$tmp/ctl.err"; rc=$?
check "plan --account vendor is in sync (exit 0)" test "$rc" = 0
"$ctl" executions --account nobody --config "$tmp/hdc.ini" >/dev/null 2>"$tmp/unknown.err"; rc=$?
check "an unknown --account is a usage error (64)" test "$rc" = 64
check "... listing the accounts" grep -q "no account 'nobody'; the accounts are vendor" \
  "$tmp/unknown.err"
"$ctl" status --account nobody --config "$tmp/hdc.ini" >/dev/null 2>&1; rc=$?
check "status --account nobody exits 64" test "$rc" = 64

# The same job under another account: refused before any work.
write_accounts other
run_once moved.log
check "a job moved to another account is refused with 78" test "$rc" = 78
check "... in one line naming both accounts" \
  grep -q 'job "kernel" belongs to account "vendor" in the state database but the configuration names account "other"' \
  "$tmp/moved.log"
check "... once" test "$(grep -c 'belongs to account' "$tmp/moved.log")" = 1
check "the refused run created no second schedule" \
  grep -q '"schedules":1' <<<"$(curl -s "$EMU_URL/_emulator/state")"

# Control: the job put back under its account runs again.
write_accounts vendor
run_once back.log
check "control: put back under its account, --once exits 0" test "$rc" = 0

# The daemon: a reload that moves the job, or adds an account, is refused
# and the previous configuration keeps running.
start_notify_listener "$build"
NOTIFY_SOCKET=$tmp/notify.sock "$bin" --config "$tmp/hdc.ini" 2>"$tmp/daemon.log" &
pid=$!
trap 'kill $pid $NOTIFY_PIDS $EMU_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
reloaded() { test "$(grep -c 'READY=1' "$tmp/notify.log")" -ge $(($1 + 1)); }
wait_for "READY=1" reloaded 0
write_accounts other
kill -HUP $pid
check "the daemon answers the reload that moves the job" wait_for "a reload" reloaded 1
check "... refusing it in one line" \
  grep -q 'reload refused, still running the previous configuration: .*job "kernel" belongs to account "vendor"' \
  "$tmp/daemon.log"
write_accounts vendor oem
kill -HUP $pid
check "the daemon answers the reload that adds an account" wait_for "a reload" reloaded 2
check "... refusing it naming both" \
  grep -q 'reload refused, still running the previous configuration: .*2 accounts (oem, vendor)' \
  "$tmp/daemon.log"
check "the daemon still runs" kill -0 $pid
kill -TERM $pid
wait $pid
check "it stops with 0" test $? = 0

# Two accounts: refused at start, naming both.
write_accounts vendor oem
run_once two.log
check "two accounts are refused at start with 78" test "$rc" = 78
check "... naming them" grep -q "2 accounts (oem, vendor)" "$tmp/two.log"
"$ctl" plan --config "$tmp/hdc.ini" >/dev/null 2>"$tmp/plan2.err"; rc=$?
check "plan without --account refuses two accounts (78)" test "$rc" = 78
"$ctl" plan --account vendor --config "$tmp/hdc.ini" >/dev/null 2>>"$tmp/ctl.err"; rc=$?
check "plan --account vendor plans that account alone (in sync, 0)" test "$rc" = 0
"$ctl" --json status --account oem --config "$tmp/hdc.ini" >"$tmp/oem.json" 2>>"$tmp/ctl.err"
check "status --account oem leaves out vendor's job" bash -c '! grep -q "\"kernel\"" "$1"' _ "$tmp/oem.json"
check "control: status --account vendor shows it" bash -c \
  '"$1" --json status --account vendor --config "$2" | grep -q "\"kernel\""' _ "$ctl" "$tmp/hdc.ini"
"$ctl" executions --account oem --config "$tmp/hdc.ini" >"$tmp/oem.txt" 2>>"$tmp/ctl.err"
check "executions --account oem lists none of vendor's runs" bash -c '! grep -q kernel "$1"' _ "$tmp/oem.txt"

logs=("$tmp"/once1.log "$tmp"/once2.log "$tmp"/moved.log "$tmp"/back.log "$tmp"/two.log "$tmp"/daemon.log "$tmp"/*.err)
check "no log holds the secret" bash -c '! grep -qF -- "$1" "${@:2}"' _ "$DEMO_SECRET" "${logs[@]}"
check "control: the canary check finds a secret written to a log" \
  bash -c 'echo "x $1" >>"$2"; grep -qF -- "$1" "$2"' _ "$DEMO_SECRET" "$tmp/canary.log"
finish
