#!/usr/bin/env bash
# `cmake --install` (make install) into a DESTDIR for the prefixes /usr/local
# and /opt/hdc-reportd: the layout of cmake/install.cmake, units and the
# annotated configuration rewritten for the prefix, the installed
# hdc-reportd --check-config accepting the installed configuration as it is,
# and a second install keeping an edited configuration. Reconfigures BUILD
# for each prefix and restores its CMAKE_INSTALL_PREFIX at the end (nothing
# is rebuilt: the prefix is not a compile flag).
# Usage: install_test.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
src=$1 build=$2
source "$src/tests/package/lib.sh"
tmp=$(mktemp -d)
orig_prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
trap 'cmake -S "$src" -B "$build" -DCMAKE_INSTALL_PREFIX="$orig_prefix" >/dev/null; rm -rf "$tmp"' EXIT
export HDC_CLIENT_SECRET=x

install_at() {  # install_at PREFIX DESTDIR
  cmake -S "$src" -B "$build" -DCMAKE_INSTALL_PREFIX="$1" >"$tmp/configure.log" 2>&1 &&
    DESTDIR=$2 cmake --install "$build" >"$tmp/install.log" 2>&1
}
# check_prefix PREFIX CONFDIR STATEDIR
check_prefix() {
  local prefix=$1 confdir=$2 statedir=$3 dest=$tmp/dest${1//\//_}
  check "$prefix: cmake --install with DESTDIR succeeds" install_at "$prefix" "$dest" ||
    { cat "$tmp/configure.log" "$tmp/install.log"; return; }
  local bin
  for bin in hdc-reportd hdc-reportctl hdc-emulator; do
    check "$prefix: $prefix/bin/$bin is executable" test -x "$dest$prefix/bin/$bin"
  done
  for f in lib/systemd/system/hdc-reportd.service lib/systemd/system/hdc-reportd-once.service \
           lib/systemd/system/hdc-reportd-once.timer lib/sysusers.d/hdc-reportd.conf \
           lib/tmpfiles.d/hdc-reportd.conf share/man/man8/hdc-reportd.8.gz \
           share/man/man5/hdc-reportd.ini.5.gz share/man/man1/hdc-reportctl.1.gz \
           share/man/man1/hdc-emulator.1.gz share/doc/hdc-reportd/README.md \
           share/doc/hdc-reportd/copyright; do
    check "$prefix: $prefix/$f" test -f "$dest$prefix/$f"
  done
  check "$prefix: the service runs $prefix/bin/hdc-reportd --config $confdir/hdc-reportd.ini" \
    grep -qx "ExecStart=$prefix/bin/hdc-reportd --config $confdir/hdc-reportd.ini" \
    "$dest$prefix/lib/systemd/system/hdc-reportd.service"
  check "$prefix: the configuration is in $confdir with its jobs.d" \
    test -f "$dest$confdir/hdc-reportd.ini" -a -f "$dest$confdir/jobs.d/01-ihv-all-columns.ini"
  check "$prefix: it names state_dir $statedir and jobs_dir $confdir/jobs.d" bash -c \
    "grep -q '^state_dir = $statedir ' '$dest$confdir/hdc-reportd.ini' &&
     grep -q '^jobs_dir = $confdir/jobs.d ' '$dest$confdir/hdc-reportd.ini'"
  # The installed files agree with each other: with jobs_dir moved under
  # DESTDIR, the installed binary accepts the installed configuration.
  sed "s|^jobs_dir = $confdir/jobs.d|jobs_dir = $dest$confdir/jobs.d|; s|^client_secret_file = .*|client_secret_file =|" \
    "$dest$confdir/hdc-reportd.ini" >"$tmp/check.ini"
  check "$prefix: the installed hdc-reportd --check-config accepts it" \
    bash -c "'$dest$prefix/bin/hdc-reportd' --check-config --config '$tmp/check.ini' >/dev/null 2>&1"
  echo "; edited by the operator" >>"$dest$confdir/hdc-reportd.ini"
  install_at "$prefix" "$dest"
  check "$prefix: installing again keeps the edited configuration" \
    grep -q 'edited by the operator' "$dest$confdir/hdc-reportd.ini"
}

check_prefix /usr/local /etc/hdc-reportd /var/lib/hdc-reportd
check_prefix /opt/hdc-reportd /etc/opt/hdc-reportd /var/opt/hdc-reportd
finish
