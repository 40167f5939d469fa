#!/usr/bin/env bash
# hdc-reportctl export (CSV and JSON Lines) against the state hdc-reportd
# --once leaves, read back with sqlite3 (its CSV import is an RFC 4180
# parser; json_valid and json_extract read the JSON) and compared cell by
# cell with the failures table; planted hostile cells come out
# spreadsheet-safe; --job, --since and --with-device-ids filter; usage
# errors exit 64. Then status's daemon line against a control-address file.
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
ctl_bin="$(dirname "$bin")/hdc-reportctl"
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"
# Dates relative to the real clock: the daemon polls up to its own "now"
# and sweeps by it, so the emulator's first day lies a week back.
t0=$(date -u -d '-7 days' +%Y-%m-%d)
d() { date -u -d "$t0 $1 days" +%Y-%m-%d; }  # d N: the day N days after t0

db=$tmp/state/state.db
q() { sqlite3 -batch -noheader "$db" "$1"; }
out() { cat "$tmp/$1.out"; }
# csv_rows NAME: the CSV records of NAME.out, parsed by sqlite3 (header = columns).
csv_rows() { sqlite3 -batch -noheader :memory: ".import --csv $tmp/$1.out t" "SELECT count(*) FROM t"; }
# csv_sql NAME SQL: runs SQL over the CSV of NAME.out as table t (in file order,
# by rowid) with the state database attached as s.
csv_sql() {
  sqlite3 -batch -noheader :memory: ".import --csv $tmp/$1.out t" "ATTACH '$db' AS s" "$2"
}
# jget NAME PATH: a value of the JSON document NAME.out.
jget() { sqlite3 -batch -noheader :memory: "SELECT json_extract(CAST(readfile('$tmp/$1.out') AS TEXT), '$2')"; }
# json_lines NAME: "lines/valid objects" of NAME.out, each line read on its own.
json_lines() {
  sqlite3 -batch -noheader :memory: "WITH RECURSIVE l(line, rest) AS (
      SELECT NULL, CAST(readfile('$tmp/$1.out') AS TEXT)
      UNION ALL SELECT substr(rest, 1, instr(rest, char(10)) - 1), substr(rest, instr(rest, char(10)) + 1)
      FROM l WHERE instr(rest, char(10)) > 0)
    SELECT count(*) || '/' || coalesce(sum(json_valid(line) AND json_type(line) = 'object'), 0)
    FROM l WHERE line IS NOT NULL"
}
# json_sql NAME SQL: the JSON lines of NAME.out as one array, the table d(j).
json_sql() {
  sed '1s/^/[/; $!s/$/,/; $s/$/]/' "$tmp/$1.out" >"$tmp/$1.array"
  sqlite3 -batch -noheader :memory: "ATTACH '$db' AS s" \
    "WITH d(j) AS (SELECT CAST(readfile('$tmp/$1.array') AS TEXT)) $2"
}
# unprefix(X): a CSV cell with the spreadsheet-safety ' removed again.
unprefix() {
  echo "CASE WHEN substr($1, 1, 1) = '''' AND substr($1, 2, 1) IN ('=', '+', '-', '@', char(9), char(13), char(0)) THEN substr($1, 2) ELSE $1 END"
}
columns="job_name, report_id, report_datetime, failure_hash, failure_name, driver_name, driver_version, cab_id_hash, event_count, failure_time"
header="${columns//, /,}"
# The failures table as the export should show it, one line per row, oldest first.
db_lines() {  # db_lines [WHERE] [EXTRA COLUMNS]
  q "SELECT quote(job_name) || '|' || quote(report_id) || '|' || quote(report_datetime) || '|' ||
            quote(coalesce(failure_hash, '')) || '|' || quote(coalesce(failure_name, '')) || '|' ||
            quote(coalesce(driver_name, '')) || '|' || quote(coalesce(driver_version, '')) || '|' ||
            quote(coalesce(cab_id_hash, '')) || '|' || quote(coalesce(CAST(event_count AS TEXT), '')) || '|' ||
            quote(coalesce(failure_time, '')) ${2:-} FROM failures ${1:-} ORDER BY report_datetime, id"
}
csv_lines() {  # csv_lines NAME [EXTRA COLUMNS]: the same from the CSV
  csv_sql "$1" "SELECT quote(job_name) || '|' || quote(report_id) || '|' || quote(report_datetime) || '|' ||
            quote(failure_hash) || '|' || quote($(unprefix failure_name)) || '|' ||
            quote($(unprefix driver_name)) || '|' || quote($(unprefix driver_version)) || '|' ||
            quote(cab_id_hash) || '|' || quote(event_count) || '|' || quote(failure_time) ${2:-}
          FROM t ORDER BY rowid"
}

