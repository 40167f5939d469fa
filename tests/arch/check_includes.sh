#!/usr/bin/env bash
# Enforces the dependency table (cmake/modules.txt, docs/architecture.md
# §Dependency rules) on #include lines: a module may include only itself and
# the modules in its row; heavy third-party headers stay in the adapters. Prints every violation as
# "file:line: <module> may not include <what>" and exits 1 if there is one.
set -euo pipefail
root=${1:-$(dirname "$0")/../..}
cd "$root"

# The dependency table, from its only copy.
table=cmake/modules.txt
declare -A allowed=()
while IFS= read -r entry; do
  allowed[${entry%%:*}]=${entry#*:}
done < <(grep -E '^[a-z_]+:' "$table")
# Modules whose files may include nlohmann_json (config and auth only in .cpp
# files).
json_ok=" api reconcile ctl service dashboard "
failures=0

fail() { echo "$1: $2"; failures=$((failures + 1)); }
# Sets target to the first folder of an #include "folder/..." line (a bash
# match, not a process per line: the check reads every include of the tree).
include_root() {
  target=
  if [[ $1 =~ \#include\ \"([a-z_]+)/ ]]; then target=${BASH_REMATCH[1]}; fi
}

for dir in daemon/*/; do
  module=$(basename "$dir")
  if [[ -z ${allowed[$module]+set} ]]; then
    fail "$dir" "module '$module' is not in the dependency table (cmake/modules.txt)"
    continue
  fi
  while IFS= read -r file; do
    while IFS=: read -r line text; do
      include_root "$text"
      [[ $target == "$module" ]] && continue
      if [[ $target == emulator || $target == tests || $target == bench ]] ||
         [[ " ${allowed[$module]} " != *" $target "* ]]; then
        fail "$file:$line" "$module may not include $target"
      fi
    done < <(grep -nE '^#include "[a-z_]+/' "$file" || true)
    is_header=0; [[ $file == *.h ]] && is_header=1
    if (( is_header )) && [[ $module != service ]] && grep -qE '^#include <Poco/' "$file"; then
      fail "$file" "Poco headers belong in .cpp files (only service/ headers may include them)"
    fi
    if [[ $module != db ]] && grep -qE '^#include <sqlite3.h>' "$file"; then
      fail "$file" "sqlite3.h belongs in db/*.cpp only"
    fi
    if grep -qE '^#include <nlohmann/' "$file"; then
      if [[ $json_ok != *" $module "* ]] &&
         ! [[ ($module == config || $module == auth) && $is_header == 0 ]]; then
        fail "$file" "nlohmann_json is for api/, reconcile/, ctl/, service/, dashboard/ (and config/*.cpp, auth/*.cpp)"
      fi
    fi
  done < <(find "$dir" -name '*.h' -o -name '*.cpp')
done

# The emulator shares no code with the daemon except util.
if [[ -d emulator ]]; then
  while IFS=: read -r file line text; do
    include_root "$text"
    [[ $target == emulator || $target == util ]] || fail "$file:$line" "emulator may not include $target"
  done < <(grep -rnE '^#include "[a-z_]+/' emulator || true)
fi

if (( failures > 0 )); then
  echo "check_includes: $failures violation(s)"
  exit 1
fi
echo "check_includes: dependency rules hold"
