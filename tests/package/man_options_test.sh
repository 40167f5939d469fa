#!/usr/bin/env bash
# Each executable's --help and its man page list the same options: every
# --long and -x option in the --help text must be a definition term of the
# page (man/*.scd) and every option term of the page must be in --help.
# hdc-reportctl's commands and hdc-emulator's knobs are compared the same way.
# Whoever adds an option sees this fail until the man page documents it.
# Usage: man_options_test.sh SOURCE_DIR HDC_REPORTD HDC_REPORTCTL [HDC_EMULATOR]
set -uo pipefail
src=$1 reportd=$2 reportctl=$3 emulator=${4:-}
source "$src/tests/package/lib.sh"

compare_options() {  # compare_options BINARY PAGE
  local bin=$1 page=$2 name help terms
  name=$(basename "$bin")
  help=$("$bin" --help 2>&1) || { fail "$name --help exits non-zero"; return; }
  terms=$(scd_terms "$page")
  same_set "$name long options" "$name --help" "$(long_options <<<"$help")" \
    "${page#"$src/"}" "$(long_options <<<"$terms")"
  same_set "$name short options" "$name --help" "$(short_options <<<"$help")" \
    "${page#"$src/"}" "$(grep -oE -- '\*-[A-Za-z]\*' <<<"$terms" | tr -d '*' | sort -u)"
}

compare_options "$reportd" "$src/man/hdc-reportd.8.scd"
compare_options "$reportctl" "$src/man/hdc-reportctl.1.scd"

# hdc-reportctl: the command names of "Commands:" (two-space indent) and the
# terms of the COMMANDS section.
help_commands=$("$reportctl" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit }
  on && /^  [a-z]/ { print $1 }')
man_commands=$(scd_terms "$src/man/hdc-reportctl.1.scd" COMMANDS | sed -E 's/^\*([a-z-]+)\*.*/\1/')
same_set "hdc-reportctl commands" "hdc-reportctl --help" "$help_commands" \
  "man/hdc-reportctl.1.scd COMMANDS" "$man_commands"

if [[ -n $emulator ]]; then
  compare_options "$emulator" "$src/man/hdc-emulator.1.scd"
  help_knobs=$("$emulator" --help | awk '/^Knobs/ { on = 1; next } on && /^$/ { exit }
    on && /^  [a-z_]+ / { print $1 }')
  man_knobs=$(scd_terms "$src/man/hdc-emulator.1.scd" KNOBS | sed -E 's/^\*([a-z_]+)\*.*/\1/')
  same_set "hdc-emulator knobs" "hdc-emulator --help" "$help_knobs" \
    "man/hdc-emulator.1.scd KNOBS" "$man_knobs"
fi

# The comparison itself must be able to fail: an option only --help knows.
probe=$(same_set "control" "a" "--only-in-help" "b" "" 2>&1)
check "control: an option missing from the page is reported" \
  grep -q -- "--only-in-help is in a but not in b" <<<"$probe"
finish
