#!/usr/bin/env bash
# D01 (docs/reliability.md §Fault catalogue): state_dir on a small tmpfs that
# cannot hold every cab.
#   1. min_free_space = 1M: downloads stop at the guard, exit 75 with one line
#      naming the store and its free bytes; nothing corrupted (INV2-5);
#   2. not one byte free (a filler): the database cannot be written, exit 75
#      with one line naming it, nothing corrupted;
#   3. about 160 KiB free, min_free_space = 16K, 256 KiB cabs: a download
#      runs into ENOSPC, stops at once, is never promoted; exit 75, one line,
#      nothing corrupted, store/tmp bounded;
#   4. the tmpfs remounted bigger: the next run completes (exit 0), INV1-6.
# The script re-runs itself in a private mount namespace (unshare -m as root,
# else unshare -rm: user + mount namespace), so the tmpfs never outlives it;
# the emulator and the daemon share the host's network.
set -uo pipefail
bin=$1
src=$2
if [[ -z ${HDC_E2E_MOUNT_NS:-} ]]; then
  ns=(unshare -rm)  # an unprivileged user + mount namespace
  if [[ $(id -u) == 0 ]] && unshare -m true 2>/dev/null; then ns=(unshare -m); fi
  if ! "${ns[@]}" true 2>/dev/null; then
    echo "FAIL ${ns[*]} is refused here: no private mount namespace for the tmpfs"
    exit 1
  fi
  HDC_E2E_MOUNT_NS=1 exec "${ns[@]}" bash "$0" "$@"
fi
build=$(dirname "$(dirname "$bin")")
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"

e2e_world 6 "cab 4" --rows 12 --cab-size 256K --seed 5
mkdir -p "$tmp/state"
trap 'umount "$tmp/state" 2>/dev/null; kill $EMU_PID 2>/dev/null; wait $EMU_PID 2>/dev/null; rm -rf "$tmp"' EXIT
if ! mount -t tmpfs -o size=8m,mode=0700 tmpfs "$tmp/state" 2>"$tmp/mount.err"; then
  echo "FAIL cannot mount a tmpfs: $(cat "$tmp/mount.err")"
  exit 1
fi
# One download at a time: the guard is checked before each download starts
# and does not count the bytes of downloads already running, so with four
# at once four 256 KiB cabs could take the whole 1 MiB reserve, and which
# limit then trips first (the guard, or the database's next commit on a
# full disk) would depend on the timing. One at a time, the guard always
# trips first, with the reserve left for the database.
sed -i '/^\[service\]/a min_free_space = 1M\ndownload_concurrency = 1' "$tmp/hdc.ini"
export HDC_CLIENT_SECRET=$DEMO_SECRET
export INV_CACHE=$tmp/inv-cache.txt
db=$tmp/state/state.db
free_bytes() { df -B1 --output=avail "$tmp/state" | tail -1 | tr -d ' '; }
one_line() { grep '^hdc-reportd: ' "$tmp/$1"; }
fetched() { sqlite3 "$db" "SELECT count(*) FROM cabs WHERE state = 'fetched'"; }

run_once setup.err
check "the setup run on the 8 MiB tmpfs exits 0 ($rc)" test $rc = 0
emu_clock '{"advance":"75h"}'

# 1. The min_free_space guard.
run_once full1.err
line=$(one_line full1.err)
echo "   $line"
check "1. the run that fills the tmpfs exits 75 ($rc)" test $rc = 75
check "1. with one line" test "$(grep -c . <<<"$line")" = 1
check "1. naming the store and its free bytes" \
  bash -c "grep -q '$tmp/state' <<<'$line' && grep -qE 'only [0-9.]+ ?[KMG]?i?B? free|[0-9]+ bytes free' <<<'$line'"
said=$(sed -n 's/.*only \([0-9]*[KMGT]\{0,1\}\) free.*/\1/p' <<<"$line")  # util::FormatByteSize
case $said in *K) said_bytes=$((${said%K} << 10)) ;; *M) said_bytes=$((${said%M} << 20)) ;;
  *G | *T) said_bytes=$((1 << 40)) ;; *) said_bytes=${said:-$((1 << 40))} ;; esac
