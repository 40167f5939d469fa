#!/usr/bin/env bash
# hdc-reportd.exe --once under Wine against the native emulator: exact
# ingestion (INV1-6 against the emulator's own bytes), an idempotent second
# run, `hdc-reportctl.exe verify` clean and listings equal to the native
# hdc-reportctl's over the same state, a second instance refused with 75,
# and a `taskkill /F` in the middle of a cab download followed by a clean
# resume (a Range request answered 206).
set -uo pipefail
source "$3/tests/windows/lib.sh" "$@"

start_emulator "$EMULATOR" --clock manual --start "$(d 0)T00:00:00Z" \
  --set cab_size=4194304 --set cab_every_hours=0 --set rows_per_execution=3
# Folders with spaces, as under C:\Program Files and C:\ProgramData.
conf="$tmp/Program Data/hdc reportd"
state="$tmp/Program Data/hdc reportd/state"
mkdir -p "$conf/jobs.d"
kernel_job kernel "$(d 0)" 02 >"$conf/jobs.d/kernel.ini"
win_config "$conf/hdc.ini" "$state" "$conf/jobs.d"
service_keys "$conf/hdc.ini" "retention_clock = downloaded" "min_free_space = 1M"
cfg=$(winpath "$conf/hdc.ini")
export HDC_CLIENT_SECRET=$DEMO_SECRET

# One option style on both systems.
wine_run "$REPORTD" --version >"$tmp/version.out" 2>&1
check "--version answers" grep -q "^hdc-reportd [0-9]" "$tmp/version.out"
wine_run "$REPORTD" --help >"$tmp/help.out" 2>&1
check "--help shows --once, --config and --registerService" \
  bash -c "grep -q -- '--once' '$tmp/help.out' && grep -q -- '--config' '$tmp/help.out' && grep -q -- '--registerService' '$tmp/help.out'"
wine_run "$REPORTD" --no-such-option >"$tmp/bad.out" 2>&1
rc=$?
check "an unknown option exits 64 ($rc) with one line" \
  bash -c "test $rc = 64 && test \$(wc -l <'$tmp/bad.out') = 1"
wine_run "$REPORTD" "--config=$cfg" --check-config >"$tmp/check.out" 2>&1
check "--config=FILE --check-config accepts a path with spaces" test $? = 0

wine_run "$REPORTD" --once --config "$cfg" 2>"$tmp/once1.err"
rc=$?
check "the first run creates the template and schedule and exits 0 ($rc)" test $rc = 0
[[ $rc = 0 ]] || cat "$tmp/once1.err"
emu_clock '{"advance":"51h"}'  # the runs of day 0, 1 and 2 (02:00) complete

# A kill in the middle of a cab download: throttled to 1 MiB/s so one is in
# flight, then taskkill /F.
sed -i 's/^\[service\]$/[service]\nmax_bandwidth = 1M\ndownload_concurrency = 1/' "$conf/hdc.ini"
wine_run "$REPORTD" --once --config "$cfg" 2>"$tmp/killed.err" &
pid=$!
db() { sqlite3 "$state/state.db" "$@" 2>/dev/null; }
in_flight() {
  [[ -n $(find "$state/store/tmp" -name 'cab-*.part' -size +1100k 2>/dev/null) ]] &&
    [[ $(db "SELECT count(*) FROM cabs WHERE partial_etag IS NOT NULL") -ge 1 ]]
}
check "a cab download is in flight with its ETag recorded" wait_for "a partial" in_flight

# A second instance on the same state directory while the first holds it.
wine_run "$REPORTD" --once --config "$cfg" 2>"$tmp/second.err"
rc=$?
check "a second instance is refused with 75 ($rc)" test $rc = 75
check "naming the lock in one line" grep -qi "lock\|another\|running" "$tmp/second.err"
[[ $rc = 75 ]] || cat "$tmp/second.err"

wine_run taskkill /F /IM hdc-reportd.exe >/dev/null 2>&1
wait $pid
check "taskkill /F ended the run" test -n "$(find "$state/store/tmp" -name 'cab-*.part')"
check "INV2-5 hold after the kill" check_invariants "$state" partial

sed -i '/^max_bandwidth = 1M$/d' "$conf/hdc.ini"
wine_run "$REPORTD" --once --config "$cfg" 2>"$tmp/once2.err"
rc=$?
check "the next run exits 0 ($rc)" test $rc = 0
[[ $rc = 0 ]] || tail -5 "$tmp/once2.err"
check "it resumed the partial with a Range request (206)" \
  bash -c "curl -sf '$EMU_URL/_emulator/requests' | grep -q '\"status\":206'"
check "three reports ingested" \
  test "$(db "SELECT count(*) FROM executions WHERE state = 'ingested'")" = 3
check "INV1-6 hold: every report and cab stored once with the emulator's bytes" \
  check_invariants "$state"

wine_run "$REPORTD" --once --config "$cfg" 2>"$tmp/once3.err"
check "a third run exits 0" test $? = 0
check "and stores nothing new" grep -q "0 report(s) stored" "$tmp/once3.err"
check "and fetches no cab again" grep -q " 0 cab(s) fetched" "$tmp/once3.err"

wine_run "$REPORTCTL" verify --config "$cfg" >"$tmp/verify.out" 2>&1
check "hdc-reportctl.exe verify is clean" test $? = 0
# The Windows listings equal the native ones over the same state (paths in
# the configuration aside, which are Windows names on one side).
cp "$conf/hdc.ini" "$tmp/native.ini"
sed -i "s|^state_dir = .*|state_dir = $state|; s|^jobs_dir = .*|jobs_dir = $conf/jobs.d|" "$tmp/native.ini"
# top reports its window (since, until) from the clock: both sides read one
# fixed moment, or two calls a second apart differ (seen once under load).
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for cmd in executions cabs "top --by driver_name --days 30 --now $now" status; do
  wine_run "$REPORTCTL" $cmd --json --config "$cfg" 2>/dev/null | tr -d '\r' >"$tmp/win.json"
  "$NATIVE_CTL" $cmd --json --config "$tmp/native.ini" 2>/dev/null >"$tmp/native.json"
  check "hdc-reportctl.exe $cmd --json equals the native listing" \
    bash -c "test -s '$tmp/win.json' && cmp -s '$tmp/win.json' '$tmp/native.json'"
  cmp -s "$tmp/win.json" "$tmp/native.json" || diff "$tmp/native.json" "$tmp/win.json" | head -n 20
done
finish
