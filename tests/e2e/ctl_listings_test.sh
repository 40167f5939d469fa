#!/usr/bin/env bash
# hdc-reportctl's listings and queries (status, executions, cabs, top, trend,
# new, compare, verify; tables and --json) against the state hdc-reportd
# --once leaves, each compared with sqlite3 queries of the same state.db;
# verify against a corrupted, a truncated, a deleted and a stray file, and
# back to clean.
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"
# Dates relative to the real clock: the daemon polls up to its own "now"
# and sweeps by it, so the emulator's first day lies a week back.
t0=$(date -u -d '-7 days' +%Y-%m-%d)
d() { date -u -d "$t0 $1 days" +%Y-%m-%d; }  # d N: the day N days after t0

db=$tmp/state/state.db
store=$tmp/state/store
q() { sqlite3 -batch -noheader "$db" "$1"; }
# jsql FILE SQL: runs SQL with the JSON document of FILE as the table d(j).
jsql() { sqlite3 -batch -noheader :memory: "WITH d(j) AS (SELECT CAST(readfile('$1') AS TEXT)) $2"; }
jget() { jsql "$1" "SELECT json_extract(j, '$2') FROM d"; }
jlen() { jsql "$1" "SELECT json_array_length(j, '$2') FROM d"; }
out() { cat "$tmp/$1.out"; }

start_emulator "$build/emulator/hdc-emulator" --clock manual --start $(d 0)T00:00:00Z
mkdir -p "$tmp/jobs.d"
driver_job kernel "$(d 0)T02:00:00Z" >"$tmp/jobs.d/k.ini"
write_config "$tmp/hdc.ini" "$tmp/state" "$tmp/jobs.d"
# The emulator's fixed dates may lie near the 30-day window of the real clock;
# counting from download time keeps the fixture's data through --once's sweep.
sed -i 's/^\[service\]$/[service]\nretention_clock = downloaded/' "$tmp/hdc.ini"

# --- Nothing yet: no state directory at all. ---------------------------------
for c in status executions cabs top verify; do
  ctl "none-$c" "$c"
  check "$c with no state.db exits 0" test "$rc" = 0
  ctl "none-$c-json" "$c" --json
  check "$c --json with no state.db exits 0 with valid JSON" \
    test "$rc/$(jsql "$tmp/none-$c-json.out" "SELECT json_valid(j) FROM d")" = 0/1
done
check "status with no state.db lists no job" test "$(jlen "$tmp/none-status-json.out" '$.jobs')" = 0
check "executions with no state.db lists nothing (header only)" test "$(out none-executions | wc -l)" = 1
check "verify with no state.db: 0 files" \
  test "$(out none-verify)" = "verify: 0 files, 0 ok, 0 mismatched, 0 missing, 0 orphans"
check "the listings created no state" test ! -e "$tmp/state"

# --- A state: three runs Completed and ingested, the fourth In Progress. -----
export HDC_CLIENT_SECRET=$DEMO_SECRET
"$bin" --once --config "$tmp/hdc.ini" 2>"$tmp/once1.err"
check "the first run exits 0" test $? = 0
check "the emulator clock moves to $(d 3)T02:15:00Z" emu_clock '{"advance":"4455m"}'  # 74h15m
"$bin" --once --config "$tmp/hdc.ini" 2>"$tmp/once2.err"
check "the second run exits 0" test $? = 0
unset HDC_CLIENT_SECRET
check "the fixture has ingested and not yet completed executions" \
  test "$(q "SELECT count(*) FROM executions WHERE state = 'ingested'")/$(q "SELECT count(*) FROM executions WHERE state = 'new'")" = 3/1
check "the fixture has fetched cabs" test "$(q "SELECT count(*) FROM cabs WHERE state = 'fetched'")" -gt 50

