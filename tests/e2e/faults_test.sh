#!/usr/bin/env bash
# Network and HTTP faults (docs/reliability.md §Fault catalogue: N01, N06,
# N09; docs/reliability.md §Invariants: INV1-7) against one hdc-emulator,
# hdc-reportd --once as a process:
#   (a) truncated and reset blob bodies, 5xx and 429 bursts on API endpoints:
#       the run completes (exit 0) and INV holds;
#   (b) report links handed out expired: a 403, a fresh link, the report stored;
#   (c) a cab that never downloads: attempts across runs, then 'failed' after
#       max_attempts (5), exit 75 with one line naming the cab, then left alone;
#   (d) cabs past their CabExpirationTime (cabdownload 404): 'skipped', exit 0.
# The daemon's clock is the real one: its cross-run backoff (next_attempt_at)
# is shown to defer a cab once, then "time passes" by clearing that column.
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"

e2e_world 7 "cab 7" --rows 12 --cab-size 8K --seed 11
export HDC_CLIENT_SECRET=$DEMO_SECRET
export INV_CACHE=$tmp/inv-cache.txt
db=$tmp/state/state.db

statuses() {  # statuses PATH_REGEX: the status of each logged request to such paths
  emu_requests | grep -E "\"path\":\"$1\"" | sed -n 's/.*"status":\([0-9]*\).*/\1/p'
}
clear_log() { curl -sf -X DELETE "$EMU_URL/_emulator/requests" >/dev/null; }
time_passes() { sqlite3 "$db" "UPDATE cabs SET next_attempt_at = NULL"; }
one_line() { grep '^hdc-reportd: ' "$tmp/$1"; }

# --- Setup under API faults: a 503 from the token endpoint, a 429 burst and a
# 500 on the listings. Creates are not retried, so they are left alone.
emu_faults '[{"endpoint":"token","kind":"status","status":503,"nth":1},
  {"endpoint":"template.list","kind":"429","retry_after":0,"nth":1,"count":3},
  {"endpoint":"schedule.list","kind":"status","status":500,"nth":1}]'
run_once setup.err
check "(setup) the first run exits 0 despite 503, 429 x3 and 500 ($rc)" test $rc = 0
api=$(statuses '/[^"]*(oauth2/token|reporttemplate|report)' | sort | uniq -c | tr '\n' ' ')
check "(setup) the faults were served: $api" bash -c "grep -q ' 503' <<<'$api' && grep -q '3 429' <<<'$api' && grep -q ' 500' <<<'$api'"

# --- (a) Cut blob bodies and API bursts while 4 reports and their cabs download.
emu_clock '{"advance":"75h"}'
clear_log
emu_faults '[{"endpoint":"reportdata","kind":"429","retry_after":0,"nth":1,"count":3},
  {"endpoint":"reportdata","kind":"status","status":502,"nth":4,"count":2},
  {"endpoint":"blob.report","kind":"short_body","nth":1},
  {"endpoint":"blob.report","kind":"reset","nth":3},
  {"endpoint":"cabdownload","kind":"429","retry_after":0,"nth":2,"count":4},
  {"endpoint":"cabdownload","kind":"status","status":503,"nth":12},
  {"endpoint":"blob.cab","kind":"short_body","nth":1},
  {"endpoint":"blob.cab","kind":"reset","nth":4},
  {"endpoint":"blob.cab","kind":"short_body","nth":9,"count":2}]'
run_once a.err
check "(a) the run under faults exits 0 ($rc)" test $rc = 0
check "(a) it stored the 4 reports" grep -q " 4 report(s) stored" "$tmp/a.err"
log=$(emu_requests)
n429=$(grep -c '"status":429' <<<"$log") n5xx=$(grep -cE '"status":50[23]' <<<"$log")
check "(a) 429 and 5xx answers were served ($n429, $n5xx)" test "$n429" -ge 7 -a "$n5xx" -ge 3
resumed=$(grep -E '"path":"/drivers/' <<<"$log" | grep -c '"status":206')
check "(a) cut bodies were resumed with Range, not restarted ($resumed x 206)" test "$resumed" -ge 4
check "(a) INV holds" check_invariants "$tmp/state"
cabs_a=$(sqlite3 "$db" "SELECT count(*) FROM cabs WHERE state = 'fetched'")
check "(a) cabs were fetched ($cabs_a)" test "$cabs_a" -gt 10

# --- (b) The report link handed out expired: refused (403), re-polled, fetched.
emu_clock '{"advance":"24h"}'
clear_log
emu_faults '[{"endpoint":"reportdata","kind":"sas_expired","nth":1,"count":2}]'
run_once b.err
check "(b) the run exits 0 ($rc)" test $rc = 0
report_statuses=$(statuses '/drivers/Reports/[^"]*' | tr '\n' ' ')
check "(b) the expired link got 403, a fresh one 200 ($report_statuses)" \
  bash -c "[[ '$report_statuses' == *403*200* || '$report_statuses' == *403*206* ]]"
