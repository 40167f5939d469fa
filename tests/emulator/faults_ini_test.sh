#!/bin/bash
# The real executable with --faults FILE in INI: a bad file stops it with
# exit 64 and one line naming FILE:LINE; a good one is served.
set -euo pipefail
emulator=$1
fixtures=$(cd "$(dirname "$0")/fixtures" && pwd)  # also seeds of the emulator_faults fuzz target
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT

bad=$fixtures/faults-bad.ini
set +e
"$emulator" --port 0 --faults "$bad" >"$work/out" 2>"$work/err"
rc=$?
set -e
[ "$rc" = 64 ] || { echo "exit $rc, expected 64"; cat "$work/err"; exit 1; }
[ "$(wc -l <"$work/err")" = 1 ] || { echo "expected one line:"; cat "$work/err"; exit 1; }
grep -q "$bad:5: unknown key 'flavour' in \[fault a\]" "$work/err" || { cat "$work/err"; exit 1; }

"$emulator" --port 0 --faults "$fixtures/faults-good.ini" --client t/c:s >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 100); do [ -s "$work/out" ] && break; sleep 0.05; done
port=$(head -1 "$work/out")
token() {
  curl -s -o "$work/body" -w '%{http_code}' -X POST "http://127.0.0.1:$port/t/oauth2/token" \
    -d grant_type=client_credentials -d client_id=c -d client_secret=s \
    --data-urlencode resource=https://manage.devcenter.microsoft.com
}
[ "$(token)" = 200 ] || { echo "first token request failed"; exit 1; }
grep -q '"expires_in":"600"' "$work/body" || { echo "token_lifetime not applied: $(cat "$work/body")"; exit 1; }
[ "$(token)" = 503 ] || { echo "second token request was not refused"; exit 1; }
[ "$(token)" = 200 ] || { echo "third token request failed"; exit 1; }
echo OK
