#!/bin/bash
# Generated cabs pass `cabextract -t`, and curl alone walks the whole
# workflow against the real executable: token → template → schedule →
# report data → report → cab via 302 (no Authorization on blob hosts).
set -euo pipefail
emulator=$1
command -v cabextract >/dev/null || { echo "cabextract not installed (apt-get install cabextract)"; exit 1; }
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
"$emulator" --port 0 --clock manual --start 2024-05-01T00:00:00Z --seed 3 --cab-size 200K \
  --client tenant-x/client-x:secret-x >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 100); do [ -s "$work/out" ] && break; sleep 0.05; done
port=$(head -1 "$work/out")
base="http://127.0.0.1:$port"
token=$(curl -sf -X POST "$base/tenant-x/oauth2/token" \
  -d grant_type=client_credentials -d client_id=client-x -d client_secret=secret-x \
  --data-urlencode resource=https://manage.devcenter.microsoft.com | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
auth=(-H "Authorization: Bearer $token" -H "Content-Type: application/json")
tid=$(curl -sf "${auth[@]}" -X POST "$base/analytics/driver/reporttemplate" -d \
  '{"view":"IHVDriver","projection":["FailureHash","CabIdHash","ApplicationId"],"dateRange":{"reportPeriod":"Last7Days"}}' |
  sed 's/.*"templateId":\([0-9]*\).*/\1/')
rid=$(curl -sf "${auth[@]}" -X POST "$base/analytics/driver/report" -d \
  "{\"templateId\":$tid,\"schedule\":{\"startTime\":\"2024-05-01T00:00:00Z\",\"recurrenceInterval\":24,\"recurrence\":3}}" |
  sed 's/.*"reportId":\([0-9]*\).*/\1/')
curl -sf -X POST "$base/_emulator/clock" -d '{"advance":"45m"}' >/dev/null
link=$(curl -sf "${auth[@]}" "$base/analytics/driver/reportdata/$rid?startDate=2024-05-01&endDate=2024-05-01" |
  sed 's/.*"ReportLocation":"\([^"]*\)".*/\1/')
curl -sf "$link" -o "$work/report.txt"
cab=$(sed -n 2p "$work/report.txt" | cut -f2)
app=$(sed -n 2p "$work/report.txt" | cut -f3 | tr -d '\r')
location=$(curl -s -o /dev/null -w '%{redirect_url}' "${auth[@]}" \
  "$base/v1.0/my/analytics/driver/cabdownload?applicationId=$app&cabIdHash=$cab")
case "$location" in http://127.0.0.2:*) ;; *) echo "bad Location: $location"; exit 1 ;; esac
curl -sf "$location" -o "$work/a.cab"
[ "$(stat -c %s "$work/a.cab")" = 204800 ] || { echo "cab size"; exit 1; }
cabextract -t "$work/a.cab"
# A tiny and a multi-block cab as well.
for size in 100 5M; do
  curl -sf -X POST "$base/_emulator/settings" -d "{\"cab_size\":\"$size\"}" >/dev/null
  location=$(curl -s -o /dev/null -w '%{redirect_url}' "${auth[@]}" "$base/v1.0/my/analytics/hardware/cabdownload?cabIdHash=$cab")
  curl -sf "$location" -o "$work/b.cab"
  cabextract -t "$work/b.cab"
done
# No Authorization header reached the blob host.
curl -sf "$base/_emulator/requests" | grep '"host":"127.0.0.2"' >/dev/null
if curl -sf "$base/_emulator/requests" | grep '"authorization":true,"host":"127.0.0.2"' >/dev/null; then
  echo "an Authorization header reached the blob host"
  exit 1
fi
echo OK
