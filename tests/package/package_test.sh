#!/usr/bin/env bash
# The packages `make package` built, from the outside:
#   1. both .deb and both .rpm exist, named with project(VERSION);
#   2. dpkg-deb -I / -c: names, computed Depends, conffiles = everything
#      under /etc, owners and modes, maintainer scripts, man pages, no stray
#      paths; the emulator only in hdc-reportd-emulator;
#   3. lintian: no error and no warning (infos are printed);
#      rpmlint (packaging/rpm/rpmlint.toml): no error and no warning;
#      the rpm carries the same files, %config(noreplace) and scriptlets;
#   4. dpkg -x into a temporary root: the installed hdc-reportd --version,
#      --check-config with the packaged configuration and its five sample jobs,
#      and two --once runs against the installed hdc-emulator with one sample
#      job enabled (reports and cabs stored, hdc-reportctl reads them);
#   5. as root, on a host where no hdc-reportd is installed: dpkg -i, -r, -P
#      (user, state directory 0750, enabled-not-started unit, conffiles and
#      state kept on remove, gone on purge; the user is kept), always purged
#      again on exit. HDC_PACKAGE_TEST_HOST=0 skips this part.
# A part that cannot run here prints "SKIP: <reason>" on its own line and is
# counted in the summary line ("N failed, M skipped").
# Usage: package_test.sh SOURCE_DIR PACKAGE_DIR
set -uo pipefail
src=$1 pkgdir=$2
source "$src/tests/package/lib.sh"
tmp=$(mktemp -d)
emu_pid=
host_cleanup=:
cleanup() {
  [[ -n $emu_pid ]] && { kill "$emu_pid" 2>/dev/null; wait "$emu_pid" 2>/dev/null; }
  eval "$host_cleanup"
  rm -rf "$tmp"
}
trap cleanup EXIT

version=$(sed -nE 's/^project\(hdc-reportd VERSION ([0-9.]+).*/\1/p' "$src/CMakeLists.txt")
arch=$(dpkg --print-architecture)
rpm_arch=$(uname -m)
deb=$pkgdir/hdc-reportd_${version}_$arch.deb
emu_deb=$pkgdir/hdc-reportd-emulator_${version}_$arch.deb
rpm_pkg=$pkgdir/hdc-reportd-$version-1.$rpm_arch.rpm
emu_rpm=$pkgdir/hdc-reportd-emulator-$version-1.$rpm_arch.rpm

# --- 1. The files -----------------------------------------------------------
for f in "$deb" "$emu_deb" "$rpm_pkg" "$emu_rpm"; do
  check "${f#"$pkgdir/"} exists ($(stat -c %s "$f" 2>/dev/null || echo 0) bytes)" test -s "$f"
done
[[ -s $deb && -s $emu_deb ]] || finish

# --- 2. dpkg-deb -I / -c -------------------------------------------------------
field() { dpkg-deb -f "$1" "$2"; }
check "Version is project(VERSION) $version" test "$(field "$deb" Version)" = "$version"
check "the emulator package has the same version" test "$(field "$emu_deb" Version)" = "$version"
check "Package: hdc-reportd" test "$(field "$deb" Package)" = hdc-reportd
check "Package: hdc-reportd-emulator" test "$(field "$emu_deb" Package)" = hdc-reportd-emulator
depends=$(field "$deb" Depends)
echo "     hdc-reportd Depends: $depends"
echo "     hdc-reportd-emulator Depends: $(field "$emu_deb" Depends)"
check "Depends names the shared libraries (dpkg-shlibdeps)" \
  bash -c "grep -q 'libpocofoundation' <<<'$depends' && grep -q 'libsqlite3' <<<'$depends' && grep -q 'libc6 (>=' <<<'$depends'"
check "the emulator's Depends are computed too" grep -q 'libpoconet' <<<"$(field "$emu_deb" Depends)"
check "Depends: adduser (the postinst fallback without systemd-sysusers)" grep -qw adduser <<<"$depends"

