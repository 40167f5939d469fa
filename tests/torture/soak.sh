#!/usr/bin/env bash
# Soak (docs/reliability.md §Torture tests): hdc-reportd and hdc-emulator on one
# scaled clock for SOAK_DAYS emulated days (default 7) with SOAK_JOBS daily
# jobs (default 10) and SOAK_FAULT_RATE of all requests failing (default 0.3,
# mixed kinds). Every emulated hour it samples the daemon's RSS, open
# descriptors, threads and the size of state.db-wal; at the end the faults
# stop, the daemon catches up, and every completed report and unexpired cab
# must be stored exactly once (INV1-6). Goals: RSS, descriptors and threads
# flat after the first day (the last day's peak no higher than the first
# day's, RSS with 10% + 2 MiB of slack for the allocator, descriptors by
# their median), the WAL bounded.
#   bash tests/torture/soak.sh BIN SRC     (BIN = build/daemon/hdc-reportd)
# The samples are kept in $SOAK_OUT (default the build folder's soak.csv).
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"
days=${SOAK_DAYS:-7}
jobs=${SOAK_JOBS:-10}
rate=${SOAK_FAULT_RATE:-0.3}
scale=${SOAK_SCALE:-1800}  # emulated seconds per real second: 7 days in about 6 minutes
out=${SOAK_OUT:-$build/soak.csv}
seed=${SOAK_SEED:-20261204}
started=$(date +%s)
echo "soak: $days emulated days, $jobs jobs, fault rate $rate, time scale $scale, seed $seed"

t0=$(date -u -d "-$((days + 3)) days" +%Y-%m-%d)T00:00:00Z
start_emulator "$build/emulator/hdc-emulator" --clock scale=$scale --start "$t0" --seed "$seed" \
  --rows 200 --cab-size 16K
mkdir -p "$tmp/jobs.d"
for ((j = 0; j < jobs; j++)); do
  kernel_job "soak$j" "${t0%T*}" "$(printf '%02d' $((j * 2 % 24)))" >"$tmp/jobs.d/soak$j.ini"
done
write_config "$tmp/hdc.ini" "$tmp/state" "$tmp/jobs.d"
service_keys "$tmp/hdc.ini" "control_listen = 127.0.0.1:0" "poll_interval = 10m" \
  "retention_clock = downloaded"
export HDC_CLIENT_SECRET=$DEMO_SECRET

