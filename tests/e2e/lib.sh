# Shared helpers of the end-to-end scripts: a check counter, and an
# hdc-emulator process on an ephemeral port, stopped on exit.
failures=0
check() {  # check NAME COMMAND...
  local name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; failures=$((failures + 1)); fi
}
finish() {
  echo "$failures failed"
  exit $((failures > 0))
}

# hdc-reportd refuses root without --allow-root (docs/operations.md
# §Privileges), and CI runs as root. A script that set bin=<hdc-reportd> and
# tmp before sourcing this file runs, as root, a wrapper in $tmp that execs
# the real binary with the override (same pid, so signals and pgrep -P still
# reach the daemon). real_bin keeps the binary itself, for ldd and for runs
# as an unprivileged user. tests/e2e/privileges_test.sh checks the refusal.
real_bin=${bin:-}
if [[ $(id -u) == 0 && ${bin:-} == */hdc-reportd && -n ${tmp:-} ]]; then
  printf '#!/bin/sh\nexec "%s" --allow-root "$@"\n' "$(realpath "$bin")" >"$tmp/hdc-reportd-as-root"
  chmod 755 "$tmp/hdc-reportd-as-root"
  bin=$tmp/hdc-reportd-as-root
fi

# sanitizer_build: whether real_bin is linked against a sanitizer runtime
# (make asan, make tsan). grep reads all of ldd's output: with pipefail,
# grep -q could close the pipe early and ldd's SIGPIPE would make a
# sanitizer build look plain.
sanitizer_build() { ldd "$real_bin" | grep -E "lib(a|t|ub)san" >/dev/null; }

# start_emulator BINARY ARGS...: sets EMU_PORT, EMU_URL, EMU_PID.
start_emulator() {
  local bin=$1; shift
  exec {emu_out}< <("$bin" --port 0 "$@" 2>"$tmp/emulator.log")
  EMU_PID=$!
  read -r -t 30 EMU_PORT <&"$emu_out" || { echo "emulator did not start"; cat "$tmp/emulator.log"; exit 1; }
  EMU_URL="http://127.0.0.1:$EMU_PORT"
  trap 'kill $EMU_PID 2>/dev/null; wait $EMU_PID 2>/dev/null; rm -rf "$tmp"' EXIT
}

# The emulator's demo client (hdc-emulator --help).
DEMO_TENANT=00000000-0000-0000-0000-000000000001
DEMO_CLIENT=11111111-2222-3333-4444-555555555555
DEMO_SECRET=demo-secret

# write_config FILE STATE_DIR JOBS_DIR: a service file pointing at the emulator.
write_config() {
  cat >"$1" <<INI
[service]
state_dir = $2
jobs_dir = $3
log_level = info
[account]
tenant_id = $DEMO_TENANT
client_id = $DEMO_CLIENT
api_url = $EMU_URL
login_url = $EMU_URL
INI
}

# kernel_job NAME DAY HOUR [CALLBACK]: a daily IHVDriver job with cabs whose
# first run is on DAY (yyyy-mm-dd) at HOUR:00Z; CALLBACK yes|no (default no).
kernel_job() {
  cat <<INI
[job $1]
view = IHVDriver
columns = FailureName, FailureHash, CabIdHash, CabType, ApplicationId, DeviceId, EventCount, FailureDateTime
start = $2T$3:00:00Z
every = 24h
runs = 30
callback = ${4:-no}
cabs = yes
INI
}

# cab_job NAME DAY RUNS: a daily IHVDriver job with the cab columns
# (CabExpirationTime too), RUNS runs, the first on DAY (yyyy-mm-dd) at 02:00Z.
cab_job() {
  cat <<INI
[job $1]
view = IHVDriver
columns = FailureName, FailureHash, CabIdHash, CabType, ApplicationId, DeviceId, EventCount, FailureDateTime, CabExpirationTime
start = $2T02:00:00Z
every = 24h
runs = $3
INI
}

# driver_job NAME START: a daily IHVDriver job with the driver columns (the
# queries' and the dashboard's), 30 runs, the first at START (a timestamp).
driver_job() {
  cat <<INI
[job $1]
view = IHVDriver
columns = FailureName, FailureHash, DriverName, DriverVersion, CabIdHash, CabType, ApplicationId, DeviceId, EventCount, FailureDateTime
start = $2
every = 24h
runs = 30
INI
}

