#!/bin/bash
# Catch-up after a long outage: one `hdc-reportd --once` that fetches weeks of
# reports, their rows and their cabs, against the sum of the same work done by
# curl and the sqlite3 shell, side by side, same hdc-emulator process, same
# data, same disk (docs/contributing.md §Benchmarks). Goal: the daemon's wall
# time <= 1.2 x the peer's (ratio daemon/peer, lower is better).
#
# The scenario: 10 jobs x 90 daily runs (reports of 5,000 rows, 20 cabs of
# 256 KiB each) after a 90-day outage, fetched by one --once.
#
# How the emulator makes it (manual clock; knobs set through POST
# /_emulator/settings):
#  - CATCHUP_JOBS jobs (IHVDriver, all 30 columns, period Yesterday,
#    every = 24h, runs = CATCHUP_DAYS), all starting on day 0. An untimed
#    --once on day 0 creates their templates and schedules; then the clock
#    jumps CATCHUP_DAYS days (the outage): every job has CATCHUP_DAYS
#    completed executions, the last 18 hours old.
#  - rows_per_execution = CATCHUP_ROWS: every report has exactly that many
#    rows (no condition, no limit); cab_size = CATCHUP_CAB_SIZE: every cab has
#    exactly that size.
#  - Cabs per report: the emulator cannot make a report of 5,000 rows name
#    exactly 20 cabs of its own. cab_every_hours = 0 gives every row its own
#    cab (5,000 per report); otherwise a cab belongs to a failure bucket (one
#    of 40) and an hour (about one hour in cab_every_hours has one), and every
#    row of that failure up to its next cab names it, in any report of any
#    job. So the knob is set for the total: cab_every_hours =
#    round(960 / (CATCHUP_JOBS x CATCHUP_CABS)) (40 failures x 24 hours over
#    the cabs wanted per day) makes about JOBS x CABS new cabs per day, about
#    CABS new per report (10 x 20: every 5 hours, 192 a day instead of 200).
#    A report's rows name more cabs than that (each failure's current cab:
#    about 40 x (1 + 24 / cab_every_hours)), most of them shared with the
#    other reports of the day; each distinct cab is fetched once by each side.
#    The actual counts are printed.
#  - Expiry. Report links (12 h) and cab links (1 h) count emulator time and
#    the manual clock stands still, so no link expires during the runs. A
#    cab's CabExpirationTime is 30 days after its collection and the emulator
#    answers 404 past it, as documented (docs/hdc-api.md §Cab download): after
#    a 90-day outage only the cabs of about the last 30 days exist. Neither
#    side fetches the others: the daemon skips a cab past CabExpirationTime
#    by its own clock without asking, and records a 404 as skipped; the peer
#    leaves out every cab whose CabExpirationTime is before the emulator's
#    clock. --once reads the system clock, so the emulator's clock is set to
#    real time plus a lead (2 x BENCH_TIMEOUT + 10 min; the data's dates move
#    with the real date): the daemon's poll window (at most 90 days back, up
#    to today) then holds every execution, and the cabs it fetches are exactly
#    those the emulator serves; it asks in vain (404) only for the few cabs
#    whose expiry falls within the lead. The counts of expired and skipped
#    cabs are printed.
#  - The daemon keeps every row: retention_clock = downloaded. With the
#    default (earliest) a row's 30-day retention window starts at its failure
#    or cab collection time, so a catch-up keeps only the rows of the last 29
#    days (the rest, and their cabs, are skipped at ingest).
#
# Before the timed runs (untimed, in this order): the report list, every
# report file (to count rows and cabs: the expected figures), and every cab
# that can be fetched, each blob once to /dev/null, so that the emulator's
# blob metadata cache (Content-MD5 and size of blobs, 4096 entries, emptied
# when full) is in the same state for both sides: warm when all the blobs fit
# in it; otherwise each side cycles it and finds next to nothing of its own.
#
# What each side does (the timed part); the daemon runs first:
#  daemon  `hdc-reportd --once` (download_concurrency = BENCH_PARALLEL,
#          WAL, synchronous=FULL), wall time of the whole process: open
#          state.db, token, reconcile (list templates and schedules, nothing
#          to change), Get Report Data once per job, then one report at a
#          time: Get Report Data again for a fresh link (the client never
#          stores links), GET of the blob SAS link (Content-Length and
#          Content-MD5 checked, SHA-256), fdatasync, rename into
#          store/reports, its rows parsed and ingested into `failures` and its
#          cabs into `cabs` (one transaction per report); then every cab: GET
#          .../driver/cabdownload with the bearer token -> 302 -> GET of the
#          blob (no Authorization), SHA-256 and MD5, MSCF check, fdatasync,
#          rename into store/cabs, its row updated; the retention sweep.
#          Checked after: executions ingested, rows in `failures` and cabs
#          fetched equal the expected figures, and the fetched set is the
#          expected one. The daemon's state is then removed (disk space).
#  peer    (a) curl: a token (one POST), the report ids being known, one curl
#          running Get Report Data once per job with the bearer token, the
#          links cut out of the JSON with grep and sed, then `curl -Z
#          --parallel-max BENCH_PARALLEL -K LIST` (one output file per
#          report), every file and the folder fsynced by `sync` (in parallel
#          through xargs -P).
#          (b) one sqlite3 shell process for all reports, into a database made
#          (untimed) from the db/*.sql migrations, WAL, synchronous=FULL,
#          foreign_keys, secure_delete and the 32 MiB page cache IngestReport
#          uses (as bench/bench_ingest.sh): per report one transaction that
#          inserts its `executions` row, re-creates the INSTEAD OF trigger of
#          a view with the report's columns (its reportId, ReportDatetime and
#          download time as constants) and `.import`s the file into the view;
#          the trigger inserts each line into `failures` as IngestReport does
#          (typed key columns, json_object of every column, clock_start = the
#          download time) and its cab into `cabs` (ON CONFLICT DO NOTHING).
#          (c) the cabs whose CabExpirationTime is not before the emulator's
#          clock, selected from that database, fetched through the cab API:
#          `curl -Z --parallel-max BENCH_PARALLEL -L -H 'Authorization:
#          Bearer ...' -K LIST` (curl does not send the header to the blob
#          host), one file per cab, every file and the folder fsynced.
#          Peer time = (a) + (b) + (c). Checked after as the daemon.
#
# Usage: bench/bench_catchup.sh [BUILD_DIR]   (default: build)
#   CATCHUP_JOBS=10         jobs (1 to 99)
#   CATCHUP_DAYS=90         length of the outage in days = runs per job (1 to 90)
#   CATCHUP_ROWS=5000       rows per report
#   CATCHUP_CABS=20         new cabs per report wanted (sets cab_every_hours)
#   CATCHUP_CAB_SIZE=256K   bytes per cab (K/M/G)
#   BENCH_DIR=              work folder: BENCH_DIR/catchup, whose data is
#                           removed after and logs kept (default: a temporary
#                           folder under $TMPDIR or /tmp, removed after); the
#                           disk both sides write to. One side at a time needs
#                           about 4 x the report bytes (file, state.db) plus
#                           the cab bytes (printed and checked before the
#                           timed runs): about 11 GiB at the defaults.
#   BENCH_PARALLEL=4        download_concurrency and curl --parallel-max
#   BENCH_TIMEOUT=3600      seconds before a daemon run or a peer part is killed
# All traffic stays on 127.0.0.0/8. Needs curl, sqlite3 and GNU coreutils.
# Exit status: 0 when the goal is met, 1 when it is missed or a side failed,
# 2 when a tool or binary is missing or a setting is out of range.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
build=${1:-$here/../build}
emulator=$build/emulator/hdc-emulator
daemon=$build/daemon/hdc-reportd
schema=$here/../db/001_initial.sql
# Every migration in order, as Database::Open applies them (the same indexes).
schema_reads() { for f in "$here"/../db/[0-9][0-9][0-9]_*.sql; do echo ".read $f"; done; }
jobs=${CATCHUP_JOBS:-10}
days=${CATCHUP_DAYS:-90}
rows=${CATCHUP_ROWS:-5000}
cabs_wanted=${CATCHUP_CABS:-20}
cab_size=${CATCHUP_CAB_SIZE:-256K}
parallel=${BENCH_PARALLEL:-4}
limit=${BENCH_TIMEOUT:-3600}
goal=1.2
cache_kib=32768  # kIngestCacheKiB in daemon/download/row_ingest.cpp

