#!/usr/bin/env bash
# Symbolic links under the state directory are refused, never followed and
# never deleted (docs/reliability.md S6; store/link_guard.h). The attack that
# worked: a link in place of the lock file, state.db, the store or one of its
# folders made hdc-reportd write the pid, the database, reports and cabs
# outside the state directory, and the sweep then removed the link as an
# orphan. Now, for each placement, hdc-reportd --once (and the daemon, and
# hdc-reportctl sweep) exits 78 with one line naming the link, and nothing
# is written where it points; hdc-reportctl verify lists it. A link planted
# while a run is under way is refused by the call that meets it.
# Control: the same runs without the link exit 0.
set -uo pipefail
bin=$1
src=$2
build=$(dirname "$(dirname "$bin")")
ctl_bin="$(dirname "$bin")/hdc-reportctl"
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"

e2e_world 7 daily
mkdir -p "$tmp/outside"
service_keys "$tmp/hdc.ini" "retention_clock = downloaded"
export HDC_CLIENT_SECRET=$DEMO_SECRET
state=$tmp/state
outside_untouched() {  # nothing but the victim file in the folder links point at
  [[ $(ls -A "$tmp/outside") == victim && $(cat "$tmp/outside/victim") == precious ]]
}

run_once setup.err
check "(control) a run without links exits 0 ($rc)" test $rc = 0
emu_clock '{"advance":"27h"}'
run_once fetch.err
check "(control) it stores reports and cabs ($rc)" \
  bash -c "test $rc = 0 && ls '$state/store/cabs' | grep -q . && ls '$state/store/reports/kernel' | grep -q ."
prefix=$(ls "$state/store/cabs" | head -1)
echo precious >"$tmp/outside/victim"
emu_clock '{"advance":"24h"}'  # new work, so a followed link would be written through

# placement: the path under the state directory; what the link points at.
for placement in lock:file state.db:file store:dir store/cabs:dir store/reports:dir store/tmp:dir \
  "store/cabs/$prefix:dir" store/reports/kernel:dir; do
  path=${placement%:*}
  kind=${placement##*:}
  target=$tmp/outside
  [[ $kind == file ]] && target=$tmp/outside/victim
  mv "$state/$path" "$tmp/aside"
  ln -s "$target" "$state/$path"
  run_once "link-${path//\//-}.err"
  check "$path as a link: --once exits 78 ($rc)" test $rc = 78
  check "$path as a link: one line naming it" \
    bash -c "test \$(grep -c '^hdc-reportd: ' '$tmp/link-${path//\//-}.err') = 1 && grep -qF 'hdc-reportd: $state/$path is a symbolic link;' '$tmp/link-${path//\//-}.err'"
  check "$path as a link: nothing written where it points" outside_untouched
  check "$path as a link: the link is still there" test -L "$state/$path"
  rm "$state/$path"
  mv "$tmp/aside" "$state/$path"
done

# The daemon refuses too; hdc-reportctl sweep refuses; verify lists the link.
ln -s "$tmp/outside" "$state/store/cabs/zz"
timeout 20 "$bin" --config "$tmp/hdc.ini" 2>"$tmp/daemon.err"
rc=$?
check "the daemon exits 78 on a link ($rc)" test $rc = 78
check "naming it" grep -qF "$state/store/cabs/zz is a symbolic link;" "$tmp/daemon.err"
"$ctl_bin" --config "$tmp/hdc.ini" sweep >"$tmp/sweep.out" 2>"$tmp/sweep.err"
rc=$?
check "hdc-reportctl sweep exits 78 on a link ($rc)" test $rc = 78
check "and deletes nothing: the link stays" test -L "$state/store/cabs/zz"
"$ctl_bin" --config "$tmp/hdc.ini" verify >"$tmp/verify.out" 2>"$tmp/verify.err"
rc=$?
check "hdc-reportctl verify exits 65 on a link ($rc)" test $rc = 65
check "and lists it" grep -qxF "link: store/cabs/zz (a symbolic link under the state directory)" "$tmp/verify.out"
check "nothing written where it points" outside_untouched
rm "$state/store/cabs/zz"

# A link planted while --once runs, after its start-up check passed: the
# store's cab folder becomes a link while a cab drips in, so the cab's
# rename into it meets the link (the confined file system,
# platform/filesystem.h). Refused at that call, exit 78, nothing written
# where it points.
emu_clock '{"advance":"24h"}'
emu_faults '[{"endpoint":"blob.cab","kind":"drip","rate":8192}]'
"$bin" --once --config "$tmp/hdc.ini" 2>"$tmp/planted.err" &
pid=$!
cab_partial() { ls "$state/store/tmp" 2>/dev/null | grep -q '^cab-'; }
check "(running) the run reaches a cab download" wait_for "a cab partial" cab_partial
mv "$state/store/cabs" "$tmp/aside"
ln -s "$tmp/outside" "$state/store/cabs"
emu_faults '[]'
wait $pid
rc=$?
check "(running) a link planted during the run: --once exits 78 ($rc)" test $rc = 78
check "(running) one line naming it" \
  bash -c "test \$(grep -c '^hdc-reportd: ' '$tmp/planted.err') = 1 && grep '^hdc-reportd: ' '$tmp/planted.err' | grep -qF '$state/store/cabs is a symbolic link;'"
check "(running) the cabs are not charged for it: none waits for a next attempt" \
  bash -c "! grep -q 'wait for their next attempt' '$tmp/planted.err'"
check "(running) nothing written where it points" outside_untouched
check "(running) the link is still there" test -L "$state/store/cabs"
rm "$state/store/cabs"
mv "$tmp/aside" "$state/store/cabs"

run_once after.err
check "(control) without the links the run exits 0 again ($rc)" test $rc = 0
check "(control) INV1-6 hold" check_invariants "$state"
finish
