#!/bin/bash
# hdc-emulator against nginx on this machine, side by side (docs/contributing.md §Benchmarks):
#
#  1. One 1 GiB download: nginx serving a 1 GiB file versus hdc-emulator
#     serving a generated 1 GiB cab through its SAS link (token → template →
#     schedule → manual clock → report data → report → cab download 302).
#     curl -o /dev/null, best of 3 each. Target: emulator >= 70 % of nginx.
#  2. 20,000 small requests: nginx serving a small file versus an
#     authenticated HDC GET on the emulator (GET /analytics/driver/reporttemplate
#     with a bearer token; also shown: the token endpoint and GET
#     /_emulator/state), best of 3, with wrk (bounded by the request count and
#     a time limit) or, without wrk, curl --parallel. Target: emulator >= 50 %
#     of nginx.
#
# Usage: bench/emulator_vs_nginx.sh [path/to/hdc-emulator]
#   BENCH_SIZE=1G           size of the big file and cab
#   BENCH_REQUESTS=20000    small requests per measurement
#   BENCH_CONNECTIONS=8     concurrent connections for the small requests
#   BENCH_RANDOM=1          fill nginx's file from /dev/urandom (default: fallocate)
# All traffic stays on 127.0.0.0/8. Needs curl and nginx (apt-get install -y
# nginx-light); wrk is optional (apt-get install -y wrk). Exit status: 0 when
# both targets are met, 1 when one is missed, 2 when a tool is missing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
emulator=${1:-$here/../build/emulator/hdc-emulator}
size=${BENCH_SIZE:-1G}
requests=${BENCH_REQUESTS:-20000}
connections=${BENCH_CONNECTIONS:-8}

nginx=$(command -v nginx || true)
[ -z "$nginx" ] && [ -x /usr/sbin/nginx ] && nginx=/usr/sbin/nginx
if [ -z "$nginx" ]; then
  echo "nginx is not installed; install it with: apt-get install -y nginx-light" >&2
  exit 2
fi
command -v curl >/dev/null || { echo "curl is not installed (apt-get install -y curl)" >&2; exit 2; }
[ -x "$emulator" ] || { echo "no hdc-emulator at $emulator (build it: make -C build hdc-emulator)" >&2; exit 2; }
wrk=$(command -v wrk || true)

work=$(mktemp -d "${TMPDIR:-/tmp}/hdc-bench-XXXXXX")
nginx_pid=
emu_pid=
cleanup() {
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  [ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
    echo $((20000 + RANDOM % 30000))
}

# --- nginx: own config, own prefix, no root needed --------------------------
mkdir -p "$work/www" "$work/nginx/tmp"
# nginx started by root runs its workers as an unprivileged user: let them in.
chmod 755 "$work" "$work/www"
echo "creating the $size file for nginx..."
if [ "${BENCH_RANDOM:-0}" = 1 ] || ! fallocate -l "$size" "$work/www/big.bin" 2>/dev/null; then
  head -c "$size" /dev/urandom >"$work/www/big.bin"
fi
printf '{"data":[],"errors":[]}\n' >"$work/www/small.json"
nginx_port=$(free_port)
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/tmp/body;
  proxy_temp_path $work/nginx/tmp/proxy;
  fastcgi_temp_path $work/nginx/tmp/fastcgi;
  uwsgi_temp_path $work/nginx/tmp/uwsgi;
  scgi_temp_path $work/nginx/tmp/scgi;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/www;
  }
}
EOF
"$nginx" -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" &
nginx_pid=$!

# --- hdc-emulator: manual clock, 1 GiB cabs ---------------------------------
"$emulator" --port 0 --clock manual --start 2024-05-01T00:00:00Z --seed 7 --cab-size "$size" \
  --client bench-tenant/bench-client:bench-secret >"$work/emu.out" 2>"$work/emu.err" &
emu_pid=$!
for _ in $(seq 200); do [ -s "$work/emu.out" ] && break; sleep 0.05; done
emu_port=$(head -1 "$work/emu.out")
[ -n "$emu_port" ] || { echo "hdc-emulator did not start:"; cat "$work/emu.err"; exit 1; }
for _ in $(seq 200); do curl -sf -o /dev/null "http://127.0.0.1:$nginx_port/small.json" && break; sleep 0.05; done
base="http://127.0.0.1:$emu_port"

