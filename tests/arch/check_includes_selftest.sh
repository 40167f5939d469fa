#!/usr/bin/env bash
# Proves check_includes.sh can fail and reads the one dependency table:
# a copy of the tree with one forbidden include (util including config) is
# rejected; so is the clean copy once cmake/modules.txt takes platform out of
# store's row (store's own includes of platform then break the rule); the
# clean copy passes.
set -euo pipefail
root=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
copy() {
  rm -rf "$tmp/tree" && mkdir -p "$tmp/tree/cmake"
  cp -r "$root/daemon" "$tmp/tree/daemon"
  cp "$root/cmake/modules.txt" "$tmp/tree/cmake/modules.txt"
}
copy
bash "$root/tests/arch/check_includes.sh" "$tmp/tree" >/dev/null

echo '#include "config/job_spec.h"' >> "$tmp/tree/daemon/util/clock.cpp"
if out=$(bash "$root/tests/arch/check_includes.sh" "$tmp/tree"); then
  echo "selftest: a forbidden include was not detected"; exit 1
fi
grep -q "util may not include config" <<<"$out" || { echo "selftest: wrong message: $out"; exit 1; }

copy
sed -i -E 's/^store:.*/store: util/' "$tmp/tree/cmake/modules.txt"
if out=$(bash "$root/tests/arch/check_includes.sh" "$tmp/tree"); then
  echo "selftest: a row narrowed in cmake/modules.txt changed nothing"; exit 1
fi
grep -q "store may not include platform" <<<"$out" || { echo "selftest: wrong message: $out"; exit 1; }
echo "selftest: forbidden include detected, and the table is read from cmake/modules.txt"
