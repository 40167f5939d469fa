#!/bin/bash
# Cab downloads: hdc-reportd --once against curl, side by side, same
# hdc-emulator process, same cabs, same disk (docs/contributing.md §Benchmarks).
# Each line: the daemon's figure, the peer's figure (a curl's, or scenario 4's
# bound), ratio daemon/peer (higher is better) and the goal, ok or MISSED; the
# closing table has them all, and below each scenario's first line the seconds
# and peak RSS of the daemon and of its first peer.
#
#  1. one 1 GiB cab           vs curl on the SAS link       goal: ratio >= 1.0
#                                                           and daemon peak RSS <= 16 MiB
#  2. 500 x 1 MiB cabs        vs curl on the SAS links      goal: ratio >= 1.0
#  3. 20,000 x 4 KiB cabs     vs curl through the cab API   goal: ratio >= 1.0
#                             vs curl on the SAS links      goal: ratio >= 0.6
#  4. 2,000 x 256 KiB cabs, latency-bound: 80 ms before every API answer,
#     40 ms before every blob's first byte; download_concurrency = 16
#                             vs curl through the cab API   goal: ratio >= 1.0
#                                (--parallel-max 16)
#                             vs the bound (below)          goal: ratio >= 0.9
#  5. one 1 GiB cab over HTTPS vs curl on the SAS link      goal: ratio >= 0.95
#
# How the emulator makes exactly N cabs of S bytes: the knobs
# rows_per_execution = N, cab_size = S and cab_every_hours = 0 (every report
# row references its own cab), set through POST /_emulator/settings. One job
# per scenario (IHVDriver, columns FailureHash, CabIdHash, CabType,
# ApplicationId; one run), each in its own state folder.
#
# What each side does (the timed part):
#  daemon  `hdc-reportd --once` (download_concurrency = 4; scenario 4: 16),
#          wall time of the whole process, of which the cab phase is nearly
#          all: the report was already fetched and ingested by an earlier
#          --once (run while a fault made the cab API answer 403, so no cab
#          was fetched; the cabs are recorded 'pending'). The timed run starts
#          the process, opens state.db, gets a token, reconciles (GET
#          templates and schedules), polls Get Report Data once, finds no new
#          report, then for every cab: GET .../driver/cabdownload with the
#          bearer token -> 302 -> GET of the blob SAS URL (no Authorization)
#          streamed into store/tmp, SHA-256 and MD5 (checked against
#          Content-MD5, which the emulator sends for blobs up to 256 MiB),
#          MSCF check; then, in groups (the cabs sealed while the previous
#          group commit ran): the data of the group made durable (one
#          syncfs; a group of one: its fdatasync), each renamed into
#          store/cabs, each distinct folder fsynced once, their rows in
#          state.db updated in one transaction (WAL, synchronous=FULL), so
#          each cab is durable under its final name before its row is
#          committed, as with an fdatasync each. The fixed part
#          (start .. poll) is measured by a further --once with nothing to do,
#          printed as "no-op --once". For a second timed run the cabs are set
#          back to 'pending' in state.db and their files removed.
#  curl through the cab API (scenarios 3 and 4), the daemon's way: `curl -Z
#          --parallel-max 4 (scenario 4: 16) -L -H 'Authorization: Bearer
#          TOKEN' -K LIST`, LIST naming for every cab its cabdownload URL (the
#          one the daemon calls) and an output file; one process, keep-alive
#          connections. curl follows the 302 to the blob host and, the host
#          being another (127.0.0.2), leaves the Authorization header out
#          there, as the daemon does: the emulator's request log says so,
#          printed after each side's first run ("N with Authorization" per
#          kind of request). The token was obtained before the timed part
#          (the daemon's run includes getting its own). Then every file and
#          the folder are fsynced by `sync` (as many at once as
#          --parallel-max, through xargs -P).
#  curl on the SAS links (scenarios 1, 2, 3 and 5): the same blob SAS URLs,
#          obtained before the timed part by calling the same cabdownload API
#          with the token for each cab (curl -w '%{redirect_url}'), then
#          timed: one cab: `curl -o FILE URL && sync FILE`; many: `curl -Z
#          --parallel-max 4 -K LIST` (one output file per URL, one process,
#          keep-alive connections), then every file and the folder fsynced as
#          above. No token, no API call, no redirect.
#  Neither curl hashes or keeps a database.
# Scenario 4's latency: emulator faults of kind latency (real time slept, then
# the normal answer), 80 ms on every API endpoint (token, template, schedule,
# reportdata, cabdownload) and 40 ms on the blob host, POSTed to
# /_emulator/faults just before each timed part and deleted right after it
# (the no-op --once runs with them too; the setup runs without). Its bound:
# concurrency / (API latency + blob latency + transfer time of one cab), in
# cabs/s, the transfer time measured before the timed runs: the best of 5
# GETs of one blob, each by its own curl to /dev/null, without latency
# (curl's time_total: connect, request, the whole body). The bound leaves out
# the fsyncs and the cab API's own time. The emulator serves max(32, 2 x the
# largest concurrency) connections at once (--threads), so that it is not
# the bound.
# Scenario 5's HTTPS: a CA and a server certificate it signs (EC P-256, for
# IP 127.0.0.1, IP 127.0.0.2 and localhost), made by `openssl` in the work
# folder; a second hdc-emulator with `--tls CERT KEY` (the API and the blob
# host over HTTPS, on ports of their own, which the links name), started for
# the scenario and stopped after it; both sides use it. The daemon: https
# api_url and login_url, [account] ca_file = the CA; curl: `curl --cacert CA
# -o FILE URL && sync FILE`. Both negotiate with OpenSSL and the same server;
# the protocol and cipher curl got are printed.
# Nothing with many files is deleted while the script runs: such sets move
# into $work/trash (a rename), emptied when the script ends. The root file
# system of the machines this runs on is ext4 without a journal, and there
# ext4 will not reuse an inode freed in the last minute (five, while its
# inode table block is dirty): every file created then scans past each
# recently freed inode of its block group (recently_deleted(), 30 % of the
# daemon's CPU in a perf profile of 5,000 cabs after another run's
# clean-up). Whoever ran first after a deletion paid most of that, and the
# daemon runs first.
# Before the timed runs every blob is fetched once to /dev/null (untimed) so
# that the emulator's blob metadata cache (Content-MD5 of blobs up to
# 256 MiB, 4096 entries) is in the same state for every side. The daemon runs
# first, then each curl in the order of the list above, in turn when there
# are several runs (the best time of each side counts); each side writes to
# its own folder; sets over 256 MiB are deleted between runs, smaller ones
# at the end of the scenario (a `discard` mount makes deleting 20,000 files
# slow, and ext4 allocates inodes more slowly right after mass deletions).
# Peak RSS comes from GNU time (/usr/bin/time -v; Debian package `time`),
# else from polling /proc/PID/status VmHWM every 20 ms (marked "~"; times
# then carry up to 20 ms of polling slack).
#
# Usage: bench/bench_download.sh [BUILD_DIR]   (default: build)
#   BENCH_DIR=            work folder (default: a temporary one under $TMPDIR
#                         or /tmp, removed after); the disk both sides write to
#   BENCH_SCENARIOS=1,2,3,4,5  which scenarios to run
#   BENCH_BIG=1G  BENCH_MID_COUNT=500  BENCH_MID_SIZE=1M
#   BENCH_SMALL_COUNT=20000  BENCH_SMALL_SIZE=4K
#   BENCH_LAT_COUNT=2000  BENCH_LAT_SIZE=256K   scenario 4's cabs
#   BENCH_LAT_API_MS=80  BENCH_LAT_BLOB_MS=40   scenario 4's latencies
#   BENCH_TLS_SIZE=1G     scenario 5's cab
#   BENCH_RUNS=           timed runs of each side, in turn, best kept (default
#                         2 for scenarios 1, 4 and 5, 5 for scenario 2, whose
#                         1.5 s runs swing with how the two cores are shared,
#                         1 for scenario 3)
#   BENCH_PARALLEL=4      download_concurrency and curl --parallel-max
#                         (scenarios 1 to 3)
#   BENCH_LAT_PARALLEL=16 the same for scenario 4
#   BENCH_TIMEOUT=240     seconds before a daemon or curl run is killed
#   BENCH_PERF=3          record the daemon's timed run of these scenarios
#                         (comma list) with `perf record` (BENCH_PERF_CALLS:
#                         its call-graph options, default --call-graph dwarf)
#                         and print the top of `perf report`; peak RSS is then
#                         perf's; BENCH_PERF_KEEP=FILE keeps the perf.data
#                         there for a closer look (perf report -i FILE)
#   BENCH_GNU_TIME=/usr/bin/time  GNU time; empty: poll /proc instead
#   BENCH_WRAP=           words put before the daemon's timed run (all
#                         scenarios), e.g. "strace -f -c -w -o /tmp/st.txt"
# All traffic stays on 127.0.0.0/8. Needs curl and sqlite3, and for scenario
# 5 openssl. Exit status: 0 when every goal that was measured is met, 1 when
# one is missed or the daemon or a curl failed, 2 when a tool or binary is
# missing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
build=${1:-$here/../build}
emulator=$build/emulator/hdc-emulator
daemon=$build/daemon/hdc-reportd
big=${BENCH_BIG:-1G}
mid_count=${BENCH_MID_COUNT:-500}
mid_size=${BENCH_MID_SIZE:-1M}
small_count=${BENCH_SMALL_COUNT:-20000}
small_size=${BENCH_SMALL_SIZE:-4K}
lat_count=${BENCH_LAT_COUNT:-2000}
lat_size=${BENCH_LAT_SIZE:-256K}
lat_api_ms=${BENCH_LAT_API_MS:-80}
lat_blob_ms=${BENCH_LAT_BLOB_MS:-40}
tls_size=${BENCH_TLS_SIZE:-1G}
parallel=${BENCH_PARALLEL:-4}
lat_parallel=${BENCH_LAT_PARALLEL:-16}
limit=${BENCH_TIMEOUT:-240}
scenarios=,${BENCH_SCENARIOS:-1,2,3,4,5},
emu_threads=$((parallel > lat_parallel ? 2 * parallel : 2 * lat_parallel))
[ "$emu_threads" -ge 32 ] || emu_threads=32

