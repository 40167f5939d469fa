#!/usr/bin/env bash
# Proves check_doc_refs.sh can fail. Each case is a throw-away git repository
# with a Markdown file docs/guide (a heading "Store layout", and "Not a
# heading" inside a code fence) and one line of src/a.cpp: the check must
# pass on the good line and fail, naming the bad reference, on each bad one.
# The bad references are assembled from pieces ($md, $up, $iss), so this
# file holds none of them and the check passes on it.
set -euo pipefail
root=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
check=$root/tests/arch/check_doc_refs.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
md=md
up=..
iss=iss
Iss=Iss
n=0
failures=0

# fixture LINE: a new repository, $dir, whose src/a.cpp holds LINE.
fixture() {
  n=$((n + 1))
  dir=$tmp/case$n
  mkdir -p "$dir/docs" "$dir/src"
  printf '# Guide\n\n## Store layout\n\nText.\n\n```\n## Not a heading\n```\n' \
    >"$dir/docs/guide.$md"
  printf '%s\n' "$1" >"$dir/src/a.cpp"
  git -C "$dir" init -q
  git -C "$dir" add -A
}

# The control: good references pass, and a binary file is not read.
fixture "// docs/guide.$md §Store layout, ../docs/guide.$md, docs/guide.$md §Store layout"
printf '%s\0binary\n' "${iss}ue 12 docs/gone.$md" >"$dir/src/blob.bin"
git -C "$dir" add -A
if ! out=$(bash "$check" "$dir" 2>&1); then
  echo "selftest: good references were refused:"
  echo "$out"
  exit 1
fi

# expect_failure LINE NAMED: the check fails on LINE with the finding
# "src/a.cpp:1: names NAMED which does not exist".
expect_failure() {
  local out
  fixture "$1"
  if out=$(bash "$check" "$dir" 2>&1); then
    echo "selftest: not detected: $1"
    failures=$((failures + 1))
  elif ! grep -qxF "src/a.cpp:1: names $2 which does not exist" <<<"$out"; then
    echo "selftest: wrong message for: $1"
    echo "$out"
    failures=$((failures + 1))
  fi
}

expect_failure "// see design.$md for the store" "design.$md"
expect_failure "// style-exemplars.$md section 7" "style-exemplars.$md"
expect_failure "# $up/shared/notes, the old background folder" "$up/shared/notes"
expect_failure "# options: $up/shared/operations.$md section 1" "$up/shared/operations.$md"
expect_failure "// docs/missing.$md §Store layout" "docs/missing.$md"
expect_failure "// see notes/plan.$md" "notes/plan.$md"
expect_failure "// docs/guide.$md §Store, the layout" "docs/guide.$md §Store"
expect_failure "// docs/guide.$md §Not a heading" "docs/guide.$md §Not a heading"
expect_failure "// fixed in ${iss}ue 12" "${iss}ue 12"
expect_failure "// ${Iss}ue #7 asked for this" "${Iss}ue #7"
expect_failure "// see ${iss}ue#3" "${iss}ue#3"

if ((failures > 0)); then
  echo "selftest: $failures case(s) wrong"
  exit 1
fi
echo "selftest: good references pass; each of $((n - 1)) bad kinds is detected"