polls=$(statuses '/analytics/driver/reportdata/[^"]*' | wc -l)
check "(b) report data was asked again for the fresh link ($polls requests)" test "$polls" -ge 3
check "(b) the daemon said it asked for a fresh link" grep -q "link refused (403), asking for a fresh one" "$tmp/b.err"
check "(b) INV holds (5 reports ingested)" check_invariants "$tmp/state"
check "(b) 5 executions ingested" \
  test "$(sqlite3 "$db" "SELECT count(*) FROM executions WHERE state = 'ingested'")" = 5

# --- (c) A cab that never downloads.
emu_clock '{"advance":"24h"}'
emu_faults '[{"endpoint":"cabdownload","kind":"429","retry_after":0}]'
run_once c1.err
check "(c) a run whose cabs all fail exits 75 ($rc)" test $rc = 75
new_cabs=$(sqlite3 "$db" "SELECT count(*) FROM cabs WHERE state = 'pending' AND attempts = 1")
check "(c) its cabs are pending after one attempt ($new_cabs)" test "$new_cabs" -gt 1
cab=$(sqlite3 "$db" "SELECT cab_id_hash FROM cabs WHERE state = 'pending' ORDER BY cab_id_hash LIMIT 1")
# From now on only this cab's blob fails: busy (429, Retry-After: 0) on every
# request, so each attempt is 8 quick requests (a 5xx without Retry-After
# would cost about a minute of real backoff per attempt).
emu_faults "[{\"endpoint\":\"blob.cab\",\"target\":\"$cab\",\"kind\":\"429\",\"retry_after\":0}]"
clear_log
run_once c2.err
check "(c) before its next attempt is due, the next run defers the cabs: exit 75 ($rc)" test $rc = 75
check "(c) and says why" grep -q "wait for their next attempt" "$tmp/c2.err"
check "(c) and asks for none of them" test "$(emu_requests | grep -cE 'cabdownload|/drivers/Cabs/')" = 0
runs=0
while [[ $(sqlite3 "$db" "SELECT state FROM cabs WHERE cab_id_hash = '$cab'") == pending ]] && ((runs < 6)); do
  time_passes
  run_once c3.err
  runs=$((runs + 1))
  [[ $rc == 75 ]] || break
done
state=$(sqlite3 "$db" "SELECT state || ' ' || attempts FROM cabs WHERE cab_id_hash = '$cab'")
check "(c) the cab is recorded failed after 5 attempts in 5 runs ($state, $runs more runs)" \
  test "$state/$runs" = "failed 5/4"
check "(c) the run that gave up exits 75 ($rc)" test $rc = 75
line=$(one_line c3.err)
check "(c) with one line naming the cab: $line" \
  bash -c "test \$(grep -c . <<<'$line') = 1 && grep -q '$cab' <<<'$line'"
others=$(sqlite3 "$db" "SELECT count(*) FROM cabs WHERE state <> 'fetched' AND cab_id_hash <> '$cab'")
check "(c) every other cab was fetched meanwhile ($others not)" test "$others" = 0
clear_log
time_passes
run_once c4.err
check "(c) the next run exits 0 ($rc)" test $rc = 0
check "(c) and does not try the failed cab again" test "$(emu_requests | grep -c "$cab")" = 0
check "(c) INV holds (a failed cab is not an open one)" check_invariants "$tmp/state"

# --- (d) Cabs that expire before they are fetched: skipped, not an error.
emu_clock '{"advance":"24h"}'
emu_faults '[{"endpoint":"cabdownload","kind":"429","retry_after":0}]'
run_once d1.err
check "(d) a run whose cabs cannot be fetched exits 75 ($rc)" test $rc = 75
waiting=$(sqlite3 "$db" "SELECT count(*) FROM cabs WHERE state = 'pending'")
check "(d) its cabs wait ($waiting)" test "$waiting" -gt 1
emu_clock '{"advance":"40d"}'  # past every CabExpirationTime of those cabs
emu_faults '[]'
clear_log
time_passes
run_once d2.err
check "(d) once they expired, the run exits 0 ($rc)" test $rc = 0
skipped=$(sqlite3 "$db" "SELECT count(*) FROM cabs WHERE state = 'skipped' AND last_error LIKE '%404%'")
check "(d) all of them are skipped as gone (404) ($skipped of $waiting)" test "$skipped" = "$waiting"
check "(d) no blob was asked for" test "$(emu_requests | grep -c '/drivers/Cabs/')" = 0
check "(d) no error line" bash -c "! grep -q '^hdc-reportd: ' '$tmp/d2.err'"
check "(d) INV holds" check_invariants "$tmp/state"
finish
