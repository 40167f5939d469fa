#!/usr/bin/env bash
# R01 (docs/reliability.md §Fault catalogue, §Torture tests): hdc-reportd
# killed with SIGKILL at random moments, over many seeded trials, while the
# emulator injects faults; after each trial a clean run must converge and
# INV1-6, one template and one schedule per job, `hdc-reportctl verify` and
# "no secret in any log" must hold.
#
#   bash tests/torture/random_kills.sh BIN SRC
#   TORTURE_TRIALS (default 30), TORTURE_SEED (default 20261204),
#   TORTURE_FAULT_RATE (default 0.3: the probability of each fault rule),
#   TORTURE_VERBOSE (set: the time of each trial and of its checks),
#   TORTURE_CONTROL (set: the control, which proves the checks can fail:
#   after each trial's clean runs one stored report is deleted and the
#   client secret is written into a run's output; the script then exits 0
#   only if every trial reported both, as an invariant and as a leak).
# Trial i uses seed TORTURE_SEED + i, so one trial is replayed with
#   TORTURE_SEED=<seed> TORTURE_TRIALS=1 bash tests/torture/random_kills.sh BIN SRC
# (same world, same fault rules, same mode, same kill fractions; the kill
# moments themselves are wall-clock instants, the one thing not replayable
# exactly).
#
# A trial (seed s; $RANDOM seeded with s):
#   1. a fresh hdc-emulator --seed s: 2 or 3 jobs (one with cabs), 2 daily
#      runs each, 3-5 rows a report; a manual clock in --once trials, a
#      scaled one (x600) in daemon trials; the runs are Completed once time
#      has passed (maybe_advance);
#   2. the shape's clean durations D (of the setup and the work stage, see
#      maybe_advance): measured once per shape (mode, jobs, runs) on first
#      use, by clean runs against the trial's emulator, which is then reset
#      (/_emulator/reset) and the state removed;
#   3. 2 to 4 fault rules, each firing with probability TORTURE_FAULT_RATE,
#      of mixed kinds: 5xx, 429 with Retry-After in seconds or as a date,
#      reset, short_body, latency (a few ms), sas_expired,
#      token_early_expiry, duplicate_executions, drip (fast enough to keep a
#      run short);
#   4. even trials: hdc-reportd --once; odd trials: the daemon on the scaled
#      clock (--time-scale, --time-start at the emulator's now, as
#      tests/e2e/daemon_scaled_test.sh runs it); SIGKILL at a uniformly random
#      moment in [0, D) after the start (D of the stage the world is in, see
#      maybe_advance); then 0-3 more runs of the same mode, faults still on,
#      each killed the same way; before each of those, a setup the first kill
#      cut short is let finish (at most two runs to their end), so they fall
#      in the work stage. A run that ended before its kill moment is
#      counted, not killed;
#   5. faults cleared; clean --once runs until one exits 0, at most 5 (a cab
#      that failed under faults waits for its next attempt on the real
#      clock: before each further run that time passes, by clearing
#      next_attempt_at as tests/e2e/faults_test.sh does); not converging is a
#      violation;
#   6. checks: check_invariants (INV1-6), exactly `jobs` successful template
#      POSTs and schedule POSTs in the emulator's request log (and INV5's
#      remote counts), `hdc-reportctl verify` exits 0, and neither the
#      client secret, nor a bearer token (eyJ...), nor a SAS signature (sig=)
#      appears in any run's output (log_level = debug) or in state.db.
# Prints trials, kills, kills by phase, violations with the seed to replay
# each, and the total time; exits 1 on any violation, 77 when a tool it
# needs is missing.
#
# No test here sleeps for time to pass: the random kill moment is the one
# deliberate wall-clock wait, it is the thing under test.
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"

trials=${TORTURE_TRIALS:-30}
seed0=${TORTURE_SEED:-20261204}
rate=${TORTURE_FAULT_RATE:-0.3}
scale=600  # daemon trials: 10 emulated minutes per real second
for tool in sqlite3 curl sha256sum; do
  command -v $tool >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done
