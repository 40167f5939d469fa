#!/bin/bash
# Rebuilds the seed corpus tests/fuzz/corpus/ from real samples
# (docs/contributing.md §Fuzzing): the sample templates, the project's INI
# files, the JSON examples of docs/hdc-api.md, fault files as the tests write
# them, and what a running hdc-emulator answers (token, templates,
# schedules, report data, errors, report files in every format).
#   tests/fuzz/make_corpus.sh EMULATOR [SOURCE_ROOT]
# Files are named after what they hold; the script only adds or replaces.
set -euo pipefail
emulator=$1
root=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
corpus=$root/tests/fuzz/corpus
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

put() { mkdir -p "$corpus/$1" && cat >"$corpus/$1/$2"; }

# Files of the tree.
for f in "$root"/tests/data/samples/*.json; do
  put template_json "$(basename "$f")" <"$f"
  put api_templates "$(basename "$f")" <"$f"
done
put ini hdc-reportd.ini <"$root/config/hdc-reportd.ini"
put ini demo-hdc-reportd.ini <"$root/config/demo/hdc-reportd.ini"
for f in "$root"/config/jobs.d/*.ini "$root"/config/demo/jobs.d/*.ini; do
  put ini "$(basename "$f")" <"$f"
done
python3 - "$root/docs/hdc-api.md" "$corpus" <<'PY'
import json, os, re, sys
text = open(sys.argv[1]).read()
found = [b for b in re.findall(r"```json\n(.*?)```", text, re.S)]
found += [m for m in re.findall(r"`(\{.*?\})`", text) if m.count("{") == m.count("}")]
n = 0
for body in found:
    try:
        json.loads(body)
    except ValueError:
        continue
    n += 1
    for target in ("api_templates", "api_schedules", "api_report_data", "api_errors",
                   "api_token", "template_json"):
        with open(os.path.join(sys.argv[2], target, "hdc-api-%02d.json" % n), "w") as out:
            out.write(body)
PY

# Filter expressions of the project's job files.
n=0
grep -rhE '^\s*(where|having)\s*=' "$root/config" | sed 's/^[^=]*= *//' | sort -u |
  while IFS= read -r expr; do n=$((n + 1)); printf '%s' "$expr" | put filter "config-$n"; done

# Fault files: the fixtures of tests/emulator/faults_ini_test.sh, and rules
# as tests/e2e/ write them.
put emulator_faults bad.ini <"$root/tests/emulator/fixtures/faults-bad.ini"
put emulator_faults good.ini <"$root/tests/emulator/fixtures/faults-good.ini"
echo '{"faults":[{"endpoint":"reportdata","kind":"429","retry_after":0,"nth":1,"count":3},{"endpoint":"blob.report","kind":"drip","rate":50}],"settings":{"failure_probability":0.1}}' |
  put emulator_faults rules.json
echo '{"faults":[{"endpoint":"cabdownload","kind":"relative_location","value":"dot-segments"},{"endpoint":"blob.cab","kind":"content_length","value":"-1","probability":0.5,"target":"ab"}]}' |
  put emulator_faults kinds.json

# The emulator's answers.
"$emulator" --port 0 --clock manual --start 2024-05-01T00:00:00Z --seed 3 --rows 4 \
  --client t/c:s >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 100); do [ -s "$work/out" ] && break; sleep 0.05; done
