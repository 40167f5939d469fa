#!/usr/bin/env bash
# make demo: hdc-reportd against hdc-emulator on 127.0.0.1, nothing remote.
# Validates config/demo, shows the plan, lets hdc-reportd --once create the
# report templates and schedules, waits for the emulator's first runs (one
# emulated hour per second), runs --once again to download and ingest the
# finished reports, and shows what landed in the store and in SQLite.
# The cabs those reports reference are downloaded too. The listings at the
# end come from hdc-reportctl (status, executions, top, cabs, verify). It
# ends with the daemon's failure dashboard: its URL, and the same page as one
# file, $build/demo/report.html (hdc-reportctl report --html). Run from a
# terminal, the daemon and the emulator keep running until Enter is pressed,
# so the URL can be opened; otherwise (CI) they stop at once.
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/../.."
root=$(pwd)
demo=$root/$build/demo
rm -rf "$demo" && mkdir -p "$demo"

# The emulator's demo client: not a real secret.
export HDC_CLIENT_SECRET=demo-secret
# The emulated world starts yesterday (the daemon polls up to its real
# "now" and keeps data by the real clock); the demo jobs start with it.
day0=$(date -u -d yesterday +%Y-%m-%d)
mkdir -p "$demo/jobs.d"
for job in config/demo/jobs.d/*.ini; do
  sed -e "s/^start = [0-9-]*T/start = ${day0}T/" "$job" >"$demo/jobs.d/$(basename "$job")"
done
exec {emu_out}< <("$build/emulator/hdc-emulator" --port 0 --clock scale=3600 \
                   --start "${day0}T00:00:00Z" 2>"$demo/emulator.log")
emu_pid=$!
trap 'kill $emu_pid 2>/dev/null || true' EXIT
read -r -t 30 port <&"$emu_out"
url=http://127.0.0.1:$port
sed -e "s#^api_url = .*#api_url = $url#" -e "s#^login_url = .*#login_url = $url#" \
    -e "s#^state_dir = .*#state_dir = $demo/state#" -e "s#^jobs_dir = .*#jobs_dir = $demo/jobs.d#" \
    config/demo/hdc-reportd.ini >"$demo/hdc-reportd.ini"

step() { printf '\n== %s\n' "$*"; }
# hdc-reportd refuses root (docs/operations.md §Privileges). The demo's state
# is a scratch folder that nothing else uses, so as root it passes the
# override, and says so.
as_root=()
if [[ $(id -u) == 0 ]]; then
  as_root=(--allow-root)
  step "running as root: the demo passes --allow-root (an installation runs as the hdc-reportd user)"
fi
step "hdc-emulator is serving on $url (1 emulated hour per second)"
step "hdc-reportd --check-config: each job's template and schedule as they will be sent"
"$build/daemon/hdc-reportd" --check-config --config "$demo/hdc-reportd.ini"
step "hdc-reportctl plan: what the first run will do remotely"
"$build/daemon/hdc-reportctl" plan --config "$demo/hdc-reportd.ini" || true
step "hdc-reportd --once"
"$build/daemon/hdc-reportd" "${as_root[@]}" --once --config "$demo/hdc-reportd.ini"
step "hdc-reportctl plan: in sync now"
"$build/daemon/hdc-reportctl" plan --config "$demo/hdc-reportd.ini"
step "what the emulator holds (GET /_emulator/state)"
curl -s "$url/_emulator/state" | grep -o '"counts":{[^}]*}' || true
step "waiting 5 s (5 emulated hours) for the first runs to finish"
sleep 5
step "hdc-reportd --once: poll, download and ingest the finished reports"
"$build/daemon/hdc-reportd" "${as_root[@]}" --once --config "$demo/hdc-reportd.ini"
step "the store"
find "$demo/state/store/reports" -type f -printf '%P  %s bytes\n' | sort
ctl() { "$build/daemon/hdc-reportctl" --config "$demo/hdc-reportd.ini" "$@"; }
step "hdc-reportctl status"
ctl status
step "hdc-reportctl executions"
ctl executions --limit 12
step "hdc-reportctl top --by driver_name --days 7 (failures grouped by DriverName)"
ctl top --by driver_name --days 7 --now "$(curl -s "$url/_emulator/clock" | grep -o '"now":"[^"]*"' | cut -d'"' -f4)"
step "hdc-reportctl cabs --limit 5"
ctl cabs --limit 5
step "hdc-reportctl verify: every stored file re-hashed against its row"
ctl verify

step "hdc-reportd as a daemon (the service mode), on the emulator's time: 1 emulated hour per second"
emu_now=$(curl -s "$url/_emulator/clock" | grep -o '"now":"[^"]*"' | cut -d'"' -f4)
"$build/daemon/hdc-reportd" "${as_root[@]}" --config "$demo/hdc-reportd.ini" --time-scale 3600 \
  --time-start "$emu_now" 2>"$demo/daemon.log" &
daemon_pid=$!
trap 'kill $daemon_pid $emu_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [[ -s $demo/state/control-address ]] && break; sleep 0.1; done
control=$(cat "$demo/state/control-address")
sleep 8  # eight emulated hours pass: polls around the runs, hourly sweeps
step "GET http://$control/healthz"
curl -s "http://$control/healthz"
step "GET http://$control/metrics (excerpt)"
curl -s "http://$control/metrics" | grep -E '^hdc_reportd_(polls_total|reports_downloaded_total|cabs_fetched_total|requests_total|pending_downloads|store_bytes)' | head -14
step "hdc-reportctl status, with the daemon's health"
ctl status
step "GET http://$control/api/v1/summary (the dashboard's data, excerpt)"
curl -s "http://$control/api/v1/summary" | head -c 400
echo
step "hdc-reportctl report --html $build/demo/report.html: the dashboard as one file"
ctl report --html "$demo/report.html" --days 3
ls -l "$demo/report.html"
if [[ -t 0 ]]; then
  step "the dashboard: http://$control/ (and $build/demo/report.html); press Enter to stop"
  read -r _ || true
fi
step "SIGTERM: the daemon stops at a checkpoint and exits 0"
kill -TERM $daemon_pid
wait $daemon_pid && echo "exit 0"
step "the daemon's log"
cat "$demo/daemon.log"
step "the dashboard was at http://$control/ ; its page as one file: $build/demo/report.html"