listing=$(dpkg-deb -c "$deb")
emu_listing=$(dpkg-deb -c "$emu_deb")
all_listing=$(printf '%s\n%s\n' "$listing" "$emu_listing")
paths() { awk '{ print $6 }' | sed 's|^\./|/|; s|/$||' | grep -v '^$'; }
files=$(awk '$1 !~ /^d/' <<<"$listing" | paths | sort)
emu_files=$(awk '$1 !~ /^d/' <<<"$emu_listing" | paths | sort)
expected_files="/etc/hdc-reportd/hdc-reportd.ini
/usr/bin/hdc-reportctl
/usr/bin/hdc-reportd
/usr/lib/systemd/system/hdc-reportd-once.service
/usr/lib/systemd/system/hdc-reportd-once.timer
/usr/lib/systemd/system/hdc-reportd.service
/usr/lib/sysusers.d/hdc-reportd.conf
/usr/lib/tmpfiles.d/hdc-reportd.conf
/usr/share/doc/hdc-reportd/README.md
/usr/share/doc/hdc-reportd/changelog.gz
/usr/share/doc/hdc-reportd/copyright
/usr/share/man/man1/hdc-reportctl.1.gz
/usr/share/man/man5/hdc-reportd.ini.5.gz
/usr/share/man/man8/hdc-reportd.8.gz"
same_set "hdc-reportd files (besides jobs.d)" "the package" "$(grep -v '^/etc/hdc-reportd/jobs.d/' <<<"$files")" \
  "the expected layout" "$expected_files"
same_set "hdc-reportd /etc/hdc-reportd/jobs.d" "the package" \
  "$(sed -n 's|^/etc/hdc-reportd/jobs.d/||p' <<<"$files")" "config/jobs.d" "$(ls "$src/config/jobs.d")"
same_set "hdc-reportd-emulator files" "the package" "$emu_files" "the expected layout" \
  "/usr/bin/hdc-emulator
/usr/share/doc/hdc-reportd-emulator/changelog.gz
/usr/share/doc/hdc-reportd-emulator/copyright
/usr/share/man/man1/hdc-emulator.1.gz"
check "every entry is owned by root/root" \
  test -z "$(awk '$2 != "root/root"' <<<"$all_listing" | grep .)"
check "executables are -rwxr-xr-x" \
  test -z "$(awk '$6 ~ /^\.\/usr\/bin\/./ && $1 != "-rwxr-xr-x"' <<<"$all_listing")"
check "other files are -rw-r--r--, directories drwxr-xr-x" \
  test -z "$(awk '$6 !~ /^\.\/usr\/bin\/./ && $1 != "-rw-r--r--" && $1 != "drwxr-xr-x"' <<<"$all_listing")"
check "nothing outside /etc/hdc-reportd and /usr, nothing in /usr/local" \
  test -z "$(paths <<<"$all_listing" | grep -vE '^(/etc|/etc/hdc-reportd(/.*)?|/usr(/.*)?)$' ;
             paths <<<"$all_listing" | grep '^/usr/local')"
check "no hdc-emulator in hdc-reportd" test -z "$(grep hdc-emulator <<<"$files")"
check "the units run /usr/bin/hdc-reportd with /etc/hdc-reportd/hdc-reportd.ini" bash -c \
  "dpkg-deb --fsys-tarfile '$deb' | tar -xO ./usr/lib/systemd/system/hdc-reportd.service |
   grep -qx 'ExecStart=/usr/bin/hdc-reportd --config /etc/hdc-reportd/hdc-reportd.ini'"

control=$tmp/control
dpkg-deb -e "$deb" "$control"
conffiles=$(sort "$control/conffiles")
same_set "conffiles" "DEBIAN/conffiles" "$conffiles" "the files under /etc" "$(grep '^/etc/' <<<"$files")"
info=$(dpkg-deb -I "$deb")
executable_script() {  # executable_script NAME: listed with '*' (mode 0755) and parses
  grep -qE "^ +[0-9]+ bytes, +[0-9]+ lines +\* +$1 +#!/bin/sh" <<<"$info" && sh -n "$control/$1"
}
for script in postinst prerm postrm; do
  check "$script is an executable shell script" executable_script $script
done
check "the emulator package has no maintainer scripts" \
  test -z "$(dpkg-deb -I "$emu_deb" | grep -E ' (postinst|prerm|postrm|preinst) ')"

# --- 3. lintian and rpmlint ----------------------------------------------------
if command -v lintian >/dev/null; then
  lint=$(lintian --pedantic --display-info "$deb" "$emu_deb" 2>&1 | grep -v 'running with root privileges')
  errors_warnings=$(grep -E '^[EW]: ' <<<"$lint")
  check "lintian: no error and no warning${errors_warnings:+:$'\n'$errors_warnings}" test -z "$errors_warnings"
  echo "     lintian infos kept: $(grep -cE '^[IP]: ' <<<"$lint") ($(grep -oE '^[IP]: [^ ]+ [^ ]+' <<<"$lint" |
       awk '{ print $3 }' | sort | uniq -c | awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }'))"