base="http://127.0.0.1:$(head -1 "$work/out")"
token() {
  curl -s -X POST "$base/t/oauth2/token" -d grant_type=client_credentials -d client_id=c \
    -d "client_secret=$1" --data-urlencode resource=https://manage.devcenter.microsoft.com
}
token s | put api_token token.json
token wrong | put api_errors token-refused.json
api() {
  local tok
  tok=$(token s | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
  curl -s -H "Authorization: Bearer $tok" -H "Content-Type: application/json" "$@"
}
api -X POST "$base/analytics/driver/reporttemplate" -d @"$root/tests/data/samples/sample1.json" |
  put api_templates created.json
tid=$(sed 's/.*"templateId":\([0-9]*\).*/\1/' "$corpus/api_templates/created.json")
api -X POST "$base/analytics/driver/reporttemplate" -d '{"view":"Nope"}' | put api_errors bad-template.json
api "$base/analytics/driver/reporttemplate" | put api_templates list.json
api "$base/analytics/driver/reporttemplate/$tid" | put api_templates get.json
api "$base/analytics/driver/reporttemplate/999" | put api_errors unknown-template.json
api -X POST "$base/analytics/driver/report" \
  -d "{\"templateId\":$tid,\"schedule\":{\"startTime\":\"2024-05-01T00:00:00Z\",\"recurrenceInterval\":24,\"recurrence\":3}}" |
  put api_schedules created.json
rid=$(sed 's/.*"reportId":\([0-9]*\).*/\1/' "$corpus/api_schedules/created.json")
api -X POST "$base/analytics/driver/report" \
  -d "{\"templateId\":$tid,\"schedule\":{\"startTime\":\"2024-05-01T00:00:00Z\",\"recurrenceInterval\":1,\"recurrence\":3}}" |
  put api_errors bad-schedule.json
api "$base/analytics/driver/report" | put api_schedules list.json
curl -s -H "Authorization: Bearer nope" "$base/analytics/driver/report" | put api_errors bad-token.json
curl -s -X POST "$base/_emulator/settings" -d '{"pascal_keys":true,"ids_as_strings":true}' >/dev/null
api "$base/analytics/driver/report" | put api_schedules list-pascal.json
api "$base/analytics/driver/reporttemplate" | put api_templates list-pascal.json
curl -s -X POST "$base/_emulator/settings" -d '{"pascal_keys":false,"ids_as_strings":false}' >/dev/null
api "$base/analytics/driver/reportdata/$rid?startDate=2024-05-01&endDate=2024-05-01" |
  put api_report_data pending.json
curl -s -X POST "$base/_emulator/clock" -d '{"advance":"50h"}' >/dev/null
data="$base/analytics/driver/reportdata/$rid?startDate=2024-05-01&endDate=2024-05-03"
api "$data" | put api_report_data completed.json
link=$(sed 's/.*"ReportLocation":"\([^"]*\)".*/\1/' "$corpus/api_report_data/completed.json")
# Report files in each format the emulator writes.
report() {
  curl -s -X POST "$base/_emulator/settings" -d "$1" >/dev/null
  curl -s "$link" | put report_parser "$2"
}
report '{"delimiter":"tab","line_end":"crlf","bom":false,"quote_all":false}' tab-crlf.tsv
report '{"delimiter":"tab","line_end":"lf","bom":true,"quote_all":false}' tab-lf-bom.tsv
report '{"delimiter":"comma","line_end":"crlf","bom":false,"quote_all":false}' comma-crlf.csv
report '{"delimiter":"comma","line_end":"lf","bom":true,"quote_all":true}' comma-lf-bom-quoted.csv
curl -s "${link%%\?*}" | put api_errors blob-no-sas.xml
# Header values as the emulator sends them, behind the selector byte of
# http_headers_fuzz.cpp (0 Content-Length, 1 Content-Range, 2 Retry-After,
# 3 Location, 4 URL, 5 JSON depth, 6 ETag).
app=$(sed -n 2p "$corpus/report_parser/tab-crlf.tsv" | cut -f4)
cab=$(sed -n 2p "$corpus/report_parser/tab-crlf.tsv" | cut -f25)
api -D "$work/headers" -o /dev/null \
  "$base/v1.0/my/analytics/driver/cabdownload?applicationId=$app&cabIdHash=$cab"
location=$(sed -n 's/^Location: \(.*\)\r$/\1/Ip' "$work/headers")
curl -s -D "$work/blob" -o /dev/null -H "Range: bytes=100-" "$location"
header() { sed -n "s/^$1: \\(.*\\)\\r\$/\\1/Ip" "$work/blob"; }
hdr() { { printf "\\x$1"; cat; } | put http_headers "$2"; }
header Content-Length | tr -d '\n' | hdr 00 content-length
header Content-Range | tr -d '\n' | hdr 01 content-range
printf 120 | hdr 02 retry-after-seconds
printf 'Sun, 06 Nov 1994 08:49:37 GMT' | hdr 02 retry-after-imf-date
printf 'Sunday, 06-Nov-94 08:49:37 GMT' | hdr 02 retry-after-rfc850-date
printf 'Sun Nov  6 08:49:37 1994' | hdr 02 retry-after-asctime
printf '%s' "$location" | hdr 03 location-absolute
printf '%s' "/${location#http*://*/}" | hdr 03 location-absolute-path
printf '%s' "$link" | hdr 04 url-sas
printf '%s' "$(cat "$corpus/api_report_data/completed.json")" | hdr 05 json-depth
header ETag | tr -d '\n' | hdr 06 etag
# Store ids from the report file (first byte: the layout entry, second: where
# the two ids split).
report_id=$(sed -n 2p "$corpus/report_parser/tab-crlf.tsv" | cut -f1)
printf '\x00\x0bkernel-jobs%s' "$report_id" | put store_ids report-path
printf '\x01\x00%s' "$cab" | put store_ids cab-path
printf '\x02\x03cab%s' "$cab" | put store_ids temp-path
printf '\x03\x00report-%s.part' "$report_id" | put store_ids temp-name
printf '\x04\x00cabs/%s/%s.cab' "${cab:0:2}" "$cab" | put store_ids relative
# Log lines with secrets as the redactor sees them (first byte: the canary
# shape, second: where the text splits).
printf '\x02\x20GET %s -> 200' "$link" | put redact sas-link
printf '\x03\x10POST token body grant_type=client_credentials&client_id=c&client_secret=s' |
  put redact token-form
sed -n 2p "$corpus/report_parser/tab-crlf.tsv" | { printf '\x08\x40'; cat; } | put redact report-row
echo "corpus: $(find "$corpus" -type f | wc -l) files, $(du -sk "$corpus" | cut -f1) KiB"
