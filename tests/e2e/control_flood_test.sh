#!/usr/bin/env bash
# The control listener under a connection flood (S10 in docs/reliability.md
# §Security checklist; docs/operations.md §Control listener), against the real
# daemon: while a local client holds 1,000 idle connections and 50 slowloris
# ones (a head that never ends, one more byte at a time), GET /healthz is
# answered within 1 s (curl -m 1); the daemon's threads do not grow, its open
# descriptors stay under the connection cap, its memory stays small; the
# connections pushed out are counted in control_connections_dropped_total, and
# the slowloris ones it held are closed at the 2 s request deadline; after the
# flood the listener answers as before. Prints the figures.
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"
command -v python3 >/dev/null || { echo "python3 not found: the flood client is a Python script"; exit 77; }

e2e_world 7 daily
service_keys "$tmp/hdc.ini" "control_listen = 127.0.0.1:0"
export HDC_CLIENT_SECRET=$DEMO_SECRET

"$bin" --config "$tmp/hdc.ini" 2>"$tmp/daemon.err" &
pid=$!
flood_pid=""
trap 'kill $pid $EMU_PID $flood_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
wait_for "the schedule" grep -q "create schedule for job kernel" "$tmp/daemon.err"
addr=$(cat "$tmp/state/control-address")
host=${addr%:*}
port=${addr##*:}

threads() { awk '/^Threads:/ { print $2 }' "/proc/$pid/status"; }
fds() { find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"; }
# healthz: the status and the seconds of one GET /healthz; status 000 when no answer came within 1 s.
healthz() { curl -s -m 1 -o /dev/null -w '%{http_code} %{time_total}' "http://$addr/healthz"; }
metric() {
  curl -sf -m 1 "http://$addr/metrics" |
    awk -v m="hdc_reportd_control_connections_dropped_total{kind=\"$1\"}" '$1 == m { print $2 }'
}

check "/healthz answers before the flood" test "$(healthz | cut -d' ' -f1)" = 200
threads_before=$(threads)
fds_before=$(fds)
rss_before=$(rss_kib)
echo "  before: threads $threads_before, fds $fds_before, VmRSS $rss_before KiB"

# The flood client: connects 1,000 idle and then 50 slowloris connections,
# sends each slowloris its head and one more byte, prints "held N M" (the
# connections it opened) and keeps them until its stdin closes. It raises its
# own descriptor limit (a soft limit of 1024 is common), or exits 77.
cat >"$tmp/flood.py" <<'PY'
import resource, socket, sys
host, port, idle_n, slow_n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
need = idle_n + slow_n + 64
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft != resource.RLIM_INFINITY and soft < need:
    if hard != resource.RLIM_INFINITY and hard < need:
        print(f"skip RLIMIT_NOFILE hard limit {hard} is below {need}", flush=True)
        sys.exit(77)
    resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
def connect():
    s = socket.socket(socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET)
    s.settimeout(5)
    s.connect((host.strip("[]"), port))
    return s
idle = [connect() for _ in range(idle_n)]
slow = [connect() for _ in range(slow_n)]
for s in slow:
    s.sendall(b"GET /healthz HTTP/1.1\r\nX-a: ")
dripped = 0
for s in slow:
    try:
        s.send(b"a")
        dripped += 1
    except OSError:
        pass
print(f"held {len(idle)} {len(slow)} {dripped}", flush=True)
sys.stdin.read()
PY
exec {flood_in}> >(python3 "$tmp/flood.py" "$host" "$port" 1000 50 >"$tmp/flood.out" 2>&1)
flood_pid=$!
wait_for "the flood" grep -qsE "^(held|skip)" "$tmp/flood.out"
if grep -q "^skip" "$tmp/flood.out"; then
  cat "$tmp/flood.out"
  exit 77
fi
echo "  flood client: $(cat "$tmp/flood.out") (idle, slowloris, slowloris that took a drip byte)"
answer=$(healthz)
threads_during=$(threads)
fds_during=$(fds)
rss_during=$(rss_kib)
echo "  /healthz under the flood: $answer (status, seconds)"
echo "  during: threads $threads_during, fds $fds_during, VmRSS $rss_during KiB"
check "/healthz answers 200 within 1 s while 1,000 idle and 50 slowloris connections are held" \
  test "${answer%% *}" = 200
check "the daemon's threads do not grow ($threads_before -> $threads_during)" \
  test "$threads_during" -le $((threads_before + 2))
check "its open descriptors stay under the cap of 256 connections ($fds_before -> $fds_during)" \
  test "$fds_during" -le $((fds_before + 256 + 4))
check "its resident memory grows by less than 16 MiB ($rss_before -> $rss_during KiB)" \
  test "$rss_during" -lt $((rss_before + 16384))
dropped=$(metric limit)
echo "  control_connections_dropped_total: limit $dropped, timeout $(metric timeout)"
check "the connections pushed out over the cap are counted ($dropped)" \
  test "${dropped%.*}" -ge $((1050 - 64))

# Still flooded, past the 2 s request deadline: the slowloris connections
# the listener held are closed and counted, and /healthz still answers.
timed_out() { [[ $(metric timeout) -ge 50 ]]; }
check "the slowloris connections held are closed at the 2 s deadline" wait_for "the deadline" timed_out
echo "  control_connections_dropped_total: limit $(metric limit), timeout $(metric timeout)"
answer=$(healthz)
echo "  /healthz still flooded, after the deadline: $answer"
check "/healthz answers 200 within 1 s after the deadline too" test "${answer%% *}" = 200

# The flood ends; the listener answers as before and gives its descriptors back.
exec {flood_in}>&-
wait $flood_pid 2>/dev/null
flood_pid=""
check "/healthz answers after the flood" test "$(healthz | cut -d' ' -f1)" = 200
settled_fds() { [[ $(fds) -le $((fds_before + 2)) ]]; }
check "the descriptors are given back ($(fds) open)" wait_for "descriptors" settled_fds
kill -TERM $pid
wait $pid
check "SIGTERM exits 0" test $? = 0
finish
