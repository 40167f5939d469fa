#!/usr/bin/env bash
# hdc-reportd --once as a process against an hdc-emulator process: completed
# runs are stored once, byte for byte, their rows ingested, and a second run
# downloads nothing.
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"
# Dates relative to the real clock: the daemon polls up to its own "now"
# and sweeps by it, so the emulator's first day lies a week back.
t0=$(date -u -d '-7 days' +%Y-%m-%d)
d() { date -u -d "$t0 $1 days" +%Y-%m-%d; }  # d N: the day N days after t0

start_emulator "$build/emulator/hdc-emulator" --clock manual --start $(d 0)T00:00:00Z
mkdir -p "$tmp/jobs.d"
cat >"$tmp/jobs.d/k.ini" <<INI
[job kernel]
view = IHVDriver
columns = FailureName, FailureHash, CabIdHash, CabType, ApplicationId, DeviceId, EventCount, FailureDateTime
start = $(d 0)T02:00:00Z
every = 24h
runs = 30
INI
write_config "$tmp/hdc.ini" "$tmp/state" "$tmp/jobs.d"
# The emulator's fixed dates may lie near the 30-day window of the real clock;
# counting from download time keeps the fixture's data through --once's sweep.
sed -i 's/^\[service\]$/[service]\nretention_clock = downloaded/' "$tmp/hdc.ini"
export HDC_CLIENT_SECRET=$DEMO_SECRET

"$bin" --once --config "$tmp/hdc.ini" 2>"$tmp/once1.err"
check "the first run exits 0" test $? = 0
curl -s -X POST "$EMU_URL/_emulator/clock" -d '{"advance":"75h"}' >/dev/null  # four runs complete

"$bin" --once --config "$tmp/hdc.ini" 2>"$tmp/once2.err"
check "the second run exits 0" test $? = 0
reports=$(find "$tmp/state/store/reports" -type f | sort)
check "four reports stored" test "$(wc -l <<<"$reports")" = 4
check "under store/reports/<job>/<reportId>/" bash -c "grep -q '/reports/kernel/[0-9]*/$(d 0 | tr -d -)T020000Z.txt' <<<'$reports'"
check "nothing left in store/tmp" test -z "$(ls -A "$tmp/state/store/tmp")"
rows=$(sqlite3 "$tmp/state/state.db" "SELECT count(*) FROM failures")
check "rows ingested ($rows)" test "$rows" -gt 0
check "executions ingested" test "$(sqlite3 "$tmp/state/state.db" "SELECT count(*) FROM executions WHERE state='ingested'")" = 4
hashes_ok=1
while IFS='|' read -r path sha; do
  [[ $(sha256sum "$tmp/state/store/$path" | cut -d' ' -f1) == "$sha" ]] || hashes_ok=0
done < <(sqlite3 "$tmp/state/state.db" "SELECT file_path, file_sha256 FROM executions WHERE state='ingested'")
check "every stored file matches its recorded SHA-256" test $hashes_ok = 1
check "the summary line counts the reports" grep -q "4 report(s) stored" "$tmp/once2.err"
pending=$(sqlite3 "$tmp/state/state.db" "SELECT count(*) FROM cabs WHERE state NOT IN ('fetched', 'skipped')")
fetched=$(sqlite3 "$tmp/state/state.db" "SELECT count(*) FROM cabs WHERE state = 'fetched'")
check "every referenced cab fetched or skipped ($fetched fetched, $pending left)" \
  bash -c "test $pending = 0 && test $fetched -gt 0"
check "one file per fetched cab under store/cabs" \
  test "$(find "$tmp/state/store/cabs" -name '*.cab' -type f | wc -l)" = "$fetched"
cab_ok=1
while IFS='|' read -r path sha container; do
  [[ $(sha256sum "$tmp/state/store/$path" | cut -d' ' -f1) == "$sha" && $container == MSCF ]] || cab_ok=0
done < <(sqlite3 "$tmp/state/state.db" "SELECT file_path, file_sha256, container FROM cabs WHERE state = 'fetched'")
check "every cab matches its recorded SHA-256 and is a cabinet" test $cab_ok = 1
first_cab=$(find "$tmp/state/store/cabs" -name '*.cab' -type f | head -1)
check "cabextract accepts a stored cab" cabextract -q -t "$first_cab"

"$bin" --once --config "$tmp/hdc.ini" 2>"$tmp/once3.err"
check "a third run exits 0" test $? = 0
check "and stores nothing new" grep -q "0 report(s) stored" "$tmp/once3.err"
check "and fetches no cab again" grep -q " 0 cab(s) fetched" "$tmp/once3.err"
blob_gets=$(curl -s "$EMU_URL/_emulator/requests" | grep -o '"path":"/drivers/Reports/[^"]*"' | sort)
check "each of the four report blobs was fetched exactly once" \
  test "$(wc -l <<<"$blob_gets")/$(uniq <<<"$blob_gets" | wc -l)" = "4/4"
check "no Authorization reached the blob host" bash -c \
  "! curl -s '$EMU_URL/_emulator/requests' | grep -o '{[^}]*127.0.0.2[^}]*}' | grep -q '\"authorization\":true'"
finish
