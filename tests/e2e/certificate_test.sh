#!/usr/bin/env bash
# Certificate credentials end to end
# (docs/hdc-api.md §Certificate credentials).
# hdc-reportd --once signs in with client_certificate_file
# against hdc-emulator --client-cert and ingests a report; an unregistered
# certificate and an expired one each end --once with 77 and one line; no
# part of the private key or of an assertion reaches the log or stderr; an
# expired client secret (the client_secret_expired fault) is its own message;
# a running daemon's certificate near expiry is a /healthz warning and a
# metric, and a renewed one re-read on SIGHUP clears it.
# Keys and certificates come from the openssl command (skipped, 77, without).
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
tmp=$(mktemp -d)
if ! command -v openssl >/dev/null; then
  echo "skipped: no openssl command to make the test certificates"
  rm -rf "$tmp"
  exit 77
fi
source "$src/tests/e2e/lib.sh"

pki=$tmp/pki
mkdir -p "$pki"
selfsigned() {  # selfsigned NAME: $pki/NAME.key and $pki/NAME.pem, valid for 3 days
  openssl req -x509 -newkey rsa:2048 -nodes -days 3 -subj "/CN=hdc-reportd e2e $1" \
    -keyout "$pki/$1.key" -out "$pki/$1.pem" >>"$pki/openssl.log" 2>&1
}
# An expired certificate: openssl req refuses a past validity, openssl ca
# takes explicit dates.
expired() {
  mkdir -p "$pki/ca/new"
  : >"$pki/ca/index.txt"
  echo 01 >"$pki/ca/serial"
  cat >"$pki/ca/ca.cnf" <<CNF
[ca]
default_ca = test_ca
[test_ca]
dir = $pki/ca
database = $pki/ca/index.txt
new_certs_dir = $pki/ca/new
serial = $pki/ca/serial
default_md = sha256
policy = any
[any]
commonName = supplied
CNF
  openssl req -new -newkey rsa:2048 -nodes -subj "/CN=hdc-reportd e2e expired" \
    -keyout "$pki/expired.key" -out "$pki/expired.csr" >>"$pki/openssl.log" 2>&1 &&
    openssl ca -batch -selfsign -config "$pki/ca/ca.cnf" -keyfile "$pki/expired.key" \
      -in "$pki/expired.csr" -startdate 20200101000000Z -enddate 20200102000000Z \
      -out "$pki/expired.pem" >>"$pki/openssl.log" 2>&1
}
if ! selfsigned good || ! selfsigned other || ! expired; then
  echo "openssl could not make the test certificates:"
  cat "$pki/openssl.log"
  exit 1
fi
chmod 600 "$pki"/*.key

good_client=c0000000-0000-0000-0000-000000000001
expired_client=c0000000-0000-0000-0000-000000000002
# The emulator's clock stays within the 5 minutes of skew of the real one,
# which dates the assertions: 3 minutes back at start, moved 3 minutes on later.
now=$(date -u +%s)
at() { date -u -d "@$((now + $1))" +%Y-%m-%dT%H:%M:%SZ; }
start_emulator "$build/emulator/hdc-emulator" --clock manual --start "$(at -180)" \
  --set pending_duration=0s --set running_duration=1m \
  --client "$DEMO_TENANT/$DEMO_CLIENT:$DEMO_SECRET" \
  --client-cert "$DEMO_TENANT/$good_client:$pki/good.pem" \
  --client-cert "$DEMO_TENANT/$expired_client:$pki/expired.pem"
mkdir -p "$tmp/jobs.d"
one_run_job kernel "$(at -120)" >"$tmp/jobs.d/k.ini"
# cert_config FILE CLIENT CERT [KEY]: a service file signing in with CERT.
cert_config() {
  write_config "$1" "$tmp/state-$(basename "$1" .ini)" "$tmp/jobs.d"
  sed -i "s/^client_id = .*/client_id = $2/; s/^log_level = .*/log_level = debug/" "$1"
  echo "client_certificate_file = $3" >>"$1"
  [[ -z ${4:-} ]] || echo "client_certificate_key_file = $4" >>"$1"
}
unset HDC_CLIENT_SECRET CREDENTIALS_DIRECTORY