else
  fail "lintian is not installed (make package-deps)"
fi
if command -v rpmlint >/dev/null && [[ -s $rpm_pkg ]]; then
  rlint=$(rpmlint -c "$src/packaging/rpm/rpmlint.toml" "$rpm_pkg" "$emu_rpm" 2>&1)
  check "rpmlint: $(grep -oE '[0-9]+ errors, [0-9]+ warnings' <<<"$rlint")" \
    grep -qE ' 0 errors, 0 warnings' <<<"$rlint"
  grep -E '^hdc-reportd' <<<"$rlint" | sed 's/^/     /'
elif [[ -s $rpm_pkg ]]; then
  skip "rpmlint: not installed (make package-deps)"
else
  skip "rpmlint: no ${rpm_pkg#"$pkgdir/"}"
fi
if command -v rpm >/dev/null && [[ -s $rpm_pkg ]]; then
  rpm_files=$(rpm -qp --qf '[%{FILENAMES} %{FILEMODES:perms}\n]' "$rpm_pkg" 2>/dev/null | awk '$2 !~ /^d/ { print $1 }' | sort)
  same_set "the rpm holds the .deb's files" "hdc-reportd.rpm" "$rpm_files" "hdc-reportd.deb" "$files"
  same_set "rpm %config(noreplace) files are the conffiles" "rpm -qc" \
    "$(rpm -qpc "$rpm_pkg" 2>/dev/null | sort)" "conffiles" "$conffiles"
  scripts=$(rpm -qp --scripts "$rpm_pkg" 2>/dev/null)
  has_scriptlets() {
    grep -q 'postinstall scriptlet' <<<"$scripts" && grep -q 'preuninstall scriptlet' <<<"$scripts" &&
      grep -q 'postuninstall scriptlet' <<<"$scripts" && grep -q systemd-sysusers <<<"$scripts"
  }
  check "the rpm has %post (systemd-sysusers), %preun and %postun scriptlets" has_scriptlets
  check "the rpm's Requires are computed (libPocoFoundation)" \
    bash -c "rpm -qpR '$rpm_pkg' 2>/dev/null | grep -q libPocoFoundation"
  check "hdc-emulator only in the emulator rpm" bash -c \
    "rpm -qpl '$emu_rpm' 2>/dev/null | grep -qx /usr/bin/hdc-emulator && ! rpm -qpl '$rpm_pkg' 2>/dev/null | grep -q hdc-emulator"
elif [[ -s $rpm_pkg ]]; then
  skip "the rpm's files, %config and scriptlets: rpm is not installed (make package-deps)"
else
  skip "the rpm's files, %config and scriptlets: no ${rpm_pkg#"$pkgdir/"}"
fi

# --- 4. dpkg -x: run what was installed ------------------------------------------
root=$tmp/root
dpkg -x "$deb" "$root" && dpkg -x "$emu_deb" "$root"
bin=$root/usr/bin
check "the installed hdc-reportd --version prints $version" \
  grep -qE "^hdc-reportd $version( \(git [0-9a-f]+\))?$" <<<"$("$bin/hdc-reportd" --version)"
check "the installed hdc-reportctl --version prints $version" \
  grep -q "^hdc-reportctl $version" <<<"$("$bin/hdc-reportctl" --version)"

exec {emu_out}< <("$bin/hdc-emulator" --port 0 --clock manual --start "$(date -u -d '-7 days' +%Y-%m-%d)T00:00:00Z" \
                  --rows 60 2>"$tmp/emulator.log")
emu_pid=$!
read -r -t 30 emu_port <&"$emu_out" || { cat "$tmp/emulator.log"; fail "hdc-emulator did not start"; finish; }
emu_url=http://127.0.0.1:$emu_port
t0=$(date -u -d '-7 days' +%Y-%m-%d)

