#!/usr/bin/env bash
# hdc-reportd.ini(5) lists exactly the keys the config module accepts, each
# with the default, and the bounds, of the module's own key table:
#   1. the [service], [account] and [job NAME] entries of
#      man/hdc-reportd.ini.5.scd ("*key* = TYPE" terms) are the rows of
#      config::ConfigKeys(), section by section;
#   2. each entry states its default once: "Default: *VALUE*" for a non-empty
#      default of the table, "Default: none" or "Default: empty" otherwise;
#   3. bounds in the table's description, "(1m to 24h)", appear in the entry;
#   4. the job rows of ConfigKeys() are config::JobKeys();
#   5. the parser accepts every key of the table in its section, and no other
#      candidate (every lower-case string literal of daemon/config/*.cpp),
#      probed through config::ParseConfig by hdc-config-keys.
# Usage: man_ini_keys_test.sh SOURCE_DIR HDC_CONFIG_KEYS
set -uo pipefail
src=$1 tool=$2
page=$src/man/hdc-reportd.ini.5.scd
source "$src/tests/package/lib.sh"

table=$("$tool" keys) || { echo "FAIL $tool keys"; exit 1; }
# SECTION<TAB>KEY<TAB>ENTRY TEXT (definition lines joined with spaces).
entries=$(awk '
  function flush() { if (key != "") print section "\t" key "\t" text; key = "" }
  /^## \[/ { flush(); section = $0; sub(/^## \[/, "", section); sub(/\].*$/, "", section); next }
  /^#/ { flush(); section = ""; next }
  section != "" && /^\*[a-z_]+\* = / {
    flush(); key = $0; sub(/^\*/, "", key); sub(/\*.*$/, "", key); text = ""; next
  }
  key != "" && /^\t/ { line = $0; sub(/^\t/, "", line); text = text " " line; next }
  /^$/ { next }
  { flush() }
  END { flush() }' "$page")

same_set "keys of man/hdc-reportd.ini.5.scd against ConfigKeys()" "ConfigKeys()" \
  "$(cut -f1,2 <<<"$table" | tr '\t' ' ')" "the man page" "$(cut -f1,2 <<<"$entries" | tr '\t' ' ')"

# (Tabs as a non-blank separator: read would merge empty tab-separated fields.)
while IFS=$'\x1f' read -r section key default description; do
  text=$(awk -F'\t' -v s="$section" -v k="$key" '$1 == s && $2 == k { print $3 }' <<<"$entries")
  [[ -n $text ]] || continue  # reported above
  count=$(grep -o 'Default:' <<<"$text" | wc -l)
  if ((count != 1)); then
    fail "[$section] $key: the page states 'Default:' $count times, not once"
  elif [[ -n $default ]]; then
    [[ $text == *"Default: *$default*"* ]] ||
      fail "[$section] $key: ConfigKeys() says the default is '$default'; the page does not say 'Default: *$default*'"
  else
    [[ $text == *"Default: none"* || $text == *"Default: empty"* ]] ||
      fail "[$section] $key: ConfigKeys() has no default; the page should say 'Default: none' or 'Default: empty'"
  fi
  bounds=$(grep -oE '\([0-9][0-9a-z]* to [0-9][0-9a-z]*\)' <<<"$description" | tr -d '()')
  if [[ -n $bounds && $text != *"$bounds"* ]]; then
    fail "[$section] $key: the bounds '$bounds' of ConfigKeys() are not on the page"
  fi
done < <(tr '\t' '\037' <<<"$table")
echo "ok   defaults and bounds checked for $(grep -c . <<<"$table") keys"

job_keys=$("$tool" job-keys)
same_set "JobKeys() against the job rows of ConfigKeys()" "JobKeys()" "$job_keys" \
  "ConfigKeys()" "$(awk -F'\t' '$1 == "job NAME" { print $2 }' <<<"$table")"

# Probe the parser: the table's keys and every lower-case string literal of
# the config module's sources, in each section.
mapfile -t candidates < <( (cut -f2 <<<"$table"; grep -ohE '"[a-z][a-z0-9_]*"' "$src"/daemon/config/*.cpp |
  tr -d '"') | sort -u)
probe=$("$tool" probe "${candidates[@]}") || { echo "FAIL $tool probe"; exit 1; }
accepted=$(awk -F'\t' '$3 == "accepted" { print $1 " " $2 }' <<<"$probe")
same_set "keys the parser accepts (${#candidates[@]} candidates probed) against ConfigKeys()" \
  "the parser" "$accepted" "ConfigKeys()" "$(cut -f1,2 <<<"$table" | tr '\t' ' ')"

# Controls: the probe must see an unknown key, and the page parse must see keys.
check "control: the probe calls a made-up key unknown" \
  grep -qx $'service\tno_such_key\tunknown' <("$tool" probe no_such_key)
check "control: the page yields entries in three sections" \
  test "$(cut -f1 <<<"$entries" | sort -u | wc -l)" = 3
finish
