#!/usr/bin/env bash
# Proves check_module_roots.py can fail: with the table's row for retention
# narrowed (store taken out), retention's real include roots no longer match
# and the check names the extra root; the real table passes.
set -euo pipefail
root=$(cd "$1" && pwd)
build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check=$root/tests/arch/check_module_roots.py
python3 "$check" "$root" "$build" >/dev/null
mkdir -p "$tmp/cmake"
ln -s "$root/daemon" "$tmp/daemon"
sed -E 's/^retention:.*/retention: util platform db/' "$root/cmake/modules.txt" > "$tmp/cmake/modules.txt"
if out=$(python3 "$check" "$tmp" "$build"); then
  echo "selftest: a narrowed row was not detected"; exit 1
fi
grep -q "retention sees \['store'\]" <<<"$out" || { echo "selftest: wrong message: $out"; exit 1; }
echo "selftest: include roots wider than the table detected"