start_emulator "$build/emulator/hdc-emulator" --clock manual --start $(d 0)T00:00:00Z
mkdir -p "$tmp/jobs.d"
cat >"$tmp/jobs.d/k.ini" <<INI
[job kernel]
view = IHVDriver
columns = FailureName, FailureHash, DriverName, DriverVersion, CabIdHash, CabType, ApplicationId, DeviceId, HardwareId, EventCount, FailureDateTime
start = $(d 0)T02:00:00Z
every = 24h
runs = 30

[job usb]
view = IHVDriver
columns = FailureName, FailureHash, DriverName, DriverVersion, DeviceId, EventCount
start = $(d 0)T05:00:00Z
every = 24h
runs = 30
INI
write_config "$tmp/hdc.ini" "$tmp/state" "$tmp/jobs.d"
# The emulator's fixed dates may lie near the 30-day window of the real clock;
# counting from download time keeps the fixture's data through --once's sweep.
sed -i 's/^\[service\]$/[service]\nretention_clock = downloaded/' "$tmp/hdc.ini"

# --- Nothing yet: no state directory at all. ---------------------------------
ctl none export
check "export with no state.db exits 0 with the header only" \
  test "$rc/$(out none)" = "0/$header"$'\r'
check "and warns once on stderr that an export is personal data" \
  bash -c "test \$(wc -l <'$tmp/none.err') = 1 && grep -q 'personal data.*within the retention window (30 days)' '$tmp/none.err'"
ctl none-json export --json
check "export --json with no state.db exits 0 and prints nothing" test "$rc/$(out none-json | wc -c)" = 0/0
check "the export created no state" test ! -e "$tmp/state"

# --- A state: runs of two jobs ingested. ----------------------------------------
export HDC_CLIENT_SECRET=$DEMO_SECRET
"$bin" --once --config "$tmp/hdc.ini" 2>"$tmp/once1.err"
check "the first run exits 0" test $? = 0
check "the emulator clock moves to $(d 3)T06:00:00Z" emu_clock '{"advance":"78h"}'
"$bin" --once --config "$tmp/hdc.ini" 2>"$tmp/once2.err"
check "the second run exits 0" test $? = 0
unset HDC_CLIENT_SECRET
check "the fixture has rows of both jobs on several days" \
  test "$(q "SELECT count(DISTINCT job_name) || '/' || (count(DISTINCT report_datetime) >= 6) FROM failures")" = 2/1

# Hostile cells (H03 in docs/reliability.md §Fault catalogue, S11 in
# docs/reliability.md §Security checklist), planted in a stored run of kernel.
IFS="|" read -r p_rid p_run < <(q "SELECT report_id, report_datetime FROM failures WHERE job_name = 'kernel' ORDER BY report_datetime LIMIT 1")
plant() {  # plant FAILURE_NAME DRIVER_NAME DRIVER_VERSION (SQL expressions)
  q "INSERT INTO failures (report_id, report_datetime, job_name, failure_hash, failure_name, driver_name,
       driver_version, event_count, device_id, row, clock_start)
     VALUES ('$p_rid', '$p_run', 'kernel', 'planted', $1, $2, $3, 1, 'PLANTED-DEVICE', '{}', '$p_run')"
}
plant "'=HYPERLINK(\"x\")'" "'+1'" "'-1'"
plant "'@SUM(A1)'" "char(9) || 'tab'" "char(13) || 'cr'"
plant "'a,b \"quoted\"' || char(13, 10) || 'next line'" "'=1' || char(10) || '=2'" "'plain'"
plant "'-2+3+cmd|'' /C calc''!A0'" "'x=y'" "NULL"
rows=$(q "SELECT count(*) FROM failures")
kernel_rows=$(q "SELECT count(*) FROM failures WHERE job_name = 'kernel'")
check "the fixture has $rows rows, $kernel_rows of kernel" test "$kernel_rows" -gt 4 -a "$kernel_rows" -lt "$rows"

