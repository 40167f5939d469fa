#!/usr/bin/env bash
# hdc-reportd as a long-running daemon (docs/operations.md §Readiness), a real
# process against an hdc-emulator process, with a stand-in for systemd's
# notification socket:
#   READY=1 only once the control listener answers; WATCHDOG=1 at half of
#   WATCHDOG_USEC, and none while the scheduler is frozen (--test-hooks);
#   it ingests what --once would (invariants INV1-6); /metrics parses as
#   Prometheus text and its counters match the store; callbacks with a wrong
#   token get 404 and are counted; /healthz turns 503 when the emulator
#   revokes the client and 200 when it is restored; SIGHUP with a broken INI
#   keeps the old config (one error line), with a valid change reconciles the
#   new job; the log file (log_file) is created 0600 and, after a `mv` of it
#   (what logrotate does), every SIGHUP makes the daemon write a new file of
#   the same name, whether the reload is refused or accepted; a log file in a
#   missing folder is one config error naming the key (exit 78); a second
#   instance exits 75; SIGTERM sends STOPPING=1 and exits 0.
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"
t0=$(date -u -d '-7 days' +%Y-%m-%d)
d() { date -u -d "$t0 $1 days" +%Y-%m-%d; }

start_emulator "$build/emulator/hdc-emulator" --clock manual --start "$(d 0)T00:00:00Z"
mkdir -p "$tmp/jobs.d"
kernel_job kernel "$(d 0)" 02 yes >"$tmp/jobs.d/kernel.ini"
write_config "$tmp/hdc.ini" "$tmp/state" "$tmp/jobs.d"
mkdir -p "$tmp/logs"
logf=$tmp/logs/hdc-reportd.log
service_keys "$tmp/hdc.ini" "control_listen = 127.0.0.1:0" \
  "callback_url = https://hdc.example.com/hook" "retention_clock = downloaded" \
  "log_file = $logf"
export HDC_CLIENT_SECRET=$DEMO_SECRET

# The notification socket, then the daemon.
start_notify_listener "$build"
NOTIFY_SOCKET=$tmp/notify.sock WATCHDOG_USEC=400000 \
  "$bin" --config "$tmp/hdc.ini" --test-hooks 2>"$tmp/daemon.err" &
pid=$!
trap 'kill $pid $NOTIFY_PIDS $EMU_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

wait_for "READY=1" grep -q "READY=1" "$tmp/notify.log"
addr=$(cat "$tmp/state/control-address" 2>/dev/null)
check "READY=1 after the listener is bound (control-address $addr)" \
  bash -c "curl -sf http://$addr/healthz >/dev/null"
check "STATUS= names the jobs" wait_for "STATUS" grep -q "STATUS=1 job(s)" "$tmp/notify.log"
check "the log file is created with mode 0600" test "$(stat -c %a "$logf")" = 600
check "the log file has the start line with a UTC timestamp, as stderr has it" \
  grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z info service: started: 1 job\(s\)' "$logf"

# Ingestion: the emulator's clock moves on by 75 h (four runs complete after
# the schedule was created), and HDC's report-ready callback makes the daemon
# poll at once: the four runs and their cabs are stored, as --once would.
wait_for "the schedule" grep -q "create schedule for job kernel" "$tmp/daemon.err"
emu_clock '{"advance":"75h"}'
token=$(cat "$tmp/state/callback-token")
curl -sf -X POST "http://$addr/callback/$token" -d '{"reportId":1}' >/dev/null
db() { sqlite3 "$tmp/state/state.db" "$@"; }
settled() {
  [[ $(db "SELECT count(*) FROM executions WHERE state = 'ingested'" 2>/dev/null) == 4 ]] &&
    [[ $(db "SELECT count(*) FROM cabs WHERE state IN ('pending', 'fetching')" 2>/dev/null) == 0 ]] &&
    [[ $(db "SELECT count(*) FROM cabs" 2>/dev/null) -gt 0 ]]
}
check "the daemon ingests the four completed runs and their cabs" wait_for "ingestion" settled
check "invariants INV1-6 hold while the daemon runs" check_invariants "$tmp/state"

# /metrics: Prometheus text; its counters match the store.
curl -sf "http://$addr/metrics" >"$tmp/metrics.txt"
bad_lines=$(grep -vE '^# (HELP|TYPE) hdc_reportd_[a-z_]+ .+$|^hdc_reportd_[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$' "$tmp/metrics.txt")
check "/metrics parses as Prometheus text" test -z "$bad_lines"
[[ -z $bad_lines ]] || echo "  unparsed: $(head -3 <<<"$bad_lines")"
metric() { awk -v m="hdc_reportd_$1" '$1 == m { print $2 }' "$tmp/metrics.txt"; }
check "reports_downloaded_total = ingested executions" \
  test "$(metric reports_downloaded_total)" = "$(db "SELECT count(*) FROM executions WHERE state = 'ingested'")"
