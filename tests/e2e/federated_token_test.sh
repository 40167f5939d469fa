#!/usr/bin/env bash
# Federated credentials end to end (docs/operations.md §Federated token,
# docs/hdc-api.md §Federated credentials). hdc-emulator plays the workload's
# identity provider (POST /_emulator/federated-token) and the identity
# platform (--client-federated); hdc-reportd --once signs in with
# federated_token_file and ingests. The file is read afresh by every run and
# token request: a token renewed in place is used with no other change; a
# stale one ends --once with 77 and one line saying so; a token for another
# subject is refused with AADSTS70021; a missing or world-readable file is 78
# at start; no token reaches any log.
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"

fed_client=f0000000-0000-0000-0000-000000000001
subject=system:serviceaccount:hdc:hdc-reportd
# The emulator's clock starts 10 minutes behind the real one (which dates
# the daemon's retention and its reading of a token's exp) and is moved on.
now=$(date -u +%s)
at() { date -u -d "@$((now + $1))" +%Y-%m-%dT%H:%M:%SZ; }
start_emulator "$build/emulator/hdc-emulator" --clock manual --start "$(at -600)" \
  --set pending_duration=0s --set running_duration=1m \
  --client-federated "$DEMO_TENANT/$fed_client:$subject"
mkdir -p "$tmp/jobs.d"
one_run_job kernel "$(at -540)" >"$tmp/jobs.d/k.ini"
unset HDC_CLIENT_SECRET CREDENTIALS_DIRECTORY
write_config "$tmp/hdc.ini" "$tmp/state" "$tmp/jobs.d"
sed -i "s/^client_id = .*/client_id = $fed_client/" "$tmp/hdc.ini"
echo "federated_token_file = $tmp/token" >>"$tmp/hdc.ini"

# mint LIFETIME [JSON FIELDS]: a workload token of the emulator's issuer,
# valid LIFETIME seconds from the emulator's now, on stdout.
mint() {
  curl -sf -X POST -d "{\"subject\":\"$subject\",\"lifetime_seconds\":$1${2:+,$2}}" \
    "$EMU_URL/_emulator/federated-token" | sed 's/.*"token":"\([^"]*\)".*/\1/'
}
# renew LIFETIME [JSON FIELDS]: what the platform does: the file rewritten in place.
tokens=()
renew() {
  local t
  t=$(mint "$1" "${2:-}")
  tokens+=("$t")
  printf '%s\n' "$t" >"$tmp/token"
  chmod 600 "$tmp/token"
}

# 1. Missing, then world-readable: 78 at start, one line naming the file.
run_once missing.err
check "a missing federated_token_file ends --once with 78 ($rc)" test "$rc" = 78
check "  in one line naming the key and the file" \
  grep -q "hdc.ini:[0-9]*: \[account\] federated_token_file: cannot read $tmp/token: file not found" "$tmp/missing.err"
renew 3600
chmod 644 "$tmp/token"
run_once open.err
check "a token file readable by others is refused with 78 ($rc)" test "$rc" = 78
check "  with the fix" grep -q "$tmp/token is readable by group or others; run: chmod 600" "$tmp/open.err"

# 2. Signs in, creates the schedule, then ingests the completed report. The
# token lives 5 minutes: issued at now-10min, it has expired by the real clock
# and, with 5 minutes of skew, will on the emulator's clock once moved on.
renew 300
run_once first.err
check "a federated token signs in and creates the job's schedule (exit $rc)" test "$rc" = 0
check "the log names the credential once, without the token" \
  test "$(grep -c "signing in with the federated token from federated_token_file $tmp/token" "$tmp/first.err")" = 1
emu_clock '{"advance":"3m"}'
run_once second.err
check "the second run ingests the completed report (exit $rc)" test "$rc" = 0
rows=$(sqlite3 "$tmp/state/state.db" "SELECT count(*) FROM failures")
check "rows ingested ($rows)" test "$rows" -gt 0
"$bin" --check-config --config "$tmp/hdc.ini" >/dev/null 2>"$tmp/check.err"
check "--check-config names the federated credential" \
  grep -q "configuration OK, 1 job, .*federated token from federated_token_file $tmp/token" "$tmp/check.err"

# 3. The platform stops renewing the file: the token goes stale, 77.
emu_clock '{"advance":"10m"}'
run_once stale.err
check "a stale federated token ends --once with 77 ($rc)" test "$rc" = 77
check "  in one line: AADSTS700024 and that whatever writes the file stopped renewing it" \
  test "$(grep -c "AADSTS700024.*(the federated token from federated_token_file $tmp/token expired at $(at -300); whatever writes that file has stopped renewing it)" "$tmp/stale.err")" = 1

# 4. Renewed in place: the next run signs in with no other change.
renew 3600
run_once renewed.err
check "control: the renewed token signs in (exit $rc)" test "$rc" = 0

# 5. A token for a subject the app registration does not trust: 77, AADSTS70021.
renew 3600 "\"subject\":\"system:serviceaccount:other:app\""
run_once subject.err
check "a token for another subject ends --once with 77 ($rc)" test "$rc" = 77
check "  in one line with AADSTS70021 naming the subject" \
  test "$(grep -c "AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: '$EMU_URL/_emulator/issuer'. Assertion Subject: 'system:serviceaccount:other:app'" "$tmp/subject.err")" = 1

# 6. The canary: no token, nor its signature, in any log or stderr.
leaks=0
for t in "${tokens[@]}"; do
  grep -qF -- "${t##*.}" "$tmp"/*.err && leaks=$((leaks + 1))
  grep -qF -- "${t%.*}" "$tmp"/*.err && leaks=$((leaks + 1))
done
check "no workload token in the daemon's output (${#tokens[@]} tokens, $leaks found)" \
  test "$leaks" = 0
check "  control: the check would see one" grep -qF -- "${tokens[0]##*.}" <(printf '%s\n' "${tokens[0]}")
finish