# --- CSV --------------------------------------------------------------------------
ctl csv export
check "export exits 0" test "$rc" = 0
check "export warns once on stderr" \
  bash -c "test \$(wc -l <'$tmp/csv.err') = 1 && grep -q '^hdc-reportctl: warning: .*personal data' '$tmp/csv.err'"
check "the CSV header names the columns, no device ids" test "$(head -1 "$tmp/csv.out")" = "$header"$'\r'
check "CSV records = SELECT count(*) FROM failures" test "$(csv_rows csv)" = "$rows"
check "every line ends in CRLF (but the planted cell's bare LF)" \
  test "$(grep -vc $'\r$' "$tmp/csv.out")/$(tail -c2 "$tmp/csv.out" | od -An -c | tr -d ' ')" = '1/\r\n'
check "the planted formula comes out as \"'=HYPERLINK(\"\"x\"\")\"" \
  grep -qF ",planted,\"'=HYPERLINK(\"\"x\"\")\",\"'+1\",\"'-1\"," "$tmp/csv.out"
check "every trigger character is prefixed and quoted" \
  grep -qF ",planted,\"'@SUM(A1)\",\"'"$'\t'"tab\",\"'"$'\r'"cr\"," "$tmp/csv.out"
check "commas, quotes and line breaks are quoted, inner quotes doubled" \
  grep -qF ",planted,\"a,b \"\"quoted\"\"" "$tmp/csv.out"
check "trigger cells left unescaped: 0" \
  test "$(csv_sql csv "SELECT count(*) FROM t WHERE substr(failure_name, 1, 1) IN ('=', '+', '-', '@', char(9), char(13))
                         OR substr(driver_name, 1, 1) IN ('=', '+', '-', '@', char(9), char(13))
                         OR substr(driver_version, 1, 1) IN ('=', '+', '-', '@', char(9), char(13))")" = 0
check "every CSV cell equals the database's, oldest first (the ' prefix aside)" \
  cmp -s <(db_lines) <(csv_lines csv)
check "control: the comparison sees the planted rows" test "$(db_lines | grep -c planted)" = 4
check "no device id in the CSV" bash -c "! grep -qF -- 'PLANTED-DEVICE' '$tmp/csv.out' && ! grep -qF -- '$(q "SELECT device_id FROM failures WHERE job_name = 'usb' AND device_id <> '' LIMIT 1")' '$tmp/csv.out'"

ctl csv-ids export --with-device-ids --format csv
check "--with-device-ids adds device_id and hardware_id" \
  test "$rc/$(head -1 "$tmp/csv-ids.out")" = "0/$header,device_id,hardware_id"$'\r'
check "--with-device-ids: every cell equals the database's" \
  cmp -s <(db_lines "" "|| '|' || quote(coalesce(device_id, '')) || '|' || quote(coalesce(hardware_id, ''))") \
         <(csv_lines csv-ids "|| '|' || quote(device_id) || '|' || quote(hardware_id)")
check "control: the fixture has hardware ids" test "$(q "SELECT count(*) FROM failures WHERE coalesce(hardware_id, '') <> ''")" -gt 0

# --- filters ---------------------------------------------------------------------
ctl csv-kernel export --job kernel
check "--job kernel: kernel's rows only" \
  test "$rc/$(csv_rows csv-kernel)/$(csv_sql csv-kernel "SELECT count(*) FROM t WHERE job_name <> 'kernel'")" = "0/$kernel_rows/0"