# 1. The certificate and its key in two files: create, then ingest.
cert_config "$tmp/good.ini" "$good_client" "$pki/good.pem" "$pki/good.key"
once_config=$tmp/good.ini run_once good1.err
check "a certificate credential signs in and creates the job's schedule (exit $rc)" test "$rc" = 0
check "the log names the credential once: kind, file and 8 thumbprint characters" \
  test "$(grep -c "signing in with the certificate credential from client_certificate_file $pki/good.pem (key from client_certificate_key_file $pki/good.key), certificate CN=hdc-reportd e2e good, SHA-256 thumbprint [A-Za-z0-9_-]\{8\}\.\.\." "$tmp/good1.err")" = 1
emu_clock '{"advance":"3m"}'  # the run completes
once_config=$tmp/good.ini run_once good2.err
check "the second run ingests the completed report (exit $rc)" test "$rc" = 0
rows=$(sqlite3 "$tmp/state-good/state.db" "SELECT count(*) FROM failures")
check "rows ingested ($rows)" test "$rows" -gt 0
check "the execution is ingested" \
  test "$(sqlite3 "$tmp/state-good/state.db" "SELECT count(*) FROM executions WHERE state='ingested'")" = 1
tokens=$(emu_requests | grep -c '"path":"/'"$DEMO_TENANT"'/oauth2/token","status":200')
check "the emulator issued tokens to the certificate client ($tokens)" test "$tokens" -ge 2

"$bin" --check-config --config "$tmp/good.ini" >/dev/null 2>"$tmp/check.err"
check "--check-config names the certificate credential (exit $?)" \
  grep -q "configuration OK, 1 job, .*, certificate credential from client_certificate_file $pki/good.pem" "$tmp/check.err"
"$build/daemon/hdc-reportctl" plan --config "$tmp/good.ini" >"$tmp/plan.out" 2>"$tmp/plan.err"
check "hdc-reportctl plan signs in with the certificate too: in sync (exit $?)" grep -q "(in sync)" "$tmp/plan.out"

# 2. The key in the certificate file (one file, mode 0600).
cat "$pki/good.pem" "$pki/good.key" >"$pki/combined.pem"
chmod 600 "$pki/combined.pem"
cert_config "$tmp/combined.ini" "$good_client" "$pki/combined.pem"
once_config=$tmp/combined.ini run_once combined.err
check "a certificate file holding its key signs in too (exit $rc)" test "$rc" = 0
chmod 644 "$pki/combined.pem"
once_config=$tmp/combined.ini run_once combined_open.err
check "a certificate file holding a key readable by others is refused with 78 ($rc)" test "$rc" = 78
check "  in one line naming the file" \
  grep -q "client_certificate_file.*$pki/combined.pem holds a private key and is readable by group or others" "$tmp/combined_open.err"

# 3. An unregistered certificate: 77 and one line.
cert_config "$tmp/other.ini" "$good_client" "$pki/other.pem" "$pki/other.key"
once_config=$tmp/other.ini run_once other.err
check "an unregistered certificate ends --once with 77 ($rc)" test "$rc" = 77
check "  in one line with AADSTS700027" \
  test "$(grep -c "AADSTS700027" "$tmp/other.err")" = 1
check "  the line says the key was not found" grep -q "The key was not found" "$tmp/other.err"

# 4. An expired certificate: 77 and one line saying so.
cert_config "$tmp/expired.ini" "$expired_client" "$pki/expired.pem" "$pki/expired.key"
once_config=$tmp/expired.ini run_once expired.err
check "an expired certificate ends --once with 77 ($rc)" test "$rc" = 77
check "  in one line saying the certificate expired" \
  test "$(grep -c "AADSTS700027.*The key used is expired.*the certificate expired at 2020-01-02T00:00:00Z" "$tmp/expired.err")" = 1

# 5. Both credentials named: 78, one line naming both keys and the place.
cert_config "$tmp/both.ini" "$good_client" "$pki/good.pem" "$pki/good.key"
sed -i "s|^\[account\]$|[account]\nclient_secret_file = $pki/good.key|" "$tmp/both.ini"
once_config=$tmp/both.ini run_once both.err
check "client_secret_file with client_certificate_file is refused with 78 ($rc)" test "$rc" = 78
check "  in one line naming both keys and the file:line" \
  grep -q "both.ini:[0-9]*: \[account\] client_certificate_file: client_secret_file and client_certificate_file are both set" "$tmp/both.err"

# 6. An expired client secret: its own message, 77.
write_config "$tmp/secret.ini" "$tmp/state-secret" "$tmp/jobs.d"
emu_faults '[{"endpoint":"token","kind":"client_secret_expired"}]'
HDC_CLIENT_SECRET=$DEMO_SECRET once_config=$tmp/secret.ini run_once secret.err
check "an expired client secret ends --once with 77 ($rc)" test "$rc" = 77
check "  saying so and where to put a new one" \
  grep -q "the client secret has expired (AADSTS7000222); create a new one in Partner Center or the Azure portal.*client_secret_file" "$tmp/secret.err"
