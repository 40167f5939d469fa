#!/usr/bin/env bash
# The retention sweeper as processes (docs/reliability.md §Retention): hdc-reportd --once stores
# reports and cabs from an hdc-emulator and ends with a sweep line; then
# hdc-reportctl sweep, with --now moved past the window, removes every
# personal datum: a byte scan of state.db, its -wal/-shm, the store,
# store/tmp and the logs finds none of the planted DeviceId/HardwareId and
# cab canaries. --dry-run changes no byte; the sweep is refused while the
# state directory is locked; 31d is refused at load; and a sweep killed
# (SIGKILL) at its n-th unlink or fsync is finished by the next one, with
# no row naming a missing file and no orphan file left.
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
ctl_bin="$(dirname "$bin")/hdc-reportctl"
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"
# Dates relative to the real clock: the daemon polls up to its own "now"
# and sweeps by it, so the emulator's first day lies a week back.
t0=$(date -u -d '-7 days' +%Y-%m-%d)
d() { date -u -d "$t0 $1 days" +%Y-%m-%d; }  # d N: the day N days after t0

start_emulator "$build/emulator/hdc-emulator" --clock manual --start $(d 0)T00:00:00Z
mkdir -p "$tmp/jobs.d"
cat >"$tmp/jobs.d/k.ini" <<INI
[job kernel]
view = IHVDriver
columns = FailureName, FailureHash, CabIdHash, CabType, ApplicationId, DeviceId, HardwareId, EventCount, FailureDateTime
start = $(d 0)T02:00:00Z
every = 24h
runs = 30
INI
write_config "$tmp/hdc.ini" "$tmp/state" "$tmp/jobs.d"
# The emulator's fixed dates may lie near the window of the real clock: count
# from download time, so the data stays until the sweep moved past it.
sed -i 's/^\[service\]$/[service]\nretention_clock = downloaded/' "$tmp/hdc.ini"
export HDC_CLIENT_SECRET=$DEMO_SECRET
db="$tmp/state/state.db"
q() { sqlite3 "$db" "$1"; }
later=$(date -u -d '+40 days' +%Y-%m-%dT%H:%M:%SZ)

"$bin" --once --config "$tmp/hdc.ini" 2>"$tmp/once1.err"
emu_clock '{"advance":"75h"}'
"$bin" --once --config "$tmp/hdc.ini" 2>"$tmp/once2.err"
check "--once exits 0" test $? = 0
check "--once ends with a sweep line" grep -qE "once: swept: [0-9]+ cabs?, [0-9]+ reports?, [0-9]+ rows?" "$tmp/once2.err"
rows=$(q "SELECT count(*) FROM failures")
cabs=$(q "SELECT count(*) FROM cabs WHERE state IN ('pending', 'fetching', 'fetched', 'failed')")
check "data to sweep: $rows rows, $cabs cabs" bash -c "test $rows -gt 0 && test $cabs -gt 0"
cp -a "$tmp/state" "$tmp/pristine"  # for the crash runs, before any canary

# Canaries in every place personal data lives.
q "UPDATE failures SET device_id = 'CANARY-DEV-' || id, hardware_id = 'CANARY-HW-' || id,
   row = json_set(row, '\$.DeviceId', 'CANARY-DEV-' || id)"