tools=(curl sqlite3 timeout xargs)
[[ $scenarios == *,5,* ]] && tools+=(openssl)
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 2; }
done
[ -x "$emulator" ] || { echo "no hdc-emulator at $emulator (make build)" >&2; exit 2; }
[ -x "$daemon" ] || { echo "no hdc-reportd at $daemon (make build)" >&2; exit 2; }
gnu_time=${BENCH_GNU_TIME-/usr/bin/time}
if [ -z "$gnu_time" ] || ! [ -x "$gnu_time" ] || [[ $("$gnu_time" -v true 2>&1) != *"Maximum resident"* ]]; then
  gnu_time=
fi

if [ -n "${BENCH_DIR:-}" ]; then
  work=$BENCH_DIR
  mkdir -p "$work"
  keep_work=1
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/bench-download-XXXXXX")
  keep_work=0
fi
emu_pid=
tls_pid=
trash_n=0
# discard PATH...: out of the way now (renamed into $work/trash), deleted at the end.
discard() {
  local path
  mkdir -p "$work/trash"
  for path in "$@"; do
    [ -e "$path" ] && mv "$path" "$work/trash/$((++trash_n))"
  done
  return 0
}
# drop PATH: a set of a few files is deleted at once (the inodes ext4 then
# avoids are too few to matter, and 1 GiB files take disk space), more go
# to the trash.
drop() {
  if [ "$(find "$1" -type f | head -17 | wc -l)" -le 16 ]; then rm -rf "$1"; else discard "$1"; fi
}
# stop_emulator PID: ends an emulator this script started, and waits for it.
stop_emulator() {
  if [ -n "$1" ]; then kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; fi
}
# shellcheck disable=SC2317  # run by the trap
cleanup() {
  stop_emulator "$tls_pid"
  stop_emulator "$emu_pid"
  if [ "$keep_work" = 0 ]; then rm -rf "$work"; else rm -rf "${work:?}"/s[0-9]* "${work:?}/tls" "${work:?}/trash"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bytes_of() {  # 1G, 4K, 123 -> bytes
  local n=${1%[KkMmGg]} unit=${1: -1}
  case $unit in K|k) echo $((n << 10)) ;; M|m) echo $((n << 20)) ;; G|g) echo $((n << 30)) ;; *) echo "$1" ;; esac
}
pretty() {  # 1G -> 1 GiB, 4K -> 4 KiB
  case ${1: -1} in K|k) echo "${1%?} KiB" ;; M|m) echo "${1%?} MiB" ;; G|g) echo "${1%?} GiB" ;; *) echo "$1 bytes" ;; esac
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