check "--job kernel: the same cells" cmp -s <(db_lines "WHERE job_name = 'kernel'") <(csv_lines csv-kernel)
ctl csv-nobody export --job nobody
check "--job nobody: the header only, exit 0" test "$rc/$(out csv-nobody)" = "0/$header"$'\r'
ctl csv-date export --since "$(d 1)"
since_date=$(q "SELECT count(*) FROM failures WHERE report_datetime >= '$(d 1)T00:00:00Z'")
check "--since $(d 1): the rows of that day on" test "$rc/$(csv_rows csv-date)" = "0/$since_date"
check "control: --since left rows out" test "$since_date" -lt "$rows" -a "$since_date" -gt 0
check "--since DATE: the same cells" cmp -s <(db_lines "WHERE report_datetime >= '$(d 1)T00:00:00Z'") <(csv_lines csv-date)
run2=$(q "SELECT DISTINCT report_datetime FROM failures ORDER BY report_datetime LIMIT 1 OFFSET 2")
ctl csv-time export --since "$run2" --job usb
check "--since $run2 --job usb: inclusive, both filters" \
  test "$rc/$(csv_rows csv-time)" = "0/$(q "SELECT count(*) FROM failures WHERE report_datetime >= '$run2' AND job_name = 'usb'")"
# The cutoff moves with the clock: the count lies between those before and after.
upper=$(q "SELECT count(*) FROM failures WHERE report_datetime >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-6 days')")
ctl csv-ago export --since 6d
lower=$(q "SELECT count(*) FROM failures WHERE report_datetime >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-6 days')")
n=$(csv_rows csv-ago)
check "--since 6d: the rows of the last six days" test "$rc" = 0 -a "$n" -ge "$lower" -a "$n" -le "$upper"
check "control: six days back leaves the first day out" test "$upper" -lt "$rows"
ctl csv-hours export --since 1h
check "--since 1h: nothing that recent, header only" test "$rc/$(out csv-hours)" = "0/$header"$'\r'

# --- JSON Lines ------------------------------------------------------------------
ctl json export --format json
check "export --format json exits 0 and warns once" test "$rc/$(wc -l <"$tmp/json.err")" = 0/1
check "one line per row" test "$(wc -l <"$tmp/json.out")" = "$rows"
check "each line is one JSON object" \
  test "$(json_sql json "SELECT json_valid(j) || '/' || json_array_length(j) || '/' || (SELECT count(*) FROM json_each(j) WHERE type = 'object') FROM d")" = "1/$rows/$rows"
check "each line on its own is valid JSON and an object (sqlite3 json_valid)" \
  test "$(json_lines json)" = "$rows/$rows"
check "JSON keys are the columns, without device ids" \
  test "$(json_sql json "SELECT group_concat(key, ', ') FROM (SELECT key FROM d, json_each(json_extract(j, '\$[0]')) ORDER BY id)")" = "$columns"
check "every JSON value equals the database's, oldest first" \
  cmp -s <(db_lines) <(json_sql json "SELECT $(for c in ${columns//,/}; do printf "quote(coalesce(CAST(json_extract(value, '\$.%s') AS TEXT), '')) || '|' || " "$c"; done) '' FROM d, json_each(j) ORDER BY key" | sed 's/|$//')
check "JSON values carry no ' prefix" \
  test "$(json_sql json "SELECT json_extract(value, '\$.failure_name') || '|' || json_extract(value, '\$.driver_name') FROM d, json_each(j) WHERE json_extract(value, '\$.failure_name') LIKE '=HYPERLINK%'")" = '=HYPERLINK("x")|+1'
check "JSON escapes the planted line breaks" grep -qF '"failure_name":"a,b \"quoted\"\r\nnext line"' "$tmp/json.out"
check "event_count is a number" \
  test "$(json_sql json "SELECT json_extract(j, '\$[0].event_count') = (SELECT event_count FROM s.failures ORDER BY report_datetime, id LIMIT 1) AND json_type(j, '\$[0].event_count') = 'integer' FROM d")" = 1
ctl json-flag export --json --job usb
check "--json is --format json" \
  test "$rc/$(wc -l <"$tmp/json-flag.out")/$(head -c1 "$tmp/json-flag.out")" = "0/$((rows - kernel_rows))/{"
