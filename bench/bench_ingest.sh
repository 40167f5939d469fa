#!/bin/bash
# Row ingest: hdc-reportd's IngestReport against the sqlite3 shell's .import
# of the same report file into the same schema (docs/contributing.md §Benchmarks). Goal:
# ours >= 1.5x the shell's rows/s.
#
# bench_ingest (built by CMake; this script builds nothing) writes a
# deterministic 30-column IHV report (tab, CRLF, fixed seed), times a
# parse-only pass and IngestReport into a fresh state.db. Then the shell loads
# the same file into a fresh database made from the same db/*.sql migrations
# (same tables and indexes; WAL, synchronous=FULL, foreign_keys and
# secure_delete as Database::Open sets them), each variant timed as the wall
# time of the sqlite3 process (open, one .import transaction, commit, close):
#
#  same    .import into a view whose INSTEAD OF trigger inserts each line into
#          `failures` exactly as IngestReport does (typed key columns,
#          json_object of every column, clock_start = earliest time). Same
#          input, same output rows, same indexes, one pass, one transaction:
#          the fair comparison, and the ratio that counts. The shell gets the
#          32 MiB page cache IngestReport uses.
#  same-default-cache  the same with the shell's default cache (2 MiB).
#  raw     .import into a plain 30-column TEXT table carrying four indexes
#          like failures' (execution, FailureHash, CabIdHash, a time). The
#          shell's easiest job: it stores about half the bytes (no JSON, no
#          typed copies) and no cab table, so it bounds what any loader of the
#          same data could reach. Shown for context.
#  staging (BENCH_STAGING=1) .import into a TEXT table, then INSERT ... SELECT
#          into failures: writes everything twice, so it flatters us; not run
#          by default.
# IngestReport also records the report's distinct cabs (the shell variants do
# not); `bench_ingest --no-cabs` shows the difference.
#
# Usage: bench/bench_ingest.sh path/to/bench_ingest [ROWS]
#   BENCH_RUNS=3      runs of each measurement; the best is reported
#   BENCH_DIR=        work folder (default: a temporary one, removed after)
# Exit status: 0 when the goal is met, 1 when missed, 2 when a tool is missing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bench=${1:-}
rows=${2:-1000000}
runs=${BENCH_RUNS:-3}
schema=$here/../db/001_initial.sql
# Every migration in order, as Database::Open applies them (the same indexes).
schema_reads() { for f in "$here"/../db/[0-9][0-9][0-9]_*.sql; do echo ".read $f"; done; }
cache_kib=32768  # kIngestCacheKiB in daemon/download/row_ingest.cpp