for tool in curl sqlite3 timeout xargs awk sort comm sync date df; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 2; }
done
[ -x "$emulator" ] || { echo "no hdc-emulator at $emulator (make build)" >&2; exit 2; }
[ -x "$daemon" ] || { echo "no hdc-reportd at $daemon (make build)" >&2; exit 2; }
[ -f "$schema" ] || { echo "no schema at $schema" >&2; exit 2; }
number() {  # NAME VALUE MIN MAX
  if ! [[ $2 =~ ^[0-9]+$ ]] || [ "$2" -lt "$3" ] || [ "$2" -gt "$4" ]; then
    echo "$1 must be a whole number from $3 to $4 (got '$2')" >&2; exit 2
  fi
}
number CATCHUP_JOBS "$jobs" 1 99
number CATCHUP_DAYS "$days" 1 90  # the API's data reaches back 90 days
number CATCHUP_ROWS "$rows" 1 100000000
number CATCHUP_CABS "$cabs_wanted" 1 960
number BENCH_PARALLEL "$parallel" 1 64
number BENCH_TIMEOUT "$limit" 10 18000  # the lead (below) stays under 11 hours
[[ $cab_size =~ ^[0-9]+[KkMmGg]?$ ]] || { echo "CATCHUP_CAB_SIZE: a size like 256K (got '$cab_size')" >&2; exit 2; }