# --- status ---------------------------------------------------------------------
ctl status status
check "status exits 0" test "$rc" = 0
ctl status-json status --json
check "status --json exits 0" test "$rc" = 0
s=$tmp/status-json.out
check "status: one job per jobs row" test "$(jlen "$s" '$.jobs')" = "$(q "SELECT count(*) FROM jobs")"
check "status: the job's name, enabled, template and schedule" \
  test "$(jget "$s" '$.jobs[0].name')|$(jget "$s" '$.jobs[0].enabled')|$(jget "$s" '$.jobs[0].template_id')|$(jget "$s" '$.jobs[0].report_id')|$(jget "$s" '$.jobs[0].is_active')" = \
       "$(q "SELECT j.name, j.enabled, t.template_id, s.report_id, s.is_active FROM jobs j JOIN remote_templates t ON t.job_name = j.name JOIN remote_schedules s ON s.job_name = j.name")"
check "status: executions by state" \
  test "$(jsql "$s" "SELECT group_concat(key || '=' || value, ' ') FROM (SELECT key, value FROM d, json_each(j, '$.jobs[0].executions') ORDER BY key)")" = \
       "$(q "SELECT group_concat(state || '=' || n, ' ') FROM (SELECT state, count(*) n FROM executions GROUP BY state ORDER BY state)")"
check "status: cabs by state" \
  test "$(jsql "$s" "SELECT group_concat(key || '=' || value, ' ') FROM (SELECT key, value FROM d, json_each(j, '$.jobs[0].cabs') ORDER BY key)")" = \
       "$(q "SELECT group_concat(state || '=' || n, ' ') FROM (SELECT state, count(*) n FROM cabs GROUP BY state ORDER BY state)")"
check "status: last ingested" \
  test "$(jget "$s" '$.jobs[0].last_ingested')" = "$(q "SELECT max(report_datetime) FROM executions WHERE state = 'ingested'")"
check "status: rows" test "$(jget "$s" '$.jobs[0].rows')" = "$(q "SELECT count(*) FROM failures")"
report_bytes=$(q "SELECT sum(file_size) FROM executions WHERE state IN ('fetched', 'ingested')")
cab_bytes=$(q "SELECT sum(file_size) FROM cabs WHERE state = 'fetched'")
check "status: bytes stored" \
  test "$(jget "$s" '$.jobs[0].report_bytes')/$(jget "$s" '$.jobs[0].cab_bytes')/$(jget "$s" '$.jobs[0].bytes')" = \
       "$report_bytes/$cab_bytes/$((report_bytes + cab_bytes))"
check "status: totals equal the one job" \
  test "$(jsql "$s" "SELECT json_extract(j, '$.totals') = json_remove(json_extract(j, '$.jobs[0]'), '$.name', '$.enabled', '$.template_id', '$.report_id', '$.is_active') FROM d")" = 1
check "status: the last sweep is --once's, which removed nothing" \
  test "$(jget "$s" '$.last_sweep.rows_deleted')/$(q "SELECT count(*) > 0 AND sum(rows_deleted) = 0 FROM sweeps")" = 0/1
tpl=$(q "SELECT template_id FROM remote_templates")
rid=$(q "SELECT report_id FROM remote_schedules")
rows=$(q "SELECT count(*) FROM failures")
fetched=$(q "SELECT count(*) FROM cabs WHERE state = 'fetched'")
check "status table: the daemon line, a header, the job, the totals, the retention horizon, the sweep" \
  test "$(out status | wc -l)" = 6
check "status table: header row" grep -qE '^JOB +ENABLED +TEMPLATE +REPORT +ACTIVE +EXECUTIONS +LAST INGESTED +ROWS +CABS +STORED$' "$tmp/status.out"
check "status table: the job's row agrees with the database" \
  grep -qE "^kernel +yes +$tpl +$rid +yes +1 new, 3 ingested +$(d 2)T02:00:00Z +$rows +$fetched fetched" "$tmp/status.out"
check "status table: sizes are human-readable" grep -qE '^kernel .* [0-9]+\.[0-9] MiB$' "$tmp/status.out"
check "status table: totals row" grep -qE "^TOTAL +1 new, 3 ingested .* $rows +$fetched fetched" "$tmp/status.out"
check "status table: the last sweep line" grep -qE '^last sweep: .* deleted 0 report\(s\)' <(out status | tail -1)
# The retention horizon: the earliest retention clock of the rows, the
# fetched cabs and the report files (all stamped at download here), plus
# the 30 days of retention.
oldest=$(q "SELECT min(c) FROM (SELECT min(clock_start) AS c FROM failures
  UNION ALL SELECT min(coalesce(clock_start, downloaded_at, first_seen)) FROM cabs WHERE state IN ('pending', 'fetching', 'fetched', 'failed')
  UNION ALL SELECT min(coalesce(clock_start, downloaded_at, first_seen)) FROM executions WHERE state <> 'purged' AND file_path IS NOT NULL)")
