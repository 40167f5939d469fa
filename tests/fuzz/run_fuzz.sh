#!/bin/bash
# Runs every fuzz target of a fuzz build (-DHDC_FUZZ=ON; make fuzz) for
# SECONDS each and prints, per target, executions, coverage (cov: and ft:
# of libFuzzer's final stats line), corpus size and findings, then a
# summary line (docs/contributing.md §Fuzzing).
#   tests/fuzz/run_fuzz.sh BUILD_DIR SECONDS [TARGET...]
# Each target starts from a scratch corpus under BUILD_DIR/fuzz-work/<name>/
# seeded from tests/fuzz/corpus/<name>/ and tests/fuzz/regressions/<name>/,
# so the tree is never modified; crash, leak and UBSan artifacts land in
# BUILD_DIR/fuzz-work/<name>/artifacts/. Exit status 1 when any target found
# something (or is missing), else 0.
set -uo pipefail
build=$1
seconds=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
bin=$build/tests/fuzz

targets=("$@")
if [ ${#targets[@]} = 0 ]; then
  for f in "$here"/*_fuzz.cpp; do
    name=$(basename "$f" _fuzz.cpp)
    targets+=("$name")
  done
fi

# The dictionary of a target, when it has one.
dict_of() {
  case $1 in
    ini | filter | report_parser | http_headers) echo "$here/dict/$1.dict" ;;
    template_json | api_* | emulator_faults) echo "$here/dict/json.dict" ;;
  esac
}

# The finding a log reports, or "none".
finding_of() {
  local log=$1
  if grep -q 'ERROR: LeakSanitizer' "$log"; then echo leak
  elif grep -q 'runtime error:' "$log"; then echo ubsan
  elif grep -q 'ERROR: AddressSanitizer' "$log"; then echo asan
  elif grep -q 'ERROR: libFuzzer: timeout' "$log"; then echo timeout
  elif grep -q 'ERROR: libFuzzer: out-of-memory' "$log"; then echo oom
  elif grep -q 'ERROR: libFuzzer: deadly signal' "$log"; then echo crash
  else echo none
  fi
}

run_one() {
  local name=$1 exe=$bin/fuzz_$1 work=$build/fuzz-work/$1 dict
  if [ ! -x "$exe" ]; then
    printf '%-16s missing: %s\n' "$name" "$exe"
    return 1
  fi
  rm -rf "$work" && mkdir -p "$work/corpus" "$work/artifacts"
  for seeds in "$here/corpus/$name" "$here/regressions/$name"; do
    [ -d "$seeds" ] && find "$seeds" -type f ! -name '.*' -exec cp {} "$work/corpus/" \;
  done
  dict=$(dict_of "$name")
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$exe" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 \
    ${dict:+-dict="$dict"} -artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/log" 2>&1
  local rc=$? execs cov ft corpus finding
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$work/log" | tail -1 | cut -d' ' -f2)
  corpus=$(find "$work/corpus" -type f | wc -l)
  finding=$(finding_of "$work/log")
  if [ "$rc" != 0 ] && [ "$finding" = none ]; then finding="exit $rc"; fi
  printf '%-16s %4ss  execs %-10s cov %-6s ft %-6s corpus %-5s finding %s\n' "$name" "$seconds" \
    "${execs:-?}" "${cov:-?}" "${ft:-?}" "$corpus" "$finding"
  if [ "$finding" != none ]; then
    echo "  log: $work/log"
    find "$work/artifacts" -type f -printf '  artifact: %p\n'
    return 1
  fi
}

failed=0
bad=()
for name in "${targets[@]}"; do
  if ! run_one "$name"; then
    failed=$((failed + 1))
    bad+=("$name")
  fi
done
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, $failed with findings${bad:+: ${bad[*]}}"
[ "$failed" = 0 ]