# one_run_job NAME START: one run at START (a timestamp), no cabs: the job of
# the credential scripts, which need a sign-in and a report, nothing more.
one_run_job() {
  cat <<INI
[job $1]
view = IHVDriver
columns = FailureName, FailureHash, CabIdHash, CabType, ApplicationId, DeviceId, EventCount, FailureDateTime
start = $2
every = 24h
runs = 1
cabs = no
INI
}

# ctl NAME ARGS...: runs hdc-reportctl (next to $real_bin) on $tmp/hdc.ini without
# any secret; stdout in $tmp/NAME.out, stderr in $tmp/NAME.err, the exit
# code in $rc.
ctl() {
  local name=$1; shift
  env -u HDC_CLIENT_SECRET "$(dirname "$real_bin")/hdc-reportctl" --config "$tmp/hdc.ini" "$@" \
    >"$tmp/$name.out" 2>"$tmp/$name.err"
  rc=$?
}

# json_get FILE PYTHON-EXPRESSION-OF-d: a value of the JSON document in FILE,
# a string as it is, any other value as JSON with sorted keys (true, null,
# [1, 2]...).
json_get() {
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))' "$1" "$2"
}

# e2e_world DAYS_BACK JOB [EMULATOR_ARG...]: the usual world of a script.
# t0 = DAYS_BACK days before today (so the emulator stays behind the
# daemon's real clock); an hdc-emulator from $build, its clock manual at t0,
# with EMULATOR_ARGs; one job "kernel" in $tmp/jobs.d; $tmp/hdc.ini with its
# state in $tmp/state. JOB is "cab RUNS" (cab_job, in k.ini) or
# "daily [CALLBACK]" (kernel_job at 02:00, in kernel.ini). Sets t0.
e2e_world() {
  local back=$1 job=$2
  shift 2
  t0=$(date -u -d "-$back days" +%Y-%m-%d)
  start_emulator "$build/emulator/hdc-emulator" --clock manual --start "${t0}T00:00:00Z" "$@"
  mkdir -p "$tmp/jobs.d"
  case $job in
    "cab "*) cab_job kernel "$t0" "${job#cab }" >"$tmp/jobs.d/k.ini" ;;
    daily*) kernel_job kernel "$t0" 02 ${job#daily} >"$tmp/jobs.d/kernel.ini" ;;
    *) echo "e2e_world: unknown job '$job'"; exit 1 ;;
  esac
  write_config "$tmp/hdc.ini" "$tmp/state" "$tmp/jobs.d"
}

# run_once LOG [ARG...]: "$bin" --once --config $once_config (default
# $tmp/hdc.ini) ARG..., its stderr to $tmp/LOG (appended when once_append is
# set, else replaced), under the command words of the array once_wrap when
# set (timeout, GNU time, strace; a caller may declare it local). Sets rc to
# the exit code; returns 0, so it never ends a script under set -e.
run_once() {
  local log=$tmp/$1
  shift
  [[ -n ${once_append:-} ]] || : >"$log"
  # The group's redirection also takes bash's own "Killed" notice of a run
  # that died of a signal (crash_test) into LOG, next to the run's stderr.
  {
    ${once_wrap[@]+"${once_wrap[@]}"} "$bin" --once --config "${once_config:-$tmp/hdc.ini}" "$@" &&
      rc=0 || rc=$?
  } 2>>"$log"
  return 0
}

# service_keys FILE "key = value"...: adds lines to FILE's [service] section.
service_keys() {
  local file=$1 line lines=""
  shift
  for line in "$@"; do lines+="\n$line"; done
  sed -i "s|^\[service\]$|[service]$lines|" "$file"
}

# start_notify_listener BUILD: a stand-in for systemd's NOTIFY_SOCKET at
# $tmp/notify.sock (tests/tools/notify_listener); each datagram becomes a
# line "<monotonic ms> <text>" of $tmp/notify.log. Sets NOTIFY_PIDS.
start_notify_listener() {
  local out
  exec {out}< <("$1/tests/notify_listener" "$tmp/notify.sock")
  NOTIFY_PIDS=$!
  read -r -t 10 _ <&"$out"
  cat <&"$out" >"$tmp/notify.log" &
  NOTIFY_PIDS+=" $!"
}

# wait_for DESCRIPTION COMMAND...: waits (bounded) until COMMAND succeeds; a
# synchronisation point between processes, not a timed sleep.
wait_for() {
  local what=$1; shift
  for _ in $(seq 1 600); do
    if "$@"; then return 0; fi
    sleep 0.05
  done
  echo "timed out waiting for $what"
  return 1
}