if [ -n "${BENCH_DIR:-}" ]; then
  work=$BENCH_DIR/catchup
  keep_work=1
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/bench-catchup-XXXXXX")
  keep_work=0
fi
mkdir -p "$work"
rm -rf "${work:?}"/{state,prep,peer}  # left by a killed run
emu_pid=
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  if [ -n "$emu_pid" ]; then kill "$emu_pid" 2>/dev/null || true; wait "$emu_pid" 2>/dev/null || true; fi
  if [ "$keep_work" = 0 ]; then rm -rf "$work"; else rm -rf "${work:?}"/{state,prep,peer}; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bytes_of() {  # 1G, 4K, 123 -> bytes
  local n=${1%[KkMmGg]} unit=${1: -1}
  case $unit in K|k) echo $((n << 10)) ;; M|m) echo $((n << 20)) ;; G|g) echo $((n << 30)) ;; *) echo "$1" ;; esac
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
gib() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1073741824 }'; }
fsync_all() {  # DIR: fsync every file under DIR, then DIR, BENCH_PARALLEL at a time
  local n
  n=$(find "$1" -type f | wc -l)
  [ "$n" -gt 0 ] && find "$1" -type f -print0 | xargs -0 -r -P "$parallel" -n $(((n + parallel - 1) / parallel)) sync
  sync "$1"
}
cab_bytes=$(bytes_of "$cab_size")
# 40 failure buckets x 24 hours: about 960 / N cabs a day are new with
# cab_every_hours = N (emulator/dataset.cpp).
every_hours=$(awk -v w=$((jobs * cabs_wanted)) 'BEGIN { n = int(960 / w + 0.5); print (n < 1 ? 1 : (n > 720 ? 720 : n)) }')

# --- the clock -------------------------------------------------------------------
# Emulator time E = real time + lead, so that the daemon (system clock) stays
# just before E through its run; day 0 = E - DAYS days + 6 h, so that the last
# run is 18 hours old at E and the first is inside the daemon's 90-day window.
lead=$((2 * limit + 600))
start_s=$(date +%s)
e_s=$(((start_s + lead + 59) / 60 * 60))
day0_s=$((e_s - days * 86400 + 6 * 3600))
e_iso=$(iso "$e_s")
e_data=$(date -u -d "@$e_s" '+%Y-%m-%d %H:%M:%S')  # the data's timestamp form
day0_iso=$(iso "$day0_s")

# --- the emulator: manual clock, the demo client ------------------------------
tenant=00000000-0000-0000-0000-000000000001
client=11111111-2222-3333-4444-555555555555
secret=demo-secret
exec {emu_out}< <(exec "$emulator" --port 0 --clock manual --start "$(iso $((day0_s - 3600)))" --threads 16 \
  2>"$work/emulator.log")
emu_pid=$!
read -r -t 30 emu_port <&"$emu_out" || { echo "hdc-emulator did not start:"; cat "$work/emulator.log"; exit 1; }
api="http://127.0.0.1:$emu_port"
admin() {  # METHOD PATH [JSON]
  curl -sf -X "$1" "$api/_emulator/$2" ${3:+-d "$3"} >/dev/null
}
get_token() {
  curl -sf -X POST "$api/$tenant/oauth2/token" -d grant_type=client_credentials \
    -d client_id=$client -d client_secret=$secret \
    --data-urlencode resource=https://manage.devcenter.microsoft.com |
    sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}

