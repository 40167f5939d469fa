#!/usr/bin/env bash
# Memory on long lines (docs/reliability.md S7, and the record limit in
# docs/hdc-api.md §Report files): a hostile server's report whose first
# record is one 10 MB field on one line (the emulator's long_field fault)
# once peaked the daemon at 102 MB (98 MiB here). hdc-reportd --once as a
# process must refuse it as bad data (exit 65, one line naming the record)
# with a peak RSS under 32 MiB, measured by GNU time from the kernel's
# accounting, and keep nothing of it.
# Controls: a field just under the record limit is ingested (exit 0), so the
# limit refuses only what it must; sort(1) holding a 40 MB line peaks above
# 32 MiB under the same measure, so the measure can fail.
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"
if sanitizer_build; then
  echo "skip $real_bin is a sanitizer build: its peak RSS is the sanitizer's, not the product's"
  exit 77
fi
[[ -x /usr/bin/time ]] || { echo "FAIL GNU time is not installed (make deps installs it)"; exit 1; }
limit_kib=$((32 * 1024))

e2e_world 7 daily
service_keys "$tmp/hdc.ini" "retention_clock = downloaded"
export HDC_CLIENT_SECRET=$DEMO_SECRET
once() {  # once NAME: run_once under GNU time, stderr to NAME.err; sets rc and kib (peak RSS)
  local -a once_wrap=(/usr/bin/time -f %M -o "$tmp/$1.rss")
  run_once "$1.err"
  kib=$(tail -n 1 "$tmp/$1.rss")
}
db() { sqlite3 "$tmp/state/state.db" "$@"; }

once setup
check "(setup) the first run reconciles and exits 0 ($rc)" test $rc = 0
echo "  setup run: peak RSS $((kib / 1024)) MiB"
emu_clock '{"advance":"27h"}'  # the first run (02:00) completes

emu_faults '[{"endpoint":"blob.report","kind":"long_field","bytes":10000000}]'
once long
echo "  10 MB field: exit $rc, peak RSS $((kib / 1024)) MiB; $(grep '^hdc-reportd: ' "$tmp/long.err")"
check "a 10 MB single-line record exits 65 ($rc)" test $rc = 65
check "with one line naming the record and the limit" \
  bash -c "test \$(grep -c '^hdc-reportd: ' '$tmp/long.err') = 1 && grep -q '^hdc-reportd: .*line 2: a record longer than 256 KiB' '$tmp/long.err'"
check "peak RSS under 32 MiB (${kib} KiB)" test "$kib" -lt $limit_kib
check "no row of it ingested" test "$(db 'SELECT count(*) FROM failures')" = 0
INV_KEEP_FAULTS=1 check "INV2-5 hold (against the fault's bytes)" check_invariants "$tmp/state" partial

# Control: a field just under the record limit is an ordinary record, and
# the largest a report file can hold, so it too stays under the bound.
emu_faults '[{"endpoint":"blob.report","kind":"long_field","bytes":250000}]'
db "UPDATE executions SET state = 'new', attempts = 0, next_attempt_at = NULL, last_error = NULL" 2>/dev/null
once near
echo "  250 KB field: exit $rc, peak RSS $((kib / 1024)) MiB"
check "control: a 250,000-byte field is ingested: exit 0 ($rc)" test $rc = 0
check "control: under 32 MiB too (${kib} KiB)" test "$kib" -lt $limit_kib
check "control: its row is stored whole" \
  test "$(db "SELECT max(length(failure_name)) FROM failures" 2>/dev/null || echo none)" = 250000

# Control: the measure sees a process that does hold a long line.
head -c 40000000 /dev/zero | tr '\0' x >"$tmp/line"
/usr/bin/time -f %M -o "$tmp/sort.rss" sort "$tmp/line" >/dev/null
sort_kib=$(tail -n 1 "$tmp/sort.rss")
check "control: sort holding a 40 MB line peaks above 32 MiB (${sort_kib} KiB)" test "$sort_kib" -gt $limit_kib
finish