check "1. the free space it names is below 1 MiB ($said)" test "$said_bytes" -lt $((1 << 20))
n1=$(fetched) total=$(sqlite3 "$db" "SELECT count(*) FROM cabs")
check "1. some cabs stored, not all ($n1 of $total)" test "$n1" -gt 0 -a "$n1" -lt "$total"
check "1. INV2-5 hold: nothing corrupted, no orphan, no half file" check_invariants "$tmp/state" partial
partials=$(find "$tmp/state/store/tmp" -type f | wc -l)
check "1. no partial left in store/tmp ($partials)" test "$partials" = 0

# 2. A disk with no byte left: the first database write fails.
dd if=/dev/zero of="$tmp/state/filler" bs=64K status=none 2>/dev/null  # until ENOSPC
echo "   free before the run on a full disk: $(free_bytes) bytes"
run_once full2.err
line=$(one_line full2.err)
echo "   $line"
check "2. the run on a full disk exits 75 ($rc)" test $rc = 75
check "2. with one line" test "$(grep -c . <<<"$line")" = 1
# SQLite says "database or disk is full" when the WAL cannot grow, "disk I/O
# error (in PRAGMA journal_mode=WAL)" when the -shm cannot be made.
check "2. naming the database" grep -q "$tmp/state/state.db" <<<"$line"
rm -f "$tmp/state/filler"  # (sqlite3 itself may need a byte to open the database)
check "2. no cab promoted ($(fetched) fetched, as before $n1)" test "$(fetched)" = "$n1"
check "2. INV2-5 hold: nothing corrupted, no orphan, no half file" check_invariants "$tmp/state" partial

# 3. ENOSPC in the middle of a cab: about 160 KiB free (a cab is 256 KiB),
# min_free_space below that.
sed -i 's/^min_free_space = .*/min_free_space = 16K/' "$tmp/hdc.ini"
sqlite3 "$db" "UPDATE cabs SET next_attempt_at = NULL"  # no cross-run backoff wait: time passes
used=$(df -B1 --output=used "$tmp/state" | tail -1 | tr -d ' ')  # after sqlite3 checkpointed the WAL
mount -t tmpfs -o remount,size=$(((used + 160 * 1024 + 4095) / 4096 * 4096)) tmpfs "$tmp/state"
echo "   free before the ENOSPC run: $(free_bytes) bytes"
# A full disk is not a network fault: the download stops at the first
# ENOSPC, at once. A bound of 20 s (the daemon's HTTP retries of 8 attempts
# with exponential backoff would take minutes) tells the two apart.
started=$SECONDS
once_wrap=(timeout -s TERM 20)
run_once full3.err
took=$((SECONDS - started))
unset once_wrap
line=$(one_line full3.err)
echo "   $line"
check "3. the run stops at ENOSPC instead of retrying it (took ${took}s, exit $rc; 124 = still retrying at 20 s)" \
  test $rc != 124
check "3. the run that hits ENOSPC exits 75 ($rc)" test $rc = 75
check "3. with one line" test "$(grep -c . <<<"$line")" = 1
check "3. naming the store and the error" \
  bash -c "grep -q '$tmp/state/store' <<<'$line' && grep -qiE 'no space left|free' <<<'$line'"
check "3. it tried a download (ENOSPC logged)" grep -qi "no space left on device" "$tmp/full3.err"
check "3. no cab promoted ($(fetched) fetched, as before $n1)" test "$(fetched)" = "$n1"
check "3. INV2-5 hold: nothing corrupted, no orphan, no half file" check_invariants "$tmp/state" partial
left=$(du -sb "$tmp/state/store/tmp" | cut -f1)
check "3. what is left in store/tmp is bounded by one cab ($left bytes)" test "$left" -le $((256 * 1024 + 4096))

# 4. Space again: the next run completes.
mount -t tmpfs -o remount,size=64m tmpfs "$tmp/state"
sed -i 's/^min_free_space = .*/min_free_space = 1M/' "$tmp/hdc.ini"
sqlite3 "$db" "UPDATE cabs SET next_attempt_at = NULL"
run_once full4.err
check "4. with space again the run exits 0 ($rc)" test $rc = 0 || tail -3 "$tmp/full4.err"
check "4. every cab stored ($(fetched) of $total)" test "$(fetched)" = "$total"
check "4. INV1-6 hold" check_invariants "$tmp/state"
finish
