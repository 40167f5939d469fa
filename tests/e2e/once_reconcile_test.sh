#!/usr/bin/env bash
# hdc-reportd --once and hdc-reportctl plan as real processes against a real
# hdc-emulator process: reconcile, stay in sync, lock the state directory,
# and fail with the right exit code and one line.
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
emulator=$build/emulator/hdc-emulator
ctl=$build/daemon/hdc-reportctl
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"

start_emulator "$emulator" --clock manual --start 2026-11-01T00:00:00Z
mkdir -p "$tmp/jobs.d"
cat >"$tmp/jobs.d/k.ini" <<'INI'
[job kernel]
view = IHVDriver
columns = FailureName, FailureHash, CabIdHash, ApplicationId, DeviceId
where = EventType eq Kernel
start = 2026-11-02T02:00:00Z
every = 24h
runs = 30
[job top]
view = OEMDriver
columns = FailureName
aggregate = SUM(EventCount)
order_by = SUM(EventCount) desc
limit = 10
start = 2026-11-02T03:00:00Z
every = 12h
runs = 60
INI
write_config "$tmp/hdc.ini" "$tmp/state" "$tmp/jobs.d"
export HDC_CLIENT_SECRET=$DEMO_SECRET

"$ctl" plan --config "$tmp/hdc.ini" >"$tmp/plan1" 2>"$tmp/plan1.err"; rc=$?
check "plan before the first run exits 2 (changes pending)" test $rc = 2
check "plan lists the creates" grep -q "create template for job kernel" "$tmp/plan1"

"$bin" --once --config "$tmp/hdc.ini" 2>"$tmp/once1.err"; rc=$?
check "--once exits 0" test $rc = 0
counts=$(curl -s "$EMU_URL/_emulator/state")
check "one template per job remotely" grep -q '"templates":2' <<<"$counts"
check "one schedule per job remotely" grep -q '"schedules":2' <<<"$counts"

"$ctl" plan --config "$tmp/hdc.ini" >"$tmp/plan2"; rc=$?
check "plan after the run exits 0 (in sync)" test $rc = 0
check "plan says in sync" grep -q "(in sync)" "$tmp/plan2"
"$ctl" --json plan --config "$tmp/hdc.ini" >"$tmp/plan3"
check "plan --json is JSON with in_sync" grep -q '"in_sync": true' "$tmp/plan3"

"$bin" --once --config "$tmp/hdc.ini" 2>/dev/null
check "a second --once creates nothing" grep -q '"templates":2' <<<"$(curl -s "$EMU_URL/_emulator/state")"

# A second process on the same state directory fails at once.
curl -s -X POST "$EMU_URL/_emulator/faults" \
  -d '{"faults":[{"endpoint":"template.list","kind":"latency","ms":4000,"nth":1,"count":1}]}' >/dev/null
"$bin" --once --config "$tmp/hdc.ini" 2>"$tmp/first.err" &
first=$!
# The lock file holds the pid of the process that holds the lock.
wait_for "the first process to hold the lock" bash -c "grep -qx '$first' '$tmp/state/lock'"
# It now spends 4 s in the slowed template listing while holding the lock.
start=$(date +%s%N)
"$bin" --once --config "$tmp/hdc.ini" 2>"$tmp/second.err"; rc=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "the second process exits 75" test $rc = 75
check "it names the directory and the holder" \
  grep -q "state directory $tmp/state is in use by process $first" "$tmp/second.err"
check "it fails at once (${elapsed_ms} ms)" test $elapsed_ms -lt 2000
wait $first
check "the first process still finishes cleanly" test $? = 0

# A revoked client: exit 77 and one line, without the secret.
curl -s -X POST -d "" "$EMU_URL/_emulator/clients/$DEMO_CLIENT/revoke" >/dev/null
"$bin" --once --config "$tmp/hdc.ini" 2>"$tmp/revoked.err"; rc=$?
check "a revoked client exits 77" test $rc = 77
check "with one line" test "$(grep -vc ' info \| warn ' "$tmp/revoked.err")" = 1
check "naming the refusal" grep -q "unauthorized_client" "$tmp/revoked.err"
check "never the secret" bash -c "! grep -q '$DEMO_SECRET' '$tmp/revoked.err'"
finish