echo "machine: $(nproc) cores, $(uname -sr), $(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "disk: $work on $(df --output=source "$work" | tail -1) ($(stat -f -c %T "$work")), $(df -h --output=avail "$work" | tail -1 | tr -d ' ') free"
echo "daemon: $daemon, download_concurrency = $parallel, retention_clock = downloaded"
echo "peer: $(curl --version | head -1 | cut -d' ' -f1-2) --parallel-max $parallel; sqlite3 $(sqlite3 --version | cut -d' ' -f1)"
echo "data: $jobs jobs x $days daily runs, $rows rows per report (IHVDriver, 30 columns), cabs of $cab_bytes bytes;"
echo "      cab_every_hours = $every_hours (about $((960 / every_hours)) new cabs a day for $((jobs * cabs_wanted)) wanted)"
echo "clock: day 0 = $day0_iso, after the outage = $e_iso (real time + ${lead} s)"

# --- jobs and service configuration --------------------------------------------
mkdir -p "$work/state" "$work/jobs"
columns="ReportId, FailureDate, FailureDateTime, ApplicationId, SubmissionId, FailureName,
  FailureHash, Symbol, OSVersion, OSName, EventType, Market, DeviceType, DriverName,
  DriverVersion, Architecture, OEMName, OEMModel, FlightRing, Mode, CPUName, OSSKUType,
  ReleaseName, CabType, CabIdHash, CabExpirationTime, DeviceId, HardwareId,
  CabCollectionTime, EventCount"
rm -f "$work"/jobs/*.ini
for ((j = 1; j <= jobs; j++)); do
  cat >"$work/jobs/catchup$(printf '%02d' "$j").ini" <<INI
[job catchup$(printf '%02d' "$j")]
view = IHVDriver
columns = $columns
period = Yesterday
start = $day0_iso
every = 24h
runs = $days
INI
done
cat >"$work/hdc.ini" <<INI
[service]
state_dir = $work/state
jobs_dir = $work/jobs
log_level = info
download_concurrency = $parallel
retention_clock = downloaded
run_budget = ${limit}s
control_listen =
[account]
tenant_id = $tenant
client_id = $client
api_url = $api
login_url = $api
INI
once=("$daemon" --once --config "$work/hdc.ini")
# As root the override (docs/operations.md §Privileges): the bench's state is scratch.
[[ $(id -u) == 0 ]] && once+=(--allow-root)
export HDC_CLIENT_SECRET=$secret

admin POST settings "{\"rows_per_execution\":\"$rows\",\"cab_size\":\"$cab_bytes\",\"cab_every_hours\":$every_hours}"

# --- untimed: day 0, reconcile; then the outage ------------------------------------
t_setup=$(now)
if ! "${once[@]}" >"$work/once-reconcile.log" 2>&1; then
  echo "daemon FAILED while reconciling (exit $?):"; tail -5 "$work/once-reconcile.log"; exit 1
fi
schedules=$(sqlite3 "$work/state/state.db" "SELECT count(*) FROM remote_schedules")
[ "$schedules" = "$jobs" ] || { echo "daemon FAILED: $schedules schedules for $jobs jobs"; exit 1; }
admin POST clock "{\"set\":\"$e_iso\"}"
executions=$(curl -sf "$api/_emulator/state" | grep -o '"executions":[0-9]*' | cut -d: -f2 || true)
echo "outage: the clock jumped $days days; the emulator has $executions executions"

# --- untimed: the expected figures, and every blob once (cache warm-up) ----------
token=$(get_token)
[ -n "$token" ] || { echo "no token from the emulator"; exit 1; }
curl -sf -H "Authorization: Bearer $token" "$api/analytics/driver/report" |
  grep -o '"reportId":"\?[0-9]*' | grep -o '[0-9]*$' >"$work/report-ids.txt"
[ "$(wc -l <"$work/report-ids.txt")" = "$jobs" ] || { echo "could not list the $jobs schedules"; exit 1; }
listing_range="startDate=$(date -u -d "@$day0_s" +%F)&endDate=$(date -u -d "@$e_s" +%F)"

# list_reports TOKEN OUT: Get Report Data once per job (one curl), the links of
# the completed runs into OUT, one per line as "URL FILE_NAME".
list_reports() {
  local rid
  while read -r rid; do
    printf 'url = "%s/analytics/driver/reportdata/%s?%s"\n' "$api" "$rid" "$listing_range"
  done <"$work/report-ids.txt" >"$work/listing.cfg"
  curl -sf -H "Authorization: Bearer $1" -K "$work/listing.cfg" |
    grep -o '"ReportLocation":"http[^"]*"' | sed -e 's/^"ReportLocation":"//' -e 's/"$//' |
    sed 's|^\(.*/drivers/Reports/\([0-9]*\)/\([0-9TZ]*\)\.txt?.*\)$|\1 \2_\3.txt|' >"$2"
}
# fetch_list LIST DIR: `curl -Z` config for "URL FILE_NAME" lines, outputs in DIR.
fetch_list() {
  awk -v dir="$2" '{ printf "url = \"%s\"\noutput = \"%s/%s\"\n", $1, dir, $2 }' "$1"
}

