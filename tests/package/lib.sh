# Shared helpers of the packaging tests: a check counter like tests/e2e/lib.sh,
# a skip counter, and the definition terms of an scdoc page.
failures=0
skipped=0
check() {  # check NAME COMMAND...
  local name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; failures=$((failures + 1)); fi
}
fail() {  # fail MESSAGE: a failed check with its explanation
  echo "FAIL $1"
  failures=$((failures + 1))
}
skip() {  # skip REASON: a part that cannot run here, on its own line and in the summary
  echo "SKIP: $1"
  skipped=$((skipped + 1))
}
finish() {
  echo "$failures failed, $skipped skipped"
  exit $((failures > 0))
}

# scd_terms FILE [SECTION]: the definition terms of an scdoc page, that is the
# lines starting with '*' that are followed by a tab-indented line; only those
# under "# SECTION" when SECTION is given.
scd_terms() {
  awk -v want="${2:-}" '
    /^# / { section = substr($0, 3) }
    {
      if (term != "" && $0 ~ /^\t/ && (want == "" || term_section == want)) print term
      term = ($0 ~ /^\*/) ? $0 : ""
      term_section = section
    }' "$1"
}

# long_options: the --long-option names in stdin, one per line, sorted.
long_options() { grep -oE -- '--[A-Za-z][A-Za-z0-9-]*' | sort -u; }
# short_options: the -x options in stdin (after the start of a line, a blank,
# a comma or '['), one per line, sorted.
short_options() { grep -oE -- '(^|[[:space:],[])-[A-Za-z]' | grep -oE -- '-[A-Za-z]$' | sort -u; }

# same_set WHAT LEFT_NAME LEFT RIGHT_NAME RIGHT: fails, naming each
# difference, unless the two newline-separated lists hold the same items.
same_set() {
  local what=$1 left_name=$2 left=$3 right_name=$4 right=$5 item bad=0
  while read -r item; do
    [[ -n $item ]] || continue
    fail "$what: $item is in $left_name but not in $right_name"
    bad=1
  done < <(comm -23 <(sort -u <<<"$left") <(sort -u <<<"$right"))
  while read -r item; do
    [[ -n $item ]] || continue
    fail "$what: $item is in $right_name but not in $left_name"
    bad=1
  done < <(comm -13 <(sort -u <<<"$left") <(sort -u <<<"$right"))
  ((bad == 0)) && echo "ok   $what ($(grep -c . <<<"$left") items)"
  return 0
}
