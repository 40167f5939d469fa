#!/usr/bin/env bash
# The failure dashboard (docs/operations.md §Dashboard) of a running
# hdc-reportd over a state --once ingested from an hdc-emulator process, with
# an XSS canary planted as a FailureName:
#   GET /, /static/* and /api/v1/* answer with their content types, the
#   strict Content-Security-Policy and nosniff; the static files are the
#   embedded copies of the repository's; /api/v1/summary, trend and new equal
#   hdc-reportctl status, top, trend and new --json for the same state and
#   time; no device id or cab name appears in any answer; the canary stays a
#   JSON string; bad parameters are 400, a POST 405; /healthz answers
#   meanwhile. hdc-reportctl report --html writes one file with no address
#   outside it (but uPlot's licence comment), the canary escaped. With
#   dashboard = no the dashboard's paths are 404 and /healthz still 200.
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"
t0=$(date -u -d '-7 days' +%Y-%m-%d)
d() { date -u -d "$t0 $1 days" +%Y-%m-%d; }
xss='<script>alert(1)</script>'

q() { sqlite3 -batch -noheader "$tmp/state/state.db" "$1"; }
# jeq A B: the JSON documents in files A and B are equal.
jeq() { python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' "$1" "$2"; }
# get NAME PATH: curl's body in $tmp/NAME.body, headers in $tmp/NAME.head, status in $code.
get() {
  code=$(curl -s -o "$tmp/$1.body" -D "$tmp/$1.head" -w '%{http_code}' "http://$addr$2")
}
header() { grep -i "^$2:" "$tmp/$1.head" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
csp="default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"

start_emulator "$build/emulator/hdc-emulator" --clock manual --start "$(d 0)T00:00:00Z"
mkdir -p "$tmp/jobs.d"
driver_job kernel "$(d 0)T02:00:00Z" >"$tmp/jobs.d/k.ini"
write_config "$tmp/hdc.ini" "$tmp/state" "$tmp/jobs.d"
service_keys "$tmp/hdc.ini" "control_listen = 127.0.0.1:0" "retention_clock = downloaded"

# --- The state: three runs ingested by --once, the canary planted. ----------
export HDC_CLIENT_SECRET=$DEMO_SECRET
run_once once1.err
check "the first run exits 0" test "$rc" = 0
emu_clock '{"advance":"4455m"}'  # 74h15m: three runs complete
run_once once2.err
check "the second run exits 0" test "$rc" = 0
check "the fixture has ingested rows and fetched cabs" \
  test "$(q "SELECT count(*) > 0 FROM failures")/$(q "SELECT count(*) > 0 FROM cabs WHERE state = 'fetched'")" = 1/1
top_hash=$(q "SELECT failure_hash FROM failures GROUP BY failure_hash ORDER BY sum(event_count) DESC LIMIT 1")
q "UPDATE failures SET failure_name = '$xss' WHERE failure_hash = '$top_hash'"
q "SELECT DISTINCT device_id FROM failures WHERE device_id IS NOT NULL LIMIT 30" >"$tmp/canaries"
q "SELECT cab_id_hash FROM cabs LIMIT 30" >>"$tmp/canaries"
check "the canaries are there to look for" test "$(wc -l <"$tmp/canaries")" -gt 10
# no_canary FILE: no device id nor cab name of the state appears in FILE.
no_canary() { ! grep -qFf "$tmp/canaries" "$1"; }

# --- The daemon, once its first cycle is done (nothing new to fetch). --------
start_daemon() {
  rm -f "$tmp/state/control-address"
  "$bin" --config "$tmp/hdc.ini" 2>"$tmp/daemon.err" &
  pid=$!
  wait_for "the control address" test -s "$tmp/state/control-address"
  addr=$(cat "$tmp/state/control-address")
}
stop_daemon() { kill -TERM "$pid"; wait "$pid"; }
start_daemon
trap 'kill $pid $EMU_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
cycled() { curl -sf "http://$addr/healthz?format=json" | grep -q '"last_success":"'; }
check "the daemon's first cycle succeeds" wait_for "a cycle" cycled

# --- The page and its static files. ------------------------------------------
get page /
check "GET / is 200 text/html" test "$code/$(header page Content-Type)" = "200/text/html; charset=utf-8"
check "GET / has the strict CSP" test "$(header page Content-Security-Policy)" = "$csp"
check "GET / has nosniff" test "$(header page X-Content-Type-Options)" = nosniff
check "the page has no inline script" bash -c "! grep -q '<script>' '$tmp/page.body' && ! grep -q '<style' '$tmp/page.body'"
for f in app.js:web/app.js app.css:web/app.css uplot.min.js:vendor/uplot/uPlot.iife.min.js uplot.min.css:vendor/uplot/uPlot.min.css; do
  name=${f%%:*}
  get "static-$name" "/static/$name"
  type=text/css; [[ $name == *.js ]] && type=text/javascript
  check "GET /static/$name is 200 $type; charset=utf-8 with nosniff and the CSP" \
    test "$code/$(header "static-$name" Content-Type)/$(header "static-$name" X-Content-Type-Options)/$(header "static-$name" Content-Security-Policy)" = "200/$type; charset=utf-8/nosniff/$csp"
  check "/static/$name is the repository's ${f#*:}" cmp -s "$tmp/static-$name.body" "$src/daemon/dashboard/${f#*:}"
done
# The SVG namespace app.js gives createElementNS is an identifier no browser
# fetches; it is the one address-like name app.js may hold.
svg_ns='http://www.w3.org/2000/svg'
for f in "$tmp"/page.body "$tmp"/static-app.js.body "$tmp"/static-app.css.body "$tmp"/static-uplot.min.css.body; do
  check "$(basename "$f" .body) names no remote address" \
    bash -c "! grep -oE 'https?://[^ \"]*' '$f' | grep -vqx '$svg_ns'"
done
check "uplot.min.js names no remote address but its licence comment's" \
  bash -c "tail -c +2 '$tmp/static-uplot.min.js.body' | sed '1s|^\\*! https://github.com/leeoniya/uPlot (v[0-9.]*) \\*/||' | grep -vqE 'https?://' "
get nope /static/nope.js
check "an unknown static file is 404" test "$code" = 404
get body /static/body.html
check "the page's body fragment is not a static file" test "$code" = 404

# --- The API against hdc-reportctl --json for the same state and time. -------
get summary /api/v1/summary
check "GET /api/v1/summary is 200 application/json with nosniff" \
  test "$code/$(header summary Content-Type)/$(header summary X-Content-Type-Options)" = "200/application/json; charset=utf-8/nosniff"
until_=$(json_get "$tmp/summary.body" 'd["until"]')
ctl status status --json
check "the summary's total rows and bytes equal status --json's" \
  test "$(json_get "$tmp/summary.body" '(d["totals"]["rows"], d["totals"]["bytes"], d["totals"]["executions"], d["totals"]["cabs"])')" = \
       "$(json_get "$tmp/status.out" '(d["totals"]["rows"], d["totals"]["bytes"], d["totals"]["executions"], d["totals"]["cabs"])')"
check "the summary's job kernel equals status --json's (rows, bytes, executions, cabs)" \
  test "$(json_get "$tmp/summary.body" '[(j["name"], j["rows"], j["bytes"], j["executions"], j["cabs"]) for j in d["jobs"]]')" = \
       "$(json_get "$tmp/status.out" '[(j["name"], j["rows"], j["bytes"], j["executions"], j["cabs"]) for j in d["jobs"]]')"
check "the summary has the job's last success and next due from the daemon" \
  test "$(json_get "$tmp/summary.body" 'd["jobs"][0]["last_success"] is not None and d["jobs"][0]["next_due"] is not None')" = true
ctl top top --by FailureHash,FailureName,DriverName --days 7 --limit 10 --now "$until_" --json
check "the summary's top buckets (this week) equal top --json's" \
  test "$(json_get "$tmp/summary.body" '[(b["failure_hash"], b["failure_name"], b["this_week"]) for b in d["top"]]')" = \
       "$(json_get "$tmp/top.out" '[(t["value"]["FailureHash"], t["value"]["FailureName"], t["events"]) for t in d["top"]]')"
check "the canary is the top bucket's name, as a JSON string" \
  test "$(json_get "$tmp/summary.body" 'd["top"][0]["failure_name"]')" = "$xss"

get trend "/api/v1/trend?by=DriverName&days=14"
until_=$(json_get "$tmp/trend.body" 'd["until"]')
ctl trend trend --by DriverName --days 14 --top 8 --now "$until_" --json
check "GET /api/v1/trend is 200" test "$code" = 200
check "the trend has series" test "$(json_get "$tmp/trend.body" 'len(d["series"]) > 0')" = true
check "/api/v1/trend equals trend --json" jeq "$tmp/trend.body" "$tmp/trend.out"
get new "/api/v1/new?days=14"
until_=$(json_get "$tmp/new.body" 'd["until"]')
ctl new new --days 14 --limit 50 --now "$until_" --json
check "GET /api/v1/new is 200" test "$code" = 200
check "/api/v1/new equals new --json" jeq "$tmp/new.body" "$tmp/new.out"
for f in summary trend new page; do
  check "no device id or cab name in $f" no_canary "$tmp/$f.body"
done

get refused "/api/v1/trend?by=DeviceId"
check "trend by DeviceId is 400" test "$code" = 400
get baddays "/api/v1/new?days=0"
check "days=0 is 400" test "$code" = 400
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://$addr/api/v1/summary")
check "POST /api/v1/summary is 405" test "$code" = 405
# A burst of GETs: each answered, /healthz between them.
burst=()
for i in $(seq 1 20); do
  curl -s -o "$tmp/burst$i.body" "http://$addr/api/v1/summary?days=$((i % 3 + 1))" &
  burst+=($!)
done
check "/healthz answers during a burst of API requests" curl -sf -o /dev/null "http://$addr/healthz"
wait "${burst[@]}"
check "every request of the burst got a summary" \
  bash -c "for i in \$(seq 1 20); do grep -q '\"totals\"' '$tmp'/burst\$i.body || exit 1; done"
get summary2 /api/v1/summary
check "the summary is the same after the burst" test "$(json_get "$tmp/summary2.body" 'd["totals"]')" = "$(json_get "$tmp/summary.body" 'd["totals"]')"

# --- report --html: one file, nothing remote, the canary escaped. ------------
ctl report report --html "$tmp/report.html" --days 14
check "report --html exits 0" test "$rc" = 0
check "the report has its CSP meta" grep -q '<meta http-equiv="Content-Security-Policy" content="default-src .none.; script-src .sha256-' "$tmp/report.html"
check "the report names no remote address but uPlot's licence comment's (and the SVG namespace)" \
  bash -c "test -z \"\$(grep -oE 'https?://[^ \"]*' '$tmp/report.html' | grep -vx -e 'https://github.com/leeoniya/uPlot' -e '$svg_ns')\""
check "the report loads nothing (no src= or href=)" bash -c "! grep -qE '(src|href)=' '$tmp/report.html'"
check "the report carries the canary escaped, never as markup" \
  bash -c "grep -qF '\\u003cscript\\u003ealert(1)\\u003c/script\\u003e' '$tmp/report.html' && ! grep -qF '$xss' '$tmp/report.html'"
check "no device id or cab name in the report" no_canary "$tmp/report.html"
ctl report-bad report --days 3
check "report without --html is a usage error (64)" test "$rc" = 64

# --- dashboard = no. ------------------------------------------------------------
stop_daemon
service_keys "$tmp/hdc.ini" "dashboard = no"
start_daemon
for path in / /static/app.js /api/v1/summary "/api/v1/trend?by=DriverName"; do
  get off "$path"
  check "with dashboard = no, GET $path is 404" test "$code" = 404
done
check "with dashboard = no, /healthz answers" curl -sf -o /dev/null "http://$addr/healthz"
stop_daemon
finish