rm -rf "$work/prep"
mkdir -p "$work/prep/reports"
list_reports "$token" "$work/prep/reports.txt"
reports=$(wc -l <"$work/prep/reports.txt")
fetch_list "$work/prep/reports.txt" "$work/prep/reports" >"$work/prep/reports.cfg"
curl --no-progress-meter -f -Z --parallel-max "$parallel" -K "$work/prep/reports.cfg" 2>"$work/prep/curl.err" ||
  { echo "could not fetch the report files (untimed)"; tail -3 "$work/prep/curl.err"; exit 1; }
report_bytes=$(sum_sizes "$work/prep/reports")
# Rows, and the distinct cabs as "CabIdHash ApplicationId CabExpirationTime" (tab).
awk -F'\t' -v OFS='\t' -v cabs="$work/prep/cabs.tsv" -v named="$work/prep/named.txt" '
  FNR == 1 { for (i = 1; i <= NF; i++) { sub(/\r$/, "", $i); col[$i] = i }
             if (n_files++) print per_report >> named; per_report = 0; delete in_report; next }
  { sub(/\r$/, ""); rows++
    id = $col["CabIdHash"]
    if (id != "" && !(id in in_report)) { in_report[id] = 1; per_report++ }
    if (id != "" && !(id in seen)) { seen[id] = 1; print id, $col["ApplicationId"], $col["CabExpirationTime"] > cabs } }
  END { if (n_files) print per_report >> named; print rows + 0 }' "$work"/prep/reports/*.txt >"$work/prep/rows.txt"
expected_rows=$(cat "$work/prep/rows.txt")
cabs_all=$(wc -l <"$work/prep/cabs.tsv")
awk -F'\t' -v e="$e_data" '$3 >= e { print $1 }' "$work/prep/cabs.tsv" | sort >"$work/expected-cabs.txt"
cabs_fetch=$(wc -l <"$work/expected-cabs.txt")
cabs_expired=$((cabs_all - cabs_fetch))
named_avg=$(awk '{ s += $1 } END { printf "%.0f", NR ? s / NR : 0 }' "$work/prep/named.txt")
echo "expected (untimed, from the report files): $reports reports ($report_bytes bytes), $expected_rows rows;"
echo "      $cabs_all distinct cabs (a report's rows name $named_avg on average; $(awk -v c="$cabs_all" -v r="$reports" 'BEGIN { printf "%.1f", r ? c / r : 0 }') distinct per report),"
echo "      $cabs_expired past their CabExpirationTime at $e_data (404 from the emulator), $cabs_fetch to fetch ($((cabs_fetch * cab_bytes)) bytes)"
if [ "$reports" != $((jobs * days)) ] || [ "$expected_rows" != $((jobs * days * rows)) ]; then
  echo "unexpected data: $reports reports and $expected_rows rows, $((jobs * days)) and $((jobs * days * rows)) expected"; exit 1
fi
# Cab warm-up: every cab that exists, through the cab API, to /dev/null.
awk -F'\t' -v e="$e_data" -v api="$api" '$3 >= e {
  printf "url = \"%s/v1.0/my/analytics/driver/cabdownload?applicationId=%s&cabIdHash=%s\"\noutput = \"/dev/null\"\n", api, $2, $1 }' \
  "$work/prep/cabs.tsv" >"$work/prep/warm.cfg"
curl --no-progress-meter -f -Z --parallel-max "$parallel" -L -H "Authorization: Bearer $token" \
  -K "$work/prep/warm.cfg" 2>"$work/prep/warm.err" || { echo "cab warm-up failed"; tail -3 "$work/prep/warm.err"; exit 1; }
head -n 1 "$(find "$work/prep/reports" -type f | head -1)" >"$work/prep/header.txt"
rm -rf "$work/prep/reports"
# Disk: one side at a time (the daemon's state is removed before the peer runs).
need=$((4 * report_bytes + cabs_fetch * cab_bytes + (256 << 20)))
free=$(($(df --output=avail -k "$work" | tail -1 | tr -d ' ') * 1024))
echo "disk needed by one side: about $(gib "$need") GiB (report files, state.db, cabs); $(gib "$free") GiB free"
if [ "$free" -lt $((need + (1 << 30))) ]; then
  echo "not enough space in $work for one side plus 1 GiB to spare: set BENCH_DIR or lower CATCHUP_*"; exit 1
