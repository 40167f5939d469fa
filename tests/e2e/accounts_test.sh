#!/usr/bin/env bash
# [account NAME] sections as real processes against a real hdc-emulator:
# a job names its account, the state database records it, and
#   - hdc-reportctl status, executions, cabs and plan filter by --account,
#     an unknown one a usage error (64) listing the accounts;
#   - a job moved to another account is refused at start in one line (78),
#     by --once and by the daemon's reload alike; put back, it runs again
#     (the control: the refusal comes from the move, not from the setup);
#   - a reload that adds an account is refused (a restart connects it);
#   - two accounts in two tenants, each with its own client and secret file:
#     one --once ingests both accounts' jobs; with one account's client
#     revoked, the other's job still ingests and the run exits 77 naming
#     the refused account; the daemon's /healthz and /metrics name it while
#     the other account's job polls; SIGHUP re-reads the rotated secret of
#     that account alone, and it resumes without a restart; plan lists each
#     account;
#   - no secret appears in any log (canaries).
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
check "... refusing it naming the accounts before and after" \
  grep -q 'reload refused, still running the previous configuration: .*the accounts changed (vendor -> oem, vendor); adding or removing an account takes a restart' \
  "$tmp/daemon.log"
check "the daemon still runs" kill -0 $pid
kill -TERM $pid
wait $pid
check "it stops with 0" test $? = 0

# Two accounts in two tenants: vendor (the demo client) and oem (a client
# registered now), each with its own secret file.
OEM_TENANT=tenant-oem OEM_CLIENT=client-oem OEM_SECRET=oem-canary-5c1f0e
curl -sf -X POST "$EMU_URL/_emulator/clients" \
  -d "{\"tenant\":\"$OEM_TENANT\",\"client_id\":\"$OEM_CLIENT\",\"secret\":\"$OEM_SECRET\"}" >/dev/null
printf '%s\n' "$DEMO_SECRET" >"$tmp/vendor.secret"
printf '%s\n' "$OEM_SECRET" >"$tmp/oem.secret"
chmod 600 "$tmp/vendor.secret" "$tmp/oem.secret"
write_two_accounts() {
  write_accounts vendor
  sed -i "/^\[account vendor\]$/a client_secret_file = $tmp/vendor.secret" "$tmp/hdc.ini"
  printf '[account oem]\ntenant_id = %s\nclient_id = %s\nclient_secret_file = %s\napi_url = %s\nlogin_url = %s\n' \
    "$OEM_TENANT" "$OEM_CLIENT" "$tmp/oem.secret" "$EMU_URL" "$EMU_URL" >>"$tmp/hdc.ini"
  kernel_job kernel-oem "$t0" 03 >"$tmp/jobs.d/oem.ini"
  sed -i "/^\[job kernel-oem\]$/a account = oem" "$tmp/jobs.d/oem.ini"
}
write_two_accounts
unset HDC_CLIENT_SECRET  # with several accounts, each names its own file
"$bin" --check-config --config "$tmp/hdc.ini" >/dev/null 2>"$tmp/check.log"; rc=$?
check "--check-config reads both accounts' credentials (exit 0)" test "$rc" = 0
check "... naming each" grep -q "account oem: client secret from file $tmp/oem.secret; account vendor: client secret from file $tmp/vendor.secret" "$tmp/check.log"
sed -i '/^client_secret_file = .*oem.secret$/d' "$tmp/hdc.ini"
"$bin" --check-config --config "$tmp/hdc.ini" >/dev/null 2>"$tmp/check2.log"; rc=$?
check "an account without a credential file is refused when there are several (78)" test "$rc" = 78
check "... naming it" grep -q "\[account oem\] names no credential file" "$tmp/check2.log"
write_two_accounts
executions_of() {  # executions_of JOB: how many runs of JOB are recorded
  "$ctl" --json executions --job "$1" --limit 0 --config "$tmp/hdc.ini" 2>>"$tmp/ctl.err" |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)["executions"]))'
}
run_once two.log
check "--once with two accounts exits 0" test "$rc" = 0
state=$(curl -s "$EMU_URL/_emulator/state")
check "each account's schedule lives in its own tenant" \
  bash -c 'grep -q "\"tenant\": *\"$2\"" <<<"$1" && grep -q "\"tenant\": *\"$3\"" <<<"$1"' \
  _ "$state" "$OEM_TENANT" "$DEMO_TENANT"
check "... two schedules in all (vendor's kernel, oem's kernel-oem)" grep -q '"schedules":2' <<<"$state"
"$ctl" plan --config "$tmp/hdc.ini" >"$tmp/plan2.txt" 2>>"$tmp/ctl.err"; rc=$?
check "plan without --account plans each account (in sync, 0)" test "$rc" = 0
check "... one block per account" bash -c \
  'grep -q "^plan (account oem): 1 job, 0 remote changes" "$1" && grep -q "^plan (account vendor): 1 job, 0 remote changes" "$1"' \
  _ "$tmp/plan2.txt"