ctl json-ids export --json --with-device-ids
check "--json --with-device-ids: the ids as stored" \
  test "$(json_sql json-ids "SELECT count(*) FROM d, json_each(j) WHERE json_extract(value, '\$.device_id') = 'PLANTED-DEVICE'")/$(json_sql json-ids "SELECT count(*) FROM d, json_each(j) WHERE json_type(value, '\$.hardware_id') IS NULL")" = 4/0
check "no device id in any export without --with-device-ids" \
  bash -c "! grep -lF PLANTED-DEVICE $tmp/csv*.out $tmp/json.out $tmp/json-flag.out | grep -v ids"

# --- usage errors -------------------------------------------------------------------
for bad in "--frob" "--format xml" "--format" "--since yesterday" "--since 2026-13-01" \
           "--json --format csv" "--csv --json" "--with-device-ids=yes" "extra"; do
  ctl bad export $bad
  check "export $bad: exit 64, one line on stderr, nothing on stdout" \
    test "$rc/$(wc -l <"$tmp/bad.err")/$(out bad | wc -c)" = 64/1/0
done
ctl bad export --frob
check "the usage error names the option" grep -qxF "hdc-reportctl: export: unknown option '--frob' (see --help)" "$tmp/bad.err"
"$ctl_bin" --config "$tmp/missing.ini" export >"$tmp/noconf.out" 2>"$tmp/noconf.err"
check "a missing configuration: exit 78, one line" test "$?/$(wc -l <"$tmp/noconf.err")" = 78/1
timeout 20 env -u HDC_CLIENT_SECRET "$ctl_bin" --config "$tmp/hdc.ini" export --json 2>/dev/null | head -1 >/dev/null
code=${PIPESTATUS[0]}
check "a reader that stops early ends the export (done, SIGPIPE or 75; not stuck)" \
  bash -c "[[ $code == 0 || $code == 141 || $code == 75 ]]"
check "help lists export and --with-device-ids" \
  bash -c "'$ctl_bin' --help | grep -q '^  export \[--format csv|json\] \[--job NAME\] \[--since WHEN\] \[--with-device-ids\]$'"

# --- status: the daemon line --------------------------------------------------------
# No hdc-reportd runs here: a stale control-address, then the emulator's
# port (it answers, but not /healthz), then no file (control_listen).
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
dead=$(q "SELECT 20000 + abs(random()) % 20000")
while ! port_free "$dead"; do dead=$((dead + 1)); done
echo "127.0.0.1:$dead" >"$tmp/state/control-address"
ctl st-dead status
check "status with a stale control-address: not running, exit 0" \
  test "$rc/$(out st-dead | head -1)" = "0/daemon: not running (no answer from 127.0.0.1:$dead)"
check "then the job table as before" grep -qE '^JOB +ENABLED +TEMPLATE +REPORT +ACTIVE +EXECUTIONS +LAST INGESTED +ROWS +CABS +STORED$' "$tmp/st-dead.out"
ctl st-dead-json status --json
check "status --json: daemon not running, health null" \
  test "$rc/$(jget st-dead-json '$.daemon.running')|$(jget st-dead-json '$.daemon.address')|$(jget st-dead-json '$.daemon.health')|$(jget st-dead-json '$.jobs[0].name')" = "0/0|127.0.0.1:$dead||kernel"
echo "127.0.0.1:$EMU_PORT" >"$tmp/state/control-address"
ctl st-other status
check "status against something that is not hdc-reportd: unreadable, exit 0" \
  bash -c "test $rc = 0 && head -1 '$tmp/st-other.out' | grep -qE '^daemon: answered at 127.0.0.1:$EMU_PORT but its health could not be read \(.+\)$'"
rm "$tmp/state/control-address"
sed -i "s/^\[service\]$/[service]\ncontrol_listen =/" "$tmp/hdc.ini"
ctl st-off status
check "status with control_listen empty and no file: no listener" \
  test "$rc/$(out st-off | head -1)" = "0/daemon: no control listener (control_listen is empty)"
finish