fi
sync
echo "setup (untimed: reconcile, report list, report files, cab warm-up): $(since "$t_setup") s"
echo

status=0
d_ok=1
p_ok=1

# --- timed: the daemon ---------------------------------------------------------------
admin DELETE requests
t0=$(now)
d_rc=0
timeout "$limit" "${once[@]}" >"$work/once-catchup.out" 2>"$work/once-catchup.err" || d_rc=$?
d_secs=$(since "$t0")
db=$work/state/state.db
q() { sqlite3 "$db" "$1" 2>/dev/null || true; }
count() { sqlite3 "$db" "$1" 2>/dev/null || echo 0; }
d_reports=$(count "SELECT count(*) FROM executions WHERE state = 'ingested'")
d_rows=$(count "SELECT count(*) FROM failures")
d_cabs=$(count "SELECT count(*) FROM cabs")
d_fetched=$(count "SELECT count(*) FROM cabs WHERE state = 'fetched'")
d_skipped=$(count "SELECT count(*) FROM cabs WHERE state = 'skipped'")
d_fetched_bytes=$(sum_sizes "$work/state/store/cabs" '*.cab')
d_disk=$(sum_sizes "$work/state")
echo "daemon: $d_secs s, exit $d_rc; $d_reports reports ingested, $d_rows rows, $d_cabs cabs recorded:" \
  "$d_fetched fetched ($d_fetched_bytes bytes), $d_skipped skipped; state folder $(gib "$d_disk") GiB"
q "SELECT '  skipped: ' || count(*) || ' x ' || coalesce(last_error, '?') FROM cabs WHERE state = 'skipped' GROUP BY last_error"
q "SELECT '  left ' || state || ': ' || count(*) FROM cabs WHERE state NOT IN ('fetched', 'skipped') GROUP BY state"
q "SELECT cab_id_hash FROM cabs WHERE state = 'fetched' ORDER BY 1" | sort >"$work/daemon-cabs.txt"
d_diff=$(comm -3 "$work/expected-cabs.txt" "$work/daemon-cabs.txt" | wc -l)
if [ "$(date +%s)" -ge "$e_s" ]; then
  echo "daemon FAILED: its clock passed the emulator's ($e_iso) during the run; raise BENCH_TIMEOUT"; d_ok=0
fi
if [ "$d_rc" != 0 ] || [ "$d_reports" != "$reports" ] || [ "$d_rows" != "$expected_rows" ] ||
   [ "$d_cabs" != "$cabs_all" ] || [ "$d_fetched" != "$cabs_fetch" ] || [ "$d_diff" != 0 ] ||
   [ "$d_fetched_bytes" != $((cabs_fetch * cab_bytes)) ]; then
  echo "daemon FAILED: expected exit 0, $reports reports, $expected_rows rows, $cabs_all cabs of which" \
    "$cabs_fetch fetched ($((cabs_fetch * cab_bytes)) bytes); $d_diff cabs differ from the expected set"
  tail -5 "$work/once-catchup.err"
  d_ok=0
fi
requests=$(curl -sf "$api/_emulator/requests" | grep -o '"path":"[^"?]*","status":[0-9]*' |
  sed -e 's|"path":"||' -e 's|","status":| |' -e 's|^/drivers/Cabs/[^ ]*|blob GET /drivers/Cabs/*|' \
    -e 's|^/drivers/Reports/[^ ]*|blob GET /drivers/Reports/*|' -e 's|/reportdata/[0-9]*|/reportdata/*|' |
  sort | uniq -c | sort -rn | awk '{ c = $1; $1 = ""; printf "%s%s x%s", (NR > 1 ? ", " : ""), substr($0, 2), c }' || true)
echo "daemon requests (path status): $requests"
rm -rf "$work/state"
sync