emu_clock '{"advance":"25h"}'
run_once two2.log
check "a second --once ingests both accounts' runs" test "$rc" = 0
oem_before=$(executions_of kernel-oem)
vendor_before=$(executions_of kernel)
check "... oem's job has runs" test "$oem_before" -ge 1

# oem's client revoked: vendor's job goes on, the run says who was refused.
curl -sf -X POST "$EMU_URL/_emulator/clients/$OEM_CLIENT/revoke" >/dev/null
emu_clock '{"advance":"24h"}'
run_once revoked.log
check "with oem's client revoked, --once exits 77" test "$rc" = 77
check "... naming the account in its last line" \
  bash -c 'tail -n1 "$1" | grep -q "account oem: "' _ "$tmp/revoked.log"
vendor_after=$(executions_of kernel)
oem_after=$(executions_of kernel-oem)
check "vendor's job still ingested the new run ($vendor_before -> $vendor_after runs)" \
  test "$vendor_after" -gt "$vendor_before"
check "oem's job recorded nothing new ($oem_before -> $oem_after runs)" test "$oem_after" = "$oem_before"

# The daemon with oem refused: /healthz names oem, vendor's job stays healthy.
service_keys "$tmp/hdc.ini" "control_listen = 127.0.0.1:0"
start_daemon "$tmp/hdc.ini" "$tmp/state" "$tmp/daemon2.log"
refused() { curl -s "http://$addr/healthz" | grep -q "authentication refused for account oem"; }
check "/healthz names the refused account" wait_for "oem refused" refused
vendor_polled() {
  curl -s "http://$addr/healthz?format=json" >"$tmp/health.json"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not any(j["name"]=="kernel" and j["last_success"] for j in d["jobs"]))' "$tmp/health.json"
}
check "vendor's job polls successfully meanwhile" wait_for "vendor's poll" vendor_polled
check "... and JSON shows vendor's job healthy, under its account" \
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); j=[x for x in d["jobs"] if x["name"]=="kernel"][0]; sys.exit(not (j["healthy"] and j["account"]=="vendor"))' "$tmp/health.json"
check "... and the accounts list oem refused, vendor ok" \
  python3 -c 'import json,sys; d={a["name"]:a["auth"] for a in json.load(open(sys.argv[1]))["accounts"]}; sys.exit(d!={"oem":"refused","vendor":"ok"})' "$tmp/health.json"
curl -s "http://$addr/metrics" >"$tmp/metrics.txt"
check "authentication_ok is 0 for oem" grep -q '^hdc_reportd_authentication_ok{account="oem"} 0' "$tmp/metrics.txt"
check "... and 1 for vendor (control)" grep -q '^hdc_reportd_authentication_ok{account="vendor"} 1' "$tmp/metrics.txt"
check "the log says oem's jobs are paused, once" \
  test "$(grep -c 'account oem: authentication refused, remote work paused for its 1 job(s)' "$tmp/daemon2.log")" = 1

# oem's secret rotated (the new one registered, the old client restored
# with it): SIGHUP re-reads oem's file, a callback lets oem try at once.
OEM_SECRET2=oem-canary-rotated-77d2
curl -sf -X POST "$EMU_URL/_emulator/clients" \
  -d "{\"tenant\":\"$OEM_TENANT\",\"client_id\":\"$OEM_CLIENT\",\"secret\":\"$OEM_SECRET2\"}" >/dev/null
printf '%s\n' "$OEM_SECRET2" >"$tmp/oem.secret"
kill -HUP $pid
check "SIGHUP re-reads oem's rotated secret, saying so for oem alone" \
  wait_for "the re-read" grep -q 'reload: account oem: signing in with the client secret from' "$tmp/daemon2.log"
check "... and not for vendor, whose file did not change" \
  bash -c '! grep -q "reload: account vendor: signing in" "$1"' _ "$tmp/daemon2.log"
curl -sf -X POST "http://$addr/callback/$(cat "$tmp/state/callback-token")" -d '{}' >/dev/null
check "after a callback oem signs in again, without a restart" \
  wait_for "oem resumed" grep -q 'account oem: authentication works again, remote work resumed' "$tmp/daemon2.log"
healthy() { test "$(curl -s -o /dev/null -w '%{http_code}' "http://$addr/healthz")" = 200; }
check "/healthz is 200 again" wait_for "healthy" healthy
kill -TERM $pid
wait $pid
check "it stops with 0" test $? = 0

logs=("$tmp"/*.log "$tmp"/*.err)
check "no log holds vendor's secret" bash -c '! grep -qF -- "$1" "${@:2}"' _ "$DEMO_SECRET" "${logs[@]}"
check "no log holds oem's secret" bash -c '! grep -qF -- "$1" "${@:2}"' _ "$OEM_SECRET" "${logs[@]}"
check "no log holds oem's rotated secret" bash -c '! grep -qF -- "$1" "${@:2}"' _ "$OEM_SECRET2" "${logs[@]}"
check "control: the canary check finds a secret written to a log" \
  bash -c 'echo "x $1" >>"$2"; grep -qF -- "$1" "$2"' _ "$DEMO_SECRET" "$tmp/canary.log"
finish
