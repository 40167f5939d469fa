#!/usr/bin/env bash
# SIGTERM while the daemon downloads a cab (V01 in docs/reliability.md §Fault catalogue):
# STOPPING=1, exit 0 well inside TimeoutStopSec, the partial kept in store/tmp
# with its ETag recorded, and the next run resumes it with a Range request
# (206) instead of starting again; afterwards the store is whole (INV1-6).
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"

# 4 MiB cabs, one per row; downloads throttled to 1 MiB/s by the daemon's
# max_bandwidth, so one is in flight when SIGTERM arrives.
e2e_world 7 "daily yes" --set cab_size=4194304 --set cab_every_hours=0 --set rows_per_execution=3
service_keys "$tmp/hdc.ini" "control_listen = 127.0.0.1:0" "callback_url = https://hdc.example.com/hook" \
  "retention_clock = downloaded" "max_bandwidth = 1M" "download_concurrency = 1" "min_free_space = 1M"
export HDC_CLIENT_SECRET=$DEMO_SECRET

start_notify_listener "$build"
NOTIFY_SOCKET=$tmp/notify.sock "$bin" --config "$tmp/hdc.ini" 2>"$tmp/daemon.err" &
pid=$!
trap 'kill $pid $NOTIFY_PIDS $EMU_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
wait_for "the schedule" grep -q "create schedule for job kernel" "$tmp/daemon.err"
addr=$(cat "$tmp/state/control-address")
emu_clock '{"advance":"27h"}'  # one run completes
curl -sf -X POST "http://$addr/callback/$(cat "$tmp/state/callback-token")" -d '{}' >/dev/null

db() { sqlite3 "$tmp/state/state.db" "$@" 2>/dev/null; }
# A partial past the 1 MiB resume threshold, its ETag committed.
in_flight() {
  [[ -n $(find "$tmp/state/store/tmp" -name 'cab-*.part' -size +1100k 2>/dev/null) ]] &&
    [[ $(db "SELECT count(*) FROM cabs WHERE partial_etag IS NOT NULL") -ge 1 ]]
}
check "a cab download is in flight with its ETag recorded" wait_for "a partial" in_flight
started=$(date +%s%N)
kill -TERM $pid
wait $pid
rc=$?
ms=$(( ($(date +%s%N) - started) / 1000000 ))
echo "  SIGTERM to exit during a download: $ms ms"
check "SIGTERM mid-download exits 0 ($rc)" test $rc = 0
check "within 10 s (TimeoutStopSec is 60 s)" test $ms -lt 10000
check "STOPPING=1 was sent" grep -q "STOPPING=1" "$tmp/notify.log"
partial=$(find "$tmp/state/store/tmp" -name 'cab-*.part' | head -1)
check "the partial stays in store/tmp" test -n "$partial"
check "its row is waiting with the ETag (resumable)" \
  test "$(db "SELECT count(*) FROM cabs WHERE state = 'pending' AND partial_etag IS NOT NULL")" -ge 1
check "INV2-5 hold after the stop" check_invariants "$tmp/state" partial

# The next run resumes the partial.
sed -i 's/^max_bandwidth = 1M$/max_bandwidth = 0/' "$tmp/hdc.ini"
"$bin" --once --config "$tmp/hdc.ini" 2>"$tmp/once.err"
check "the next --once exits 0" test $? = 0
check "it resumed with a Range request (206 from blob storage)" \
  bash -c "curl -sf '$EMU_URL/_emulator/requests' | grep -q '\"status\":206'"
check "INV1-6 hold afterwards" check_invariants "$tmp/state"
finish
