#!/bin/bash
# The idle daemon (docs/contributing.md §Benchmarks): hdc-reportd with 50 jobs against
# hdc-emulator, after start-up work is done and before any run is due, side
# by side with an idle shell loop that sleeps a second at a time.
# Printed for both over the same IDLE_SECONDS: resident memory (goal for the
# daemon: PSS <= 12 MiB), CPU time as a share of one core (goal < 0.05 %) and
# wake-ups per second (goal <= 0.1/s: voluntary context switches of all
# threads, from /proc/PID/task/*/status; the loop's from GNU time, children
# included). The daemon's wake-ups are then named per thread (the threads
# name themselves, docs/operations.md §Threads).
# RSS counts shared library pages (libcrypto alone is ~4 MiB); the private
# (RssAnon) and proportional (PSS) figures are printed beside it.
#
# Usage: bench/bench_idle.sh BUILD_DIR
#   IDLE_SECONDS=600  how long to measure (the goals are set over 10 minutes)
#   JOBS_N=50         jobs
# Exit status: 0 when both goals are met, 1 when one is missed, 2 when a
# tool is missing.
set -euo pipefail
build=${1:?usage: bench_idle.sh BUILD_DIR}
seconds=${IDLE_SECONDS:-600}
jobs=${JOBS_N:-50}
for tool in curl /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench_idle: $tool missing (make bench-deps)"; exit 2; }
done
tmp=$(mktemp -d)
source "$(dirname "$0")/../tests/e2e/lib.sh"
start_emulator "$build/emulator/hdc-emulator" --clock real
trap 'kill ${pid:-} $EMU_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

mkdir -p "$tmp/jobs.d"
tomorrow=$(date -u -d tomorrow +%Y-%m-%d)
for i in $(seq 1 "$jobs"); do
  cat >"$tmp/jobs.d/job$i.ini" <<INI
[job job$i]
view = IHVDriver
columns = FailureName, FailureHash, CabIdHash, EventCount, FailureDateTime
where = EventCount gt $i
start = ${tomorrow}T02:00:00Z
every = 24h
runs = 30
INI
done
write_config "$tmp/hdc.ini" "$tmp/state" "$tmp/jobs.d"
sed -i "s|^\[service\]$|[service]\ncontrol_listen = 127.0.0.1:0|" "$tmp/hdc.ini"
export HDC_CLIENT_SECRET=$DEMO_SECRET
# As root the override (docs/operations.md §Privileges): the bench's state is scratch.
"$build/daemon/hdc-reportd" $([[ $(id -u) == 0 ]] && echo --allow-root) --config "$tmp/hdc.ini" 2>"$tmp/daemon.err" &
pid=$!
# Start-up work: 50 templates and schedules, 50 polls, a sweep.
polled() {
  local addr
  addr=$(cat "$tmp/state/control-address" 2>/dev/null) || return 1
  [[ $(curl -sf "http://$addr/metrics" | awk '$1 ~ /^hdc_reportd_polls_total/ { s += $2 } END { print s + 0 }') -ge $jobs ]]
}
wait_for "start-up work" polled || { cat "$tmp/daemon.err"; exit 1; }

ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
switches() { cat /proc/$pid/task/*/status | awk '/^voluntary_ctxt_switches/ { s += $2 } END { print s }'; }
# "tid name switches" per thread.
per_thread() {
  local t
  for t in /proc/$pid/task/*; do
    echo "${t##*/} $(cat "$t/comm") $(awk '/^voluntary_ctxt_switches/ { print $2 }' "$t/status")"
  done | LC_ALL=C sort
}
hz=$(getconf CLK_TCK)
per_thread >"$tmp/threads.0"
t0=$(ticks); s0=$(switches); w0=$(date +%s%N)
/usr/bin/time -f '%U %S %w %M' -o "$tmp/loop.time" bash -c "for _ in \$(seq $seconds); do sleep 1; done" &
loop=$!
wait $loop
t1=$(ticks); s1=$(switches); w1=$(date +%s%N)
per_thread >"$tmp/threads.1"
rss_kib=$(awk '/^VmRSS/ { print $2 }' /proc/$pid/status)
hwm_kib=$(awk '/^VmHWM/ { print $2 }' /proc/$pid/status)
anon_kib=$(awk '/^RssAnon/ { print $2 }' /proc/$pid/status)
pss_kib=$(awk '/^Pss:/ { print $2 }' /proc/$pid/smaps_rollup)
read -r lu ls lw lm <"$tmp/loop.time"
wall=$(( (w1 - w0) / 1000000 ))
awk -v t=$((t1 - t0)) -v hz="$hz" -v s=$((s1 - s0)) -v wall="$wall" -v rss="$rss_kib" -v hwm="$hwm_kib" -v anon="$anon_kib" -v pss="$pss_kib" \
    -v lu="$lu" -v ls="$ls" -v lw="$lw" -v lm="$lm" -v jobs="$jobs" 'BEGIN {
  secs = wall / 1000
  cpu = t / hz / secs * 100; lcpu = (lu + ls) / secs * 100
  printf "idle over %.0f s, %d jobs:\n", secs, jobs
  printf "  hdc-reportd  RSS %.1f MiB (peak %.1f; private %.1f, PSS %.1f)  CPU %.4f %%  wake-ups %.2f/s\n", rss / 1024, hwm / 1024, anon / 1024, pss / 1024, cpu, s / secs
  printf "  sleep loop   RSS %.1f MiB            CPU %.4f %%  wake-ups %.2f/s\n", lm / 1024, lcpu, lw / secs
  printf "  goals: PSS <= 12 MiB %s, CPU < 0.05 %% %s, wake-ups <= 0.1/s %s\n", pss <= 12288 ? "met" : "MISSED", cpu < 0.05 ? "met" : "MISSED", s / secs <= 0.1 ? "met" : "MISSED"
  exit !(pss <= 12288 && cpu < 0.05 && s / secs <= 0.1)
}' && met=0 || met=1
echo "  wake-ups by thread (threads alive over the whole interval):"
LC_ALL=C join "$tmp/threads.0" "$tmp/threads.1" | awk -v wall="$wall" '{ printf "    %-16s %.3f/s\n", $2, ($5 - $3) / (wall / 1000) }'
exit $met
