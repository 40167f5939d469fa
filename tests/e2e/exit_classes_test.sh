#!/usr/bin/env bash
# Exit classes of hdc-reportd --once as a process, for three attacks that
# once ended in the wrong class (docs/operations.md §Exit codes;
# docs/reliability.md §Fault catalogue, C05, N11 and N12):
#   (a) a symbolic link loop in jobs_dir (a job file that points at itself,
#       or jobs_dir itself), a FIFO or a directory named x.ini: 78, one line
#       naming the file and [service] jobs_dir (was 70, "filesystem error:
#       status: Too many levels of symbolic links"); never waits on the FIFO;
#   (b) Content-Length: -1 or 1000000000000000 (10^15) on the report
#       download: 65 at once, one line naming the host and the value (was
#       retried as a truncation: 8 attempts, 79 s for 10^15);
#   (c) a 302 with a relative Location on cabdownload (an absolute path, dot
#       segments): resolved against the request URL, the cabs are fetched,
#       exit 0 and INV1-6 hold (was refused).
# Each next to its control: the same run without the fault exits 0.
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"

e2e_world 6 "cab 2" --rows 30 --cab-size 8K --seed 5
sed -i 's/^log_level = .*/log_level = debug/' "$tmp/hdc.ini"
export HDC_CLIENT_SECRET=$DEMO_SECRET
db=$tmp/state/state.db
once_wrap=(timeout 100)
once() {  # once LOG [CONFIG]: run_once (bounded), with CONFIG if given; sets rc and secs
  local started=$(date +%s%N) once_config=${2:-$tmp/hdc.ini}
  run_once "$1"
  secs=$(( ($(date +%s%N) - started) / 1000000 ))
  secs=$(printf '%d.%03d' $((secs / 1000)) $((secs % 1000)))
}
one_line() {  # one_line LOG: exactly one "hdc-reportd: " line
  test "$(grep -c '^hdc-reportd: ' "$tmp/$1")" = 1
}
line_of() { grep '^hdc-reportd: ' "$tmp/$1"; }

once setup.err
check "the setup run exits 0 ($rc)" test $rc = 0

# --- (a) jobs_dir problems are configuration errors (78) naming file and key.
config_case() {  # config_case NAME JOBS_DIR EXPECTED_PATH
  local name=$1 dir=$2 path=$3
  write_config "$tmp/$name.ini" "$tmp/state" "$dir"
  once "$name.err" "$tmp/$name.ini"
  echo "   $(line_of "$name.err")"
  check "(a) $name: exits 78 ($rc) in ${secs}s" test $rc = 78
  check "(a) $name: one line" one_line "$name.err"
  check "(a) $name: the line names the file and [service] jobs_dir" \
    grep -qF "[service] jobs_dir: $path" "$tmp/$name.err"
  check "(a) $name: no filesystem_error text" bash -c "! grep -q 'filesystem error' '$tmp/$name.err'"
}
cp -r "$tmp/jobs.d" "$tmp/loop.d"
ln -s loop.ini "$tmp/loop.d/loop.ini"
config_case file-loop "$tmp/loop.d" "$tmp/loop.d/loop.ini: Too many levels of symbolic links"
ln -s dir-loop.d "$tmp/dir-loop.d"
config_case dir-loop "$tmp/dir-loop.d" "$tmp/dir-loop.d: Too many levels of symbolic links"
cp -r "$tmp/jobs.d" "$tmp/fifo.d"
mkfifo "$tmp/fifo.d/x.ini"
config_case fifo "$tmp/fifo.d" "$tmp/fifo.d/x.ini: a FIFO, not a regular file"
cp -r "$tmp/jobs.d" "$tmp/subdir.d"
mkdir "$tmp/subdir.d/x.ini"
config_case directory "$tmp/subdir.d" "$tmp/subdir.d/x.ini: a directory, not a regular file"
"$bin" --check-config --config "$tmp/file-loop.ini" >"$tmp/check.out" 2>"$tmp/check.err"
rc=$?
check "(a) --check-config on the loop exits 78 too ($rc)" test $rc = 78
check "(a) control: the same config without the loop exits 0" bash -c \
  "rm '$tmp/loop.d/loop.ini' && timeout 100 '$bin' --once --config '$tmp/file-loop.ini' 2>'$tmp/loop-control.err'"

# --- (b) A Content-Length that is no length is bad data from the server (65), at once.
emu_clock '{"advance":"27h"}'  # two runs complete: two reports to download
curl -sf -X DELETE "$EMU_URL/_emulator/requests" >/dev/null
for value in -1 1000000000000000; do
  emu_faults "[{\"endpoint\":\"blob.report\",\"kind\":\"content_length\",\"value\":\"$value\"}]"
  once "cl$value.err"
  echo "   $(line_of "cl$value.err")"
  check "(b) Content-Length $value: exits 65 ($rc)" test $rc = 65
  check "(b) Content-Length $value: at once (${secs}s < 5s)" \
    awk -v s="$secs" 'BEGIN { exit !(s < 5) }'
  check "(b) Content-Length $value: one line" one_line "cl$value.err"
  check "(b) Content-Length $value: the line names the host and the value" \
    bash -c "line=\$(grep '^hdc-reportd: ' '$tmp/cl$value.err'); [[ \$line == *'127.0.0.2 sent'*'$value'* ]]"
  blob_gets=$(emu_requests | grep -c '"path":"/drivers/Reports/')
  check "(b) Content-Length $value: each report asked for once, not retried ($blob_gets)" \
    test "$blob_gets" -le 2
  curl -sf -X DELETE "$EMU_URL/_emulator/requests" >/dev/null
  check "(b) Content-Length $value: no report stored" \
    test "$(sqlite3 "$db" "SELECT count(*) FROM executions WHERE state = 'ingested'")" = 0
done

# --- (c) A relative Location on cabdownload is resolved; the cabs come.
emu_faults '[{"endpoint":"cabdownload","kind":"relative_location","nth":1,"count":3,"value":"dot-segments"},
             {"endpoint":"cabdownload","kind":"relative_location"}]'
once relative.err
echo "   $(line_of relative.err || echo '(no error line)')"
check "(c) the run with relative Locations exits 0 ($rc)" test $rc = 0
fetched=$(sqlite3 "$db" "SELECT count(*) FROM cabs WHERE state = 'fetched'")
failed=$(sqlite3 "$db" "SELECT count(*) FROM cabs WHERE state = 'failed'")
check "(c) cabs fetched ($fetched), none failed ($failed)" test "$fetched" -gt 3 -a "$failed" = 0
api_cabs=$(emu_requests | grep '"host":"127.0.0.1"' | grep -c '"path":"/drivers/Cabs/')
blob_cabs=$(emu_requests | grep '"host":"127.0.0.2"' | grep -c '"path":"/drivers/Cabs/')
check "(c) the cabs came from where the relative Locations point, the API host ($api_cabs, blob host $blob_cabs)" \
  test "$api_cabs" -ge "$fetched" -a "$blob_cabs" = 0
leaked=$(emu_requests | grep '"path":"/drivers/Cabs/' | grep -c '"authorization":true')
check "(c) no Authorization went with a cab request ($leaked)" test "$leaked" = 0
check "(c) the reports are stored (the control of (b): no fault, exit 0)" \
  test "$(sqlite3 "$db" "SELECT count(*) FROM executions WHERE state = 'ingested'")" = 2
check "(c) INV1-6 hold" check_invariants "$tmp/state"
outputs=("$tmp"/*.err)
check "no SAS signature (sig=) in any output" bash -c "! grep -qiF 'sig=' ${outputs[*]}"
finish
