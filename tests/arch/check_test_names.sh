#!/usr/bin/env bash
# CTest registers each doctest case by name, and CMake splits names at ';'
# into phantom tests that select nothing and always pass. Refuse such names.
set -euo pipefail
root=${1:-$(dirname "$0")/../..}
bad=$(grep -rnE 'TEST_CASE\("[^"]*;' "$root/tests" || true)
if [[ -n $bad ]]; then
  echo "test names must not contain ';' (CTest would split them into tests that run nothing):"
  echo "$bad"
  exit 1
fi
echo "check_test_names: no test name contains ';'"
