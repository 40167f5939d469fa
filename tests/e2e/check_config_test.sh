#!/usr/bin/env bash
# hdc-reportd --check-config as a real process: exit codes, one-line errors on
# stderr, JSON on stdout, and the secret never printed.
set -uo pipefail
bin=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; failures=$((failures + 1)); fi
}
run() {  # run ARGS... -> $rc, $out, $err
  "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
  out=$(cat "$tmp/out"); err=$(cat "$tmp/err")
}

export HDC_CLIENT_SECRET=e2e-secret-value-123
run "$bin" --check-config --config "$src/config/demo/hdc-reportd.ini"
check "demo config exits 0" test "$rc" = 0
check "prints a template per demo job" test "$(grep -c '^template {' <<<"$out")" = 2
check "prints a schedule per demo job" test "$(grep -c '^schedule {"recurrence"' <<<"$out")" = 2
check "summary on stderr" grep -q 'configuration OK, 2 jobs' <<<"$err"
check "secret value never printed" bash -c "! grep -q e2e-secret-value-123 '$tmp/out' '$tmp/err'"

cat >"$tmp/bad.ini" <<'INI'
[service]
[account]
tenant_id = t
client_id = c
[job kernel-crashes]
view = IHVDriver
columns = DriverName
where = EventType eq Kernel and Market eq
start = 2026-12-01T02:00:00Z
every = 24h
runs = 1
INI
run "$bin" --check-config --config "$tmp/bad.ini"
check "bad expression exits 78" test "$rc" = 78
check "one line on stderr" test "$(wc -l <"$tmp/err")" = 1
check "error names file, line, section, key and column" test "$err" = \
  "hdc-reportd: $tmp/bad.ini:8: [job kernel-crashes] where: expected a value after 'eq' at column 34"
check "nothing on stdout on error" test -z "$out"

run "$bin" --check-config --config "$tmp/missing.ini"
check "missing config exits 78" test "$rc" = 78
check "missing config is named" test "$err" = "hdc-reportd: cannot read $tmp/missing.ini: file not found"

printf '[account]\ntenant_id = t\nclient_id = c\nclient_secret_file = %s/secret\n' "$tmp" >"$tmp/s.ini"
printf 'file-secret-456\n' >"$tmp/secret"
chmod 644 "$tmp/secret"
run "$bin" --check-config --config "$tmp/s.ini"
check "group-readable secret file exits 78" test "$rc" = 78
check "the fix is in the message" grep -q "run: chmod 600 $tmp/secret" <<<"$err"
chmod 600 "$tmp/secret"
run "$bin" --check-config --config "$tmp/s.ini"
check "private secret file accepted" test "$rc" = 0
check "origin named, value not" bash -c "grep -q 'client secret from file' '$tmp/err' && ! grep -q file-secret-456 '$tmp/err' '$tmp/out'"

# A FIFO as client_secret_file: refused (78) in one line naming the file and
# the key, without opening it (an open would wait for a writer for ever).
mkfifo -m 600 "$tmp/fifo-secret"  # private, so only the kind of file can refuse it
printf '[account]\ntenant_id = t\nclient_id = c\nclient_secret_file = %s/fifo-secret\n' "$tmp" >"$tmp/fifo.ini"
fifo_error="$tmp/fifo.ini:4: [account] client_secret_file: $tmp/fifo-secret is a FIFO, not a regular file"
for mode in --check-config --once; do
  # SIGKILL: hdc-reportd blocks SIGTERM in every thread but its signal thread.
  # As root (CI) --once needs the override to get as far as the secret.
  run timeout -s KILL 20 "$bin" $mode $([[ $mode == --once && $(id -u) == 0 ]] && echo --allow-root) --config "$tmp/fifo.ini"
  check "$mode: a FIFO as client_secret_file exits 78 without hanging ($rc)" test "$rc" = 78
  check "$mode: in one line naming the file and the key" \
    bash -c "test \$(wc -l <'$tmp/err') = 1 && grep -qF '$fifo_error' '$tmp/err'"
done
# Control: the same bound catches a process that does open the FIFO.
run timeout -s KILL 1 head -c1 "$tmp/fifo-secret"
check "control: reading the FIFO hangs until the bound (killed: $rc)" test "$rc" = 137

# The environment variable: used, removed from the process's environment,
# one warning without the value.
run "$bin" --check-config --config "$src/config/demo/hdc-reportd.ini"
check "a secret from the environment warns once that it is the weakest source" \
  test "$(grep -c 'HDC_CLIENT_SECRET, the weakest source' <<<"$err")" = 1
check "and the warning holds no value" bash -c "! grep -q e2e-secret-value-123 '$tmp/err'"

unset HDC_CLIENT_SECRET
run "$bin" --check-config --config "$src/config/demo/hdc-reportd.ini"
check "no secret at all exits 78" test "$rc" = 78

run "$bin" --no-such-option
check "unknown option exits 64" test "$rc" = 64
check "unknown option named" grep -q "no-such-option" <<<"$err"
run "$bin" stray-argument
check "stray argument exits 64" test "$rc" = 64
run "$bin" --version
check "--version exits 0" test "$rc" = 0
check "--version prints the version" grep -Eq '^hdc-reportd [0-9]+\.[0-9]+\.[0-9]+' <<<"$out"
run "$bin" --help
check "--help exits 0 and lists --check-config" bash -c "test $rc = 0 && grep -q -- --check-config '$tmp/out'"

echo "$failures failed"
exit $((failures > 0))
