#!/usr/bin/env bash
# The dashboard (docs/operations.md §Dashboard) in a real browser: headless
# Chromium loads the page a running hdc-reportd serves, and the file
# hdc-reportctl report --html writes, with every host name but 127.0.0.1
# unresolvable, and the test reads the DOM it rendered: each chart drew (a
# <canvas> inside .uplot), the numbers shown equal hdc-reportctl --json's for
# the same state (the top buckets' sparklines and the retention horizon
# too), and the XSS canary planted as a FailureName is text (no element made
# of it). A screenshot of the served page is written to
# <build>/dashboard.png. Skipped (77) where Chromium is not installed or
# cannot start.
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
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
driver_job kernel "$(d 0)T02:00:00Z" >"$tmp/jobs.d/k.ini"
write_config "$tmp/hdc.ini" "$tmp/state" "$tmp/jobs.d"
service_keys "$tmp/hdc.ini" "control_listen = 127.0.0.1:0" "retention_clock = downloaded"
export HDC_CLIENT_SECRET=$DEMO_SECRET
run_once once1.err
emu_clock '{"advance":"4455m"}'  # 74h15m: three runs complete
run_once once2.err
check "--once ingested rows" test "$(q "SELECT count(*) > 0 FROM failures")" = 1
top_hash=$(q "SELECT failure_hash FROM failures GROUP BY failure_hash ORDER BY sum(event_count) DESC LIMIT 1")
q "UPDATE failures SET failure_name = '$xss' WHERE failure_hash = '$top_hash'"

start_daemon "$tmp/hdc.ini" "$tmp/state" "$tmp/daemon.err"
cycled() { curl -sf "http://$addr/healthz?format=json" | grep -q '"last_success":"'; }
check "the daemon's first cycle succeeds" wait_for "a cycle" cycled

# --- The served page. -------------------------------------------------------
browse served "http://$addr/"
check "Chromium rendered the served page (data-rendered=yes)" \
  test "$(json_get "$tmp/served.json" 'd["rendered"]')" = yes
check "the trend chart drew: a canvas inside .uplot" \
  test "$(json_get "$tmp/served.json" 'd["canvases_in_uplot"] >= 1')" = true
check "the page has only its two script elements (none made of data)" \
  test "$(json_get "$tmp/served.json" 'd["scripts"]')" = 2
check "the XSS canary is shown as text" test "$(json_get "$tmp/served.json" 'd["xss_as_text"]')" = true
curl -sf "http://$addr/api/v1/trend?by=DriverName&days=14" >"$tmp/api-trend.json"
until_=$(json_get "$tmp/api-trend.json" 'd["until"]')
ctl status status --json
ctl trend trend --by DriverName --days 14 --top 8 --now "$until_" --json
ctl top top --by FailureHash,FailureName,DriverName --days 7 --limit 10 --now "$until_" --json
check "the rows shown equal status --json's" \
  test "$(json_get "$tmp/served.json" 'd["meta_rows"]')" = "$(json_get "$tmp/status.out" 'd["totals"]["rows"]')"
check "the drivers' totals shown equal trend --json's" \
  test "$(json_get "$tmp/served.json" 'sorted(d["trend"].items())')" = \
       "$(json_get "$tmp/trend.out" 'sorted(("(none)" if s["value"] is None else s["value"], sum(s["events"])) for s in d["series"])')"
check "the top buckets shown (this week) equal top --json's" \
  test "$(json_get "$tmp/served.json" 'sorted(d["top"])')" = \
       "$(json_get "$tmp/top.out" 'sorted([t["value"]["FailureName"], t["events"]] for t in d["top"])')"
check "the trend has drivers to show" test "$(json_get "$tmp/served.json" 'len(d["trend"]) > 0')" = true
# Each top bucket's sparkline: its events per day over 14 days, as trend
# --by FailureHash counts them, drawn as one point per day.
ctl buckets trend --by FailureHash --days 14 --top 100 --now "$until_" --json
check "every top bucket has a sparkline" \
  test "$(json_get "$tmp/served.json" 'sorted(d["sparklines"])')" = \
       "$(json_get "$tmp/top.out" 'sorted(t["value"]["FailureHash"] for t in d["top"])')"
check "each sparkline shows trend --by FailureHash's events per day" python3 -c '
import json, sys
page = json.load(open(sys.argv[1]))["sparklines"]
trend = json.load(open(sys.argv[2]))
zeros = ",".join("0" * len(trend["days_list"]))
per_day = {s["value"]: ",".join(map(str, s["events"])) for s in trend["series"]}
sys.exit(0 if page and all(per_day.get(h, zeros) == s["values"] for h, s in page.items()) else 1)
' "$tmp/served.json" "$tmp/buckets.out"
check "each sparkline drew one point per day (14)" \
  test "$(json_get "$tmp/served.json" 'sorted(set(s["points"] for s in d["sparklines"].values()))')" = "[14]"
check "some sparkline is not flat (the data has days with events)" \
  test "$(json_get "$tmp/served.json" 'any(len(set(s["values"].split(","))) > 1 for s in d["sparklines"].values())')" = true
# The retention horizon: status --json's, for the same state.
check "the retention horizon shown equals status --json's" \
  test "$(json_get "$tmp/served.json" 'd["horizon"]')" = \
       "$(json_get "$tmp/status.out" '[d["retention_horizon"]["oldest_personal_datum"], d["retention_horizon"]["removed_by"]]')"
check "the horizon names a datum (rows are held)" \
  test "$(json_get "$tmp/served.json" 'd["horizon"][0] != "-"')" = true

browse shot "http://$addr/" --screenshot="$build/dashboard.png"
check "a screenshot was written to $build/dashboard.png" test -s "$build/dashboard.png"

# --- The self-contained file, opened from disk. ------------------------------
ctl report report --html "$tmp/report.html" --days 14
check "report --html exits 0" test "$rc" = 0
browse file "file://$tmp/report.html"
check "Chromium rendered the report file (its CSP allows its inline scripts)" \
  test "$(json_get "$tmp/file.json" 'd["rendered"]')" = yes
check "the report's chart drew" test "$(json_get "$tmp/file.json" 'd["canvases_in_uplot"] >= 1')" = true
check "the report shows the XSS canary as text" test "$(json_get "$tmp/file.json" 'd["xss_as_text"]')" = true
check "the report's rows equal status --json's" \
  test "$(json_get "$tmp/file.json" 'd["meta_rows"]')" = "$(json_get "$tmp/status.out" 'd["totals"]["rows"]')"
check "the report's sparklines and horizon equal the served page's" \
  test "$(json_get "$tmp/file.json" '[sorted(d["sparklines"].items()), d["horizon"]]')" = \
       "$(json_get "$tmp/served.json" '[sorted(d["sparklines"].items()), d["horizon"]]')"
kill -TERM "$pid"; wait "$pid"
finish
