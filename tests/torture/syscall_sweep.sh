#!/usr/bin/env bash
# I/O errors at every point of a download run (D04, R05 and R02's points as
# errors instead of kills; docs/reliability.md §Torture tests): with strace
# --inject, the Nth write, pwrite64, fsync, fdatasync, rename (renameat,
# renameat2), openat, unlink (unlinkat) or ftruncate of hdc-reportd --once
# fails with EIO, then with ENOSPC, for every N from 1 to the count a clean
# download run makes (a call the run never makes has no point); each faulted
# run is followed by clean runs (at most 3) that must exit 0 and restore
# INV1-6.
#
#   bash tests/torture/syscall_sweep.sh BIN SRC
#   SWEEP_STRIDE (default 1): try every k-th N only (the first N is 1).
#   SWEEP_CALLS (default all of them): a comma-separated subset.
# Every faulted run starts from the same state (one setup run, the
# emulator's clock then moved past one run with cabs); strace counts per
# thread and injects at the Nth call of each thread, so
# download_concurrency = 1 keeps the file work on one thread. The count of a
# syscall is the largest per-thread count of a traced clean run.
# Prints the points tried per syscall and errno, the exit codes the faulted
# runs ended with, and the violations; exits 1 on any violation, 77 without
# a working strace.
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"

stride=${SWEEP_STRIDE:-1}
[[ $stride =~ ^[1-9][0-9]*$ ]] || { echo "SWEEP_STRIDE must be a positive number, not '$stride'"; exit 64; }
calls=${SWEEP_CALLS:-write,pwrite64,fsync,fdatasync,rename,renameat,renameat2,openat,unlink,unlinkat,ftruncate}
command -v strace >/dev/null || { echo "SKIP: strace is not installed"; exit 77; }
if ! strace -f -qq -o /dev/null -e inject=getppid:error=EPERM:when=1 true 2>"$tmp/probe"; then
  echo "SKIP: strace cannot trace here: $(head -1 "$tmp/probe")"
  exit 77
fi
# LeakSanitizer cannot run under ptrace (as in tests/e2e/crash_test.sh).
traced_asan=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

e2e_world 6 "cab 2" --rows 4 --cab-size 4K --seed 5
service_keys "$tmp/hdc.ini" "download_concurrency = 1" "control_listen = 127.0.0.1:0"
export HDC_CLIENT_SECRET=$DEMO_SECRET
export INV_CACHE=$tmp/inv-cache.txt  # the same world every time: the emulator's bytes once
started=$(date +%s)

run_once setup.err
[[ $rc == 0 ]] || { echo "FAIL the setup run exits $rc: $(tail -1 "$tmp/setup.err")"; exit 1; }
emu_clock '{"advance":"51h"}'  # both runs Completed
cp -a "$tmp/state" "$tmp/base"
restore() { rm -rf "$tmp/state" && cp -a "$tmp/base" "$tmp/state"; }

# The clean download run, traced: its per-thread maximum count of each call.
once_wrap=(env "ASAN_OPTIONS=$traced_asan" strace -f -qq -o "$tmp/clean.trace" -e "trace=$calls")
run_once clean.err
unset once_wrap
[[ $rc == 0 ]] || { echo "FAIL the traced clean download run exits $rc: $(tail -1 "$tmp/clean.err")"; exit 1; }
if ! check_invariants "$tmp/state" >"$tmp/inv.out"; then
  echo "FAIL INV after the clean download run: $(cat "$tmp/inv.out")"
  exit 1
fi
declare -A count=()
while read -r name n; do count[$name]=$n; done < <(
  awk '$2 ~ /^[a-z0-9_]+\(/ { split($2, a, "("); n[a[1] " " $1]++ }
       END { for (k in n) { split(k, b, " "); if (n[k] > m[b[1]]) m[b[1]] = n[k] }
             for (s in m) print s, m[s] }' "$tmp/clean.trace")
echo "clean download run, calls (largest per thread): $(for c in ${calls//,/ }; do printf '%s %s, ' $c "${count[$c]:-0}"; done)"

points=0 violations=0
declare -A tried=() exits=()
declare -a violation_lines=()
for call in ${calls//,/ }; do
  total=${count[$call]:-0}
  for errno in EIO ENOSPC; do
    for ((n = 1; n <= total; n += stride)); do
      restore
      once_wrap=(env "ASAN_OPTIONS=$traced_asan" strace -f -qq -o /dev/null
                 -e "trace=$call" -e "inject=$call:error=$errno:when=$n")
      run_once "fault.err"
      unset once_wrap
      points=$((points + 1))
      tried[$call/$errno]=$((${tried[$call/$errno]:-0} + 1))
      exits[$call/$errno]+=" $rc"
      # Clean runs: a cab that failed waits for its next attempt on the real
      # clock; time passes for it between runs (as tests/e2e/faults_test.sh does).
      for try in 1 2 3; do
        run_once "clean-after.err"
        [[ $rc == 0 ]] && break
        sqlite3 "$tmp/state/state.db" "UPDATE cabs SET next_attempt_at = NULL" 2>/dev/null
      done
      what=
      if [[ $rc != 0 ]]; then
        what="no clean run exited 0 in 3 tries (exit $rc: $(grep '^hdc-reportd: ' "$tmp/clean-after.err" | tail -1))"
      elif ! check_invariants "$tmp/state" >"$tmp/inv.out"; then
        what="invariants: $(tr '\n' ' ' <"$tmp/inv.out")"
      fi
      if [[ -n $what ]]; then
        violations=$((violations + 1))
        violation_lines+=("$call #$n $errno: $what")
        echo "  VIOLATION $call #$n $errno: $what"
        cp -a "$tmp/fault.err" "$tmp/violation-$call-$n-$errno.err"
      fi
    done
  done
done

echo "== syscall sweep: $points faulted runs (stride $stride) in $(($(date +%s) - started)) s"
for key in $(printf '%s\n' "${!tried[@]}" | sort); do
  printf '   %-18s %4d points, exits:' "$key" "${tried[$key]}"
  tr ' ' '\n' <<<"${exits[$key]}" | grep . | sort -n | uniq -c | awk '{ printf " %s x%s", $2, $1 } END { print "" }'
done
echo "   violations: $violations"
for v in "${violation_lines[@]}"; do echo "     $v"; done
((violations == 0))