oldest=${oldest:0:19}Z
removed_by=$(date -u -d "${oldest} +30 days" +%Y-%m-%dT%H:%M:%SZ)
check "status --json: the retention horizon is the oldest clock and 30 days after it" \
  test "$(jget "$s" '$.retention_horizon.oldest_personal_datum')/$(jget "$s" '$.retention_horizon.removed_by')" = "$oldest/$removed_by"
check "status table: the retention line says the same" \
  grep -qx "retention: the oldest personal datum is from $oldest, removed by $removed_by" "$tmp/status.out"

# A writer holding the database's write lock does not block the listings.
mkfifo "$tmp/lock.in"
sqlite3 "$db" <"$tmp/lock.in" >/dev/null 2>&1 &
lock_pid=$!
exec {lock_fd}>"$tmp/lock.in"
echo "BEGIN IMMEDIATE; INSERT INTO sweeps (started_at, cutoff) VALUES ('x', 'y');" >&$lock_fd
second_writer_refused() { ! sqlite3 -cmd '.timeout 0' "$db" 'BEGIN IMMEDIATE; ROLLBACK;' 2>/dev/null; }
wait_for "the write lock" second_writer_refused
check "control: a second writer is refused meanwhile" second_writer_refused
ctl locked-status status --json
check "status runs while another process holds the write lock" test "$rc" = 0
check "and does not see its uncommitted sweep" test "$(jget "$tmp/locked-status.out" '$.last_sweep.started_at')" != x
ctl locked-verify verify
check "verify runs while another process holds the write lock" test "$rc" = 0
echo "ROLLBACK;" >&$lock_fd
exec {lock_fd}>&-
wait $lock_pid

# --- executions -----------------------------------------------------------------
ctl ex-json executions --json
check "executions --json exits 0" test "$rc" = 0
check "executions: every execution, newest first, with its columns" \
  test "$(jsql "$tmp/ex-json.out" "SELECT group_concat(line, ' ') FROM (SELECT json_extract(value, '$.job') || '|' || json_extract(value, '$.report_id') || '|' || json_extract(value, '$.report_datetime') || '|' || json_extract(value, '$.remote_status') || '|' || json_extract(value, '$.state') || '|' || json_extract(value, '$.attempts') || '|' || coalesce(json_extract(value, '$.rows'), '-') || '|' || coalesce(json_extract(value, '$.size'), '-') AS line FROM d, json_each(j, '$.executions') ORDER BY key)")" = \
       "$(q "SELECT group_concat(line, ' ') FROM (SELECT job_name || '|' || report_id || '|' || report_datetime || '|' || remote_status || '|' || state || '|' || attempts || '|' || coalesce(row_count, '-') || '|' || coalesce(file_size, '-') AS line FROM executions ORDER BY report_datetime DESC, report_id DESC)")"
ctl ex-new executions --state new --json
check "executions --state new: the run not yet completed" \
  test "$(jlen "$tmp/ex-new.out" '$.executions')/$(jget "$tmp/ex-new.out" '$.executions[0].report_datetime')/$(jget "$tmp/ex-new.out" '$.executions[0].remote_status')" = \
       "$(q "SELECT count(*) || '/' || max(report_datetime) || '/' || max(remote_status) FROM executions WHERE state = 'new'")"
ctl ex-ingested executions --state=ingested --limit 2 --json
check "executions --state ingested --limit 2: the two newest ingested" \
  test "$(jsql "$tmp/ex-ingested.out" "SELECT group_concat(json_extract(value, '$.report_datetime'), ' ') FROM (SELECT value FROM d, json_each(j, '$.executions') ORDER BY key)")" = \
       "$(q "SELECT group_concat(report_datetime, ' ') FROM (SELECT report_datetime FROM executions WHERE state = 'ingested' ORDER BY report_datetime DESC LIMIT 2)")"