ctl=$build/daemon/hdc-reportctl
[[ -x $ctl ]] || { echo "SKIP: no hdc-reportctl next to the daemon ($ctl)"; exit 77; }
[[ -x $build/emulator/hdc-emulator ]] || { echo "SKIP: no $build/emulator/hdc-emulator"; exit 77; }
[[ $rate =~ ^(0(\.[0-9]+)?|1(\.0*)?)$ ]] || { echo "TORTURE_FAULT_RATE must be from 0 to 1, not '$rate'"; exit 64; }
export HDC_CLIENT_SECRET=$DEMO_SECRET

# --- Processes of the current trial: one emulator, at most one daemon run.
EMU_PID= run_pid= emu_fd=
stop_emulator() {
  if [[ -n $EMU_PID ]]; then kill "$EMU_PID" 2>/dev/null; wait "$EMU_PID" 2>/dev/null; fi
  if [[ -n $emu_fd ]]; then exec {emu_fd}<&-; fi
  EMU_PID= emu_fd=
}
cleanup() {
  [[ -z $run_pid ]] || { kill -KILL "$run_pid" 2>/dev/null; wait "$run_pid" 2>/dev/null; }
  stop_emulator
  rm -rf "$tmp"
}
trap cleanup EXIT
# start_trial_emulator SEED CLOCK START ARGS...: sets EMU_PORT, EMU_URL, EMU_PID.
start_trial_emulator() {
  exec {emu_fd}< <(exec "$build/emulator/hdc-emulator" --port 0 --seed "$1" --clock "$2" \
    --start "$3" "${@:4}" 2>"$tmp/emulator.log")
  EMU_PID=$!
  read -r -t 30 EMU_PORT <&"$emu_fd" || { echo "emulator did not start"; cat "$tmp/emulator.log"; exit 1; }
  EMU_URL="http://127.0.0.1:$EMU_PORT"
}
emu_now() { curl -sf "$EMU_URL/_emulator/clock" | sed -n 's/.*"now":"\([^"]*\)".*/\1/p'; }

# --- The world of a trial: job a with cabs, b and c without (few cabs keep
# check_invariants, two requests per cab, short).
write_jobs() {  # write_jobs JOBS RUNS DAY
  local dir=$tmp/jobs.d
  rm -rf "$dir" && mkdir -p "$dir"
  cat >"$dir/a.ini" <<INI
[job a]
view = IHVDriver
columns = FailureName, FailureHash, CabIdHash, CabType, ApplicationId, DeviceId, EventCount, FailureDateTime, CabExpirationTime
start = $3T02:00:00Z
every = 24h
runs = $2
INI
  cat >"$dir/b.ini" <<INI
[job b]
view = IHVDriver
columns = FailureName, FailureHash, DriverName, DeviceId, EventCount, FailureDateTime
start = $3T03:00:00Z
every = 24h
runs = $2
cabs = no
INI
  if (($1 >= 3)); then
    cat >"$dir/c.ini" <<INI
[job c]
view = IHVDriver
columns = FailureName, FailureHash, DriverName, EventCount, FailureDateTime
start = $3T04:00:00Z
every = 24h
runs = $2
cabs = no
INI
  fi
}

