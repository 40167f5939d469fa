#!/usr/bin/env bash
# Security checks of hdc-reportd --once as a process (N10, H01 and A02 in
# docs/reliability.md §Fault catalogue; S4 and S6 in docs/reliability.md §Security checklist):
#   (a) no Authorization header reaches the blob host (127.0.0.2) in a full
#       run with cabs;
#   (b) hostile CabIdHash values from the server (the emulator's hostile_ids
#       fault: ../../etc/passwd, ..\..\x, /etc/passwd, a/b, .., CON and one
#       with CR LF) are refused and logged, never used as a path: no file
#       appears outside the store, the error line is one line;
#   (c) the client secret, bearer tokens (eyJ...) and SAS signatures never
#       appear in the daemon's output (log_level = debug) or in state.db,
#       also when the secret is refused.
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"

e2e_world 6 "cab 2" --rows 40 --cab-size 8K --seed 3
sed -i 's/^log_level = .*/log_level = debug/' "$tmp/hdc.ini"
sed -i "/^\[service\]/a download_concurrency = 1" "$tmp/hdc.ini"  # cabs in id order: the CR LF id first
export HDC_CLIENT_SECRET=$DEMO_SECRET
db=$tmp/state/state.db

run_once setup.err
check "the setup run exits 0 ($rc)" test $rc = 0
emu_clock '{"advance":"27h"}'  # two runs complete

# --- (b) Hostile ids in the report files.
passwd_before=$(sha256sum /etc/passwd)
touch "$tmp/marker"
sleep 0.01  # distinct mtimes for find -newer (a timestamp, not a wait for the daemon)
emu_faults '[{"endpoint":"blob.report","kind":"hostile_ids"}]'
run_once hostile.err
echo "   $(grep '^hdc-reportd: ' "$tmp/hostile.err")"
check "(b) the run with hostile ids exits 65, bad data from the server ($rc)" test $rc = 65
check "(b) it still stored both reports" grep -q " 2 report(s) stored" "$tmp/hostile.err"
lines=$(grep -c '^hdc-reportd: ' "$tmp/hostile.err")
check "(b) its error message is one line ($lines)" test "$lines" = 1
check "(b) no forged line (a CR LF in an id) in the output" bash -c "! grep -q '^hdc-reportd: forged' '$tmp/hostile.err'"
for id in "../../etc/passwd" "..\\x5c..\\x5cx" "/etc/passwd" "a/b" ".." "CON" "-\\x0d\\x0ahdc-reportd: forged line"; do
  check "(b) refusal of '$id' logged" grep -qF "refusing cab id '$id'" "$tmp/hostile.err"
done
refused=$(sqlite3 "$db" "SELECT count(*) FROM cabs WHERE state = 'failed' AND last_error LIKE '%not a plain token%'")
check "(b) the 7 hostile ids are recorded failed, not retried ($refused)" test "$refused" = 7
check "(b) every stored cab is <shard>/<GUID>.cab" bash -c "cd '$tmp/state/store/cabs' && ! find . -type f | grep -vqE '^\./[0-9a-f]{2}/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\.cab$'"
outside=$(find "$tmp" -newer "$tmp/marker" ! -type d | grep -vE "^$tmp/(state/(store/(reports|cabs)/.*|store/tmp/[^/]*|state\.db.*|lock)|[a-z0-9]+\.err|emulator\.log|inv-cache\.txt)$")
check "(b) no file outside the store: ${outside:-none}" test -z "$outside"
check "(b) nothing named like a hostile id anywhere under the test dir" \
  bash -c "! find '$tmp' \( -name 'passwd*' -o -name '*x.cab' -o -name 'b.cab' -o -name 'CON*' -o -name '*forged*' \) | grep -q ."
check "(b) /etc/passwd untouched, no /etc/passwd.cab" \
  bash -c "test '$(sha256sum /etc/passwd)' = '$passwd_before' && test ! -e /etc/passwd.cab"
run_once after.err
check "(b) the next run exits 0 ($rc)" test $rc = 0
# The emulator's report bytes are the hostile ones while the fault is on.
check "(b) INV holds (the hostile report's bytes compared with the fault on)" \
  bash -c "source '$src/tests/e2e/lib.sh'; EMU_URL=$EMU_URL; curl -sf -X POST $EMU_URL/_emulator/faults -d '{\"faults\":[{\"endpoint\":\"blob.report\",\"kind\":\"hostile_ids\"}]}' >/dev/null; INV_KEEP_FAULTS=1 check_invariants '$tmp/state'"
emu_faults '[]'

# --- (a) Authorization never reaches the blob host.
log=$(emu_requests)
blob=$(grep -c '"host":"127.0.0.2"' <<<"$log")
api_auth=$(grep '"host":"127.0.0.1"' <<<"$log" | grep -c '"authorization":true')
leaked=$(grep '"host":"127.0.0.2"' <<<"$log" | grep -c '"authorization":true')
check "(a) the runs fetched from the blob host ($blob requests) and sent tokens to the API ($api_auth)" \
  test "$blob" -gt 20 -a "$api_auth" -gt 5
check "(a) no Authorization reached the blob host ($leaked)" test "$leaked" = 0
url=$(curl -s -o /dev/null -w '%{redirect_url}' -H "Authorization: Bearer $(emu_token)" \
  "$EMU_URL/v1.0/my/analytics/hardware/cabdownload?cabIdHash=$(sqlite3 "$db" "SELECT cab_id_hash FROM cabs WHERE state = 'fetched' LIMIT 1")")
curl -s -o /dev/null -H "Authorization: Bearer control" "$url"
leaked=$(emu_requests | grep '"host":"127.0.0.2"' | grep -c '"authorization":true')
check "(a) control: a blob request with Authorization is seen in the log ($leaked)" test "$leaked" = 1

# --- (c) No secret, token or SAS signature in the output or the database.
token=$(emu_token)
check "(c) control: the emulator's tokens start with eyJ" test "${token:0:3}" = eyJ
HDC_CLIENT_SECRET=canary-wrong-secret-42 run_once refused.err
check "(c) a refused secret exits 77 ($rc)" test $rc = 77
outputs=("$tmp"/*.err)
check "(c) the secret never in the daemon's output" bash -c "! grep -qF '$DEMO_SECRET' ${outputs[*]}"
check "(c) nor the refused one" bash -c "! grep -qF canary-wrong-secret-42 ${outputs[*]}"
check "(c) no bearer token (eyJ) in the output" bash -c "! grep -qF eyJ ${outputs[*]}"
check "(c) no SAS signature (sig=) in the output" bash -c "! grep -qiF 'sig=' ${outputs[*]}"
check "(c) the debug output is not empty ($(cat "${outputs[@]}" | wc -l) lines)" test "$(cat "${outputs[@]}" | wc -l)" -gt 20
check "(c) no secret, token or signature in state.db" \
  bash -c "! cat '$db'* | grep -aqE 'demo-secret|canary-wrong-secret|eyJ|sig='"
finish