ctl ex-nobody executions --job nobody --json
check "executions --job nobody: none, exit 0" test "$rc/$(jlen "$tmp/ex-nobody.out" '$.executions')" = 0/0
ctl ex-job executions --job kernel --json
check "executions --job kernel: all of them" \
  test "$(jlen "$tmp/ex-job.out" '$.executions')" = "$(q "SELECT count(*) FROM executions WHERE job_name = 'kernel'")"
ctl ex-table executions
check "executions table: header and one line per execution" \
  test "$(out ex-table | wc -l)" = $(($(q "SELECT count(*) FROM executions") + 1))
check "executions table: header row" grep -qE '^JOB +REPORT ID +REPORT DATETIME +REMOTE STATUS +STATE +ATTEMPTS +ROWS +SIZE +LAST ERROR$' "$tmp/ex-table.out"
newest_ingested=$(q "SELECT report_datetime || ' +Completed +ingested +' || attempts || ' +' || row_count FROM executions WHERE state = 'ingested' ORDER BY report_datetime DESC LIMIT 1")
check "executions table: the newest ingested run's row" \
  grep -qE "^kernel +$rid +$newest_ingested +[0-9.]+ KiB +-\$" "$tmp/ex-table.out"
check "executions table: newest first" \
  test "$(out ex-table | sed -n 2p | awk '{print $3}')" = "$(q "SELECT max(report_datetime) FROM executions")"
check "executions table: the In Progress run" grep -qE "^kernel +$rid +$(d 3)T02:00:00Z +In Progress +new +0 +- +- +-$" "$tmp/ex-table.out"
ctl ex-bad executions --state done
check "executions --state done: exit 64, one line, nothing on stdout" \
  test "$rc/$(wc -l <"$tmp/ex-bad.err")/$(out ex-bad | wc -c)" = 64/1/0
ctl ex-bad-opt executions --frob
check "executions --frob: exit 64 naming it" \
  bash -c "test $rc = 64 && grep -q \"unknown option '--frob'\" '$tmp/ex-bad-opt.err'"
ctl ex-bad-limit executions --limit x
check "executions --limit x: exit 64" test "$rc" = 64

# --- cabs -----------------------------------------------------------------------
ctl cabs-all cabs --limit 0 --json
check "cabs --limit 0: every cab" test "$(jlen "$tmp/cabs-all.out" '$.cabs')" = "$(q "SELECT count(*) FROM cabs")"
check "cabs: every cab's columns, newest first" \
  test "$(jsql "$tmp/cabs-all.out" "SELECT group_concat(line, ' ') FROM (SELECT json_extract(value, '$.cab_id_hash') || '|' || json_extract(value, '$.job') || '|' || json_extract(value, '$.state') || '|' || json_extract(value, '$.attempts') || '|' || coalesce(json_extract(value, '$.size'), '-') || '|' || coalesce(json_extract(value, '$.container'), '-') || '|' || coalesce(json_extract(value, '$.expires_at'), '-') || '|' || coalesce(json_extract(value, '$.last_error'), '-') AS line FROM d, json_each(j, '$.cabs') ORDER BY key)")" = \
       "$(q "SELECT group_concat(line, ' ') FROM (SELECT cab_id_hash || '|' || job_name || '|' || state || '|' || attempts || '|' || coalesce(file_size, '-') || '|' || coalesce(container, '-') || '|' || coalesce(expires_at, '-') || '|' || coalesce(last_error, '-') AS line FROM cabs ORDER BY first_seen DESC, cab_id_hash ASC)")"
ctl cabs-fetched cabs --state fetched --limit 0 --json
check "cabs --state fetched: count and bytes" \
  test "$(jsql "$tmp/cabs-fetched.out" "SELECT count(*) || '/' || sum(json_extract(value, '$.size')) FROM d, json_each(j, '$.cabs')")" = "$fetched/$cab_bytes"
ctl cabs-default cabs --json
check "cabs: 50 by default" \
  test "$(jlen "$tmp/cabs-default.out" '$.cabs')" = "$(q "SELECT min(50, count(*)) FROM cabs")"
