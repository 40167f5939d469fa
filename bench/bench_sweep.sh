#!/bin/bash
# Retention sweep: hdc-reportd's retention::Sweep against `rm -rf` of the same
# store plus the sqlite3 shell's DELETE of the same rows (docs/contributing.md §Benchmarks).
# Goal: ours >= 1.5x, i.e. the sweep takes at most two thirds of the reference's time.
#
# bench_sweep (built by CMake; this script builds nothing) populates a state
# directory whose data has all run out: FILES files (a tenth report files,
# the rest cabs in store/cabs/<xx>/) and ROWS failures rows. Each run copies
# it twice (untimed). Timed:
#   ours       bench_sweep sweep: open state.db, one Sweep (mark, unlink,
#              fsync each directory, the orphan scan of the store, the rows
#              'purged' / DELETEd in one transaction, the audit row, WAL
#              checkpoint(TRUNCATE)), close;
#   reference  rm -rf store/reports store/cabs, then the sqlite3 shell's
#              DELETE FROM failures WHERE clock_start < cutoff on the copy
#              (its default pragmas; Debian's shell has secure_delete on, WAL
#              from the file), close.
# The reference does less: no fsync of directories, no rows kept as
# 'purged', no audit, no orphan scan; it is the floor for "delete it all".
#
# Usage: bench/bench_sweep.sh path/to/bench_sweep [FILES] [ROWS]
#   BENCH_RUNS=3   runs; the best of each side is reported
#   BENCH_DIR=     work folder (default: a temporary one, removed after)
# Exit status: 0 when the goal is met, 1 when missed, 2 when a tool is missing.
set -euo pipefail

bench=${1:-}
files=${2:-100000}
rows=${3:-1000000}
runs=${BENCH_RUNS:-3}
[ -x "$bench" ] || { echo "usage: $0 path/to/bench_sweep [FILES] [ROWS]" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is not installed (apt-get install -y sqlite3)" >&2; exit 2; }
work=${BENCH_DIR:-$(mktemp -d)}
[ -n "${BENCH_DIR:-}" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"

echo "== populate: $files files, $rows rows"
rm -rf "$work/seed"
"$bench" populate "$work/seed" "$files" "$rows"
du -sh "$work/seed" | sed 's/^/   /'

now() { date +%s.%N; }

# The start-up link check (every start of the daemon, --once and
# hdc-reportctl sweep walks state_dir for symbolic links) against find
# doing the same walk, warm cache, best of the runs.
best_links=0 best_find=0
for r in $(seq 1 "$runs"); do
  out=$("$bench" links "$work/seed")
  ours=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$out")
  start=$(now)
  find "$work/seed" -type l >/dev/null
  end=$(now)
  ref=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
  printf 'links run %d: check %.3f s (%s), find -type l %.3f s\n' "$r" "$ours" "$out" "$ref"
  if [ "$best_links" = 0 ] || awk -v a="$ours" -v b="$best_links" 'BEGIN { exit !(a < b) }'; then best_links=$ours; fi
  if [ "$best_find" = 0 ] || awk -v a="$ref" -v b="$best_find" 'BEGIN { exit !(a < b) }'; then best_find=$ref; fi
done

best_ours=0 best_ref=0
for r in $(seq 1 "$runs"); do
  rm -rf "$work/ours" "$work/ref"
  cp -a "$work/seed" "$work/ours"
  cp -a "$work/seed" "$work/ref"
  sync
  out=$("$bench" sweep "$work/ours")
  ours=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$out")
  left=$(find "$work/ours/store" -type f | wc -l)
  [ "$left" = 0 ] || { echo "sweep left $left files" >&2; exit 1; }
  [ "$(sqlite3 "$work/ours/state.db" 'SELECT count(*) FROM failures')" = 0 ] || { echo "sweep left rows" >&2; exit 1; }

  start=$(now)
  rm -rf "$work/ref/store/reports" "$work/ref/store/cabs"
  sqlite3 "$work/ref/state.db" "DELETE FROM failures WHERE clock_start < '2026-01-01T00:00:00'"
  end=$(now)
  ref=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
  printf 'run %d: sweep %.3f s (%s), rm -rf + sqlite3 DELETE %.3f s\n' "$r" "$ours" "$out" "$ref"
  if [ "$best_ours" = 0 ] || awk -v a="$ours" -v b="$best_ours" 'BEGIN { exit !(a < b) }'; then best_ours=$ours; fi
  if [ "$best_ref" = 0 ] || awk -v a="$ref" -v b="$best_ref" 'BEGIN { exit !(a < b) }'; then best_ref=$ref; fi
done
rm -rf "$work/ours" "$work/ref"

ratio=$(awk -v a="$best_ours" -v b="$best_ref" 'BEGIN { printf "%.2f", b / a }')
echo
echo "== retention sweep, $files files + $rows rows (seconds, best of $runs; ratio = reference / ours)"
printf '%-40s %10s %10s %7s\n' "comparison" "ours" "reference" "ratio"
printf '%-40s %10s %10s %7s\n' "sweep vs rm -rf + sqlite3 DELETE (goal >= 1.5)" "$best_ours" "$best_ref" "$ratio"
links_ratio=$(awk -v a="$best_links" -v b="$best_find" 'BEGIN { printf "%.2f", (a > 0 ? b / a : 0) }')
printf '%-40s %10s %10s %7s\n' "start-up link check vs find -type l" "$best_links" "$best_find" "$links_ratio"
echo "RESULT ours_s=$best_ours reference_s=$best_ref ratio=$ratio"
awk -v r="$ratio" 'BEGIN { exit !(r >= 1.5) }'
