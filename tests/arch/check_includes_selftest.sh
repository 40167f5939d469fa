#!/usr/bin/env bash
# Proves check_includes.sh can fail: a copy of the tree with one forbidden
# include (util including config) must be rejected, and the clean copy passes.
set -euo pipefail
root=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$root/daemon" "$tmp/daemon"
bash "$root/tests/arch/check_includes.sh" "$tmp" >/dev/null
echo '#include "config/job_spec.h"' >> "$tmp/daemon/util/clock.cpp"
if out=$(bash "$root/tests/arch/check_includes.sh" "$tmp"); then
  echo "selftest: a forbidden include was not detected"; exit 1
fi
grep -q "util may not include config" <<<"$out" || { echo "selftest: wrong message: $out"; exit 1; }
echo "selftest: forbidden include detected"