ctl cabs-skipped cabs --job kernel --state skipped --json
check "cabs --job kernel --state skipped" \
  test "$(jlen "$tmp/cabs-skipped.out" '$.cabs')" = "$(q "SELECT min(50, count(*)) FROM cabs WHERE state = 'skipped' AND job_name = 'kernel'")"
ctl cabs-table cabs --limit 3 --state fetched
check "cabs table: header and three rows" test "$(out cabs-table | wc -l)" = 4
check "cabs table: header row" grep -qE '^CAB ID HASH +JOB +STATE +ATTEMPTS +SIZE +CONTAINER +EXPIRES AT +LAST ERROR$' "$tmp/cabs-table.out"
first_cab=$(q "SELECT cab_id_hash || ' +kernel +fetched +' || attempts || ' +' || printf('%.1f KiB', file_size / 1024.0) || ' +' || container FROM cabs WHERE state = 'fetched' ORDER BY first_seen DESC, cab_id_hash LIMIT 1")
check "cabs table: the newest fetched cab's row" grep -qE "^$first_cab " "$tmp/cabs-table.out"
ctl cabs-bad cabs --state ingested
check "cabs --state ingested: exit 64" test "$rc" = 64

# --- top ------------------------------------------------------------------------
top_sql() {  # top_sql COLUMN SINCE UNTIL: what top should print, as value|rows|events lines
  q "SELECT coalesce(v, '(none)') || '|' || n || '|' || e FROM (
       SELECT $1 AS v, count(*) AS n, coalesce(sum(event_count), 0) AS e FROM failures
       WHERE report_datetime >= '$2' AND report_datetime <= '$3' GROUP BY $1
       ORDER BY e DESC, n DESC, v ASC)"
}
top_json() {  # the same lines from a top --json output
  jsql "$1" "SELECT coalesce(json_extract(value, '$.value'), '(none)') || '|' || json_extract(value, '$.rows') || '|' || json_extract(value, '$.events') FROM d, json_each(j, '$.top') ORDER BY key"
}
ctl top-all top --now $(d 4)T00:00:00Z --limit 0 --json
check "top --json exits 0" test "$rc" = 0
check "top: the period is the 7 days up to --now" \
  test "$(jget "$tmp/top-all.out" '$.since')..$(jget "$tmp/top-all.out" '$.until')/$(jget "$tmp/top-all.out" '$.by')" = \
       "$(d -3)T00:00:00Z..$(d 4)T00:00:00Z/driver_name"
check "top: every driver's rows and events, most events first" \
  test "$(top_json "$tmp/top-all.out")" = "$(top_sql driver_name $(d -3)T00:00:00Z $(d 4)T00:00:00Z)"
check "top: all rows of the period are counted" \
  test "$(jsql "$tmp/top-all.out" "SELECT sum(json_extract(value, '$.rows')) FROM d, json_each(j, '$.top')")" = "$rows"
ctl top-day top --now $(d 1)T12:00:00Z --days 1 --limit 0 --json
check "top --days 1: only that day's report" \
  test "$(top_json "$tmp/top-day.out")" = "$(top_sql driver_name $(d 0)T12:00:00Z $(d 1)T12:00:00Z)"
check "control: one day has fewer rows than the week" \
  test "$(jsql "$tmp/top-day.out" "SELECT sum(json_extract(value, '$.rows')) FROM d, json_each(j, '$.top')")" -lt "$rows"
ctl top-failure top --by failure_name --limit 3 --now $(d 4)T00:00:00Z --job kernel --json
check "top --by failure_name --limit 3 --job kernel" \
  test "$(top_json "$tmp/top-failure.out")" = "$(top_sql failure_name $(d -3)T00:00:00Z $(d 4)T00:00:00Z | head -3)"
for column in failure_hash driver_version job_name; do
  ctl "top-$column" top --by "$column" --limit 5 --now $(d 4)T00:00:00Z --json
  check "top --by $column" \
    test "$(top_json "$tmp/top-$column.out")" = "$(top_sql "$column" $(d -3)T00:00:00Z $(d 4)T00:00:00Z | head -5)"