# --- Runs. Each run's stderr goes to its own log under $tdir.
# launch MODE LOG: starts one run in the background (sets run_pid).
launch() {
  if [[ $1 == once ]]; then
    "$bin" --once --config "$tmp/hdc.ini" 2>"$2" &
  else
    "$bin" --config "$tmp/hdc.ini" --time-scale $scale --time-start "$(emu_now)" 2>"$2" &
  fi
  run_pid=$!
}
# reap: waits for the run; sets rc.
reap() {
  { wait "$run_pid"; } 2>/dev/null
  rc=$?
  run_pid=
}
db() { sqlite3 -batch -noheader "$tmp/state/state.db" "$@" 2>/dev/null; }
# recorded JOBS: the state records a remote schedule for every job.
recorded() { [[ $(db "SELECT count(*) FROM remote_schedules") == "$1" ]]; }
# converged JOBS RUNS: every run of every job ingested and no cab open (the
# daemon's "done"; it never exits by itself).
converged() {
  [[ $(db "SELECT count(*) FROM executions WHERE state = 'ingested'") == $(($1 * $2)) &&
     $(db "SELECT count(*) FROM cabs WHERE state IN ('pending', 'fetching')") == 0 ]]
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# The world's two stages. Schedules list only the runs after their creation
# (the emulator's effective_from), so the jobs' runs lie ahead of the
# emulator's start (day0 00:00) and time passes once every job has its
# remote schedule: the clock moves on to day0 + RUNS-1 days 06:00, when every
# run of every job is Completed. Runs before that are the setup stage
# (reconcile, an empty poll, the sweep), runs after it the work stage (the
# downloads as well). advanced is set once time has passed.
remote_schedules() {
  curl -sf "$EMU_URL/_emulator/state" | grep -o '"counts":{[^}]*}' | sed -n 's/.*"schedules":\([0-9]*\).*/\1/p'
}
maybe_advance() {  # maybe_advance JOBS RUNS
  ((advanced)) && return 0
  [[ $(remote_schedules) == "$1" ]] || return 0
  emu_clock "{\"advance\":\"$((($2 - 1) * 24 + 6))h\"}"
  advanced=1
}

# run_to_end MODE JOBS RUNS LOG: one clean run; --once until it exits (rc),
# the daemon until its stage is done (the schedules recorded before time
# passed, converged after), then SIGTERM (rc = 0 when it got there).
run_to_end() {
  launch "$1" "$4"
  if [[ $1 == once ]]; then
    reap
    return
  fi
  local done_rc=0
  if ((advanced)); then
    wait_for "the daemon to converge" converged "$2" "$3" >&2 || done_rc=1
  else
    wait_for "the daemon to record the schedules" recorded "$2" >&2 || done_rc=1
  fi
  kill -TERM "$run_pid"
  reap
  ((done_rc == 0)) || rc=1
}

# measure MODE JOBS RUNS: "SETUP_MS WORK_MS", the clean durations of the two
# stages, from a clean state; then the emulator is reset (its clock set back
# to day0 00:00) and the state removed. A failing clean run stops the script:
# the world itself is broken.
measure() {
  local t setup work
  advanced=0
  t=$(now_ms)
  run_to_end "$1" "$2" "$3" "$tmp/measure-setup.err"
  setup=$(($(now_ms) - t))
  [[ $rc == 0 ]] || { echo "measure: the clean setup run exited $rc: $(tail -3 "$tmp/measure-setup.err")" >&2; return 1; }
  maybe_advance "$2" "$3"
  ((advanced)) || { echo "measure: the clean setup run created no schedule for every job" >&2; return 1; }
  t=$(now_ms)
  run_to_end "$1" "$2" "$3" "$tmp/measure-work.err"
  work=$(($(now_ms) - t))
  [[ $rc == 0 ]] || { echo "measure: the clean work run exited $rc: $(tail -3 "$tmp/measure-work.err")" >&2; return 1; }
  converged "$2" "$3" || { echo "measure: the clean work run did not ingest every run" >&2; return 1; }
  curl -sf -X POST "$EMU_URL/_emulator/reset" >/dev/null
  emu_clock "{\"set\":\"${day0}T00:00:00Z\"}"
  rm -rf "$tmp/state"
  advanced=0
  echo "$setup $work"
}

# random_ms MAX: sets at, uniform in [0, MAX): a seeded fraction (30 bits of
# $RANDOM) of MAX, so a replay kills at the same fraction of its own measured
# duration. No $(...) around it: bash reseeds $RANDOM in a subshell.
random_ms() { at=$(((RANDOM * 32768 + RANDOM) * $1 / 1073741824)); }

# fault_rules: sets rules, 2 to 4 rules of random kinds, each with
# probability $rate (no $(...) around it either).
# --once runs wait for Retry-After and backoff on the real clock, so waits
# stay short (Retry-After 0 or 1 s; a date is in the emulator's past, 0);
# the daemon waits on its scaled clock.
fault_rules() {
  local n=$((2 + RANDOM % 3)) i rule ep form sas
  local -a statuses=(500 502 503 504)
  local -a eps=(token template.list template.create schedule.list schedule.create reportdata
                cabdownload blob.report blob.cab "*")
  local -a blobs=(reportdata blob.report blob.cab)
  rules=
  for ((i = 0; i < n; i++)); do
    ep=${eps[RANDOM % ${#eps[@]}]}
    ((RANDOM % 2)) && form=date || form=seconds
    ((RANDOM % 2)) && sas=reportdata || sas=cabdownload
    case $((RANDOM % 10)) in
      0) rule="\"endpoint\":\"$ep\",\"kind\":\"status\",\"status\":${statuses[RANDOM % 4]}" ;;
      1) rule="\"endpoint\":\"$ep\",\"kind\":\"429\",\"retry_after\":$((RANDOM % 2)),\"retry_after_form\":\"$form\"" ;;
      2) rule="\"endpoint\":\"${blobs[RANDOM % 3]}\",\"kind\":\"reset\"" ;;
      3) rule="\"endpoint\":\"${blobs[RANDOM % 3]}\",\"kind\":\"short_body\"" ;;
      4) rule="\"endpoint\":\"$ep\",\"kind\":\"latency\",\"ms\":$((5 + RANDOM % 60))" ;;
      5) rule="\"endpoint\":\"$sas\",\"kind\":\"sas_expired\"" ;;
      6) rule="\"endpoint\":\"token\",\"kind\":\"token_early_expiry\",\"seconds\":$((RANDOM % 3))" ;;
      7) rule="\"endpoint\":\"reportdata\",\"kind\":\"duplicate_executions\"" ;;
      8) rule="\"endpoint\":\"${blobs[RANDOM % 3]}\",\"kind\":\"drip\",\"rate\":$((50000 + RANDOM % 150000))" ;;
      9) rule="\"endpoint\":\"$ep\",\"kind\":\"status\",\"status\":503" ;;
    esac
    rules+="${rules:+,}{$rule,\"probability\":$rate}"
  done
  rules="[$rules]"
}