check "cabs_fetched_total = fetched cabs" \
  test "$(metric cabs_fetched_total)" = "$(db "SELECT count(*) FROM cabs WHERE state = 'fetched'")"
check "rows_ingested_total = failure rows" \
  test "$(metric rows_ingested_total)" = "$(db "SELECT count(*) FROM failures")"
check "store_bytes = bytes held" test "$(metric store_bytes)" = \
  "$(db "SELECT (SELECT coalesce(sum(file_size),0) FROM executions WHERE state IN ('fetched','ingested')) + (SELECT coalesce(sum(file_size),0) FROM cabs WHERE state = 'fetched')")"
check "/metrics carries no cab hash or device id" \
  bash -c "! grep -qiE 'cab_?id|device|$(db "SELECT cab_id_hash FROM cabs LIMIT 1")' '$tmp/metrics.txt'"

# Callbacks: a wrong token is a 404 like any unknown path, and counted.
check "the schedule carries callback_url + /callback/<token>" \
  bash -c "curl -sf '$EMU_URL/_emulator/state' | grep -q 'hdc.example.com/hook/callback/$token'"
check "a wrong token gets 404" test "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://$addr/callback/0123456789abcdef0123456789abcdef" -d '{}')" = 404
check "an unknown path gets 404" test "$(curl -s -o /dev/null -w '%{http_code}' "http://$addr/admin")" = 404
check "the refusal is counted" bash -c "curl -sf http://$addr/metrics | grep -q '^hdc_reportd_control_callback_refused_total 1$'"

# /healthz follows the credentials: revoked -> 503, restored -> 200.
polls_before=$(curl -sf "http://$addr/metrics" | awk '$1 ~ /^hdc_reportd_polls_total/ { s += $2 } END { print s + 0 }')
curl -sf -X POST "$EMU_URL/_emulator/clients/$DEMO_CLIENT/revoke" >/dev/null
curl -sf -X POST "http://$addr/callback/$token" -d '{"reportId":1}' >/dev/null
unhealthy() { [[ $(curl -s -o "$tmp/health.txt" -w '%{http_code}' "http://$addr/healthz") == 503 ]]; }
check "/healthz turns 503 when the client is revoked" wait_for "503" unhealthy
check "and says why in one line" grep -q "^authentication refused" "$tmp/health.txt"
check "the log says so once" test "$(grep -c 'authentication refused, remote work paused' "$tmp/daemon.err")" = 1
curl -sf -X POST "$EMU_URL/_emulator/clients/$DEMO_CLIENT/restore" >/dev/null
curl -sf -X POST "http://$addr/callback/$token" -d '{"reportId":1}' >/dev/null
healthy() { [[ $(curl -s -o /dev/null -w '%{http_code}' "http://$addr/healthz") == 200 ]]; }
check "/healthz is 200 again once the client is restored" wait_for "200" healthy
check "the log says remote work resumed" grep -q "authentication works again" "$tmp/daemon.err"

# SIGHUP: a broken INI is refused (one line), the daemon keeps running.
cp "$tmp/jobs.d/kernel.ini" "$tmp/kernel.ini.good"
echo "colour = blue" >>"$tmp/jobs.d/kernel.ini"
mv "$logf" "$logf.1"   # logrotate's rename, then its reload
kill -HUP $pid
check "a broken INI is refused in one line naming file and key" \
  wait_for "refusal" grep -q "reload refused, still running the previous configuration: .*kernel.ini:[0-9]*: \[job kernel\] colour" "$tmp/daemon.err"
check "after mv and a refused reload the daemon writes a new log file of the same name" \
  wait_for "the new log file" grep -q "reload refused" "$logf"
check "the new log file says it was reopened, and has mode 0600" \
  bash -c "grep -q 'reload: log file $logf reopened' '$logf' && test \$(stat -c %a '$logf') = 600"
check "the renamed file keeps the lines from before, and none from after" \
  bash -c "grep -q 'started: 1 job' '$logf.1' && ! grep -q 'reload' '$logf.1'"
check "RELOADING=1 then READY=1 around the reload" \
  wait_for "reload notifications" bash -c "grep -c 'READY=1' '$tmp/notify.log' | grep -qx 2 && grep -q RELOADING=1 '$tmp/notify.log'"
