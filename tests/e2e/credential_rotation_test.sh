#!/usr/bin/env bash
# Rotating the client secret under a running hdc-reportd
# (docs/operations.md §Rotating credentials), a real daemon against an
# hdc-emulator process:
#   - after a refusal: the operator writes the new secret to
#     client_secret_file and the platform drops the old one; when the token
#     in hand runs out, the refused sign-in makes the daemon re-read the file
#     and sign in with the new secret in the same attempt, with one log line
#     naming the credential, and without pausing remote work;
#   - on SIGHUP: the file is re-read and the new secret used from the next
#     token on (one line); an unchanged file says nothing; a removed file
#     keeps the secret in use, with one line saying so;
#   - neither secret ever reaches the log.
# Controls: the emulator refuses each old secret (so the rotation is real),
# and a daemon started without a reload path would have paused (the auth
# pause line, absent here, is what e2e.daemon_test checks it prints).
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"
t0=$(date -u -d '-7 days' +%Y-%m-%d)

start_emulator "$build/emulator/hdc-emulator" --clock manual --start "${t0}T00:00:00Z"
mkdir -p "$tmp/jobs.d"
kernel_job kernel "$t0" 02 yes >"$tmp/jobs.d/kernel.ini"
write_config "$tmp/hdc.ini" "$tmp/state" "$tmp/jobs.d"
secret_file=$tmp/client-secret
printf '%s\n' "$DEMO_SECRET" >"$secret_file"
chmod 600 "$secret_file"
sed -i "s|^\[account\]$|[account]\nclient_secret_file = $secret_file|" "$tmp/hdc.ini"
service_keys "$tmp/hdc.ini" "control_listen = 127.0.0.1:0" "callback_url = https://hdc.example.com/hook"

# The notification socket: READY=1 after each reload is the point where it is done.
start_notify_listener "$build"
NOTIFY_SOCKET=$tmp/notify.sock "$bin" --config "$tmp/hdc.ini" 2>"$tmp/daemon.err" &
pid=$!
trap 'kill $pid $NOTIFY_PIDS $EMU_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
# reloaded N: the daemon has answered N SIGHUPs (N + 1 READY=1 lines).
reloaded() { test "$(grep -c 'READY=1' "$tmp/notify.log")" -ge $(($1 + 1)); }
wait_for "READY=1" reloaded 0
addr=$(cat "$tmp/state/control-address")
token=$(cat "$tmp/state/callback-token")
db() { sqlite3 "$tmp/state/state.db" "$@"; }
ingested() { [[ $(db "SELECT count(*) FROM executions WHERE state = 'ingested'" 2>/dev/null) -eq $1 ]]; }
healthy() { [[ $(curl -s -o /dev/null -w '%{http_code}' "http://$addr/healthz") == 200 ]]; }
poll_now() { curl -sf -X POST "http://$addr/callback/$token" -d '{"reportId":1}' >/dev/null; }
# platform_secret SECRET: the app registration's secret becomes SECRET; the old one is refused.
platform_secret() {
  curl -sf -X POST "$EMU_URL/_emulator/clients" \
    -d "{\"tenant\":\"$DEMO_TENANT\",\"client_id\":\"$DEMO_CLIENT\",\"secret\":\"$1\"}" >/dev/null
}
# token_status SECRET: the HTTP status of a token request with SECRET.
token_status() {
  curl -s -o /dev/null -w '%{http_code}' -X POST "$EMU_URL/$DEMO_TENANT/oauth2/token" \
    -d grant_type=client_credentials -d client_id="$DEMO_CLIENT" -d client_secret="$1" \
    --data-urlencode resource=https://manage.devcenter.microsoft.com
}

wait_for "the schedule" grep -q "create schedule for job kernel" "$tmp/daemon.err"
emu_clock '{"advance":"27h"}'   # the runs of 02:00 on days 0 and 1 complete
poll_now
check "the daemon ingests with the first secret" wait_for "two runs" ingested 2

# 1. Rotation found by a refusal. The new secret is in the file before the
# platform drops the old one (the order an operator follows); the token the
# daemon holds dies with the hour the clock moves on.
printf '%s\n' "rotated-secret-1" >"$secret_file"
platform_secret "rotated-secret-1"
check "control: the platform now refuses the first secret" test "$(token_status "$DEMO_SECRET")" = 401
emu_clock '{"advance":"25h"}'   # a third run completes; every token issued so far has expired
poll_now
check "after the refusal the daemon re-reads the file and ingests the next run" \
  wait_for "the third run" ingested 3
check "one line names the refused and the new credential" \
  test "$(grep -c "the service refused the client secret from file $secret_file; re-read it: signing in with the client secret from file $secret_file" "$tmp/daemon.err")" = 1
check "remote work was never paused" bash -c "! grep -q 'authentication refused, remote work paused' '$tmp/daemon.err'"
check "/healthz is 200" healthy

# 2. Rotation announced by SIGHUP: the new secret is used from the next token on.
printf '%s\n' "rotated-secret-2" >"$secret_file"
kill -HUP $pid
check "SIGHUP re-reads the secret file (one line)" \
  wait_for "the reload line" grep -q "reload: signing in with the client secret from file $secret_file from the next token on" "$tmp/daemon.err"
platform_secret "rotated-secret-2"
check "control: the platform now refuses the second secret" test "$(token_status rotated-secret-1)" = 401
emu_clock '{"advance":"24h"}'
poll_now
check "the next run is ingested with the reloaded secret" wait_for "the fourth run" ingested 4
check "without another refusal" test "$(grep -c 'the service refused the client secret' "$tmp/daemon.err")" = 1

# An unchanged file: nothing to say. A removed file: the secret in use is kept.
wait_for "the first reload" reloaded 1
reloads_before=$(grep -c "reload: signing in" "$tmp/daemon.err")
kill -HUP $pid
wait_for "the second reload" reloaded 2
rm "$secret_file"
kill -HUP $pid
check "a removed secret file is named once, and the secret in use kept" \
  wait_for "the kept line" grep -q "reload: the credential was not re-read, the one in use is kept: .*$secret_file" "$tmp/daemon.err"
check "the unchanged file's reload said nothing about the credential" \
  test "$(grep -c "reload: signing in" "$tmp/daemon.err")" = "$reloads_before"
emu_clock '{"advance":"24h"}'
poll_now
check "and the daemon goes on ingesting with it" wait_for "the fifth run" ingested 5
check "/healthz is still 200" healthy

check "no secret reaches the log" \
  bash -c "! grep -qE '$DEMO_SECRET|rotated-secret' '$tmp/daemon.err'"
# The invariants are checked once the cab downloads have settled (a slow
# build, such as make asan, is still fetching them when the fifth run is in).
settled() {
  [[ $(db "SELECT count(*) FROM cabs WHERE state IN ('pending', 'fetching')" 2>/dev/null) == 0 ]]
}
wait_for "the cab downloads" settled
DEMO_SECRET=rotated-secret-2   # the invariant check signs in as the platform now expects
check "invariants INV1-6 hold" check_invariants "$tmp/state"
kill -TERM $pid
wait $pid
check "SIGTERM ends the daemon with 0" test $? = 0
finish
