#!/usr/bin/env bash
# hdc-reportd.exe as a Windows service under Wine's Service Control Manager,
# in a Wine prefix of its own: --registerService (with recovery actions),
# `sc start`, the daemon reconciles and ingests a run announced by callback,
# answers /healthz on its control listener, `sc stop` stops it at a
# checkpoint (exit 0, STOPPED), --unregisterService removes it. The SCM
# starts it without arguments, so it reads its configuration from
# C:\ProgramData\hdc-reportd\hdc-reportd.ini, as on a real host.
set -uo pipefail
source "$3/tests/windows/lib.sh" "$@"
export HDC_WINEPREFIX=$tmp/prefix
WINEPREFIX=$HDC_WINEPREFIX
stop_all() {
  wine_run sc stop hdc-reportd >/dev/null 2>&1
  WINEPREFIX=$HDC_WINEPREFIX wineserver -k 2>/dev/null
  kill $EMU_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"
}

start_emulator "$EMULATOR" --clock manual --start "$(d 0)T00:00:00Z" --set rows_per_execution=3
trap stop_all EXIT
wine_run cmd /c exit 0 >/dev/null 2>&1  # makes the prefix (wineboot, about 20 s)

programdata=$WINEPREFIX/drive_c/ProgramData/hdc-reportd
mkdir -p "$programdata/jobs.d"
kernel_job kernel "$(d 0)" 02 yes >"$programdata/jobs.d/kernel.ini"
printf '%s\n' "$DEMO_SECRET" >"$programdata/client-secret"
# The state outside the prefix, where sqlite3 and the checks read it.
write_config "$programdata/hdc-reportd.ini" "$(winpath "$tmp/state")" 'C:\ProgramData\hdc-reportd\jobs.d'
service_keys "$programdata/hdc-reportd.ini" "control_listen = 127.0.0.1:0" \
  "callback_url = https://hdc.example.com/hook" "retention_clock = downloaded"
sed -i 's/^\[account\]$/[account]\nclient_secret_file = C:\\ProgramData\\hdc-reportd\\client-secret/' \
  "$programdata/hdc-reportd.ini"

wine_run "$REPORTD" --check-config >"$tmp/check.out" 2>&1
check "--check-config reads the default C:\\ProgramData\\hdc-reportd\\hdc-reportd.ini" test $? = 0

wine_run "$REPORTD" --registerService --startup=manual >"$tmp/register.out" 2>&1
check "--registerService exits 0" test $? = 0
services_key='HKLM\System\CurrentControlSet\Services\hdc-reportd'
check "the service is registered" bash -c "'$src/cmake/windows/wine.sh' reg query '$services_key' 2>/dev/null | grep -qi hdc-reportd.exe"
check "as its virtual account NT SERVICE\\hdc-reportd, not LocalSystem" \
  bash -c "'$src/cmake/windows/wine.sh' reg query '$services_key' /v ObjectName 2>/dev/null | grep -qi 'NT SERVICE.hdc-reportd'"
# Wine's SCM takes the failure actions but neither stores them nor knows the
# "also on a non-crash failure" flag (error 124): the registration says so
# in one warning, which is what a Windows host without that level would see.
check "recovery actions were set up to the flag Wine lacks (restart after 1 and 5 minutes)" \
  grep -q "cannot set the failure actions flag: error 124" "$tmp/register.out"
check "the event log source names hdc-reportd.exe as its message file" \
  bash -c "'$src/cmake/windows/wine.sh' reg query 'HKLM\\System\\CurrentControlSet\\Services\\EventLog\\Application\\hdc-reportd' /v EventMessageFile 2>/dev/null | grep -qi 'hdc-reportd.exe'"

wine_run sc start hdc-reportd >"$tmp/start.out" 2>&1
check "sc start hdc-reportd succeeds" test $? = 0
check "the daemon writes its control address" wait_for "control-address" test -s "$tmp/state/control-address"
addr=$(cat "$tmp/state/control-address" 2>/dev/null)
check "it created the template and schedule" wait_for "the schedule" \
  bash -c "test \"\$(sqlite3 '$tmp/state/state.db' 'SELECT count(*) FROM remote_schedules' 2>/dev/null)\" = 1"
emu_clock '{"advance":"27h"}'  # the runs of day 0 and day 1 (02:00) complete
curl -sf -X POST "http://$addr/callback/$(cat "$tmp/state/callback-token")" -d '{}' >/dev/null
check "a callback makes it ingest the two finished runs" wait_for "the ingestion" \
  bash -c "test \"\$(sqlite3 '$tmp/state/state.db' \"SELECT count(*) FROM executions WHERE state = 'ingested'\" 2>/dev/null)\" = 2"
check "/healthz answers 200 over the control listener" curl -sf -o /dev/null "http://$addr/healthz"

started_stop=$(date +%s%N)
wine_run sc stop hdc-reportd >"$tmp/stop.out" 2>&1
check "sc stop hdc-reportd is accepted" test $? = 0
stopped() { wine_run sc query hdc-reportd 2>/dev/null | grep -q STOPPED; }
check "the service reaches STOPPED" wait_for "STOPPED" stopped
echo "  sc stop to STOPPED: $(( ($(date +%s%N) - started_stop) / 1000000 )) ms (the SCM waits 30 s by default)"
check "stopped at a checkpoint, as the log says" \
  bash -c "grep -q 'stopping: letting downloads reach a checkpoint' '$programdata/logs/hdc-reportd.log' && grep -q 'info service: stopped' '$programdata/logs/hdc-reportd.log'"
check "with exit code 0" bash -c "'$src/cmake/windows/wine.sh' sc query hdc-reportd | grep -q 'WIN32_EXIT_CODE *: *0 '"
check "INV1-6 hold after the stop" check_invariants "$tmp/state"

wine_run "$REPORTD" --unregisterService >"$tmp/unregister.out" 2>&1
check "--unregisterService exits 0" test $? = 0
check "the service is gone" bash -c "! '$src/cmake/windows/wine.sh' reg query '$services_key' >/dev/null 2>&1"
check "and so is its event log source" bash -c "! '$src/cmake/windows/wine.sh' reg query 'HKLM\\System\\CurrentControlSet\\Services\\EventLog\\Application\\hdc-reportd' >/dev/null 2>&1"
finish