# phase LOG: the phase a run was in when it was killed, from its last lines.
# A request is logged (debug, by the http logger) when it ends, naming host
# and path, so the last line says which step ended last; the kill fell in
# that step or in the local work right after it:
#   sweep      a retention/sweep line (the start-up sweep, --once's sweep);
#   reconcile  template or schedule requests, "reconciled ..." or an intent
#              being resumed (reconcile logger);
#   poll       Get Report Data requests, "job x: N new execution(s)";
#   commit     a report or cab blob fully received (-> 200/206): its file is
#              being verified, fsynced and renamed, and its row (report
#              rows: the ingest transaction) committed;
#   report     a report line ("report ... rows") or a report link refused;
#   cab        cabdownload requests, a cab warning or the downloads summary;
#   other      start-up (configuration, lock, recovery, token) or no line.
# The token request (auth) is "other": it starts every phase.
phase() {
  local line
  line=$(grep -vE '^hdc-reportd: |^\s*$|obtained a token|/oauth2/token|test clock|control listener|callback token' "$1" 2>/dev/null | tail -1)
  case $line in
    *sweep* | *retention*) echo sweep ;;
    *reporttemplate* | */analytics/driver/report\ * | */analytics/driver/report/* | *reconcil* | *intent*) echo reconcile ;;
    *reportdata* | *new\ execution*) echo poll ;;
    */drivers/Reports/*\ -\>\ 20[06]* | */drivers/Cabs/*\ -\>\ 20[06]*) echo commit ;;
    *"report "*" run "* | */drivers/Reports/*) echo report ;;
    *cabdownload* | *cab* | *Cabs*) echo cab ;;
    *) echo other ;;
  esac
}

# --- Counters.
declare -A clean_ms=() kills_by_phase=()
kills=0 not_killed=0 violations=0 control_caught=0 ran=0 clean_runs=0 daemon_trials=0 once_trials=0
declare -a violation_lines=()
violation() {  # violation SEED TEXT
  violations=$((violations + 1))
  violation_lines+=("seed $1: $2")
  echo "  VIOLATION (replay: TORTURE_SEED=$1 TORTURE_TRIALS=1): $2"
}
posts_ok() {  # posts_ok PATH: successful POSTs to exactly PATH
  emu_requests | grep '"method":"POST"' | grep "\"path\":\"$1\"" | grep -cE '"status":20[01]'
}

started_all=$(now_ms)
echo "random kills: $trials trial(s) from TORTURE_SEED=$seed0, TORTURE_FAULT_RATE=$rate"
for ((i = 0; i < trials; i++)); do
  s=$((seed0 + i))
  RANDOM=$s
  t_trial=$(now_ms)
  ((i % 2 == 0)) && mode=once || mode=daemon
  jobs=$((2 + RANDOM % 2))
  runs=2
  rows=$((3 + RANDOM % 3))
  extra=$((RANDOM % 4))
  tdir=$tmp/t$s
  mkdir -p "$tdir"
  _inv_seen=()  # check_invariants' byte cache: ids repeat across emulator seeds
  # The jobs' runs start at day0 02:00; the emulator starts at day0 00:00.
  day0=$(date -u -d "-$((runs + 4)) days" +%Y-%m-%d)
  clock=manual
  [[ $mode == daemon ]] && clock=scale=$scale
  start_trial_emulator "$s" "$clock" "${day0}T00:00:00Z" --rows "$rows" --cab-size 4K
  write_jobs "$jobs" "$runs" "$day0"
  write_config "$tmp/hdc.ini" "$tmp/state" "$tmp/jobs.d"
  service_keys "$tmp/hdc.ini" "control_listen = 127.0.0.1:0" "poll_interval = 10m"
  sed -i 's/^log_level = .*/log_level = debug/' "$tmp/hdc.ini"
  rm -rf "$tmp/state"

  shape="$mode/$jobs/$runs"
  if [[ -z ${clean_ms[$shape]:-} ]]; then
    clean_ms[$shape]=$(measure "$mode" "$jobs" "$runs") || exit 1
    echo "  clean durations of $shape (jobs $jobs, runs $runs): setup, work ${clean_ms[$shape]} ms"
  fi
  read -r d_setup d_work <<<"${clean_ms[$shape]}"
  fault_rules
  [[ -z ${TORTURE_VERBOSE:-} ]] || echo "  faults: $rules"
  emu_faults "$rules" || violation $s "the emulator refused the fault rules $rules"
  advanced=0

  # Killed runs: the first and `extra` more, each in [0, D) of its stage.
  trial_phases=""
  for ((k = 0; k <= extra; k++)); do
    maybe_advance "$jobs" "$runs"
    # After the first kill, the setup is let finish (at most two runs to
    # their end, faults still on), so that the later kills fall in the work
    # stage.
    for ((f = 0; k > 0 && !advanced && f < 2; f++)); do
      launch "$mode" "$tdir/setup-$k-$f.err"
      if [[ $mode == once ]]; then
        reap
      else
        wait_for "the daemon to record the schedules" recorded "$jobs" >/dev/null
        kill -TERM "$run_pid"
        reap
      fi
      trial_phases+=" (setup run, exit $rc)"
      maybe_advance "$jobs" "$runs"
    done
    ((advanced)) && d=$d_work || d=$d_setup
    ((d > 0)) || d=1
    random_ms "$d"
    log=$tdir/kill-$k.err
    launch "$mode" "$log"
    sleep "$(printf '%d.%03d' $((at / 1000)) $((at % 1000)))"  # the random kill moment
    kill -KILL "$run_pid" 2>/dev/null
    reap
    if [[ $rc == 137 ]]; then
      kills=$((kills + 1))
      p=$(phase "$log")
      kills_by_phase[$p]=$((${kills_by_phase[$p]:-0} + 1))
      trial_phases+=" $p@${at}ms"
    else
      not_killed=$((not_killed + 1))
      trial_phases+=" (ended first, exit $rc)"
    fi
  done
  [[ $mode == once ]] && once_trials=$((once_trials + 1)) || daemon_trials=$((daemon_trials + 1))

  # Clean --once runs until one exits 0 after time has passed. A run before
  # time passed (the kills ended before every schedule existed) is the
  # setup's, not a try.
  emu_faults '[]'
  tries=0 n=0
  while ((tries < 5)); do
    maybe_advance "$jobs" "$runs"
    ((advanced)) && tries=$((tries + 1))
    n=$((n + 1))
    clean_runs=$((clean_runs + 1))
    launch once "$tdir/clean-$n.err"
    reap
    ((advanced)) && [[ $rc == 0 ]] && break
    ((advanced || n < 3)) || break  # two clean setup runs created no schedule
    db "UPDATE cabs SET next_attempt_at = NULL"  # time passes for cabs waiting for their next attempt
  done
  echo "trial $((i + 1))/$trials seed $s: $mode, $jobs jobs x $runs runs, $rows rows, D ${d_setup}/${d_work} ms, $(grep -o '"kind"' <<<"$rules" | wc -l) rule(s), kills:${trial_phases}; clean runs $n (last exit $rc)"
  [[ $rc == 0 ]] && ((advanced)) ||
    violation $s "no clean run exited 0 in 5 tries (last: exit $rc: $(grep '^hdc-reportd: ' "$tdir/clean-$n.err" | tail -1))"

  if [[ -n ${TORTURE_CONTROL:-} ]]; then
    victim=$(find "$tmp/state/store/reports" -type f | head -n 1)
    [[ -n $victim ]] && rm -f "$victim"
    echo "control: client_secret=$DEMO_SECRET" >>"$tdir/clean-$n.err"
    control_from=${#violation_lines[@]}
  fi

  # Checks.
  t_checks=$(now_ms)
  if ! out=$(check_invariants "$tmp/state"); then
    violation $s "invariants: $(tr '\n' ' ' <<<"$out")"
  fi
  t_inv=$(($(now_ms) - t_checks))
  t=$(posts_ok /analytics/driver/reporttemplate) sch=$(posts_ok /analytics/driver/report)
  [[ $t == "$jobs" && $sch == "$jobs" ]] ||
    violation $s "$t template and $sch schedule creates for $jobs jobs"
  if ! vout=$("$ctl" --config "$tmp/hdc.ini" verify 2>&1); then
    violation $s "hdc-reportctl verify: $(tail -2 <<<"$vout" | tr '\n' ' ')"
  fi
  leaks=$(grep -lE "$DEMO_SECRET|eyJ|[sS][iI][gG]=" "$tdir"/*.err 2>/dev/null | xargs -r -n1 basename | tr '\n' ' ')
  [[ -z $leaks ]] || violation $s "a secret, token or signature in the output of: $leaks"
  if cat "$tmp/state/state.db"* 2>/dev/null | grep -aqE "$DEMO_SECRET|eyJ|sig="; then
    violation $s "a secret, token or signature in state.db"
  fi
  if [[ -n ${TORTURE_CONTROL:-} ]]; then
    found=$(printf '%s\n' "${violation_lines[@]:control_from}")
    grep -q "invariants:" <<<"$found" && grep -q "a secret, token or signature in the output" <<<"$found" &&
      control_caught=$((control_caught + 1))
  fi
  [[ -z ${TORTURE_VERBOSE:-} ]] ||
    echo "  trial $(($(now_ms) - t_trial)) ms: checks $(($(now_ms) - t_checks)) ms (check_invariants $t_inv ms)"
  stop_emulator
  rm -rf "$tdir" "$tmp/state"
  ran=$((ran + 1))
done

total_ms=$(($(now_ms) - started_all))
echo "== random kills: $ran trials ($once_trials --once, $daemon_trials daemon), $kills kills, $not_killed runs ended before their kill moment, $clean_runs clean runs"
printf '   kills by phase:'
for p in reconcile poll report cab commit sweep other; do printf ' %s %d' $p "${kills_by_phase[$p]:-0}"; done
echo
echo "   clean durations: $(for k in "${!clean_ms[@]}"; do printf '%s %s ms; ' "$k" "${clean_ms[$k]}"; done)"
echo "   violations: $violations"
for v in "${violation_lines[@]}"; do echo "     $v"; done
echo "   total time: $((total_ms / 1000)).$(printf '%03d' $((total_ms % 1000))) s"
if [[ -n ${TORTURE_CONTROL:-} ]]; then
  echo "   control: $control_caught of $ran sabotaged trials reported both the lost report and the leak"
  ((ran > 0 && control_caught == ran))
  exit
fi
((violations == 0))
