#!/usr/bin/env bash
# R02 (docs/reliability.md §Fault catalogue): hdc-reportd --once killed with SIGKILL at 20
# deterministic points (the Nth rename/fsync/fdatasync/write/pwrite64/unlink,
# injected by strace), each followed by more runs (some killed again) and a
# clean one, after which the invariants INV1-6 hold and no template or
# schedule was created twice.
#   - 4 points fall in the first run (reconcile: intents, remote creates,
#     their commits), each from an empty state and a reset emulator;
#   - 16 fall in a download run (4 reports, ~40 cabs), each from a copy of
#     the same state taken before that run.
# N is spread evenly over the syscall counts of clean runs, with a seeded
# jitter (CRASH_SEED). The counts differ a little between runs (thread
# timing, retries), so each phase is traced twice, and a point is at most
# 90% of the smaller count. The write calls vary most (a cab's body may
# arrive in one read or two: 78 to 98 calls on a loaded machine), so a kill
# run that ends without reaching its point (exit 0) is re-picked once at the
# same place of the calls that run made, from the same start, and named in
# the output; each point's last kill must happen. download_concurrency = 1,
# because strace counts per thread.
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"

if ! command -v strace >/dev/null; then
  echo "FAIL strace is not installed: the crash test needs it (apt-get install strace)"
  exit 1
fi
if ! strace -f -qq -o /dev/null -e inject=getppid:error=EPERM:when=1 true 2>"$tmp/probe"; then
  echo "FAIL strace cannot trace here: $(head -1 "$tmp/probe")"
  exit 1
fi
seed=${CRASH_SEED:-20261126}
echo "crash points seeded with CRASH_SEED=$seed"

e2e_world 6 "cab 4" --rows 12 --cab-size 8K --seed 7
sed -i '/^\[service\]/a download_concurrency = 1' "$tmp/hdc.ini"
export HDC_CLIENT_SECRET=$DEMO_SECRET
export INV_CACHE=$tmp/inv-cache.txt
calls=rename,renameat,renameat2,fsync,fdatasync,write,pwrite64,unlink,unlinkat
# LeakSanitizer cannot run under ptrace: off for the traced processes of an
# ASan build (the last setting wins; harmless elsewhere).
traced_asan=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