token=$(curl -sf -X POST "$base/bench-tenant/oauth2/token" \
  -d grant_type=client_credentials -d client_id=bench-client -d client_secret=bench-secret \
  --data-urlencode resource=https://manage.devcenter.microsoft.com | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
auth=(-H "Authorization: Bearer $token" -H "Content-Type: application/json")
tid=$(curl -sf "${auth[@]}" -X POST "$base/analytics/driver/reporttemplate" -d \
  '{"view":"IHVDriver","projection":["CabIdHash","FailureHash"],"dateRange":{"reportPeriod":"Last7Days"}}' |
  sed 's/.*"templateId":\([0-9]*\).*/\1/')
rid=$(curl -sf "${auth[@]}" -X POST "$base/analytics/driver/report" -d \
  "{\"templateId\":$tid,\"schedule\":{\"startTime\":\"2024-05-01T00:00:00Z\",\"recurrenceInterval\":24,\"recurrence\":3}}" |
  sed 's/.*"reportId":\([0-9]*\).*/\1/')
curl -sf -X POST "$base/_emulator/clock" -d '{"advance":"45m"}' >/dev/null
link=$(curl -sf "${auth[@]}" "$base/analytics/driver/reportdata/$rid" | sed 's/.*"ReportLocation":"\([^"]*\)".*/\1/')
cab=$(curl -sf "$link" | sed -n 2p | cut -f1)
cab_url=$(curl -s -o /dev/null -w '%{redirect_url}' "${auth[@]}" \
  "$base/v1.0/my/analytics/hardware/cabdownload?cabIdHash=$cab")
case "$cab_url" in http://127.*) ;; *) echo "no cab link (got '$cab_url')"; exit 1 ;; esac

# Best of 3 downloads, bytes per second.
best_speed() {
  local best=0 speed bytes
  for _ in 1 2 3; do
    read -r speed bytes < <(curl -sf -o /dev/null -w '%{speed_download} %{size_download}\n' "$1")
    [ "$bytes" = "$2" ] || { echo "short download from $1: $bytes of $2 bytes" >&2; exit 1; }
    best=$(awk -v a="$best" -v b="$speed" 'BEGIN { print (b > a) ? b : a }')
  done
  echo "$best"
}
bytes=$(stat -c %s "$work/www/big.bin")
echo "warming up..."
curl -sf -o /dev/null "http://127.0.0.1:$nginx_port/big.bin" ||
  { echo "nginx did not serve big.bin:"; cat "$work/nginx/error.log"; exit 1; }
curl -sf -o /dev/null "$cab_url" || { echo "hdc-emulator did not serve the cab"; exit 1; }
nginx_big=$(best_speed "http://127.0.0.1:$nginx_port/big.bin" "$bytes")
emu_big=$(best_speed "$cab_url" "$bytes")

# Small requests: requests per second over a bounded count (with wrk, see
# bench/wrk_bounded.lua; -d only bounds the time).
small_rate() {  # URL [METHOD] [BODY] [AUTH] → requests per second
  local url=$1 method=${2:-GET} body=${3:-} auth_header=${4:-}
  if [ -n "$wrk" ]; then
    local threads=2 per total errs secs
    per=$(( (requests + threads - 1) / threads ))
    BENCH_PER_THREAD=$per BENCH_THREADS=$threads BENCH_METHOD=$method BENCH_BODY=$body BENCH_AUTH=$auth_header \
      "$wrk" -t$threads -c"$connections" -d60s --timeout 10s -s "$here/wrk_bounded.lua" "$url" >"$work/wrk.out" 2>&1 || true
    read -r _ total errs secs < <(grep '^BENCH ' "$work/wrk.out" || echo "BENCH 0 0 inf")
    [ "$errs" = 0 ] || { echo "$errs error answers from $url" >&2; exit 1; }
    [ "$secs" != inf ] || { echo "not all $requests requests to $url finished within 60 s:" >&2; cat "$work/wrk.out" >&2; exit 1; }
    awk -v n="$total" -v s="$secs" 'BEGIN { printf "%.0f\n", n / s }'
  else
    local cfg=$work/curl.cfg args=() t0 t1
    : >"$cfg"
    for _ in $(seq "$requests"); do printf 'url = "%s"\noutput = "/dev/null"\n' "$url" >>"$cfg"; done
    [ "$method" != GET ] && args+=(-X "$method")
    [ -n "$body" ] && args+=(-d "$body")
    [ -n "$auth_header" ] && args+=(-H "Authorization: $auth_header")
    t0=$(date +%s.%N)
    curl -sf --max-time 120 -Z --parallel-max "$connections" "${args[@]}" -K "$cfg"
    t1=$(date +%s.%N)
    awk -v n="$requests" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f\n", n / (b - a) }'
  fi
}
best_rate() {  # best of 3 small_rate runs
  local best=0 r
  for _ in 1 2 3; do
    r=$(small_rate "$@")
    best=$(awk -v a="$best" -v b="$r" 'BEGIN { print (b > a) ? b : a }')
  done
  echo "$best"
}
echo "small requests ($requests each, $connections connections, $([ -n "$wrk" ] && echo wrk || echo "curl --parallel"))..."
nginx_small=$(best_rate "http://127.0.0.1:$nginx_port/small.json")
emu_api=$(best_rate "$base/analytics/driver/reporttemplate" GET "" "Bearer $token")
emu_state=$(best_rate "$base/_emulator/state")
emu_token=$(best_rate "$base/bench-tenant/oauth2/token" POST \
  "grant_type=client_credentials&client_id=bench-client&client_secret=bench-secret&resource=https%3A%2F%2Fmanage.devcenter.microsoft.com")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mib() { awk -v a="$1" 'BEGIN { printf "%.0f MiB/s", a / 1048576 }'; }
big_ratio=$(ratio "$emu_big" "$nginx_big")
small_ratio=$(ratio "$emu_api" "$nginx_small")
echo
echo "machine: $(nproc) cores, $(uname -sr)"
echo "1 download of $size (best of 3, curl -o /dev/null):"
echo "  nginx         $(mib "$nginx_big")"
echo "  hdc-emulator  $(mib "$emu_big")   ratio $big_ratio (target >= 0.70)"
echo "$requests small requests (best of 3), $connections connections:"
echo "  nginx GET /small.json                            $nginx_small req/s"
echo "  hdc-emulator GET /analytics/driver/reporttemplate $emu_api req/s   ratio $small_ratio (target >= 0.50)"
echo "  hdc-emulator GET /_emulator/state                $emu_state req/s   ratio $(ratio "$emu_state" "$nginx_small")"
echo "  hdc-emulator POST /{tenant}/oauth2/token         $emu_token req/s   ratio $(ratio "$emu_token" "$nginx_small")"
ok=0
awk -v r="$big_ratio" 'BEGIN { exit !(r >= 0.70) }' || { echo "MISSED: big download below 70 % of nginx"; ok=1; }
awk -v r="$small_ratio" 'BEGIN { exit !(r >= 0.50) }' || { echo "MISSED: small requests below 50 % of nginx"; ok=1; }
exit $ok