[ -x "$bench" ] || { echo "usage: $0 path/to/bench_ingest [ROWS]" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is not installed (apt-get install -y sqlite3)" >&2; exit 2; }
[ -f "$schema" ] || { echo "no schema at $schema" >&2; exit 2; }

if [ -n "${BENCH_DIR:-}" ]; then
  work=$BENCH_DIR
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/bench-ingest-XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi
report=$work/report.tsv

echo "== IngestReport (bench_ingest, $rows rows, best of $runs)"
"$bench" "$rows" --runs "$runs" --dir "$work" | tee "$work/ours.txt"
ours=$(sed -n 's/^RESULT ingest_rows_per_s=//p' "$work/ours.txt")
rm -f "$work/state.db" "$work/state.db-wal" "$work/state.db-shm"

# Column names from the file's header (tab, CRLF).
mapfile -t cols < <(head -n 1 "$report" | tr -d '\r' | tr '\t' '\n')
report_id=1152921505695178386
report_datetime=2024-05-10T02:00:00Z
downloaded=2024-05-10T03:00:00Z

# col_list SEP TEMPLATE: the template once per column, '@' replaced by its name.
col_list() { local sep=$1 out="" c; for c in "${cols[@]}"; do out+="${out:+$sep}${2//@/$c}"; done; echo "$out"; }
has_col() { local c; for c in "${cols[@]}"; do [ "$c" = "$1" ] && return 0; done; return 1; }
v() { if has_col "$1"; then echo "nullif(NEW.\"$1\", '')"; else echo NULL; fi; }
iso() { echo "strftime('%Y-%m-%dT%H:%M:%SZ', $(v "$1"))"; }

# The INSTEAD OF trigger does per line what IngestReport does per row.
same_sql() {
  cat <<EOF
CREATE VIEW report_in AS SELECT $(col_list ', ' 'NULL AS "@"') WHERE 0;
CREATE TRIGGER report_in_insert INSTEAD OF INSERT ON report_in BEGIN
  INSERT INTO failures (report_id, report_datetime, job_name, failure_hash, failure_name,
    driver_name, driver_version, cab_id_hash, event_count, failure_time, device_id,
    hardware_id, os_version, market, model, row, clock_start)
  VALUES ('$report_id', '$report_datetime', 'bench', $(v FailureHash), $(v FailureName),
    $(v DriverName), $(v DriverVersion), $(v CabIdHash), CAST($(v EventCount) AS INTEGER),
    $(iso FailureDateTime), $(v DeviceId), $(v HardwareId),
    $(v OSVersion), $(v Market), $(v Model),
    json_object($(col_list ', ' "'@', nullif(NEW.\"@\", '')")),
    min('$downloaded', coalesce($(iso FailureDateTime), '9999'),
        coalesce($(iso CabCollectionTime), '9999')));
END;
EOF
}

raw_sql() {
  cat <<EOF
CREATE TABLE report ($(col_list ', ' '"@" TEXT'));
CREATE INDEX report_execution ON report (ReportId, FailureDate);
CREATE INDEX report_hash ON report (FailureHash);
CREATE INDEX report_cab ON report (CabIdHash);
CREATE INDEX report_time ON report (FailureDateTime);
EOF
}

staging_sql() {
  cat <<EOF
CREATE TABLE staging ($(col_list ', ' '"@" TEXT'));
EOF
}

staging_insert() {
  same_sql | sed -n '/^  INSERT INTO failures/,/;$/p' | sed 's/NEW\./s./g; s/VALUES (/SELECT /; s/)));$/))/' 
  echo "  FROM staging s;"
}

pragmas() {
  cat <<EOF
PRAGMA journal_mode=WAL;
PRAGMA synchronous=FULL;
PRAGMA foreign_keys=ON;
PRAGMA secure_delete=ON;
EOF
  [ -n "$1" ] && echo "PRAGMA cache_size=-$1;"
  echo ".mode tabs"
}

now() { date +%s.%N; }

# run_shell NAME SETUP_FN TABLE CACHE_KIB [AFTER_SQL]: best rows/s of $runs.
run_shell() {
  local name=$1 setup=$2 table=$3 cache=$4 after=${5:-} best=0 r db start end rate count
  for ((r = 1; r <= runs; r++)); do
    db=$work/shell-$name.db
    rm -f "$db" "$db-wal" "$db-shm"
    sqlite3 "$db" >/dev/null <<EOF
$(pragmas "")
$(schema_reads)
INSERT INTO executions (report_id, report_datetime, job_name, remote_status, state, first_seen, last_polled)
  VALUES ('$report_id', '$report_datetime', 'bench', 'Completed', 'fetched', '$report_datetime', '$report_datetime');
$($setup)
EOF
    start=$(now)
    sqlite3 "$db" >/dev/null <<EOF
$(pragmas "$cache")
.import --skip 1 $report $table
$after
EOF
    end=$(now)
    count=$(sqlite3 "$db" "SELECT count(*) FROM $([ "$table" = report ] && echo report || echo failures)")
    if [ "$count" != "$rows" ]; then
      echo "shell ($name) loaded $count rows, expected $rows" >&2
      exit 1
    fi
    rate=$(awk -v n="$rows" -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", n / (b - a) }')
    printf 'sqlite3 shell (%s) run %d: %.3f s = %s rows/s\n' "$name" "$r" \
      "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" "$rate"
    (( rate > best )) && best=$rate
    rm -f "$db" "$db-wal" "$db-shm"
  done
  eval "shell_$(tr - _ <<<"$name")=$best"
}

echo
echo "== sqlite3 shell .import of the same file ($(sqlite3 --version | cut -d' ' -f1))"
run_shell same same_sql report_in "$cache_kib"
run_shell same-default-cache same_sql report_in ""
run_shell raw raw_sql report "$cache_kib"
if [ "${BENCH_STAGING:-0}" = 1 ]; then
  run_shell staging staging_sql staging "$cache_kib" "$(staging_insert)"
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "== row ingest, $rows rows x ${#cols[@]} columns (rows/s, best of $runs)"
printf '%-44s %12s %12s %7s\n' "comparison" "ours" "shell" "ratio"
printf '%-44s %12s %12s %7s\n' "same output, same 32 MiB cache (goal >= 1.5)" "$ours" "$shell_same" "$(ratio "$ours" "$shell_same")"
printf '%-44s %12s %12s %7s\n' "same output, shell's default cache" "$ours" "$shell_same_default_cache" "$(ratio "$ours" "$shell_same_default_cache")"
printf '%-44s %12s %12s %7s\n' "raw .import, half the bytes (context)" "$ours" "$shell_raw" "$(ratio "$ours" "$shell_raw")"
if [ "${BENCH_STAGING:-0}" = 1 ]; then
  printf '%-44s %12s %12s %7s\n' "staging + INSERT...SELECT" "$ours" "$shell_staging" "$(ratio "$ours" "$shell_staging")"
fi
awk -v a="$ours" -v b="$shell_same" 'BEGIN { exit !(a >= 1.5 * b) }'