done
ctl top-other top --job nobody --now $(d 4)T00:00:00Z --json
check "top --job nobody: nothing" test "$(jlen "$tmp/top-other.out" '$.top')" = 0
ctl top-future top --now $(d 60)T00:00:00Z --json
check "top over a week without reports: nothing" test "$(jlen "$tmp/top-future.out" '$.top')" = 0
ctl top-table top --now $(d 4)T00:00:00Z --limit 4
check "top table: header and four rows" test "$(out top-table | wc -l)" = 5
check "top table: header row" grep -qE '^DRIVER NAME +ROWS +EVENTS$' "$tmp/top-table.out"
check "top table: the rows of the JSON, aligned" \
  test "$(out top-table | tail -n +2 | awk '{print $1 "|" $2 "|" $3}')" = "$(top_sql driver_name $(d -3)T00:00:00Z $(d 4)T00:00:00Z | head -4)"
ctl top-bad top --by device_id
check "top --by device_id: exit 64, nothing on stdout" test "$rc/$(out top-bad | wc -c)" = 64/0
ctl top-inject top --by "driver_name; DROP TABLE failures"
check "top --by with SQL in it: exit 64, the table intact" \
  test "$rc/$(q "SELECT count(*) FROM failures")" = "64/$rows"
ctl top-bad-now top --now yesterday
check "top --now yesterday: exit 64" test "$rc" = 64

# --- queries by HDC column name: top, trend, new, compare --------------------------
ctl top-hdc top --by drivername --limit 0 --now $(d 4)T00:00:00Z --json
check "top --by drivername (an HDC name, any case): the rows of --by driver_name" \
  test "$rc/$(top_json "$tmp/top-hdc.out")" = "0/$(top_sql driver_name $(d -3)T00:00:00Z $(d 4)T00:00:00Z)"
ctl top-key top --by CabType --limit 0 --now $(d 4)T00:00:00Z --json
check "top --by CabType (a key of the stored rows): its values, through json_extract" \
  test "$rc/$(top_json "$tmp/top-key.out")" = "0/$(top_sql "json_extract(row, '\$.CabType')" $(d -3)T00:00:00Z $(d 4)T00:00:00Z)"
ctl top-where top --by DriverName,FailureName --where "DriverName=x' OR '1'='1" --now $(d 4)T00:00:00Z --json
check "top --where with a quote in the value: nothing, and the table intact" \
  test "$rc/$(jlen "$tmp/top-where.out" '$.top')/$(q "SELECT count(*) FROM failures")" = "0/0/$rows"
ctl top-device top --by DriverName --where DeviceId=x
check "top --where DeviceId=...: exit 64, one line saying it is personal data" \
  test "$rc/$(wc -l <"$tmp/top-device.err")/$(grep -c 'DeviceId is personal data' "$tmp/top-device.err")" = 64/1/1