# Mixed faults whose probabilities add up to the rate; the first rule that
# fires decides, so the shares are of the requests left by the rules before.
share() { awk -v r="$rate" -v s="$1" 'BEGIN { printf "%.4f", r * s }'; }
emu_faults "[
  {\"endpoint\":\"*\",\"kind\":\"status\",\"status\":503,\"probability\":$(share 0.25)},
  {\"endpoint\":\"*\",\"kind\":\"429\",\"retry_after\":2,\"probability\":$(share 0.1)},
  {\"endpoint\":\"*\",\"kind\":\"429\",\"retry_after_form\":\"date\",\"probability\":$(share 0.05)},
  {\"endpoint\":\"blob\",\"kind\":\"reset\",\"probability\":$(share 0.15)},
  {\"endpoint\":\"blob\",\"kind\":\"short_body\",\"probability\":$(share 0.15)},
  {\"endpoint\":\"*\",\"kind\":\"latency\",\"ms\":50,\"probability\":$(share 0.1)},
  {\"endpoint\":\"cabdownload\",\"kind\":\"sas_expired\",\"probability\":$(share 0.1)},
  {\"endpoint\":\"reportdata\",\"kind\":\"malformed_json\",\"probability\":$(share 0.1)}
]"

emu_now() { curl -sf "$EMU_URL/_emulator/clock" | sed -n 's/.*"now":"\([^"]*\)".*/\1/p'; }
"$bin" --config "$tmp/hdc.ini" --time-scale $scale --time-start "$(emu_now)" 2>"$tmp/daemon.err" &
pid=$!
trap 'kill $pid $EMU_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
db() { sqlite3 "$tmp/state/state.db" "$@" 2>/dev/null; }
emu_secs() { date -u -d "$(emu_now)" +%s; }

# One sample per emulated hour: hour, rss_kib, fds, threads, wal_bytes.
echo "hour,rss_kib,fds,threads,wal_bytes" >"$out"
sample() {
  local rss threads fds wal
  rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
  threads=$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status")
  fds=$(ls "/proc/$pid/fd" | wc -l)
  wal=$(stat -c %s "$tmp/state/state.db-wal" 2>/dev/null || echo 0)
  echo "$1,$rss,$fds,$threads,$wal" >>"$out"
}
first=$(emu_secs)
end=$((first + days * 86400))
for ((h = 1; h <= days * 24; h++)); do
  hour_passed() { (($(emu_secs) >= first + h * 3600)); }
  wait_for "emulated hour $h" hour_passed || break
  kill -0 $pid 2>/dev/null || { echo "FAIL the daemon died in hour $h: $(tail -1 "$tmp/daemon.err")"; exit 1; }
  sample $h
done
check "the daemon ran the $days emulated days" test "$(emu_secs)" -ge "$end"

# Catch-up without faults: every completed run of our schedules ingested and
# no cab waiting (INV1 below says the same against the emulator's own state).
emu_faults '[]'
settled() {
  [[ $(db "SELECT count(*) FROM cabs WHERE state IN ('pending', 'fetching')
           OR (state = 'failed' AND next_attempt_at IS NOT NULL)") == 0 &&
     $(db "SELECT count(*) FROM executions WHERE remote_status = 'Completed'
           AND state IN ('new', 'fetching', 'fetched')") == 0 ]]
}
check "the daemon catches up once the faults stop" wait_for "catch-up" settled
kill -TERM $pid
wait $pid
check "SIGTERM exits 0" test $? = 0
echo "soak: caught up after $(($(date +%s) - started)) s of real time"
# One instant for the check: links and tokens expire in seconds of real time
# at this scale.
emu_clock '{"freeze":true}'
INV_JOBS=$jobs check "INV1-6 after $days emulated days at $rate faults" check_invariants "$tmp/state"

# Figures: first and last emulated day, peak of each.
peak() {  # peak COLUMN FIRST_HOUR LAST_HOUR
  awk -F, -v c="$1" -v a="$2" -v b="$3" 'NR > 1 && $1 >= a && $1 <= b && $c > m { m = $c } END { print m + 0 }' "$out"
}
median() {  # median COLUMN FIRST_HOUR LAST_HOUR
  awk -F, -v c="$1" -v a="$2" -v b="$3" 'NR > 1 && $1 >= a && $1 <= b { print $c }' "$out" |
    sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] + 0 }'
}
last_from=$(((days - 1) * 24 + 1))
for col in 2:rss_kib 3:fds 4:threads 5:wal_bytes; do
  n=${col%%:*} name=${col#*:}
  declare "d1_$name=$(peak "$n" 1 24)" "dn_$name=$(peak "$n" "$last_from" $((days * 24)))"
done
reports=$(db "SELECT count(*) FROM executions WHERE state = 'ingested'")
cabs=$(db "SELECT count(*) FROM cabs WHERE state = 'fetched'")
skipped=$(db "SELECT count(*) FROM cabs WHERE state <> 'fetched'")
echo "soak: $reports reports and $cabs cabs stored ($skipped cabs skipped, each with its reason)"
echo "soak: peak RSS first day ${d1_rss_kib} KiB, last day ${dn_rss_kib} KiB"
m1_fds=$(median 3 1 24) mn_fds=$(median 3 "$last_from" $((days * 24)))
echo "soak: fds first day median ${m1_fds} peak ${d1_fds}, last day median ${mn_fds} peak ${dn_fds}"
echo "soak: peak threads first day ${d1_threads}, last day ${dn_threads}"
echo "soak: peak WAL first day ${d1_wal_bytes} B, last day ${dn_wal_bytes} B; samples in $out"
check "RSS flat after the first day" test "$dn_rss_kib" -le $((d1_rss_kib * 11 / 10 + 2048))
# Descriptors come and go with the connections in flight, so the medians
# are compared (a leak moves the median; a busy sample does not).
check "descriptors flat after the first day" test "$mn_fds" -le $((m1_fds + 2))
check "threads flat after the first day" test "$dn_threads" -le "$d1_threads"
check "the WAL stays bounded (last day's peak no more than the first day's + 4 MiB)" \
  test "$dn_wal_bytes" -le $((d1_wal_bytes + 4 * 1024 * 1024))
echo "soak: $(($(date +%s) - started)) s of real time"
finish
