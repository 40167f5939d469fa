#!/usr/bin/env bash
# Slow servers (docs/reliability.md §Fault catalogue: N04; docs/operations.md
# §Nightly one-shot) against one hdc-emulator, hdc-reportd --once as a
# process, with small bounds: min_transfer_rate = 1K over a 2 s window and a
# run budget of a few seconds.
#   (a) Get Report Data drips its JSON at 20 B/s: every attempt is cut by the
#       rate floor, the run budget ends the run: exit 75 within the budget
#       (plus start-up slack) and one line naming the API host and its rate;
#   (b) the report blob drips at 50 B/s: the same, naming the blob host, and
#       the line carries no path, query or signature; INV2-5 hold;
#   (d) SIGTERM while the report blob drips (no bound near): the run stops
#       at its checkpoint, exit 75 with one line, its partial kept;
#   (c) the report blob drips at 3 KiB/s, slow but above the floor, over
#       several windows: the run completes (exit 0) and INV1-6 hold.
# The control that the bounds are what ends (a) and (b) is the unit test
# "with the rate floor at 0 the same drip is never cut (the control)" and
# its siblings in tests/unit/http/ (a run with the bounds off would drip for
# minutes, too long for this suite).
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"

e2e_world 7 "cab 7" --rows 40 --cab-size 4K --seed 5
service_keys "$tmp/hdc.ini" "min_transfer_rate = 1K" "min_transfer_rate_window = 2s" \
  "request_deadline = 30s" "run_budget = 60s"
export HDC_CLIENT_SECRET=$DEMO_SECRET
export INV_CACHE=$tmp/inv-cache.txt

budget() { sed -i "s/^run_budget = .*/run_budget = $1/" "$tmp/hdc.ini"; }
once_wrap=(timeout 60)
once() {  # once LOG: run_once; sets rc and ms (its wall time)
  local begin
  begin=$(date +%s%N)
  run_once "$1"
  ms=$((($(date +%s%N) - begin) / 1000000))
}
lines() { grep -c '^hdc-reportd: ' "$tmp/$1"; }
one_line() { grep '^hdc-reportd: ' "$tmp/$1"; }

once setup.err
check "(setup) the first run reconciles and exits 0 ($rc)" test $rc = 0
emu_clock '{"advance":"27h"}'  # two executions complete, reports of about 8.5 KB

# --- (a) a dripping JSON answer.
budget 4s
emu_faults '[{"endpoint":"reportdata","kind":"drip","rate":20}]'
once a.err
echo "  (a) ${ms} ms: $(one_line a.err)"
check "(a) exit 75 ($rc)" test $rc = 75
check "(a) ended within the 4 s budget plus 3 s of slack (${ms} ms)" test $ms -lt 7000
check "(a) one line" test "$(lines a.err)" = 1
check "(a) it names the budget, the API host and the measured rate" \
  grep -qE '^hdc-reportd: run budget of 4s spent, work left for the next run; the last transfer cut: 127\.0\.0\.1 at [0-9]+ B/s$' "$tmp/a.err"
check "(a) the floor cut attempts before the budget did" grep -q 'slower than 1.0 KiB/s over 2 s' "$tmp/a.err"

# --- (b) a dripping report blob.
budget 6s
emu_faults '[{"endpoint":"blob.report","kind":"drip","rate":50}]'
once b.err
echo "  (b) ${ms} ms: $(one_line b.err)"
check "(b) exit 75 ($rc)" test $rc = 75
check "(b) ended within the 6 s budget plus 3 s of slack (${ms} ms)" test $ms -lt 9000
check "(b) one line" test "$(lines b.err)" = 1
check "(b) it names the blob host and the measured rate" \
  grep -qE '^hdc-reportd: run budget of 6s spent, work left for the next run; the last transfer cut: 127\.0\.0\.2 at [0-9]+ B/s$' "$tmp/b.err"
check "(b) no query string or signature anywhere in the output" \
  bash -c "! grep -qE 'sig=|se=|\\?sv=' '$tmp/b.err'"
emu_faults '[]'
check "(b) INV2-5 hold" check_invariants "$tmp/state" partial

# --- (d) a stop signal in the middle of a slow download.
budget 60s
emu_faults '[{"endpoint":"blob.report","kind":"drip","rate":50}]'
begin=$(date +%s%N)
timeout 60 "$bin" --once --config "$tmp/hdc.ini" 2>"$tmp/d.err" &
pid=$!
blob_requests() { emu_requests | grep -c '"host":"127.0.0.2'; }
before=$(blob_requests)
more_blob_requests() { (($(blob_requests) > before)); }
check "(d) the run reaches the report download" wait_for "a blob request" more_blob_requests
kill -TERM "$(pgrep -P $pid)"
wait $pid
rc=$?
ms=$((($(date +%s%N) - begin) / 1000000))
echo "  (d) ${ms} ms: $(one_line d.err)"
check "(d) SIGTERM ends the run with 75 ($rc)" test $rc = 75
check "(d) well before the drip would have ended (${ms} ms)" test $ms -lt 20000
check "(d) one line, naming the signal" \
  grep -qx 'hdc-reportd: stopped by a signal, work left for the next run' "$tmp/d.err"
check "(d) the partial report is kept for a resume" bash -c "ls '$tmp/state/store/tmp' | grep -q '^report-'"
emu_faults '[]'
check "(d) INV2-5 hold" check_invariants "$tmp/state" partial

# --- (c) a slow blob above the floor completes.
budget 60s
emu_faults '[{"endpoint":"blob.report","kind":"drip","rate":3072}]'
once c.err
echo "  (c) ${ms} ms, rc $rc"
check "(c) the slow but steady download completes: exit 0 ($rc)" test $rc = 0
check "(c) it took longer than one rate window (${ms} ms)" test $ms -gt 2000
check "(c) both reports were stored, each dripped for about 2.8 s" grep -q ' 2 report(s) stored' "$tmp/c.err"
emu_faults '[]'
check "(c) INV1-6 hold" check_invariants "$tmp/state"
finish