once_append=1  # run_once: a kill and the runs after it share one log
killed_once() {  # killed_once SYSCALL N LOG: run_once killed at the Nth SYSCALL, traced to kill.trace; sets rc (137 = killed)
  echo "== kill at $1 #$2" >>"$tmp/$3"
  local -a once_wrap=(env "ASAN_OPTIONS=$traced_asan" strace -f -qq -o "$tmp/kill.trace"
                      -e "inject=$1:signal=SIGKILL:when=$2")
  run_once "$3"
}
# counts TRACE: "syscall max-count-per-thread" lines of an strace -f log.
counts() {
  awk '$2 ~ /^[a-z0-9_]+\(/ { split($2, a, "("); n[a[1] " " $1]++ }
       END { for (k in n) { split(k, b, " "); if (n[k] > m[b[1]]) m[b[1]] = n[k] }
             for (s in m) print s, m[s] }' "$1" | sort
}
# min_counts COUNTS COUNTS: per syscall, the smaller of two counts (a
# syscall missing from one of them is left out).
min_counts() {
  awk 'NR == FNR { a[$1] = $2; next } ($1 in a) { print $1, ($2 < a[$1] ? $2 : a[$1]) }' \
    <(echo "$1") <(echo "$2") | sort
}
# repick SYSCALL N COUNTS: after a kill run that ended before its Nth
# SYSCALL, the point at the same place of the calls that run made
# (kill.trace), at most 90% of them; N's place is N over the class's count
# in COUNTS.
repick() {
  local made total
  made=$(counts "$tmp/kill.trace" | awk -v c="$1" '$1 == c { print $2 }')
  total=$(awk -v c="$1" '$1 == c { print $2 }' <<<"$3")
  local n=$(($2 * ${made:-0} / total))
  ((n <= ${made:-0} * 9 / 10)) || n=$((${made:-0} * 9 / 10))
  echo "${made:-0} $((n < 1 ? 1 : n))"
}
# pick_points COUNTS K SEED: K "syscall N" lines, spread evenly over each
# class (classes in turn), 1 <= N <= 90% of the count (rounded down), with
# jitter from SEED (bash reseeds $RANDOM in subshells, so each call seeds it).
pick_points() {
  RANDOM=$3
  local -a names=() totals=()
  local name total i k
  while read -r name total; do
    [[ $total -ge 2 ]] || continue
    names+=("$name"); totals+=("$total")
  done <<<"$1"
  local classes=${#names[@]}
  for ((i = 0; i < $2; i++)); do
    k=$((i % classes))
    total=${totals[$k]}
    local slots=$((($2 + classes - 1 - k) / classes))  # points this class gets
    local slot=$((i / classes))
    local cap=$((total * 9 / 10))
    local lo=$((1 + cap * slot / slots)) hi=$((cap * (slot + 1) / slots))
    ((hi >= lo)) || hi=$lo
    echo "${names[$k]} $((lo + RANDOM % (hi - lo + 1)))"
  done
}
posts() {  # posts PATH: POSTs to exactly PATH in the emulator's request log
  emu_requests | grep '"method":"POST"' | grep -c "\"path\":\"$1\""
}
fresh_emulator() {
  curl -sf -X POST "$EMU_URL/_emulator/reset" >/dev/null
  emu_clock "{\"set\":\"${t0}T00:00:00Z\"}"
  rm -rf "$tmp/state"
}

traced_once() {  # traced_once NAME: run_once under strace, the trace to NAME.trace, stderr to NAME.err
  local -a once_wrap=(env "ASAN_OPTIONS=$traced_asan" strace -f -qq -o "$tmp/$1.trace" -e "trace=$calls")
  local once_append=
  run_once "$1.err"
}

# --- Traced clean runs, twice: what the points are chosen from.
for r in 1 2; do
  fresh_emulator
  traced_once setup-$r
  check "the traced setup run $r exits 0 ($rc)" test $rc = 0
  emu_clock '{"advance":"75h"}'
  traced_once download-$r
  check "the traced download run $r exits 0 ($rc)" test $rc = 0
  check "it stored 4 reports" grep -q " 4 report(s) stored" "$tmp/download-$r.err"
  check "INV after the traced clean runs $r" check_invariants "$tmp/state"
  # The threads that make the durable calls (a sanitizer runtime's own probe
  # writes come from every thread, and --once keeps two waiting threads: its
  # run budget and its stop signal).
  threads=$(grep -E '^[0-9]+ +(fdatasync|fsync|pwrite64|rename|unlink)\(' "$tmp/download-$r.trace" | awk '{print $1}' | sort -u | wc -l)
  check "the download run's file work is one thread with download_concurrency = 1 ($threads)" test "$threads" = 1
  echo "setup run $r: $(counts "$tmp/setup-$r.trace" | tr '\n' ' ')"
  echo "download run $r: $(counts "$tmp/download-$r.trace" | tr '\n' ' ')"
done
setup_counts=$(min_counts "$(counts "$tmp/setup-1.trace")" "$(counts "$tmp/setup-2.trace")")
download_counts=$(min_counts "$(counts "$tmp/download-1.trace")" "$(counts "$tmp/download-2.trace")")
mapfile -t setup_points < <(pick_points "$(grep -E '^(fdatasync|pwrite64|unlink) ' <<<"$setup_counts")" 4 "$seed")
mapfile -t download_points < <(pick_points "$(grep -E '^(rename|renameat2?|fsync|fdatasync|write|pwrite64|unlink|unlinkat) ' <<<"$download_counts")" 16 $((seed + 1)))
echo "setup points: ${setup_points[*]}"
echo "download points: ${download_points[*]}"
check "20 crash points chosen" test $((${#setup_points[@]} + ${#download_points[@]})) = 20

# --- Kills in the first run: remote creates must not be repeated.
repicked=0
killed=0 inv_ok=0 posts_ok=0 clean_ok=0
for point in "${setup_points[@]}"; do
  read -r call n <<<"$point"
  fresh_emulator
  log=setup-$call-$n.err
  killed_once "$call" "$n" "$log"
  if [[ $rc == 0 ]]; then
    read -r made m < <(repick "$call" "$n" "$setup_counts")
    echo "  $call #$n was not reached (the run made $made): re-picked #$m (setup)"
    n=$m repicked=$((repicked + 1))
    fresh_emulator
    killed_once "$call" "$n" "$log"
  fi
  [[ $rc == 137 ]] && killed=$((killed + 1)) || echo "  $call #$n: not killed, exit $rc (setup)"
  run_once "$log"
  [[ $rc == 0 ]] && clean_ok=$((clean_ok + 1))
  t=$(posts /analytics/driver/reporttemplate) s=$(posts /analytics/driver/report)
  if [[ $t == 1 && $s == 1 ]]; then posts_ok=$((posts_ok + 1)); else
    echo "  $call #$n: $t template POSTs, $s schedule POSTs"; fi
  if check_invariants "$tmp/state"; then inv_ok=$((inv_ok + 1)); else echo "  ^ after $call #$n (setup)"; fi
done
check "the 4 setup points each killed the run ($killed)" test $killed = 4
check "the clean run after each exits 0 ($clean_ok)" test $clean_ok = 4
check "one template POST and one schedule POST each time ($posts_ok)" test $posts_ok = 4
check "INV after each ($inv_ok)" test $inv_ok = 4

# --- Kills in the download run, from the same state each time; every other
# point is followed by a second killed run before the clean one.
fresh_emulator
run_once setup.err
check "a clean setup run before the download points exits 0 ($rc)" test "$rc" = 0
emu_clock '{"advance":"75h"}'
cp -a "$tmp/state" "$tmp/base"
killed=0 second=0 inv_ok=0 clean_ok=0 i=0
for point in "${download_points[@]}"; do
  read -r call n <<<"$point"
  rm -rf "$tmp/state" && cp -a "$tmp/base" "$tmp/state"
  log=download-$call-$n.err
  killed_once "$call" "$n" "$log"
  if [[ $rc == 0 ]]; then
    read -r made m < <(repick "$call" "$n" "$download_counts")
    echo "  $call #$n was not reached (the run made $made): re-picked #$m (download)"
    n=$m repicked=$((repicked + 1))
    rm -rf "$tmp/state" && cp -a "$tmp/base" "$tmp/state"
    killed_once "$call" "$n" "$log"
  fi
  [[ $rc == 137 ]] && killed=$((killed + 1)) || echo "  $call #$n: not killed, exit $rc (download)"
  if ((i++ % 2 == 1)); then
    killed_once "$call" $(((n + 1) / 2)) "$log"
    [[ $rc == 137 ]] && second=$((second + 1))
  fi
  run_once "$log"
  [[ $rc == 0 ]] && clean_ok=$((clean_ok + 1)) || echo "  clean run after $call #$n: exit $rc: $(tail -1 "$tmp/$log")"
  if check_invariants "$tmp/state"; then inv_ok=$((inv_ok + 1)); else echo "  ^ after $call #$n (download)"; fi
done
echo "second runs killed too: $second of 8; points re-picked: $repicked of 20"
check "the 16 download points each killed the run ($killed)" test $killed = 16
check "the clean run after each exits 0 ($clean_ok)" test $clean_ok = 16
check "INV after each ($inv_ok)" test $inv_ok = 16
t=$(posts /analytics/driver/reporttemplate) s=$(posts /analytics/driver/report)
check "no template or schedule created again ($t, $s POSTs)" test "$t/$s" = 1/1

# --- Controls: the invariant check fails on damage it must see.
cp -a "$tmp/state" "$tmp/flip"
cab=$(find "$tmp/flip/store/cabs" -name '*.cab' | head -1)
printf '\x00\x01' | dd of="$cab" bs=1 seek=4000 conv=notrunc status=none
out=$(check_invariants "$tmp/flip"); rc=$?
check "control: a changed byte in a cab fails INV2" bash -c "test $rc = 1 && grep -q 'INV2: cabs/.*sha256' <<<'$out'"
rm -rf "$tmp/flip" && cp -a "$tmp/state" "$tmp/flip"
report=$(find "$tmp/flip/store/reports" -type f | head -1)
cp "$report" "${report%.*}.copy.txt"
: >"$tmp/flip/store/tmp/cab-x.part"
sqlite3 "$tmp/flip/state.db" "UPDATE executions SET state = 'new' WHERE rowid = (SELECT min(rowid) FROM executions)"
out=$(check_invariants "$tmp/flip")
check "control: an extra file in store/reports fails INV3" grep -q 'INV3: files without a row' <<<"$out"
check "control: a file left in store/tmp fails INV6" grep -q 'INV6' <<<"$out"
check "control: a Completed run not ingested fails INV1" grep -q 'INV1: report' <<<"$out"
finish
