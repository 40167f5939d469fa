#!/usr/bin/env bash
# Root is refused (docs/operations.md §Privileges; docs/reliability.md S13):
# hdc-reportd as uid 0 (as root, or as root of a user namespace when the
# test runs unprivileged), in daemon mode and with --once, exits 78 with
# one line naming the account to run as, and writes nothing: no state
# directory appears. --check-config is not refused; --allow-root runs.
# Control: the same --once as an unprivileged user is not refused.
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"

if [[ $(id -u) == 0 ]]; then
  as_root=()
  command -v setpriv >/dev/null || { echo "skip: running as root and setpriv is missing"; exit 77; }
  as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
  chmod 755 "$tmp"
else
  as_root=(unshare --user --map-root-user)
  "${as_root[@]}" true 2>/dev/null || { echo "skip: not root and no user namespaces to become uid 0"; exit 77; }
  as_user=()
fi
check "the root runs really are uid 0" test "$("${as_root[@]}" id -u)" = 0

e2e_world 7 daily
chmod -R a+rX "$tmp/jobs.d"
chmod 644 "$tmp/hdc.ini"
export HDC_CLIENT_SECRET=$DEMO_SECRET
refusal='hdc-reportd: refusing to run as root: run as the hdc-reportd user (systemctl start hdc-reportd, or runuser -u hdc-reportd -- hdc-reportd ...), or pass --allow-root to run as root anyway'

for mode in daemon once; do
  args=(--config "$tmp/hdc.ini")
  [[ $mode == once ]] && args+=(--once)
  # The daemon would run for ever if not refused: a bound turns that into 124.
  timeout -s KILL 20 "${as_root[@]}" "$real_bin" "${args[@]}" >"$tmp/$mode.out" 2>"$tmp/$mode.err"
  rc=$?
  check "$mode as root exits 78 ($rc)" test $rc = 78
  check "$mode: with one line naming the account to run as" \
    bash -c "test \$(wc -l <'$tmp/$mode.err') = 1 && grep -qxF '$refusal' '$tmp/$mode.err'"
  check "$mode: nothing written: no state directory" test ! -e "$tmp/state"
done

"${as_root[@]}" "$real_bin" --check-config --config "$tmp/hdc.ini" >"$tmp/check.out" 2>"$tmp/check.err"
rc=$?
check "--check-config as root is not refused: exit 0 ($rc)" test $rc = 0

# Control: an unprivileged user runs the same --once.
mkdir -p "$tmp/user"
chmod 777 "$tmp/user"
sed "s|^state_dir = .*|state_dir = $tmp/user/state|" "$tmp/hdc.ini" >"$tmp/user.ini"
chmod 644 "$tmp/user.ini"
"${as_user[@]}" "$real_bin" --once --config "$tmp/user.ini" 2>"$tmp/user.err"
rc=$?
check "control: the same --once as $("${as_user[@]}" id -un) is not refused: exit 0 ($rc)" test $rc = 0
check "control: and it wrote its state" test -f "$tmp/user/state/state.db"

"${as_root[@]}" "$real_bin" --allow-root --once --config "$tmp/hdc.ini" 2>"$tmp/allowed.err"
rc=$?
check "--allow-root: the run as root goes ahead: exit 0 ($rc)" test $rc = 0
check "--allow-root: and writes its state" test -f "$tmp/state/state.db"
finish
