#!/usr/bin/env bash
# Keeps the tree's references to documentation true; the convention is in
# docs/contributing.md §Citing the docs.
# Reads every text file git lists in SOURCE_ROOT (tracked, plus untracked
# files that are not ignored; binary files are skipped) and prints one line
# per finding, "path:line: names <x> which does not exist", for:
#   (a) a Markdown path that does not exist in the tree: a docs/ path must
#       exist exactly; any other path must exist relative to the file or to
#       the root, or end in the name of a listed file outside docs/ (install
#       layouts such as share/doc/hdc-reportd/README.md). The names of the
#       retired background documents (the design notes and the style
#       exemplars) and the folder beside the repository that held them are
#       always findings;
#   (b) a citation "docs/<file>.md §<Heading>" whose file exists but has no
#       Markdown heading of exactly that text. The heading runs from the
#       section sign to the end of the line or the first character other
#       than a letter, digit, space, '+', '_' or '-';
#   (c) an issue number: the word "issue" followed by a number, with or
#       without '#'.
# Exits 1 when there is a finding, 2 when the tree cannot be read.
# Usage: check_doc_refs.sh [SOURCE_ROOT]
set -euo pipefail
export LC_ALL=C
root=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
cd "$root"

if ! git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "check_doc_refs: $root is not a git work tree (the files to check come from git ls-files)"
  exit 2
fi

declare -A listed=()    # every listed file that exists
declare -A outside=()   # base names of listed files outside docs/
declare -A headings=()  # "docs/<file>.md|<Heading>"
files=()
while IFS= read -r -d '' f; do
  [[ -f $f ]] || continue  # deleted in the work tree, not yet committed
  listed[$f]=1
  files+=("$f")
  [[ $f == docs/* ]] || outside[${f##*/}]=1
done < <(git -C "$root" ls-files -z --cached --others --exclude-standard | sort -zu)

# Headings of docs/*.md: ATX lines outside fenced code blocks, without the
# leading and trailing '#' marks.
for f in "${files[@]}"; do
  [[ $f == docs/*.md && $f != docs/*/* ]] || continue
  while IFS= read -r h; do
    [[ -n $h ]] && headings["$f|$h"]=1
  done < <(awk '
    /^[ ]*(```|~~~)/ { fenced = !fenced; next }
    fenced { next }
    /^#+[ \t]/ {
      line = $0
      sub(/^#+[ \t]+/, "", line)
      sub(/[ \t]+#+[ \t]*$/, "", line)
      sub(/[ \t]+$/, "", line)
      print line
    }' "$f")
done

findings=0
report() {  # report FILE LINE WHAT
  echo "$1:$2: names $3 which does not exist"
  findings=$((findings + 1))
}

# normalize PATH: removes "." segments and folds "x/.." pairs; prints the
# result, or nothing when the path climbs out of the root.
normalize() {
  local -a out=()
  local part
  IFS=/ read -r -a parts <<<"$1"
  for part in "${parts[@]}"; do
    case $part in
      '' | .) ;;
      ..) ((${#out[@]})) || return 0; unset 'out[${#out[@]}-1]' ;;
      *) out+=("$part") ;;
    esac
  done
  local IFS=/
  echo "${out[*]}"
}

# md_exists FILE TOKEN: whether a Markdown path named in FILE exists (rule a).
md_exists() {
  local file=$1 token=$2 base=${2##*/} dir candidate
  case $base in  # the retired background documents (spelt as globs, so
    design.m[d] | style-exemplars.m[d]) return 1 ;;  # this line is no finding)
  esac
  if [[ $token == docs/* || $token == */docs/* ]]; then
    [[ -n ${listed[docs/${token##*docs/}]+set} ]]
    return
  fi
  dir=$(dirname "$file")
  for candidate in "$dir/$token" "$token"; do
    candidate=$(normalize "$candidate")
    [[ -n $candidate && -n ${listed[$candidate]+set} ]] && return 0
  done
  [[ -n ${outside[$base]+set} ]]
}

# grep_all PATTERN: "file:line:match" for every match in the listed files,
# binary files skipped.
grep_all() {
  ((${#files[@]})) || return 0
  printf '%s\0' "${files[@]}" | xargs -0 grep -IHnoE -- "$1" || true
}

# (a) Markdown paths.
while IFS=: read -r file line token; do
  md_exists "$file" "$token" || report "$file" "$line" "$token"
done < <(grep_all '(\.\.?/)*[A-Za-z0-9_][A-Za-z0-9_./~-]*\.md([^A-Za-z0-9_]|$)' |
         sed -E 's/[^A-Za-z0-9_]$//')

# (a) the folder beside the repository that held the background documents
# (a path ending in .md there is already reported above).
while IFS=: read -r file line token; do
  [[ $token == *.md ]] || report "$file" "$line" "$token"
done < <(grep_all '\.\./shared[A-Za-z0-9_./~-]*' | sed -E 's/\.$//')

# (b) citations of a heading in docs/.
while IFS=: read -r file line cite; do
  doc=${cite%% §*}
  heading=${cite#* §}
  heading=$(sed -E 's/[ _+-]+$//' <<<"$heading")
  [[ -n ${listed[$doc]+set} ]] || continue  # the path itself is reported by (a)
  [[ -n ${headings["$doc|$heading"]+set} ]] || report "$file" "$line" "$doc §$heading"
done < <(grep_all 'docs/[A-Za-z0-9_.-]+\.md §[A-Za-z0-9][A-Za-z0-9 +_-]*')

# (c) issue numbers.
while IFS=: read -r file line token; do
  report "$file" "$line" "$token"
done < <(grep_all '(^|[^A-Za-z0-9_])[Ii][Ss][Ss][Uu][Ee][Ss]?( +#?|#)[0-9]+' |
         sed -E 's/^([^:]*:[^:]*:)[^A-Za-z]*/\1/')

if ((findings > 0)); then
  echo "check_doc_refs: $findings reference(s) to something that does not exist"
  exit 1
fi
echo "check_doc_refs: every documentation reference resolves (${#files[@]} files)"