# --- the emulator: manual clock, the demo client ------------------------------
tenant=00000000-0000-0000-0000-000000000001
client=11111111-2222-3333-4444-555555555555
secret=demo-secret
# start_emulator NAME [FLAGS...]: starts an hdc-emulator on ephemeral ports,
# its stderr into $work/NAME.log; sets started_pid and started_port (the API
# port; the blob host 127.0.0.2 gets the same number if free, else another:
# the links it hands out name it). Its stdout stays open on started_fd.
start_emulator() {
  local name=$1
  shift
  exec {started_fd}< <(exec "$emulator" --port 0 --clock manual --start 2026-11-01T00:00:00Z \
    --threads "$emu_threads" "$@" 2>"$work/$name.log")
  started_pid=$!
  if ! read -r -t 30 started_port <&"$started_fd"; then
    echo "hdc-emulator did not start:"; cat "$work/$name.log"; exit 1
  fi
}
start_emulator emulator
emu_pid=$started_pid
api="http://127.0.0.1:$started_port"
curl_tls=()  # curl's options for the emulator in use: --cacert for the HTTPS one
ca_file=     # the daemon's [account] ca_file, likewise
admin() {  # METHOD PATH [JSON]
  curl -sf "${curl_tls[@]}" -X "$1" "$api/_emulator/$2" ${3:+-d "$3"} >/dev/null
}

echo "machine: $(nproc) cores, $(uname -sr), $(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "disk: $work on $(df --output=source "$work" | tail -1) ($(stat -f -c %T "$work")), $(df -h --output=avail "$work" | tail -1 | tr -d ' ') free"
echo "daemon: $daemon, download_concurrency = $parallel (scenario 4: $lat_parallel)"
echo "curl: $(curl --version | head -1 | cut -d' ' -f1-2), --parallel-max $parallel (scenario 4: $lat_parallel)"
echo "emulator: $emulator, --threads $emu_threads"
echo "peak RSS: $([ -n "$gnu_time" ] && echo "GNU time -v" || echo "~ /proc VmHWM polling (install the Debian package 'time' for exact figures)")"
echo

# measure OUT_PREFIX COMMAND...: runs COMMAND (bounded by $limit s), sets
# m_secs, m_rc, m_rss_kib. stdout/stderr go to OUT_PREFIX.out / .err.
measure() {
  local out=$1; shift
  local t0 rc=0
  t0=$(now)
  if [ -n "$gnu_time" ]; then
    timeout "$limit" "$gnu_time" -v -o "$out.time" "$@" >"$out.out" 2>"$out.err" || rc=$?
    m_secs=$(since "$t0")
    m_rss_kib=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out.time" 2>/dev/null || true)
    m_rss_mark=
  else
    timeout "$limit" "$@" >"$out.out" 2>"$out.err" &
    local pid=$! hwm=0 v child
    while kill -0 "$pid" 2>/dev/null; do
      child=$(pgrep -P "$pid" | head -1 || true)  # the command under timeout
      v=$(awk '/VmHWM/ { print $2 }' "/proc/${child:-$pid}/status" 2>/dev/null || true)
      [ -n "$v" ] && [ "$v" -gt "$hwm" ] && hwm=$v
      sleep 0.02
    done
    wait "$pid" || rc=$?
    m_secs=$(since "$t0")
    m_rss_kib=$hwm
    m_rss_mark="~"
  fi
  m_rc=$rc
}