check "still running and healthy" healthy
# ... a valid change: the new job is reconciled and polled.
cp "$tmp/kernel.ini.good" "$tmp/jobs.d/kernel.ini"
kernel_job second "$(d 0)" 05 >"$tmp/jobs.d/second.ini"
mv "$logf" "$logf.2"
kill -HUP $pid
check "a valid reload reconciles the new job" wait_for "second job" grep -q "create schedule for job second" "$tmp/daemon.err"
check "after mv and an accepted reload the daemon writes a new log file of the same name" \
  wait_for "the new log file" grep -q "create schedule for job second" "$logf"
check "and nothing after the rename reaches the renamed one" bash -c "! grep -q 'job second' '$logf.2'"
check "the emulator now has two schedules" wait_for "two schedules" \
  bash -c "curl -sf '$EMU_URL/_emulator/state' | grep -q '\"schedules\":2'"

# A log file in a missing folder: exit 78, one line naming file and key.
sed "s|^log_file = .*|log_file = $tmp/no-such-dir/hdc-reportd.log|" "$tmp/hdc.ini" >"$tmp/bad-log.ini"
"$bin" --config "$tmp/bad-log.ini" 2>"$tmp/bad-log.err"
rc=$?
check "a log file in a missing folder exits 78 ($rc)" test $rc = 78
check "with one line naming the file, line and key" bash -c "test \$(wc -l <'$tmp/bad-log.err') = 1 &&
  grep -q 'bad-log.ini:[0-9]*: \[service\] log_file: cannot open the log file: .*no-such-dir/hdc-reportd.log' '$tmp/bad-log.err'"

# A second instance on the same state directory: exit 75, one line (besides
# the warning that the secret comes from the environment, read before the lock).
"$bin" --config "$tmp/hdc.ini" 2>"$tmp/second.err"
rc=$?
check "a second instance exits 75 ($rc)" test $rc = 75
check "with one line naming the lock" bash -c "test \$(grep -vc ' warn ' '$tmp/second.err') = 1 && grep -q 'in use by process' '$tmp/second.err'"

# The watchdog: pings at most every half WATCHDOG_USEC (200 ms), and none
# once the scheduler loop is frozen.
intervals=$(grep 'WATCHDOG=1' "$tmp/notify.log" | awk 'NR > 1 { print $1 - prev } { prev = $1 }' | sort -n)
pings=$(grep -c 'WATCHDOG=1' "$tmp/notify.log")
p99=$(awk '{ a[NR] = $1 } END { i = int(NR * 0.99); if (i < 1) i = 1; print a[i] + 0 }' <<<"$intervals")
p50=$(awk '{ a[NR] = $1 } END { i = int(NR * 0.5); if (i < 1) i = 1; print a[i] + 0 }' <<<"$intervals")
echo "  watchdog: $pings pings, interval p50 ${p50} ms, p99 ${p99} ms"
check "WATCHDOG=1 arrives regularly (p99 interval $p99 ms <= 400 ms)" \
  bash -c "test $pings -ge 3 && test $p99 -le 400"
kill -USR2 $pid
wait_for "freeze" grep -q "freezing the scheduler loop" "$tmp/daemon.err"
frozen_at=$(grep -c 'WATCHDOG=1' "$tmp/notify.log")
# The one wall-clock window of the suite: absence of pings over three
# watchdog periods (1.2 s) is what a frozen loop looks like to systemd.
timeout 1.2 tail -f /dev/null
check "no pings while the scheduler is frozen" test "$(grep -c 'WATCHDOG=1' "$tmp/notify.log")" -le $((frozen_at + 1))

# SIGTERM: STOPPING=1 and exit 0, quickly.
started=$(date +%s%N)
kill -TERM $pid
wait $pid
rc=$?
ms=$(( ($(date +%s%N) - started) / 1000000 ))
echo "  SIGTERM to exit: $ms ms"
check "SIGTERM exits 0 ($rc)" test $rc = 0
check "STOPPING=1 was sent" grep -q "STOPPING=1" "$tmp/notify.log"
check "the control-address file is gone" test ! -e "$tmp/state/control-address"
check "no secret, token or SAS signature in the log" \
  bash -c "! grep -qE '$DEMO_SECRET|sig=|Bearer|$token' '$tmp/daemon.err'"
check "nor in the log files" bash -c "test \$(ls '$tmp/logs' | wc -l) = 3 &&
  ! grep -qE '$DEMO_SECRET|sig=|Bearer|$token' '$tmp/logs/'*"
finish
