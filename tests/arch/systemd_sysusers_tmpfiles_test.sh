#!/usr/bin/env bash
# The sysusers.d and tmpfiles.d snippets of systemd/, applied to a scratch
# --root without a running systemd, give the user hdc-reportd (home
# /var/lib/hdc-reportd), the state directories, their modes and owners.
# systemd-tmpfiles chowns to that user, which needs root: not run as root,
# the script exits 77 with its reason (CTest shows it as skipped).
# Usage: systemd_sysusers_tmpfiles_test.sh SOURCE_DIR
set -euo pipefail
root=${1:-$(dirname "$0")/../..}
units=$root/systemd

if [[ $(id -u) -ne 0 ]]; then
  echo "systemd_sysusers_tmpfiles_test: not root: applying tmpfiles.d to a scratch root needs root for chown"
  exit 77
fi
if ! command -v systemd-sysusers >/dev/null || ! command -v systemd-tmpfiles >/dev/null; then
  echo "FAIL: systemd-sysusers or systemd-tmpfiles missing (Debian package 'systemd')"
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

r=$work/root
mkdir -p "$r/etc"
if systemd-sysusers --root="$r" "$units/sysusers.d/hdc-reportd.conf" >/dev/null 2>&1 &&
   systemd-tmpfiles --root="$r" --create "$units/tmpfiles.d/hdc-reportd.conf" 2>&1; then
  uid=$(awk -F: '$1 == "hdc-reportd" { print $3 }' "$r/etc/passwd")
  gid=$(awk -F: '$1 == "hdc-reportd" { print $3 }' "$r/etc/group")
  home=$(awk -F: '$1 == "hdc-reportd" { print $6 }' "$r/etc/passwd")
  [[ -n $uid && -n $gid && $home == /var/lib/hdc-reportd ]] &&
    pass "sysusers.d: system user hdc-reportd (uid $uid, gid $gid, home $home)" ||
    fail "sysusers.d did not create user and group hdc-reportd with home /var/lib/hdc-reportd"
  for spec in "var/lib/hdc-reportd 750" "var/lib/hdc-reportd/store 750" "var/lib/hdc-reportd/store/tmp 700"; do
    read -r path mode <<<"$spec"
    got=$(stat -c '%a %u:%g' "$r/$path" 2>/dev/null || echo missing)
    if [[ $got == "$mode $uid:$gid" ]]; then
      pass "tmpfiles.d: /$path $got"
    else
      fail "tmpfiles.d: /$path is '$got', expected '$mode $uid:$gid'"
    fi
  done
else
  fail "systemd-sysusers/systemd-tmpfiles --root failed on the snippets"
fi

if ((failures > 0)); then
  echo "systemd_sysusers_tmpfiles_test: $failures failure(s)"
  exit 1
fi
echo "systemd_sysusers_tmpfiles_test: all checks passed"