# request_summary: the emulator's request log into req_summary, one "PATH xN
# (A with Authorization)" per kind of request, most frequent first; cab blobs
# are counted together, with the host they were asked of. blob_auth: blob
# requests that carried an Authorization header.
request_summary() {
  local json
  json=$(curl -sf "${curl_tls[@]}" "$api/_emulator/requests" | grep -o '{[^{}]*}' || true)
  blob_auth=$(grep '"path":"/drivers/' <<<"$json" | grep -c '"authorization":true' || true)
  req_summary=$(sed -n 's/.*"authorization":\([a-z]*\).*"host":"\([^"]*\)".*"path":"\([^"?]*\).*/\1 \2 \3/p' <<<"$json" |
    sed 's|^\([a-z]*\) \([^ ]*\) /drivers/Cabs/.*|\1 blob GET \2/drivers/Cabs/*|; t; s|^\([a-z]*\) [^ ]* |\1 |' |
    awk '{ a = $1; $1 = ""; k = substr($0, 2); n[k]++; if (a == "true") auth[k]++ }
         END { for (k in n) printf "%d\t%s x%d (%d with Authorization)\n", n[k], k, n[k], auth[k] }' |
    sort -rn | cut -f2 | paste -sd, - | sed 's/,/, /g')
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.2f", a / b }'; }
meets() { awk -v r="$1" -v g="$2" 'BEGIN { exit !(r != "n/a" && r >= g) }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
lesser() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }
greater() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b > a) ? b : a }'; }
status=0
results=()
result() { results+=("$(printf '%-34s %12s %12s %7s   %s' "$@")"); }

# The peers: what each is called in the output.
peer_name() {
  case $1 in
    api) echo "curl through the cab API" ;;
    blob) echo "curl on the SAS links" ;;
    bound) echo "the latency bound" ;;
  esac
}

# The scenario's timed faults ($faults, set by its caller), on and off.
faults_on() { if [ -n "${faults:-}" ]; then admin POST faults "$faults"; fi; }
faults_off() { if [ -n "${faults:-}" ]; then admin DELETE faults; fi; }

# fsync_all FOLDER: every file in FOLDER, then FOLDER, by `sync` ($conc in
# parallel).
fsync_all() {
  find "$1" -type f -print0 | xargs -0 -r -P "$conc" -n $(((count + conc - 1) / conc)) sync
  sync "$1"
}

# run_peer KIND RUN: one timed run of a curl (peer_name) into $dir/curl-KIND,
# files fsynced. Updates p_secs, p_rss, p_mark and p_fail of KIND; sets status
# on a failure. Uses run_scenario's variables.
run_peer() {
  local kind=$1 run=$2 out=$dir/curl-$1 t_start secs bytes
  discard "$out"
  mkdir -p "$out"
  [ "$run" = 1 ] && admin DELETE requests
  faults_on
  t_start=$(now)
  case $kind in
    blob)
      if [ "$count" = 1 ]; then
        measure "$out-get" curl -sSf "${curl_tls[@]}" -o "$out/000001.cab" "$(head -1 "$dir/sas.txt")"
      else
        measure "$out-get" curl --no-progress-meter -f "${curl_tls[@]}" -Z --parallel-max "$conc" -K "$dir/blob.cfg"
      fi
      ;;
    api)
      measure "$out-get" curl --no-progress-meter -f "${curl_tls[@]}" -Z --parallel-max "$conc" -L \
        -H "Authorization: Bearer $token" -K "$dir/api.cfg"
      ;;
  esac
  faults_off
  fsync_all "$out"
  secs=$(since "$t_start")
  bytes=$(sum_sizes "$out")
  echo "$(peer_name "$kind") run $run: $secs s (of which GET $m_secs s), exit $m_rc, $bytes bytes, peak RSS $m_rss_mark$(mib "${m_rss_kib:-0}") MiB"
  if [ "$m_rc" != 0 ] || [ "$bytes" != "$total" ]; then
    echo "$(peer_name "$kind") FAILED: exit $m_rc, $bytes of $total bytes"; tail -5 "$out-get.err"
    status=1 p_fail[$kind]="exit $m_rc, $bytes of $total bytes"
  fi
  if [ "$run" = 1 ] && [ "$kind" = api ]; then
    request_summary
    echo "$(peer_name "$kind") requests: $req_summary"
    if [ "$blob_auth" = 0 ]; then
      echo "  (curl -L sent the bearer token to the API host only, not to the blob host)"
    else
      echo "  NOTE: curl -L sent the bearer token to the blob host $blob_auth times"
    fi
  fi
  p_secs[$kind]=$(lesser "${p_secs[$kind]:-}" "$secs")
  p_rss[$kind]=$(greater "${p_rss[$kind]:-}" "${m_rss_kib:-0}")
  p_mark[$kind]=$m_rss_mark
  if [ "$total" -gt $((256 << 20)) ]; then drop "$out"; fi
}