# start_daemon CONFIG STATE_DIR LOG: "$bin" --config CONFIG in the background,
# its stderr to LOG, stopped with the emulator (and $tmp removed) when the
# script exits; waits for the control listener of STATE_DIR's daemon. Sets
# pid and addr (HOST:PORT).
start_daemon() {
  "$bin" --config "$1" 2>"$3" &
  pid=$!
  trap 'kill $pid ${NOTIFY_PIDS:-} $EMU_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
  wait_for "the control address" test -s "$2/control-address"
  addr=$(cat "$2/control-address")
}

# ---------------------------------------------------------------------------
# Emulator helpers and the invariant check (docs/reliability.md §Invariants, INV1-6).

# emu_faults JSON_RULES: replaces the emulator's fault rules, e.g.
#   emu_faults '[{"endpoint":"blob.cab","kind":"reset","nth":1}]'
emu_faults() {
  curl -sf -X POST "$EMU_URL/_emulator/faults" -d "{\"faults\":$1}" >/dev/null
}
# emu_clock JSON: e.g. emu_clock '{"advance":"75h"}'
emu_clock() {
  curl -sf -X POST "$EMU_URL/_emulator/clock" -d "$1" >/dev/null
}
# emu_requests: the emulator's request log, one JSON object per line.
emu_requests() {
  curl -sf "$EMU_URL/_emulator/requests" | sed 's/},{/}\n{/g'
}
# emu_token: prints a bearer token of the demo client.
emu_token() {
  curl -sf -X POST "$EMU_URL/$DEMO_TENANT/oauth2/token" -d grant_type=client_credentials \
    -d client_id="$DEMO_CLIENT" -d client_secret="$DEMO_SECRET" \
    --data-urlencode resource=https://manage.devcenter.microsoft.com |
    sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}

# _inv_emu_sha KIND ID URL TOKEN: the SHA-256 of the emulator's bytes for a
# report (URL = its SAS link) or a cab (URL empty: asked of cabdownload);
# empty when the emulator does not serve it. Remembered in the associative
# array _inv_seen and, when $INV_CACHE names a file, there across calls: the
# bytes depend only on the seed, the id and the settings, so remove the file
# after changing settings. Not remembered with INV_KEEP_FAULTS (faults may
# change the bytes).
declare -gA _inv_seen=()
_inv_emu_sha() {
  local kind=$1 id=$2 url=$3 token=$4 sha
  if [[ -z ${INV_KEEP_FAULTS:-} && -n ${_inv_seen["$kind:$id"]:-} ]]; then
    echo "${_inv_seen["$kind:$id"]}"
    return
  fi
  if [[ $kind == cab ]]; then
    url=$(curl -s -o /dev/null -w '%{redirect_url}' -H "Authorization: Bearer $token" \
      "$EMU_URL/v1.0/my/analytics/hardware/cabdownload?cabIdHash=$id")
    [[ -n $url ]] || return 0
  fi
  sha=$(set -o pipefail; curl -sf "$url" | sha256sum | cut -d' ' -f1) || return 0
  if [[ -z ${INV_KEEP_FAULTS:-} ]]; then
    _inv_seen["$kind:$id"]=$sha
    if [[ -n ${INV_CACHE:-} ]]; then echo "$kind:$id $sha" >>"$INV_CACHE"; fi
  fi
  echo "$sha"
}