# The packaged service file, pointed at the temporary root and the emulator
# (the emulator's demo client), everything else as shipped.
adapt() {  # adapt JOBS_DIR > FILE
  sed -e "s|^state_dir = /var/lib/hdc-reportd|state_dir = $tmp/state|" \
      -e "s|^jobs_dir = /etc/hdc-reportd/jobs.d|jobs_dir = $1|" \
      -e "s|^tenant_id = .*|tenant_id = 00000000-0000-0000-0000-000000000001|" \
      -e "s|^client_id = .*|client_id = 11111111-2222-3333-4444-555555555555|" \
      -e "s|^client_secret_file = .*|client_secret_file =|" \
      -e "s|^api_url = .*|api_url = $emu_url|" -e "s|^login_url = .*|login_url = $emu_url|" \
      -e "s|^control_listen = [^ ]*|control_listen =|" \
      -e "s|^retention_clock = earliest|retention_clock = downloaded|" \
      "$root/etc/hdc-reportd/hdc-reportd.ini"
}
export HDC_CLIENT_SECRET=demo-secret
adapt "$root/etc/hdc-reportd/jobs.d" >"$tmp/packaged.ini"
out=$("$bin/hdc-reportd" --check-config --config "$tmp/packaged.ini" 2>&1)
rc=$?
check "--check-config accepts the packaged configuration (exit $rc)" test $rc = 0
check "... with the five sample jobs, all disabled" \
  test "$(grep -c '^\[job sample-.*disabled (schedule paused)' <<<"$out")" = 5

mkdir -p "$tmp/jobs.d"
sed -e 's/^enabled = no/enabled = yes/' -e "s/^start = .*/start = ${t0}T02:00:00Z/" \
  "$root/etc/hdc-reportd/jobs.d/01-ihv-all-columns.ini" >"$tmp/jobs.d/01-ihv-all-columns.ini"
adapt "$tmp/jobs.d" >"$tmp/once.ini"
# As root (CI) the documented override (docs/operations.md §Privileges).
as_root=()
[[ $(id -u) == 0 ]] && as_root=(--allow-root)
"$bin/hdc-reportd" "${as_root[@]}" --once --config "$tmp/once.ini" 2>"$tmp/once1.err"
rc=$?
check "--once (first run: template and schedule) exits 0 (got $rc)" test $rc = 0 || cat "$tmp/once1.err"
curl -sf -X POST "$emu_url/_emulator/clock" -d '{"advance":"75h"}' >/dev/null
"$bin/hdc-reportd" "${as_root[@]}" --once --config "$tmp/once.ini" 2>"$tmp/once2.err"
rc=$?
check "--once (second run: downloads) exits 0 (got $rc)" test $rc = 0 || cat "$tmp/once2.err"
grep 'report(s) stored' "$tmp/once2.err" | sed 's/^/     /' 
reports=$(find "$tmp/state/store/reports" -type f 2>/dev/null | wc -l)
cabs=$(find "$tmp/state/store/cabs" -type f -name '*.cab' 2>/dev/null | wc -l)
check "reports stored ($reports) and cabs fetched ($cabs)" test "$reports" -ge 3 -a "$cabs" -ge 1
check "the state directory is private (umask 0077 leaves no group/other bits on state.db)" \
  test -z "$(find "$tmp/state/state.db" -perm /077)"
status=$("$bin/hdc-reportctl" --config "$tmp/once.ini" status --json 2>&1)
check "the installed hdc-reportctl status reads the state" grep -q 'sample-ihv-all-columns' <<<"$status"
verify_store() { "$bin/hdc-reportctl" --config "$tmp/once.ini" verify >"$tmp/verify.out" 2>&1; }
check "the installed hdc-reportctl verify finds the store intact" verify_store
kill "$emu_pid" 2>/dev/null; wait "$emu_pid" 2>/dev/null; emu_pid=

# --- 5. dpkg -i / -r / -P on this host ---------------------------------------------
host_skip=
if [[ ${HDC_PACKAGE_TEST_HOST:-1} == 0 ]]; then host_skip="HDC_PACKAGE_TEST_HOST=0"
elif [[ $(id -u) != 0 ]]; then host_skip="not root"
elif dpkg-query -W -f='${Status}' hdc-reportd hdc-reportd-emulator 2>/dev/null | grep -q 'installed\|config-files'; then
  host_skip="an hdc-reportd package is already on this host"
elif [[ -e /var/lib/hdc-reportd || -e /etc/hdc-reportd ]]; then
  host_skip="/var/lib/hdc-reportd or /etc/hdc-reportd exists (not ours to touch)"
fi
if [[ -n $host_skip ]]; then
  skip "dpkg -i/-r/-P cycle: $host_skip"
  finish