# Figures: MiB/s for cabs of 1 MiB and more, else cabs/s. figure SECONDS
# prints the unrounded figure, shown() rounds it for the table.
figure() {
  awk -v n="$count" -v b="$total" -v s="$1" -v mib="$((size_bytes >= 1 << 20))" \
    'BEGIN { if (s == "" || s <= 0) print ""; else printf "%.6f", mib ? b / 1048576 / s : n / s }'
}
shown() { awk -v f="$1" 'BEGIN { if (f == "") print "n/a"; else printf (f >= 100 ? "%.0f" : "%.1f"), f }'; }

# peer_line LABEL KIND GOAL NOTE: the table line of the daemon against the
# peer KIND (a curl, or the bound).
peer_line() {
  local label=$1 kind=$2 goal=$3 note=$4 d_fig p_fig r
  d_fig=$(figure "$d_secs")
  p_fig=$(figure "${p_secs[$kind]:-}")
  if [ -n "${p_fail[$kind]:-}" ]; then
    result "$label" "$(shown "$d_fig")" "FAILED" "n/a" ">= $goal $(peer_name "$kind") FAILED (${p_fail[$kind]})$note"
  elif [ "$d_ok" = 1 ]; then
    r=$(ratio "$d_fig" "$p_fig")
    meets "$r" "$goal" || status=1
    result "$label" "$(shown "$d_fig")" "$(shown "$p_fig")" "$r" ">= $goal $(meets "$r" "$goal" && echo ok || echo MISSED)$note"
  else
    result "$label" "FAILED" "$(shown "$p_fig")" "n/a" ">= $goal FAILED (daemon exit $d_rc)$note"
  fi
}