# --- timed: the peer ---------------------------------------------------------------
# Untimed: the database, made as the daemon makes state.db, with the view of
# the report's columns (the header of the files).
peer=$work/peer
mkdir -p "$peer/reports" "$peer/cabs"
pdb=$peer/peer.db
mapfile -t cols < <(tr -d '\r' <"$work/prep/header.txt" | tr '\t' '\n')
col_list() { local sep=$1 out="" c; for c in "${cols[@]}"; do out+="${out:+$sep}${2//@/$c}"; done; echo "$out"; }
has_col() { local c; for c in "${cols[@]}"; do [ "$c" = "$1" ] && return 0; done; return 1; }
v() { if has_col "$1"; then echo "nullif(NEW.\"$1\", '')"; else echo NULL; fi; }
iso_of() { echo "strftime('%Y-%m-%dT%H:%M:%SZ', $(v "$1"))"; }
[ "${#cols[@]}" = 30 ] || { echo "peer: could not read the report header (${#cols[@]} columns)"; exit 1; }
pragmas() {
  printf 'PRAGMA journal_mode=WAL;\nPRAGMA synchronous=FULL;\nPRAGMA foreign_keys=ON;\nPRAGMA secure_delete=ON;\n'
}
sqlite3 "$pdb" >/dev/null <<EOF
$(pragmas)
$(schema_reads)
CREATE VIEW report_in AS SELECT $(col_list ', ' 'NULL AS "@"') WHERE 0;
EOF
# One report's transaction, with __RID__ (reportId, also the job name: the
# shell has none), __RDT__ (ReportDatetime), __FILE__ and __NOW__ (the
# download time) to be replaced.
import_sql=$(cat <<EOF
BEGIN;
INSERT INTO executions (report_id, report_datetime, job_name, remote_status, state, first_seen,
  last_polled, downloaded_at, clock_start, file_path)
  VALUES ('__RID__', '__RDT__', '__RID__', 'Completed', 'ingested', '__NOW__', '__NOW__', '__NOW__',
  '__NOW__', '__FILE__');
DROP TRIGGER IF EXISTS report_in_insert;
CREATE TRIGGER report_in_insert INSTEAD OF INSERT ON report_in BEGIN
  INSERT INTO failures (report_id, report_datetime, job_name, failure_hash, failure_name,
    driver_name, driver_version, cab_id_hash, event_count, failure_time, device_id,
    hardware_id, os_version, market, model, row, clock_start)
  VALUES ('__RID__', '__RDT__', '__RID__', $(v FailureHash), $(v FailureName),
    $(v DriverName), $(v DriverVersion), $(v CabIdHash), CAST($(v EventCount) AS INTEGER),
    $(iso_of FailureDateTime), $(v DeviceId), $(v HardwareId),
    $(v OSVersion), $(v Market), $(v Model),
    json_object($(col_list ', ' "'@', nullif(NEW.\"@\", '')")), '__NOW__');
  INSERT INTO cabs (cab_id_hash, job_name, application_id, cab_type, expires_at, collected_at,
    first_seen, clock_start)
  SELECT NEW."CabIdHash", '__RID__', $(v ApplicationId), $(v CabType), $(iso_of CabExpirationTime),
    $(iso_of CabCollectionTime), '__NOW__', '__NOW__'
  WHERE $(v CabIdHash) IS NOT NULL
  ON CONFLICT (cab_id_hash) DO NOTHING;
END;
.import --skip 1 __FILE__ report_in
COMMIT;
EOF
)
sync

# (a) token, listings, report files, fsync.
t0=$(now)
a_rc=0
{
  ptoken=$(get_token) && [ -n "$ptoken" ] &&
    list_reports "$ptoken" "$peer/reports.txt" &&
    fetch_list "$peer/reports.txt" "$peer/reports" >"$peer/reports.cfg" &&
    timeout "$limit" curl --no-progress-meter -f -Z --parallel-max "$parallel" -K "$peer/reports.cfg" &&
    fsync_all "$peer/reports"
} 2>"$peer/a.err" || a_rc=$?
a_secs=$(since "$t0")
p_reports=$(find "$peer/reports" -type f | wc -l)
p_report_bytes=$(sum_sizes "$peer/reports")
echo "peer (a): $a_secs s, exit $a_rc; $p_reports report files, $p_report_bytes bytes"
if [ "$a_rc" != 0 ] || [ "$p_reports" != "$reports" ] || [ "$p_report_bytes" != "$report_bytes" ]; then
  echo "peer FAILED (a): $reports files of $report_bytes bytes expected"; tail -3 "$peer/a.err"; p_ok=0
fi