fi
user_existed=0
getent passwd hdc-reportd >/dev/null && user_existed=1
# Whatever happens, leave the host as it was: purge, and drop the user only
# if this test created it (the package itself keeps it).
host_cleanup='dpkg -P hdc-reportd hdc-reportd-emulator >/dev/null 2>&1
  if [[ $user_existed == 0 ]] && getent passwd hdc-reportd >/dev/null; then
    userdel hdc-reportd 2>/dev/null; groupdel hdc-reportd 2>/dev/null; fi'

dpkg -i "$deb" "$emu_deb" >"$tmp/dpkg-i.log" 2>&1
rc=$?
check "dpkg -i of both packages succeeds (exit $rc)" test $rc = 0 || cat "$tmp/dpkg-i.log"
check "hdc-reportd is installed" test "$(dpkg-query -W -f='${Status}' hdc-reportd)" = "install ok installed"
user_exists() { getent passwd hdc-reportd >/dev/null && getent group hdc-reportd >/dev/null; }
check "the system user and group hdc-reportd exist" user_exists
check "its shell is nologin, its home /var/lib/hdc-reportd" \
  bash -c "getent passwd hdc-reportd | grep -qE ':/var/lib/hdc-reportd:/(usr/)?s?bin/nologin$'"
check "/var/lib/hdc-reportd is 750 hdc-reportd:hdc-reportd" \
  test "$(stat -c '%a %U:%G' /var/lib/hdc-reportd 2>/dev/null)" = "750 hdc-reportd:hdc-reportd"
check "/usr/bin/hdc-reportd --version runs" grep -q "^hdc-reportd $version" <<<"$(/usr/bin/hdc-reportd --version)"
check "/usr/bin/hdc-emulator --help runs" bash -c "/usr/bin/hdc-emulator --help | grep -q '^Usage: hdc-emulator'"
check "man finds hdc-reportd.ini(5)" bash -c "man -w 5 hdc-reportd.ini | grep -q /usr/share/man/man5/hdc-reportd.ini.5.gz"
check "hdc-reportd.service is enabled (multi-user.target.wants)" \
  test -L /etc/systemd/system/multi-user.target.wants/hdc-reportd.service
check "the nightly timer is not enabled (the daemon is)" \
  test ! -e /etc/systemd/system/timers.target.wants/hdc-reportd-once.timer
# The README's secret step, then the check the service user can run.
printf 'demo-secret\n' | install -m 0600 -o hdc-reportd -g hdc-reportd /dev/stdin /etc/hdc-reportd/client-secret
check_as_user() { runuser -u hdc-reportd -- /usr/bin/hdc-reportd --check-config >"$tmp/check.out" 2>&1; }
check "as hdc-reportd, --check-config accepts /etc/hdc-reportd with the secret file" check_as_user
echo "; edited by the operator" >>/etc/hdc-reportd/hdc-reportd.ini
runuser -u hdc-reportd -- touch /var/lib/hdc-reportd/state.db

dpkg -r hdc-reportd hdc-reportd-emulator >"$tmp/dpkg-r.log" 2>&1
rc=$?
check "dpkg -r succeeds (exit $rc)" test $rc = 0 || cat "$tmp/dpkg-r.log"
check "after remove: config-files state" test "$(dpkg-query -W -f='${Status}' hdc-reportd)" = "deinstall ok config-files"
check "after remove: /usr/bin/hdc-reportd is gone" test ! -e /usr/bin/hdc-reportd
check "after remove: the state remains" test -f /var/lib/hdc-reportd/state.db
check "after remove: the edited configuration and the secret remain" bash -c \
  "grep -q 'edited by the operator' /etc/hdc-reportd/hdc-reportd.ini && test -f /etc/hdc-reportd/client-secret"
check "after remove: the user remains" user_exists

dpkg -P hdc-reportd hdc-reportd-emulator >"$tmp/dpkg-p.log" 2>&1
rc=$?
check "dpkg -P succeeds (exit $rc)" test $rc = 0 || cat "$tmp/dpkg-p.log"
check "after purge: the package is unknown to dpkg" \
  test -z "$(dpkg-query -W -f='${Status}' hdc-reportd 2>/dev/null | grep -v 'not-installed')"
check "after purge: /var/lib/hdc-reportd is gone" test ! -e /var/lib/hdc-reportd
check "after purge: /etc/hdc-reportd is gone" test ! -e /etc/hdc-reportd
check "after purge: no unit links are left" \
  test -z "$(find /etc/systemd/system -name 'hdc-reportd*' 2>/dev/null)"
check "after purge: the system user is kept (Debian practice)" user_exists
finish