# check_invariants STATE_DIR [partial]: INV1-6 of docs/reliability.md §Invariants
# against the emulator ($EMU_URL) and state.db, with sqlite3 and sha256sum.
#   INV1 every Completed execution of our schedules is 'ingested' (one row,
#        one file), every cab named by an ingested report has a cabs row, and
#        no cab is left pending/fetching;
#   INV2 every stored file's size and SHA-256 match its row, and the
#        emulator's bytes (reports always; cabs while the emulator serves them);
#   INV3 no file or symlink in store/reports or store/cabs without a row, no
#        fetched/ingested row without its file, no file named by two rows;
#   INV4 PRAGMA integrity_check = ok;
#   INV5 remote templates = remote schedules = jobs (emulator and state.db;
#        $INV_JOBS overrides the number of jobs);
#   INV6 store/tmp is empty.
# "partial" (after a run that stopped early, e.g. exit 75) checks INV2-5
# only: completeness (INV1) and an empty tmp (INV6) are not promised then.
# Prints one "  INVn: ..." line per violation; returns 1 if any. Clears the
# emulator's fault rules (its bytes must be fetched cleanly; INV_KEEP_FAULTS=1
# keeps them, for faults that change the bytes, such as hostile_ids) and adds
# token, reportdata, cabdownload and blob requests to the emulator's log.
check_invariants() {
  local state=$1 mode=${2:-full} store=$1/store db=$1/state.db bad=0
  _inv() { echo "  $*"; bad=1; }
  [[ -f $db ]] || { echo "  INV: no $db"; return 1; }
  if [[ -n ${INV_CACHE:-} && -s $INV_CACHE ]]; then
    local key value
    while read -r key value; do _inv_seen["$key"]=$value; done <"$INV_CACHE"
  fi
  _inv_q() { sqlite3 -batch -noheader "$db" "$@"; }
  # INV4
  local integrity
  integrity=$(_inv_q "PRAGMA integrity_check" 2>&1)
  [[ $integrity == ok ]] || _inv "INV4: integrity_check: $(head -3 <<<"$integrity" | tr '\n' ' ')"
  # INV6
  if [[ $mode != partial && -d $store/tmp && -n $(ls -A "$store/tmp") ]]; then
    _inv "INV6: store/tmp not empty: $(ls -A "$store/tmp" | head -5 | tr '\n' ' ')"
  fi
  # INV2 against the rows, and INV3. Paths are store-relative; ids are plain.
  local files referenced orphans dups
  files=$(cd "$store" 2>/dev/null && find reports cabs \( -type f -o -type l \) 2>/dev/null | sort)
  referenced=$(_inv_q "SELECT file_path FROM executions WHERE file_path IS NOT NULL
                   UNION SELECT file_path FROM cabs WHERE file_path IS NOT NULL" | sort -u)
  orphans=$(comm -23 <(grep -v '^$' <<<"$files") <(grep -v '^$' <<<"$referenced"))
  [[ -z $orphans ]] || _inv "INV3: files without a row: $(head -5 <<<"$orphans" | tr '\n' ' ')"
  dups=$(_inv_q "SELECT file_path FROM (SELECT file_path FROM executions WHERE file_path IS NOT NULL
              UNION ALL SELECT file_path FROM cabs WHERE file_path IS NOT NULL)
             GROUP BY file_path HAVING count(*) > 1")
  [[ -z $dups ]] || _inv "INV3: files named by two rows: $(head -3 <<<"$dups" | tr '\n' ' ')"
  local -A disk_sha=() disk_size=()
  local path size sha state kind
  local -a present=()
  while read -r path; do
    [[ -n $path ]] || continue
    if [[ -L $store/$path ]]; then _inv "INV3: a symlink in the store: $path"; continue; fi
    present+=("$path")
  done <<<"$files"
  if ((${#present[@]})); then
    while read -r sha path; do disk_sha[$path]=$sha; done < <(cd "$store" && sha256sum -- "${present[@]}")
    while read -r size path; do disk_size[$path]=$size; done < <(cd "$store" && stat -c '%s %n' -- "${present[@]}")
  fi
  while IFS='|' read -r kind state path size sha; do
    [[ -n $path ]] || continue
    if [[ -z ${disk_sha[$path]:-} ]]; then
      [[ $state == fetched || $state == ingested ]] && _inv "INV3: $kind row ($state) without its file: $path"
      continue
    fi
    [[ ${disk_size[$path]} == "$size" ]] || _inv "INV2: $path: size ${disk_size[$path]}, row says '$size'"
    [[ ${disk_sha[$path]} == "$sha" ]] || _inv "INV2: $path: sha256 ${disk_sha[$path]}, row says '$sha'"
  done < <(_inv_q "SELECT 'report', state, file_path, coalesce(file_size,''), coalesce(file_sha256,'')
                 FROM executions WHERE file_path IS NOT NULL AND state <> 'purged'
               UNION ALL
               SELECT 'cab', state, file_path, coalesce(file_size,''), coalesce(file_sha256,'')
                 FROM cabs WHERE file_path IS NOT NULL AND state <> 'purged'")
  # INV5
  local jobs ltpl lsch counts rtpl rsch
  jobs=${INV_JOBS:-$(_inv_q "SELECT count(*) FROM jobs")}
  ltpl=$(_inv_q "SELECT count(*) FROM remote_templates")
  lsch=$(_inv_q "SELECT count(*) FROM remote_schedules")
  counts=$(curl -sf "$EMU_URL/_emulator/state" | grep -o '"counts":{[^}]*}')
  rtpl=$(sed -n 's/.*"templates":\([0-9]*\).*/\1/p' <<<"$counts")
  rsch=$(sed -n 's/.*"schedules":\([0-9]*\).*/\1/p' <<<"$counts")
  [[ $rtpl == "$jobs" && $rsch == "$jobs" && $ltpl == "$jobs" && $lsch == "$jobs" ]] ||
    _inv "INV5: jobs $jobs, remote templates ${rtpl:-?} schedules ${rsch:-?}, recorded templates $ltpl schedules $lsch"
  # INV1, and INV2 against the emulator's bytes.
  [[ -n ${INV_KEEP_FAULTS:-} ]] || curl -sf -X POST "$EMU_URL/_emulator/faults" -d '{"faults":[]}' >/dev/null
  local token rid entry when status url row emu data
  token=$(emu_token)
  [[ -n $token ]] || _inv "INV: no token from the emulator"
  for rid in $(_inv_q "SELECT report_id FROM remote_schedules"); do
    # A failed call would check none of the report's runs: a violation.
    if ! data=$(curl -sf -H "Authorization: Bearer $token" "$EMU_URL/analytics/driver/reportdata/$rid"); then
      _inv "INV: the report data of $rid could not be read from the emulator: none of its runs checked"
      continue
    fi
    while read -r entry; do
      [[ -n $entry ]] || continue
      when=$(sed -n 's/.*"ReportDatetime":"\([^"]*\)".*/\1/p' <<<"$entry")Z
      status=$(sed -n 's/.*"ReportStatus":"\([^"]*\)".*/\1/p' <<<"$entry")
      url=$(sed -n 's/.*"ReportLocation":"\([^"]*\)".*/\1/p' <<<"$entry")
      [[ $status == Completed ]] || continue
      row=$(_inv_q "SELECT state || '|' || coalesce(file_sha256, '') FROM executions
                WHERE report_id = '$rid' AND report_datetime = '$when'")
      if [[ $mode != partial && ${row%%|*} != ingested ]]; then
        _inv "INV1: report $rid run $when is Completed remotely, row state '${row%%|*}'"
      fi
      [[ -n ${row#*|} ]] || continue
      emu=$(_inv_emu_sha report "$rid/$when" "$url" "$token")
      [[ -n $emu && -z ${INV_KEEP_FAULTS:-} ]] && _inv_seen["report:$rid/$when"]=$emu
      [[ $emu == "${row#*|}" ]] || _inv "INV2: report $rid run $when: stored sha ${row#*|}, emulator ${emu:-(unavailable)}"
    done < <(grep -o '{[^{}]*"ReportDatetime"[^{}]*}' <<<"$data")
  done
  if [[ $mode != partial ]]; then
    local unseen open
    unseen=$(_inv_q "SELECT DISTINCT f.cab_id_hash FROM failures f JOIN executions e
                   USING (report_id, report_datetime)
                 WHERE e.state = 'ingested' AND coalesce(f.cab_id_hash, '') <> ''
                   AND f.cab_id_hash NOT IN (SELECT cab_id_hash FROM cabs)")
    [[ -z $unseen ]] || _inv "INV1: cabs named by rows but not recorded: $(head -3 <<<"$unseen" | tr '\n' ' ')"
    open=$(_inv_q "SELECT cab_id_hash || ' ' || state FROM cabs WHERE state IN ('pending', 'fetching')")
    [[ -z $open ]] || _inv "INV1: cabs left open: $(head -3 <<<"$open" | tr '\n' ' ')"
  fi
  local id
  while IFS='|' read -r id sha; do
    [[ -n $id ]] || continue
    emu=$(_inv_emu_sha cab "$id" "" "$token")
    [[ -n $emu && -z ${INV_KEEP_FAULTS:-} ]] && _inv_seen["cab:$id"]=$emu
    [[ -z $emu || $emu == "$sha" ]] || _inv "INV2: cab $id: stored sha $sha, emulator $emu"
  done < <(_inv_q "SELECT cab_id_hash, file_sha256 FROM cabs WHERE state = 'fetched'")
  return $bad
}
