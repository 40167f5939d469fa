#!/usr/bin/env bash
# Every built man page renders without a warning: groff -man -ww -z, and
# man -l with lintian's settings (man --warnings -E UTF-8 -l -Tutf8 -Z).
# Exit 77 (skipped) when the pages were not built (scdoc was missing when
# the build was configured; make package-deps installs it).
# Usage: man_render_test.sh MAN_BUILD_DIR
set -uo pipefail
dir=$1
source "$(dirname "$0")/lib.sh"
pages=(hdc-reportd.8 hdc-reportd.ini.5 hdc-reportctl.1 hdc-emulator.1)
if [[ ! -f $dir/${pages[0]}.gz ]]; then
  echo "man_render_test: no man pages in $dir (scdoc missing at configure time): skipped"
  exit 77
fi
for page in "${pages[@]}"; do
  check "$page.gz exists" test -s "$dir/$page.gz"
  out=$(zcat "$dir/$page.gz" | groff -man -ww -z 2>&1)
  check "$page: groff -man -ww -z prints nothing${out:+ (got: $out)}" test -z "$out"
  out=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$dir/$page.gz" 2>&1 >/dev/null)
  check "$page: man --warnings -l prints no warning${out:+ (got: $out)}" test -z "$out"
  name=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$dir/$page.gz" 2>/dev/null | awk '/^NAME/ { getline; print $1; exit }')
  check "$page: the NAME section names ${page%.*}" test "$name" = "${page%.*}"
done
finish