emu_faults '[]'
HDC_CLIENT_SECRET=$DEMO_SECRET once_config=$tmp/secret.ini run_once secret_ok.err
check "  control: without the fault the secret signs in (exit $rc)" test "$rc" = 0

# 7. Expiry is visible before it bites (docs/operations.md §Health): a running
# daemon's 3-day certificate is a warning line on /healthz, which stays 200,
# and its notAfter is a metric; once the files hold a 400-day certificate
# and SIGHUP re-read them, the warning is gone (the control) and the metric
# follows.
openssl req -x509 -newkey rsa:2048 -nodes -days 400 -subj "/CN=hdc-reportd e2e long" \
  -keyout "$pki/long.key" -out "$pki/long.pem" >>"$pki/openssl.log" 2>&1
install -m 600 "$pki/good.pem" "$tmp/live.pem"
install -m 600 "$pki/good.key" "$tmp/live.key"
cert_config "$tmp/live.ini" "$good_client" "$tmp/live.pem" "$tmp/live.key"
service_keys "$tmp/live.ini" "control_listen = 127.0.0.1:0"
start_daemon "$tmp/live.ini" "$tmp/state-live" "$tmp/live.err"
not_after() { date -u -d "$(openssl x509 -enddate -noout -in "$1" | cut -d= -f2)" +%s; }
expiry_metric() {
  curl -sf "http://$addr/metrics" | awk -v want="$1" \
    '$1 == "hdc_reportd_credential_expiry_timestamp_seconds{account=\"default\"}" { found = ($2 == want) } END { exit !found }'
}
status=$(curl -s -o "$tmp/health.txt" -w '%{http_code}' "http://$addr/healthz")
check "a certificate 3 days from its expiry leaves /healthz at 200 ($status)" test "$status" = 200
check "  with a warning line naming it and when it expires" \
  grep -q "^warning: the certificate credential from client_certificate_file $tmp/live.pem .*CN=hdc-reportd e2e good.* expires at .*, in 2 days; register a new certificate" "$tmp/health.txt"
check "  and in the JSON answer's warnings" \
  bash -c "curl -sf 'http://$addr/healthz?format=json' | grep -q '\"warnings\":\[\"warning: the certificate credential'"
check "the metric is the certificate's notAfter" expiry_metric "$(not_after "$pki/good.pem")"
install -m 600 "$pki/long.pem" "$tmp/live.pem"
install -m 600 "$pki/long.key" "$tmp/live.key"
kill -HUP $pid
check "SIGHUP re-reads the renewed certificate (one line)" wait_for "the reload" \
  grep -q "reload: signing in with the certificate credential from client_certificate_file $tmp/live.pem .*CN=hdc-reportd e2e long" "$tmp/live.err"
curl -s -o "$tmp/health.txt" "http://$addr/healthz"
check "control: a 400-day certificate is no warning" bash -c "! grep -q '^warning' '$tmp/health.txt'"
check "the metric follows the renewed certificate" expiry_metric "$(not_after "$pki/long.pem")"
kill -TERM $pid
wait $pid
check "SIGTERM ends the daemon with 0" test $? = 0

# 7. The canary: no line of a private key, no assertion, in any log or stderr.
leaks=0
for key in "$pki"/*.key; do
  while read -r line; do
    [[ ${#line} -ge 32 && $line != -----* ]] || continue
    grep -rqF -- "${line:0:32}" "$tmp"/*.err && leaks=$((leaks + 1))
  done <"$key"
done
check "no line of a private key in the daemon's output ($leaks found)" test "$leaks" = 0
probe=$(sed -n 2p "$pki/good.key")
check "  control: the check would see a key line" grep -qF -- "${probe:0:32}" "$pki/good.key"
# An assertion's header {"alg":"RS256",...} encodes to eyJhbGci...; the
# emulator's own tokens begin {"typ":... (eyJ0eXAi).
check "no client assertion in the daemon's output" \
  bash -c "! grep -qE 'eyJhbGci|client_assertion=' $tmp/*.err $tmp/*.out"
check "  control: the check would see one" \
  bash -c "echo 'x eyJhbGciOiJSUzI1NiJ9.e30.sig' | grep -qE 'eyJhbGci|client_assertion='"
finish