ctl top-unknown top --by Nope
check "top --by an unknown column: exit 64 naming the valid ones (CabType among them)" \
  test "$rc/$(grep -c "unknown column 'Nope' (one of .*CabType" "$tmp/top-unknown.err")" = 64/1
events=$(q "SELECT coalesce(sum(event_count), 0) FROM failures WHERE coalesce(failure_time, report_datetime) >= '$(d -2)T00:00:00Z' AND coalesce(failure_time, report_datetime) <= '$(d 4)T12:00:00Z'")
check "trend: the fixture has events in the window" test "$events" -gt 0
ctl trend trend --by driver_name --days 7 --now $(d 4)T12:00:00Z --top 2 --json
check "trend: top 2 and other add up to the window's events" \
  test "$rc/$(jsql "$tmp/trend.out" "SELECT sum(e.value) FROM d, json_each(j, '\$.series') s, json_each(s.value, '\$.events') e")" = "0/$events"
ctl trend-csv trend --by DriverName --now $(d 4)T12:00:00Z --format csv
check "trend --format csv: a header and one line per day" test "$rc/$(out trend-csv | wc -l)" = 0/8
ctl new new --days 30 --now $(d 4)T00:00:00Z --limit 0 --json
buckets=$(q "SELECT count(DISTINCT failure_hash) FROM failures WHERE coalesce(failure_time, report_datetime) <= '$(d 4)T00:00:00Z'")
check "new over 30 days: every bucket of the table is new" \
  test "$rc/$(jlen "$tmp/new.out" '$.new')/$((buckets > 0))" = "0/$buckets/1"
ctl compare compare --by DriverName a.sys b.sys --now $(d 4)T00:00:00Z --json
check "compare exits 0 with valid JSON" test "$rc/$(jsql "$tmp/compare.out" "SELECT json_valid(j) FROM d")" = 0/1

# --- no personal data, no absolute paths ----------------------------------------
device=$(q "SELECT device_id FROM failures WHERE coalesce(device_id, '') <> '' LIMIT 1")
check "the fixture has device ids" test -n "$device"
check "no output names a device id" bash -c "! grep -rqF -- '$device' $tmp/*.out $tmp/*.err"

# --- verify ---------------------------------------------------------------------
files=$(q "SELECT (SELECT count(*) FROM executions WHERE state IN ('fetched', 'ingested')) + (SELECT count(*) FROM cabs WHERE state = 'fetched')")
ctl verify verify
check "verify of a clean store exits 0" test "$rc" = 0
check "verify: every stored file ok" \
  test "$(out verify)" = "verify: $files files, $files ok, 0 mismatched, 0 missing, 0 orphans"
ctl verify-json verify --json
check "verify --json of a clean store" \
  test "$rc/$(jsql "$tmp/verify-json.out" "SELECT json_extract(j, '$.files') || '/' || json_extract(j, '$.ok') || '/' || json_array_length(j, '$.mismatched') || '/' || json_array_length(j, '$.missing') || '/' || json_array_length(j, '$.orphans') FROM d")" = \
       "0/$files/$files/0/0/0"

cp -a "$store" "$tmp/store.bak"
IFS="|" read -r bad_cab bad_path < <(q "SELECT cab_id_hash, file_path FROM cabs WHERE state = 'fetched' ORDER BY cab_id_hash LIMIT 1")
byte=$(dd if="$store/$bad_path" bs=1 skip=100 count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
printf "\\$(printf '%03o' $(((byte + 1) % 256)))" | dd of="$store/$bad_path" bs=1 seek=100 conv=notrunc 2>/dev/null
check "control: the cab's size is unchanged" \
  test "$(stat -c %s "$store/$bad_path")" = "$(q "SELECT file_size FROM cabs WHERE cab_id_hash = '$bad_cab'")"
ctl verify-corrupt verify
check "verify of a cab with one byte changed exits 65" test "$rc" = 65
check "and names it" grep -qxF "mismatched: cab $bad_cab: $bad_path: SHA-256 differs from the recorded one" "$tmp/verify-corrupt.out"
check "and counts it" \
  test "$(out verify-corrupt | tail -1)" = "verify: $files files, $((files - 1)) ok, 1 mismatched, 0 missing, 0 orphans"
check "with one line on stderr" test "$(wc -l <"$tmp/verify-corrupt.err")" = 1
ctl verify-corrupt-json verify --json
check "verify --json names the mismatched cab with both hashes" \
  test "$rc/$(jsql "$tmp/verify-corrupt-json.out" "SELECT json_array_length(j, '$.mismatched') || '/' || json_extract(j, '$.mismatched[0].kind') || '/' || json_extract(j, '$.mismatched[0].id') || '/' || json_extract(j, '$.mismatched[0].path') || '/' || json_extract(j, '$.mismatched[0].actual_sha256') FROM d")" = \
       "65/1/cab/$bad_cab/$bad_path/$(sha256sum "$store/$bad_path" | cut -d' ' -f1)"

IFS="|" read -r gone_cab gone_path < <(q "SELECT cab_id_hash, file_path FROM cabs WHERE state = 'fetched' ORDER BY cab_id_hash LIMIT 1 OFFSET 1")
rm "$store/$gone_path"
IFS="|" read -r short_rid short_run short_path < <(q "SELECT report_id, report_datetime, file_path FROM executions WHERE state = 'ingested' ORDER BY report_datetime LIMIT 1")
truncate -s -1 "$store/$short_path"
mkdir -p "$store/cabs/zz" "$store/reports/kernel/999"
echo stray >"$store/cabs/zz/stray.cab"
echo stray >"$store/reports/kernel/999/20261101T020000Z.txt"
ctl verify-bad verify
check "verify of a damaged store exits 65" test "$rc" = 65
check "verify names the deleted cab as missing" \
  grep -qxF "missing: cab $gone_cab: $gone_path: no such file" "$tmp/verify-bad.out"
check "verify names the truncated report by its size" \
  grep -qxF "mismatched: report $short_rid run $short_run: $short_path: size $(stat -c %s "$store/$short_path"), recorded $(q "SELECT file_size FROM executions WHERE file_path = '$short_path'")" "$tmp/verify-bad.out"
check "verify names the stray files as orphans" \
  bash -c "grep -qxF 'orphan: cabs/zz/stray.cab' '$tmp/verify-bad.out' && grep -qxF 'orphan: reports/kernel/999/20261101T020000Z.txt' '$tmp/verify-bad.out'"
check "verify counts them all" \
  test "$(out verify-bad | tail -1)" = "verify: $files files, $((files - 3)) ok, 2 mismatched, 1 missing, 2 orphans"
check "verify prints one line per problem and the summary" test "$(out verify-bad | wc -l)" = 6
ctl verify-bad-json verify --json
check "verify --json lists them" \
  test "$rc/$(jsql "$tmp/verify-bad-json.out" "SELECT json_extract(j, '$.files') || '/' || json_extract(j, '$.ok') || '/' || json_array_length(j, '$.mismatched') || '/' || json_extract(j, '$.missing[0].id') || '/' || json_extract(j, '$.missing[0].path') || '/' || json_extract(j, '$.orphans[0].path') || '/' || json_extract(j, '$.orphans[1].path') FROM d")" = \
       "65/$files/$((files - 3))/2/$gone_cab/$gone_path/cabs/zz/stray.cab/reports/kernel/999/20261101T020000Z.txt"
check "verify prints no absolute path" bash -c "! grep -qF -- '$tmp' $tmp/verify*.out $tmp/verify*.err"

rm -rf "$store" && cp -a "$tmp/store.bak" "$store"
# A symbolic link in place of a cab (even to identical bytes), and a row
# that names another cab's file.
IFS="|" read -r link_cab link_path < <(q "SELECT cab_id_hash, file_path FROM cabs WHERE state = 'fetched' ORDER BY cab_id_hash LIMIT 1 OFFSET 2")
IFS="|" read -r moved_cab moved_path other_path < <(q "SELECT a.cab_id_hash, a.file_path, b.file_path FROM cabs a, cabs b WHERE a.state = 'fetched' AND b.state = 'fetched' ORDER BY a.cab_id_hash DESC, b.cab_id_hash DESC LIMIT 1 OFFSET 1")
cp "$store/$link_path" "$tmp/linked.cab"
ln -sf "$tmp/linked.cab" "$store/$link_path"
q "UPDATE cabs SET file_path = '$other_path' WHERE cab_id_hash = '$moved_cab'"
ctl verify-moved verify
check "verify of a link and a misplaced row exits 65" test "$rc" = 65
check "verify names the link" grep -qxF "mismatched: cab $link_cab: $link_path: not a regular file" "$tmp/verify-moved.out"
check "verify lists it among the links under the state directory" \
  grep -qxF "link: store/$link_path (a symbolic link under the state directory)" "$tmp/verify-moved.out"
check "verify names the row that points at another cab's file" \
  grep -qxF "mismatched: cab $moved_cab: $other_path: not where the store layout puts it ($moved_path)" "$tmp/verify-moved.out"
check "and its own file, which no row names now, as an orphan" grep -qxF "orphan: $moved_path" "$tmp/verify-moved.out"
check "verify counts them" \
  test "$(out verify-moved | tail -1)" = "verify: $files files, $((files - 2)) ok, 2 mismatched, 0 missing, 1 orphans, 1 links"
q "UPDATE cabs SET file_path = '$moved_path' WHERE cab_id_hash = '$moved_cab'"
rm "$store/$link_path" && cp "$tmp/linked.cab" "$store/$link_path"
ctl verify-restored verify
check "verify of the restored store exits 0 again" test "$rc" = 0
check "verify of the restored store: all ok" \
  test "$(out verify-restored)" = "verify: $files files, $files ok, 0 mismatched, 0 missing, 0 orphans"
finish