# (b) one sqlite3 process imports every report.
t0=$(now)
b_rc=0
{
  downloaded=$(iso "$(date +%s)")
  {
    pragmas
    echo "PRAGMA cache_size=-$cache_kib;"
    echo ".mode tabs"
    while read -r _ name; do
      rid=${name%%_*} stamp=${name#*_}
      stamp=${stamp%.txt}  # 20260906T070000Z
      sql=${import_sql//__RID__/$rid}
      sql=${sql//__RDT__/${stamp:0:4}-${stamp:4:2}-${stamp:6:2}T${stamp:9:2}:${stamp:11:2}:${stamp:13:2}Z}
      sql=${sql//__FILE__/$peer/reports/$name}
      echo "${sql//__NOW__/$downloaded}"
    done <"$peer/reports.txt"
  } | timeout "$limit" sqlite3 -bail "$pdb" >/dev/null
} 2>"$peer/b.err" || b_rc=$?
b_secs=$(since "$t0")
p_rows=$(sqlite3 "$pdb" "SELECT count(*) FROM failures" 2>/dev/null || echo 0)
p_cabs=$(sqlite3 "$pdb" "SELECT count(*) FROM cabs" 2>/dev/null || echo 0)
echo "peer (b): $b_secs s, exit $b_rc; $p_rows rows, $p_cabs cabs recorded"
if [ "$b_rc" != 0 ] || [ "$p_rows" != "$expected_rows" ] || [ "$p_cabs" != "$cabs_all" ]; then
  echo "peer FAILED (b): $expected_rows rows and $cabs_all cabs expected"; tail -3 "$peer/b.err"; p_ok=0
fi

# (c) the cabs that exist, through the cab API, to files, fsync.
t0=$(now)
c_rc=0
{
  sqlite3 -separator ' ' "$pdb" \
    "SELECT application_id, cab_id_hash FROM cabs WHERE expires_at >= '$e_iso' ORDER BY rowid" |
    awk -v api="$api" -v dir="$peer/cabs" '{
      printf "url = \"%s/v1.0/my/analytics/driver/cabdownload?applicationId=%s&cabIdHash=%s\"\noutput = \"%s/%s.cab\"\n", api, $1, $2, dir, $2 }' \
    >"$peer/cabs.cfg" &&
    timeout "$limit" curl --no-progress-meter -f -Z --parallel-max "$parallel" -L \
      -H "Authorization: Bearer $ptoken" -K "$peer/cabs.cfg" &&
    fsync_all "$peer/cabs"
} 2>"$peer/c.err" || c_rc=$?
c_secs=$(since "$t0")
p_fetched=$(find "$peer/cabs" -type f -name '*.cab' | wc -l)
p_fetched_bytes=$(sum_sizes "$peer/cabs" '*.cab')
find "$peer/cabs" -type f -name '*.cab' -printf '%f\n' | sed 's/\.cab$//' | sort >"$work/peer-cabs.txt"
p_diff=$(comm -3 "$work/expected-cabs.txt" "$work/peer-cabs.txt" | wc -l)
echo "peer (c): $c_secs s, exit $c_rc; $p_fetched cabs fetched, $p_fetched_bytes bytes"
if [ "$c_rc" != 0 ] || [ "$p_fetched" != "$cabs_fetch" ] || [ "$p_diff" != 0 ] ||
   [ "$p_fetched_bytes" != $((cabs_fetch * cab_bytes)) ]; then
  echo "peer FAILED (c): $cabs_fetch cabs of $cab_bytes bytes expected; $p_diff differ from the expected set"
  tail -3 "$peer/c.err"; p_ok=0
fi
p_secs=$(awk -v a="$a_secs" -v b="$b_secs" -v c="$c_secs" 'BEGIN { printf "%.3f", a + b + c }')
rm -rf "$peer"
echo

# --- result ------------------------------------------------------------------------
ratio=$(awk -v a="$d_secs" -v b="$p_secs" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
verdict=MISSED
if [ "$d_ok" = 1 ] && [ "$p_ok" = 1 ] && awk -v r="$ratio" -v g="$goal" 'BEGIN { exit !(r != "n/a" && r <= g) }'; then
  verdict=ok
fi
[ "$d_ok" = 1 ] || verdict="FAILED (daemon)"
[ "$p_ok" = 1 ] || verdict="FAILED (peer)"
[ "$verdict" = ok ] || status=1
row() { printf '%-62s %10s\n' "$1" "$2"; }
echo "== catch-up after a $days-day outage: $jobs jobs x $days daily runs, $reports reports, $expected_rows rows," \
  "$cabs_fetch of $cabs_all cabs fetched ($cabs_expired expired), $cab_bytes bytes each (wall seconds)"
row "daemon: one hdc-reportd --once" "$d_secs"
row "peer: (a)+(b)+(c)" "$p_secs"
row "  (a) curl: token, $jobs listings, $reports report files, fsync" "$a_secs"
row "  (b) sqlite3 .import of $reports reports (one process)" "$b_secs"
row "  (c) curl: $cabs_fetch cabs via the cab API (302 -> blob), fsync" "$c_secs"
printf '%-62s %10s   goal <= %s %s\n' "ratio daemon/peer (lower is better)" "$ratio" "$goal" "$verdict"
exit $status
