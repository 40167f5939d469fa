#!/usr/bin/env bash
# The daemon over several emulated days: hdc-emulator and hdc-reportd run on
# the same scaled clock (--time-scale: 2 emulated hours per real second), so
# three days of daily runs pass in about 40 s with no test sleeping for time
# to pass. The daemon must ingest what a --once run would (same executions,
# same bytes, same cabs), poll only around the runs (a handful of polls per
# run, not one per poll_interval all day), and use next to no CPU between
# runs.
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"
scale=7200
# The first run is at day0 02:00; the emulator starts 14 emulated hours
# (7 s) before it. The daemon's clock starts where the emulator's was read,
# so it lags by its own start-up (a second under ThreadSanitizer on a loaded
# machine is 2 emulated hours): had a run's slot fallen inside that lag, the
# emulator would skip it as past at the schedule's creation while the daemon
# waited for it, polling every poll_interval until the next run.
day0=$(date -u -d '-6 days' +%Y-%m-%d)
t0=$(date -u -d "${day0}T02:00:00Z -14 hours" +%Y-%m-%dT%H:%M:%SZ)
days=3

start_emulator "$build/emulator/hdc-emulator" --clock scale=$scale --start "$t0"
mkdir -p "$tmp/jobs.d"
kernel_job kernel "$day0" 02 >"$tmp/jobs.d/kernel.ini"
write_config "$tmp/hdc.ini" "$tmp/state" "$tmp/jobs.d"
service_keys "$tmp/hdc.ini" "control_listen = 127.0.0.1:0" "poll_interval = 10m" \
  "retention_clock = downloaded"
export HDC_CLIENT_SECRET=$DEMO_SECRET

# The emulator's clock has run a little since it started; the daemon's
# starts where the emulator's is now.
emu_now=$(curl -sf "$EMU_URL/_emulator/clock" | sed -n 's/.*"now":"\([^"]*\)".*/\1/p')
"$bin" --config "$tmp/hdc.ini" --time-scale $scale --time-start "$emu_now" 2>"$tmp/daemon.err" &
pid=$!
trap 'kill $pid $EMU_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
db() { sqlite3 "$tmp/state/state.db" "$@" 2>/dev/null; }
ingested() { [[ $(db "SELECT count(*) FROM executions WHERE state = 'ingested'") -ge $1 ]]; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }

# Day by day: each run is polled, downloaded and ingested as it completes.
for n in $(seq 1 $days); do
  check "emulated day $n: run $n ingested" wait_for "run $n" ingested "$n"
done
no_cabs_waiting() { [[ $(db "SELECT count(*) FROM cabs WHERE state IN ('pending', 'fetching')") == 0 ]]; }
check "and their cabs fetched" wait_for "cabs" no_cabs_waiting
# Idle: eight emulated hours that hold no run (runs are at 02:00, done with
# their cabs by about 03:00). On a loaded machine the checks above may end
# late in an emulated day, so the window starts between 03:00 and 17:00 of a
# day (the next day's if need be) and ends before the next run; the daemon is
# stopped right after it, between runs.
emu_hours() { date -u -d "$(curl -sf "$EMU_URL/_emulator/clock" | sed -n 's/.*"now":"\([^"]*\)".*/\1/p')" +%s; }
hour_of_day() { echo $(( ($(emu_hours) % 86400) / 3600 )); }
in_quiet_start() { local h; h=$(hour_of_day); (( h >= 3 && h < 17 )); }
wait_for "a quiet hour to start the idle window" in_quiet_start
wait_for "the cabs of a run that came meanwhile" no_cabs_waiting
idle_from=$(cpu_ticks); idle_wall=$(date +%s%N); idle_until=$(( $(emu_hours) + 8 * 3600 ))
emulated_later() { (( $(emu_hours) >= idle_until )); }
wait_for "eight emulated hours" emulated_later
idle_ticks=$(( $(cpu_ticks) - idle_from ))
idle_ms=$(( ($(date +%s%N) - idle_wall) / 1000000 ))
addr=$(cat "$tmp/state/control-address")
polls=$(curl -sf "http://$addr/metrics" | awk '$1 ~ /^hdc_reportd_polls_total/ { s += $2 } END { print s + 0 }')
kill -TERM $pid
wait $pid
check "SIGTERM exits 0" test $? = 0
echo "  $days emulated days: $polls polls; eight idle emulated hours used $((idle_ticks * 10)) ms CPU in $idle_ms ms"
# Daily runs complete 30 min after their time: a poll at +2 min, then every
# 10 min until listed, so a few per run, not 144 a day (one per poll_interval).
runs=$(db "SELECT count(DISTINCT report_datetime) FROM executions")
check "polls stay around the runs ($polls for $runs runs)" test "$polls" -le $((runs * 8 + 8))
# The idle daemon still wakes for its timers, which the scaled clock packs
# 7,200 times closer: natively that costs under 1% of a core here. A
# sanitizer build (unoptimised, every memory access checked) costs 4-6%
# measured, so its budget is 25%; a busy loop would take ~100% either way.
cpu_budget=5
sanitizer_build && cpu_budget=25
check "CPU between runs stays near zero (< $cpu_budget% of a core)" \
  test $((idle_ticks * 10 * 100)) -lt $((idle_ms * cpu_budget))
check "invariants INV2-5 hold after the stop" check_invariants "$tmp/state" partial

# The same data as --once: a fresh state directory adopts the same remote
# schedule and ingests the same runs, byte for byte.
sed "s|$tmp/state|$tmp/once|" "$tmp/hdc.ini" >"$tmp/once.ini"
"$bin" --once --config "$tmp/once.ini" 2>"$tmp/once.err"
check "--once over the same emulator exits 0" test $? = 0
last=$(db "SELECT max(report_datetime) FROM executions WHERE state = 'ingested'")
q="SELECT report_id, report_datetime, file_sha256 FROM executions WHERE state = 'ingested' AND report_datetime <= '$last' ORDER BY 1, 2"
daemon_runs=$(db "$q")
once_runs=$(sqlite3 "$tmp/once/state.db" "$q")
check "the daemon stored the same runs, byte for byte, as --once ($(wc -l <<<"$daemon_runs") runs)" \
  test "$daemon_runs" = "$once_runs"
cq="SELECT cab_id_hash, file_sha256 FROM cabs WHERE state = 'fetched' ORDER BY 1"
missing=$(comm -23 <(sqlite3 "$tmp/once/state.db" "SELECT c.cab_id_hash, c.file_sha256 FROM cabs c WHERE c.state = 'fetched' AND EXISTS (SELECT 1 FROM failures f WHERE f.cab_id_hash = c.cab_id_hash AND f.report_datetime <= '$last') ORDER BY 1") <(db "$cq"))
check "and every cab --once fetched for those runs" test -z "$missing"
check "one remote schedule for both (adopted, not duplicated)" \
  bash -c "curl -sf '$EMU_URL/_emulator/state' | grep -q '\"schedules\":1'"
finish