# --- one scenario ---------------------------------------------------------------
# run_scenario NUMBER COUNT SIZE RUNS KIND:GOAL...: the daemon against each
# KIND (api, blob: a curl; bound: the latency bound; the first is the main
# one), each with its goal. Optional, from the caller: rss_goal (MiB, the
# daemon's peak RSS), concurrency (default $parallel), faults (JSON rules
# active during the timed parts), latency_ms (the latency a cab waits for,
# for the bound, as a sum: "80+40"), tag (added to the label).
run_scenario() {
  local n=$1 count=$2 size=$3 runs=${BENCH_RUNS:-$4}
  shift 4
  local peers=("$@") conc=${concurrency:-$parallel}
  local size_bytes total label dir day job
  size_bytes=$(bytes_of "$size")
  total=$((count * size_bytes))
  label="$count x $(pretty "$size")${tag:-}"
  dir=$work/s$n
  day=$(printf '2026-11-%02d' $((n * 2)))  # each scenario its own day on the manual clock
  job=bench$n
  mkdir -p "$dir/jobs" "$dir/state"
  echo "== scenario $n: $count x $(pretty "$size") cabs${tag:-} ($total bytes)"
  local t_setup t_step
  t_setup=$(now)
  step() { echo "  setup: $1 $(since "$t_step") s" >>"$dir/setup.log"; t_step=$(now); }
  t_step=$t_setup

  admin POST settings "{\"rows_per_execution\":\"$count\",\"cab_size\":\"$size_bytes\",\"cab_every_hours\":0}"
  admin DELETE faults
  cat >"$dir/jobs/$job.ini" <<INI
[job $job]
view = IHVDriver
columns = FailureHash, CabIdHash, CabType, ApplicationId
start = ${day}T01:00:00Z
every = 24h
runs = 1
INI
  cat >"$dir/hdc.ini" <<INI
[service]
state_dir = $dir/state
jobs_dir = $dir/jobs
log_level = info
download_concurrency = $conc
control_listen =
[account]
tenant_id = $tenant
client_id = $client
api_url = $api
login_url = $api
ca_file = $ca_file
INI
  local once=("$daemon" --once --config "$dir/hdc.ini")
  # As root the override (docs/operations.md §Privileges): the bench's state is scratch.
  [[ $(id -u) == 0 ]] && once+=(--allow-root)
  export HDC_CLIENT_SECRET=$secret

  # Untimed: reconcile (creates the template and the schedule), then, once the
  # run completed, fetch and ingest the report while the cab API answers 403.
  admin POST clock "{\"set\":\"$(printf '2026-11-%02d' $((n * 2 - 1)))T12:00:00Z\"}"
  if ! "${once[@]}" >"$dir/once-reconcile.log" 2>&1; then
    echo "daemon FAILED while reconciling (exit $?):"; tail -5 "$dir/once-reconcile.log"
    results+=("$(printf '%-34s %s' "$label" "daemon FAILED (reconcile), scenario skipped")"); status=1
    rm -rf "$dir"; return
  fi
  step reconcile
  admin POST clock "{\"set\":\"${day}T03:00:00Z\"}"
  admin POST faults '{"faults":[{"endpoint":"cabdownload","kind":"status","status":403}]}'
  "${once[@]}" >"$dir/once-ingest.log" 2>&1 || true  # exits nonzero: the 403s
  admin DELETE faults
  step ingest
  local pending
  pending=$(sqlite3 "$dir/state/state.db" "SELECT count(*) FROM cabs WHERE state = 'pending'" 2>/dev/null || echo 0)
  if [ "$pending" != "$count" ]; then
    echo "daemon FAILED to ingest the report: $pending cabs pending, $count expected:"; tail -5 "$dir/once-ingest.log"
    results+=("$(printf '%-34s %s' "$label" "daemon FAILED (ingest: $pending of $count cabs), scenario skipped")"); status=1
    rm -rf "$dir"; return
  fi

  # Untimed: a token, and the SAS links from the same API the daemon calls.
  local token
  token=$(curl -sf "${curl_tls[@]}" -X POST "$api/$tenant/oauth2/token" -d grant_type=client_credentials \
    -d client_id="$client" -d client_secret="$secret" \
    --data-urlencode resource=https://manage.devcenter.microsoft.com |
    sed 's/.*"access_token":"\([^"]*\)".*/\1/')
  sqlite3 -separator ' ' "$dir/state/state.db" "SELECT application_id, cab_id_hash FROM cabs ORDER BY cab_id_hash" |
    while read -r app id; do
      printf '%s/v1.0/my/analytics/driver/cabdownload?applicationId=%s&cabIdHash=%s\n' "$api" "$app" "$id"
    done >"$dir/api.txt"
  awk '{ printf "url = \"%s\"\noutput = \"/dev/null\"\n", $0 }' "$dir/api.txt" >"$dir/sas.cfg"
  curl --no-progress-meter "${curl_tls[@]}" -Z --parallel-max "$conc" -H "Authorization: Bearer $token" \
    -w '%{redirect_url}\n' \
    -K "$dir/sas.cfg" 2>/dev/null | grep -v '^$' >"$dir/sas.txt" || true
  if [ "$(wc -l <"$dir/sas.txt")" != "$count" ]; then
    echo "could not get $count SAS links from the cab API (got $(wc -l <"$dir/sas.txt"))"
    results+=("$(printf '%-34s %s' "$label" "no SAS links for curl, scenario skipped")"); status=1
    rm -rf "$dir"; return
  fi
  step "SAS links"
  # The lists of the curls: URL and output file, one pair per cab.
  awk -v d="$dir/curl-blob" '{ printf "url = \"%s\"\noutput = \"%s/%06d.cab\"\n", $0, d, NR }' "$dir/sas.txt" >"$dir/blob.cfg"
  awk -v d="$dir/curl-api" '{ printf "url = \"%s\"\noutput = \"%s/%06d.cab\"\n", $0, d, NR }' "$dir/api.txt" >"$dir/api.cfg"
  if [ "$size_bytes" -le $((256 << 20)) ]; then  # warm the emulator's Content-MD5 cache for every side
    sed "s|^output = .*|output = \"/dev/null\"|" "$dir/blob.cfg" >"$dir/warm.cfg"
    curl --no-progress-meter -f "${curl_tls[@]}" -Z --parallel-max "$conc" -K "$dir/warm.cfg" 2>/dev/null || true
  fi
  sync
  step warm-up
  local bound_secs='' xfer_ms=''
  if [ -n "${latency_ms:-}" ]; then
    # The bound's transfer time of one cab: the best of 5 no-latency GETs.
    xfer_ms=$(for _ in 1 2 3 4 5; do
      curl -sf "${curl_tls[@]}" -o /dev/null -w '%{time_total}\n' "$(head -1 "$dir/sas.txt")" || true
    done | awk 'NF && (m == "" || $1 < m) { m = $1 } END { if (m != "") printf "%.1f", m * 1000 }')
    if [ -n "$xfer_ms" ]; then
      bound_secs=$(awk -v n="$count" -v c="$conc" -v l="$((latency_ms))" -v x="$xfer_ms" \
        'BEGIN { printf "%.6f", n * (l + x) / 1000 / c }')
      echo "bound: $conc / ($latency_ms+$xfer_ms ms) = $(awk -v c="$conc" -v l="$((latency_ms))" -v x="$xfer_ms" \
        'BEGIN { printf "%.1f", c * 1000 / (l + x) }') cabs/s ($xfer_ms ms: the best of 5 GETs of one blob by curl, no latency)"
    else
      echo "bound: could not GET a blob to measure the transfer time"
    fi
    step "transfer time"
  fi
  [ -n "${BENCH_VERBOSE:-}" ] && cat "$dir/setup.log"
  echo "setup (untimed: reconcile, ingest, token and SAS links, warm-up${latency_ms:+, transfer time}): $(since "$t_setup") s;" \
    "blob host $(sed -n '1s|^\([a-z]*://[^/]*\)/.*|\1|p' "$dir/sas.txt")"

  # Timed, $runs time(s) in turn, best time and highest peak RSS kept: the
  # daemon's cab phase, then each curl. Between daemon runs the cabs go back
  # to 'pending' and their files are removed.
  local run d_secs='' d_rc=0 d_rss=0 d_mark='' d_ok=1 peer kind goal
  local -A p_secs=() p_rss=() p_mark=() p_fail=()
  local fetched fetched_bytes noop='' pre t0 done_runs=0 wrapped=0
  for ((run = 1; run <= runs; run++)); do
    done_runs=$run
    if [ "$run" -gt 1 ]; then
      discard "$dir/state/store/cabs"
      sqlite3 "$dir/state/state.db" "UPDATE cabs SET state = 'pending'"
      sync
    fi
    admin DELETE requests
    pre=()
    if [ "$run" = 1 ] && [[ ,${BENCH_PERF:-}, == *,$n,* ]] && command -v perf >/dev/null; then
      # shellcheck disable=SC2206
      pre=(perf record -q ${BENCH_PERF_CALLS:---call-graph dwarf,16384} -F 499 -o "$work/perf.data" --)
    fi
    # shellcheck disable=SC2206
    [ -n "${BENCH_WRAP:-}" ] && pre+=(${BENCH_WRAP})
    [ "${#pre[@]}" -gt 0 ] && wrapped=1
    faults_on
    measure "$dir/once-cabs" "${pre[@]}" "${once[@]}"
    faults_off
    fetched=$(sqlite3 "$dir/state/state.db" "SELECT count(*) FROM cabs WHERE state = 'fetched' AND file_size = $size_bytes")
    fetched_bytes=$(sum_sizes "$dir/state/store/cabs" '*.cab')
    echo "daemon run $run: $m_secs s, exit $m_rc, $fetched cabs fetched, peak RSS $m_rss_mark$(mib "${m_rss_kib:-0}") MiB"
    if [ "$m_rc" != 0 ] || [ "$fetched" != "$count" ] || [ "$fetched_bytes" != "$total" ]; then
      d_ok=0 d_rc=$m_rc status=1
      echo "daemon FAILED: exit $m_rc, $fetched of $count cabs fetched, $fetched_bytes of $total bytes in store/cabs"
      tail -5 "$dir/once-cabs.err"
    fi
    d_secs=$(lesser "$d_secs" "$m_secs")
    d_rss=$(greater "$d_rss" "${m_rss_kib:-0}")
    d_mark=$m_rss_mark
    if [ "$run" = 1 ]; then
      request_summary
      echo "daemon requests: $req_summary"
      # The fixed cost of a run: the same --once with nothing left to do.
      faults_on
      t0=$(now)
      "${once[@]}" >"$dir/once-noop.log" 2>&1 || true
      noop=$(since "$t0")
      faults_off
      echo "no-op --once (start, token, reconcile, poll, exit): $noop s"
      if [ -f "$work/perf.data" ]; then
        echo "perf report (daemon; on-CPU samples by library, then inclusive time by function):"
        perf report -q -i "$work/perf.data" --no-children --sort dso --stdio -g none --percent-limit 1 2>/dev/null |
          grep -E '^ +[0-9]' | head -12 || true
        perf report -q -i "$work/perf.data" --children --sort sym --stdio -g none --percent-limit 4 2>/dev/null |
          grep -E '^ +[0-9]' | head -40 || true
        [ -n "${BENCH_PERF_KEEP:-}" ] && cp "$work/perf.data" "$BENCH_PERF_KEEP"; rm -f "$work/perf.data"
      fi
    fi
    # Sets over 256 MiB leave now (disk space: deleted when they are a few
    # files, else moved to the trash); smaller ones stay until the end.
    if [ "$total" -gt $((256 << 20)) ]; then drop "$dir/state/store/cabs"; fi
    sync

    for peer in "${peers[@]}"; do
      [ "${peer%%:*}" = bound ] || run_peer "${peer%%:*}" "$run"
    done
    [ "$d_ok" = 1 ] || break
  done
  t0=$(now)
  drop "$dir"
  echo "clean-up (untimed): $(since "$t0") s"
  echo

  local unit=cabs/s main=${peers[0]%%:*} note other=''
  [ "$size_bytes" -ge $((1 << 20)) ] && unit=MiB/s
  for peer in "${peers[@]}"; do
    kind=${peer%%:*} goal=${peer#*:}
    if [ "$kind" = bound ]; then
      p_secs[bound]=$bound_secs
      [ -n "$bound_secs" ] || status=1 p_fail[bound]="no transfer time"
      peer_line "  vs bound $conc/($latency_ms+${xfer_ms:-?} ms)" bound "$goal" ""
    elif [ "$kind" = "$main" ]; then
      note=" (peer: $(peer_name "$kind"))"
      peer_line "$label ($unit)" "$kind" "$goal" "$note"
    else
      peer_line "  vs $(peer_name "$kind")" "$kind" "$goal" ""
      other+="; $(peer_name "$kind"): ${p_secs[$kind]:-n/a} s"
    fi
  done
  result "  seconds (best of $done_runs)" "$d_secs" "${p_secs[$main]:-n/a}" "" \
    "(daemon: includes the fixed cost of --once, $noop s$other)"
  local d_rss_shown p_rss_shown
  d_rss_shown=$d_mark$(mib "${d_rss:-0}") p_rss_shown=${p_mark[$main]:-}$(mib "${p_rss[$main]:-0}")
  if [ "$wrapped" = 1 ]; then
    result "  peak RSS (MiB, lower is better)" "$d_rss_shown" "$p_rss_shown" "n/a" \
      "not the daemon's alone: run under perf or BENCH_WRAP"
  elif [ -n "${rss_goal:-}" ]; then
    local rss_ok=MISSED
    awk -v k="${d_rss:-0}" -v g="$rss_goal" 'BEGIN { exit !(k > 0 && k <= g * 1024) }' && rss_ok=ok || status=1
    result "  peak RSS (MiB, lower is better)" "$d_rss_shown" "$p_rss_shown" \
      "$(ratio "${d_rss:-0}" "${p_rss[$main]:-0}")" "daemon <= $rss_goal $rss_ok"
  else
    result "  peak RSS (MiB, lower is better)" "$d_rss_shown" "$p_rss_shown" \
      "$(ratio "${d_rss:-0}" "${p_rss[$main]:-0}")" ""
  fi
}

# room_for NUMBER SIZE [TAG]: whether the work folder has room for two copies
# of one cab of SIZE and 1 GiB to spare; if not, the scenario is marked
# skipped.
room_for() {
  local free_kib need_kib
  free_kib=$(df --output=avail -k "$work" | tail -1 | tr -d ' ')
  need_kib=$(((2 * $(bytes_of "$2") >> 10) + (1 << 20)))
  [ "$free_kib" -ge "$need_kib" ] && return
  echo "== scenario $1 SKIPPED: $(mib $((free_kib / 1024))) GiB free in $work, needs $(mib $((need_kib / 1024))) GiB"
  results+=("$(printf '%-34s %s' "1 x $(pretty "$2")${3:-}" "SKIPPED: less than $(mib $((need_kib / 1024))) GiB free")")
  return 1
}

# Each scenario: its sizes, runs, peers and goals.
scenario_1() {
  local rss_goal=16
  room_for 1 "$big" || return 0
  run_scenario 1 1 "$big" 2 blob:1.0
}
scenario_2() { run_scenario 2 "$mid_count" "$mid_size" 5 blob:1.0; }
scenario_3() { run_scenario 3 "$small_count" "$small_size" 1 api:1.0 blob:0.6; }
scenario_4() {
  local concurrency=$lat_parallel latency_ms="$lat_api_ms+$lat_blob_ms"
  local tag=", ${lat_api_ms}+${lat_blob_ms} ms" faults rule e
  faults="{\"endpoint\":\"blob\",\"kind\":\"latency\",\"ms\":$lat_blob_ms}"
  for e in token template schedule reportdata cabdownload; do
    rule="{\"endpoint\":\"$e\",\"kind\":\"latency\",\"ms\":$lat_api_ms}"
    faults+=",$rule"
  done
  faults="{\"faults\":[$faults]}"
  run_scenario 4 "$lat_count" "$lat_size" 2 api:1.0 bound:0.9
}
# make_certs FOLDER: ca.pem, and server.pem with server.key signed by it.
make_certs() {
  local d=$1
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=hdc-reportd bench CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -keyout "$d/ca.key" -out "$d/ca.pem"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$d/server.key" -out "$d/server.csr"
  printf '%s\n' "subjectAltName = IP:127.0.0.1, IP:127.0.0.2, DNS:localhost" \
    "basicConstraints = critical, CA:FALSE" "keyUsage = critical, digitalSignature" \
    "extendedKeyUsage = serverAuth" >"$d/server.ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -set_serial 2 -days 2 \
    -extfile "$d/server.ext" -out "$d/server.pem"
}
scenario_5() {
  room_for 5 "$tls_size" ", HTTPS" || return 0
  mkdir -p "$work/tls"
  if ! make_certs "$work/tls" >"$work/tls/openssl.log" 2>&1; then
    echo "== scenario 5 SKIPPED: openssl could not make the certificates:"; tail -5 "$work/tls/openssl.log"
    results+=("$(printf '%-34s %s' "1 x $(pretty "$tls_size"), HTTPS" "FAILED: no certificates, scenario skipped")")
    status=1
    return 0
  fi
  start_emulator tls-emulator --tls "$work/tls/server.pem" "$work/tls/server.key"
  tls_pid=$started_pid tls_fd=$started_fd
  local plain_api=$api tag=", HTTPS"
  api="https://127.0.0.1:$started_port" curl_tls=(--cacert "$work/tls/ca.pem") ca_file=$work/tls/ca.pem
  echo "TLS emulator: $api ($(curl -sv "${curl_tls[@]}" -o /dev/null "$api/_emulator/clock" 2>&1 |
    sed -n 's/^\* SSL connection using //p' | head -1))"
  run_scenario 5 1 "$tls_size" 2 blob:0.95
  stop_emulator "$tls_pid"
  exec {tls_fd}<&-
  tls_pid=
  api=$plain_api curl_tls=() ca_file=
}

if [[ $scenarios == *,1,* ]]; then scenario_1; fi
if [[ $scenarios == *,2,* ]]; then scenario_2; fi
if [[ $scenarios == *,3,* ]]; then scenario_3; fi
if [[ $scenarios == *,4,* ]]; then scenario_4; fi
if [[ $scenarios == *,5,* ]]; then scenario_5; fi

echo "== cab downloads, daemon (hdc-reportd --once) vs curl, files fsynced; download_concurrency = curl --parallel-max = $parallel (scenario 4: $lat_parallel)"
printf '%-34s %12s %12s %7s   %s\n' "scenario" "daemon" "peer" "ratio" "goal"
printf '%s\n' "${results[@]}"
exit $status