first_cab=$(find "$tmp/state/store/cabs" -name '*.cab' -type f | head -1)
first_report=$(find "$tmp/state/store/reports" -type f | head -1)
printf 'CANARYCAB' >>"$first_cab"
printf 'CANARY-DEV-report' >>"$first_report"
printf 'CANARYCAB partial' >"$tmp/state/store/tmp/cab-zz00canary.part"
mkdir -p "$tmp/state/store/cabs/zz" && printf 'CANARYCAB orphan' >"$tmp/state/store/cabs/zz/zz00.cab"
scan() {  # scan: canary hits in the state directory and the captured logs
  { grep -raoE 'CANARY-(DEV|HW)|CANARYCAB' "$tmp/state" "$tmp"/*.err 2>/dev/null || true; } | wc -l
}
check "the canaries are found before the sweep ($(scan) hits)" test "$(scan)" -gt 0

# --dry-run changes nothing.
digest() { (cd "$tmp/state" && find . -type f ! -name '*-shm' -print0 | sort -z | xargs -0 sha256sum); }
before=$(digest)
"$ctl_bin" --config "$tmp/hdc.ini" sweep --dry-run --json --now "$later" >"$tmp/dry.json" 2>"$tmp/dry.err"
check "sweep --dry-run exits 0" test $? = 0
check "and changes no byte of state.db or the store" test "$(digest)" = "$before"
check "and lists the rows that would go" grep -q "\"count\": $rows" "$tmp/dry.json"
check "and the oldest clock per kind" grep -q '"oldest_clock": "20' "$tmp/dry.json"

# Refused while the state directory is locked (as hdc-reportd holds it).
python3 -c 'import fcntl,sys,time; f=open(sys.argv[1],"a"); fcntl.lockf(f, fcntl.LOCK_EX); print("locked", flush=True); time.sleep(60)' \
  "$tmp/state/lock" >"$tmp/locker.out" &
locker=$!
wait_for "the lock" grep -q locked "$tmp/locker.out"
"$ctl_bin" --config "$tmp/hdc.ini" sweep --now "$later" >/dev/null 2>"$tmp/locked.err"
code=$?
kill $locker; wait $locker 2>/dev/null
check "sweep is refused with exit 75 while the lock is held ($code)" test $code = 75
check "with one line naming the state directory" \
  bash -c "test \$(wc -l <'$tmp/locked.err') = 1 && grep -q 'in use' '$tmp/locked.err'"
check "and nothing changed" test "$(digest)" = "$before"

# The sweep.
"$ctl_bin" --config "$tmp/hdc.ini" sweep --now "$later" >"$tmp/sweep.out" 2>"$tmp/sweep.err"
check "sweep exits 0" test $? = 0
check "and reports what went" grep -q "swept: $cabs cabs, [0-9]* reports, $rows rows" "$tmp/sweep.out"
check "no failures row is left" test "$(q 'SELECT count(*) FROM failures')" = 0
check "no cab or report file is left" test -z "$(find "$tmp/state/store" -type f)"
check "executions stay, purged, with their row counts" \
  test "$(q "SELECT count(*) FROM executions WHERE state = 'purged' AND row_count IS NOT NULL AND file_path IS NULL")" -gt 0
check "cabs stay as purged" test "$(q "SELECT count(*) FROM cabs WHERE state = 'purged'")" = "$cabs"
check "one finished audit row with counts" \
  test "$(q "SELECT rows_deleted FROM sweeps WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1")" = "$rows"
check "the -wal file is empty after the sweep" test ! -s "$db-wal"
hits=$(scan)
check "no canary survives in state.db, -wal, -shm, store, store/tmp or the logs ($hits)" test "$hits" = 0

# A later --once (a new report, which lists known cabs again) fetches no
# purged cab again.
emu_clock '{"advance":"24h"}'
"$bin" --once --config "$tmp/hdc.ini" 2>"$tmp/once3.err"
check "a later --once exits 0" test $? = 0
check "the purged cabs stay purged" test "$(q "SELECT count(*) FROM cabs WHERE state = 'purged'")" = "$cabs"

# 31d is refused at load with one line naming the file and key.
sed -i 's/^\[service\]$/[service]\nretention = 31d/' "$tmp/hdc.ini"
"$ctl_bin" --config "$tmp/hdc.ini" sweep --dry-run >/dev/null 2>"$tmp/31d.err"
code=$?
check "retention = 31d is refused with exit 78 ($code)" test $code = 78
check "in one line naming the file and key" \
  bash -c "test \$(wc -l <'$tmp/31d.err') = 1 && grep -q 'hdc.ini:[0-9]*: \[service\] retention' '$tmp/31d.err'"
sed -i '/^retention = 31d$/d' "$tmp/hdc.ini"

# kill -9 at the n-th unlink or fsync of a sweep, then a restart.
crash_ok=0 crash_runs=0
for point in unlink:1 unlink:2 unlink:5 unlink:9 fsync:1 fsync:2 fsync:4 fsync:7 fdatasync:1 fdatasync:3; do
  call=${point%:*} n=${point#*:}
  rm -rf "$tmp/state" && cp -a "$tmp/pristine" "$tmp/state"
  printf 'x' >"$tmp/state/store/tmp/cab-zz00.part"
  strace -f -o /dev/null -e inject="$call:signal=SIGKILL:when=$n" \
    "$ctl_bin" --config "$tmp/hdc.ini" sweep --now "$later" >/dev/null 2>&1
  killed=$?
  "$ctl_bin" --config "$tmp/hdc.ini" sweep --now "$later" >/dev/null 2>"$tmp/restart.err"
  restarted=$?
  "$ctl_bin" --config "$tmp/hdc.ini" verify >"$tmp/verify.out" 2>&1
  verified=$?
  left=$(find "$tmp/state/store" -type f | wc -l)
  open=$(q "SELECT count(*) FROM sweeps WHERE finished_at IS NULL")
  live=$(q "SELECT (SELECT count(*) FROM failures) + (SELECT count(*) FROM cabs WHERE state <> 'purged' AND state <> 'skipped')")
  crash_runs=$((crash_runs + 1))
  if [[ $restarted == 0 && $verified == 0 && $left == 0 && $open == 0 && $live == 0 ]]; then
    crash_ok=$((crash_ok + 1))
  else
    echo "  crash at $point (exit $killed): restart $restarted, verify $verified, files $left, open sweeps $open, live $live"
    cat "$tmp/restart.err" "$tmp/verify.out"
  fi
done
check "a sweep killed at $crash_runs points is finished by the next one ($crash_ok ok)" \
  test $crash_ok = $crash_runs
finish
