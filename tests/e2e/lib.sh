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
