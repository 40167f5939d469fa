#!/usr/bin/env bash
# The dashboard (docs/operations.md §Dashboard) in a real browser: headless
# Chromium loads the page a running hdc-reportd serves, and the file
# hdc-reportctl report --html writes, with every host name but 127.0.0.1
# unresolvable, and the test reads the DOM it rendered: each chart drew (a
# <canvas> inside .uplot), the numbers shown equal hdc-reportctl --json's for
# the same state, and the XSS canary planted as a FailureName is text (no
# element made of it). A screenshot of the served page is written to
# <build>/dashboard.png. Skipped (77) where Chromium is not installed or
# cannot start.
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
ctl_bin="$(dirname "$bin")/hdc-reportctl"
browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $browser ]]; then
  echo "SKIP: chromium is not installed (make deps installs it)"
  exit 77
fi
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"
t0=$(date -u -d '-7 days' +%Y-%m-%d)
d() { date -u -d "$t0 $1 days" +%Y-%m-%d; }
xss='<script>alert(1)</script>'
q() { sqlite3 -batch -noheader "$tmp/state/state.db" "$1"; }
# jget FILE PYTHON-EXPRESSION-OF-d: a string as it is, any other value as
# JSON with sorted keys (true, null, [1, 2]...).
jget() {
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))' "$1" "$2"
}
ctl() {
  local name=$1; shift
  env -u HDC_CLIENT_SECRET "$ctl_bin" --config "$tmp/hdc.ini" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
  rc=$?
}
# browse NAME URL [ARG...]: the DOM Chromium rendered of URL in $tmp/NAME.dom,
# what it read of it in $tmp/NAME.json. Every host but 127.0.0.1 fails to
# resolve, so a request that would leave the machine fails, and the checks
# below see the page still complete.
browse() {
  local name=$1 url=$2; shift 2
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$tmp/chromium" --host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" \
    --virtual-time-budget=15000 --window-size=1280,1800 "$@" --dump-dom "$url" \
    >"$tmp/$name.dom" 2>"$tmp/$name.chromium.err"
  python3 "$src/tests/e2e/dashboard_dom.py" "$tmp/$name.dom" >"$tmp/$name.json"
}
if ! timeout 60 "$browser" --headless --no-sandbox --disable-gpu --user-data-dir="$tmp/probe" \
    --dump-dom "data:text/html,<p>ok</p>" 2>"$tmp/probe.err" | grep -q '<p>ok</p>'; then
  echo "SKIP: chromium cannot run here: $(tail -1 "$tmp/probe.err")"
  rm -rf "$tmp"
  exit 77
fi

start_emulator "$build/emulator/hdc-emulator" --clock manual --start "$(d 0)T00:00:00Z"
mkdir -p "$tmp/jobs.d"
cat >"$tmp/jobs.d/k.ini" <<INI
[job kernel]
view = IHVDriver
columns = FailureName, FailureHash, DriverName, DriverVersion, CabIdHash, CabType, ApplicationId, DeviceId, EventCount, FailureDateTime
start = $(d 0)T02:00:00Z
every = 24h
runs = 30
INI
write_config "$tmp/hdc.ini" "$tmp/state" "$tmp/jobs.d"
service_keys "$tmp/hdc.ini" "control_listen = 127.0.0.1:0" "retention_clock = downloaded"
export HDC_CLIENT_SECRET=$DEMO_SECRET
run_once once1.err
emu_clock '{"advance":"4455m"}'  # 74h15m: three runs complete
run_once once2.err
check "--once ingested rows" test "$(q "SELECT count(*) > 0 FROM failures")" = 1
top_hash=$(q "SELECT failure_hash FROM failures GROUP BY failure_hash ORDER BY sum(event_count) DESC LIMIT 1")
q "UPDATE failures SET failure_name = '$xss' WHERE failure_hash = '$top_hash'"

"$bin" --config "$tmp/hdc.ini" 2>"$tmp/daemon.err" &
pid=$!
trap 'kill $pid $EMU_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
wait_for "the control address" test -s "$tmp/state/control-address"
addr=$(cat "$tmp/state/control-address")
cycled() { curl -sf "http://$addr/healthz?format=json" | grep -q '"last_success":"'; }
check "the daemon's first cycle succeeds" wait_for "a cycle" cycled

# --- The served page. -------------------------------------------------------
browse served "http://$addr/"
check "Chromium rendered the served page (data-rendered=yes)" \
  test "$(jget "$tmp/served.json" 'd["rendered"]')" = yes
check "the trend chart drew: a canvas inside .uplot" \
  test "$(jget "$tmp/served.json" 'd["canvases_in_uplot"] >= 1')" = true
check "the page has only its two script elements (none made of data)" \
  test "$(jget "$tmp/served.json" 'd["scripts"]')" = 2
check "the XSS canary is shown as text" test "$(jget "$tmp/served.json" 'd["xss_as_text"]')" = true
curl -sf "http://$addr/api/v1/trend?by=DriverName&days=14" >"$tmp/api-trend.json"
until_=$(jget "$tmp/api-trend.json" 'd["until"]')
ctl status status --json
ctl trend trend --by DriverName --days 14 --top 8 --now "$until_" --json
ctl top top --by FailureHash,FailureName,DriverName --days 7 --limit 10 --now "$until_" --json
check "the rows shown equal status --json's" \
  test "$(jget "$tmp/served.json" 'd["meta_rows"]')" = "$(jget "$tmp/status.out" 'd["totals"]["rows"]')"
check "the drivers' totals shown equal trend --json's" \
  test "$(jget "$tmp/served.json" 'sorted(d["trend"].items())')" = \
       "$(jget "$tmp/trend.out" 'sorted(("(none)" if s["value"] is None else s["value"], sum(s["events"])) for s in d["series"])')"
check "the top buckets shown (this week) equal top --json's" \
  test "$(jget "$tmp/served.json" 'sorted(d["top"])')" = \
       "$(jget "$tmp/top.out" 'sorted([t["value"]["FailureName"], t["events"]] for t in d["top"])')"
check "the trend has drivers to show" test "$(jget "$tmp/served.json" 'len(d["trend"]) > 0')" = true

browse shot "http://$addr/" --screenshot="$build/dashboard.png"
check "a screenshot was written to $build/dashboard.png" test -s "$build/dashboard.png"

# --- The self-contained file, opened from disk. ------------------------------
ctl report report --html "$tmp/report.html" --days 14
check "report --html exits 0" test "$rc" = 0
browse file "file://$tmp/report.html"
check "Chromium rendered the report file (its CSP allows its inline scripts)" \
  test "$(jget "$tmp/file.json" 'd["rendered"]')" = yes
check "the report's chart drew" test "$(jget "$tmp/file.json" 'd["canvases_in_uplot"] >= 1')" = true
check "the report shows the XSS canary as text" test "$(jget "$tmp/file.json" 'd["xss_as_text"]')" = true
check "the report's rows equal status --json's" \
  test "$(jget "$tmp/file.json" 'd["meta_rows"]')" = "$(jget "$tmp/status.out" 'd["totals"]["rows"]')"
kill -TERM "$pid"; wait "$pid"
finish
