#!/usr/bin/env bash
# package_test.sh WIN_BUILD_DIR NATIVE_BUILD_DIR SOURCE_DIR
#
# The Windows packages, built on Linux and installed under Wine:
# packaging/windows/build_packages.sh makes the ZIP and the MSI in a temporary
# folder; the ZIP's listing and examples are checked; then, in a fresh Wine
# prefix of the test's own, `msiexec /i` installs the MSI (binaries,
# configuration, the service), the installed hdc-reportd.exe answers
# --version and --check-config, the nightly task definition is registered
# with `schtasks /create /xml`, a second MSI with a higher version upgrades
# it (the operator's edited configuration stays; the older one is then
# refused), and `msiexec /x` removes the product but keeps
# %ProgramData%\hdc-reportd (configuration and state).
#
# One line per check: "ok   NAME", "FAIL NAME: why" or "skip NAME: why"
# (details of a failure may precede it, indented); finally "N failed". Exit 0
# when nothing failed, 1 otherwise, 77 (with the reason) when a tool it needs
# is missing. WIN_BUILD_DIR's hdc-reportd.exe may be a stand-in (any PE file)
# while the cross build is not there: the checks that run it are skipped.
# NATIVE_BUILD_DIR is optional: when it holds daemon/hdc-reportd, the example
# configuration is checked with it and the .exe's --version must match it.
#
# The check functions are called through check(), not directly:
# shellcheck disable=SC2317
set -uo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: package_test.sh WIN_BUILD_DIR NATIVE_BUILD_DIR SOURCE_DIR" >&2
  exit 2
fi
win_build=$(cd "$1" 2>/dev/null && pwd) || { echo "no such directory: $1" >&2; exit 2; }
native_build=$2
src=$(cd "$3" 2>/dev/null && pwd) || { echo "no such directory: $3" >&2; exit 2; }

for tool in wine wineserver wixl msibuild msiinfo zip unzip awk cmp; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "skipped: $tool not found (apt-get install wine wine64 wixl msitools zip unzip)"
    exit 77
  fi
done
for exe in daemon/hdc-reportd.exe daemon/hdc-reportctl.exe emulator/hdc-emulator.exe; do
  if [[ ! -f $win_build/$exe ]]; then
    echo "skipped: $win_build/$exe does not exist (make windows)"
    exit 77
  fi
done

failed=0
ok() { echo "ok   $1"; }
fail() { echo "FAIL $1${2:+: $2}"; failed=$((failed + 1)); }
skip() { echo "skip $1: $2"; }
# check NAME COMMAND...: ok when COMMAND succeeds.
check() {
  local name=$1
  shift
  if "$@"; then ok "$name"; else fail "$name"; fi
}
finish() {
  echo "$failed failed"
  [[ $failed -eq 0 ]] && exit 0
  exit 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hdc-package-test.XXXXXX")
# Wine and everything it writes stay in $tmp: its own prefix, HOME (Wine links
# the prefix's user folders to $HOME's) and caches; no window, no Mono/Gecko.
export WINEPREFIX=$tmp/prefix WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml='
export HOME=$tmp/home XDG_CACHE_HOME=$tmp/cache XDG_CONFIG_HOME=$tmp/config XDG_DATA_HOME=$tmp/data
mkdir -p "$HOME"
unset DISPLAY WAYLAND_DISPLAY
wine_started=no
cleanup() {
  if [[ $wine_started == yes ]]; then
    wineserver -k >/dev/null 2>&1
    wineserver -w >/dev/null 2>&1
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# wine_to FILE PROGRAM ARGS...: runs PROGRAM under Wine with its output in
# FILE (CRs removed), and returns its exit code. Never a pipe or $(...): a
# Wine process started on the way (the service manager, a device host) would
# inherit the pipe and, with the persistent server, keep it open.
wine_to() {
  local file=$1 rc
  shift
  wine "$@" </dev/null >"$file.raw" 2>&1
  rc=$?
  tr -d '\r' <"$file.raw" >"$file"
  rm -f "$file.raw"
  return $rc
}

# winpath PATH: the Windows name of a host path (Wine maps Z: to /).
winpath() { local p=${1//\//\\}; printf 'Z:%s' "$p"; }

version=$(sed -n 's/^project([^)]*VERSION \([0-9][0-9.]*\).*/\1/p' "$src/CMakeLists.txt" | head -n 1)
name=hdc-reportd-$version
zip=$tmp/out/$name-win64.zip
msi=$tmp/out/$name-win64.msi

# --- Building ----------------------------------------------------------------
if bash "$src/packaging/windows/build_packages.sh" "$win_build" "$src" "$tmp/out" >"$tmp/build.log" 2>&1 &&
   [[ -f $zip && -f $msi ]]; then
  ok "build_packages"
else
  fail "build_packages" "$(tail -n 5 "$tmp/build.log" | tr '\n' ' ')"
  finish
fi

# Is hdc-reportd.exe the real program or a stand-in (any small PE file used
# while the cross build is not there yet)?
if grep -qa 'hdc-reportd' "$win_build/daemon/hdc-reportd.exe"; then real_exe=yes; else real_exe=no; fi

# --- The ZIP -------------------------------------------------------------------
{
  printf '%s\n' "$name/" "$name/hdc-reportd.exe" "$name/hdc-reportctl.exe" "$name/hdc-emulator.exe" \
    "$name/README.md" "$name/copyright" "$name/INSTALL-windows.md" "$name/examples/" \
    "$name/examples/hdc-reportd.ini" "$name/examples/hdc-reportd-nightly.xml" "$name/examples/jobs.d/"
  (cd "$src/config/jobs.d" && for f in *; do echo "$name/examples/jobs.d/$f"; done)
} | LC_ALL=C sort >"$tmp/zip.expected"
unzip -Z1 "$zip" | LC_ALL=C sort >"$tmp/zip.actual"
if diff -u "$tmp/zip.expected" "$tmp/zip.actual" >"$tmp/zip.diff"; then
  ok "zip_listing"
else
  fail "zip_listing" "$(grep '^[-+][^-+]' "$tmp/zip.diff" | tr '\n' ' ')"
fi

mkdir -p "$tmp/unzip"
unzip -q "$zip" -d "$tmp/unzip"
top=$tmp/unzip/$name
zip_same() {
  cmp -s "$top/hdc-reportd.exe" "$win_build/daemon/hdc-reportd.exe" &&
    cmp -s "$top/hdc-reportctl.exe" "$win_build/daemon/hdc-reportctl.exe" &&
    cmp -s "$top/hdc-emulator.exe" "$win_build/emulator/hdc-emulator.exe" &&
    cmp -s "$top/examples/hdc-reportd-nightly.xml" "$src/packaging/windows/hdc-reportd-nightly.xml" &&
    cmp -s "$top/copyright" "$src/packaging/copyright" &&
    diff -rq "$top/examples/jobs.d" "$src/config/jobs.d" >/dev/null
}
check "zip_contents_match_sources" zip_same
# The samples ship disabled.
check "zip_sample_jobs_disabled" bash -c \
  "for f in '$top'/examples/jobs.d/*.ini; do grep -qx 'enabled = no' \"\$f\" || exit 1; done"
example_ini_windows() {
  local ini=$top/examples/hdc-reportd.ini
  grep -qE '^state_dir = state( |$)' "$ini" &&
    grep -qE '^jobs_dir = jobs\.d( |$)' "$ini" &&
    grep -qE '^client_secret_file = C:\\ProgramData\\hdc-reportd\\client-secret( |$)' "$ini" &&
    ! grep -qE '(^|[ =])/(etc|var|usr)/|systemd|systemctl|chmod' "$ini"
}
check "zip_example_ini_windows_paths" example_ini_windows
# The example as it will lie in %ProgramData%\hdc-reportd (relative paths,
# the sample jobs beside it) is a valid configuration: checked with the
# native daemon, whose parser is the same (the secret's C:\ path replaced).
if [[ -x $native_build/daemon/hdc-reportd ]]; then
  mkdir -p "$tmp/programdata/state"
  cp -r "$top/examples/jobs.d" "$tmp/programdata/"
  sed "s|^client_secret_file = .*|client_secret_file = $tmp/programdata/client-secret|" \
    "$top/examples/hdc-reportd.ini" >"$tmp/programdata/hdc-reportd.ini"
  (umask 077 && echo test-secret >"$tmp/programdata/client-secret")
  if "$native_build/daemon/hdc-reportd" --check-config --config "$tmp/programdata/hdc-reportd.ini" \
       >"$tmp/native-check.out" 2>&1; then
    ok "zip_example_ini_valid"
  else
    fail "zip_example_ini_valid" "$(tail -n 3 "$tmp/native-check.out" | tr '\n' ' ')"
  fi
else
  skip "zip_example_ini_valid" "no native build at $native_build/daemon/hdc-reportd (make build)"
fi

# --- The nightly task definition ----------------------------------------------
xml=$src/packaging/windows/hdc-reportd-nightly.xml
if command -v xmllint >/dev/null 2>&1; then
  check "nightly_xml_well_formed" xmllint --noout "$xml"
else
  skip "nightly_xml_well_formed" "xmllint not found (apt-get install libxml2-utils)"
fi
nightly_content() {
  local want
  for want in '<?xml version="1.0" encoding="UTF-8"?>' \
      '<StartBoundary>[0-9-]*T03:30:00</StartBoundary>' '<RandomDelay>PT30M</RandomDelay>' \
      '<DaysInterval>1</DaysInterval>' '<UserId>NT SERVICE\\hdc-reportd</UserId>' \
      '<LogonType>ServiceAccount</LogonType>' \
      '<MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>' \
      '<DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>' \
      '<StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>' \
      '<ExecutionTimeLimit>PT6H</ExecutionTimeLimit>' \
      '<Command>"C:\\Program Files\\hdc-reportd\\hdc-reportd.exe"</Command>' \
      '<Arguments>--once</Arguments>'; do
    grep -q -- "$want" "$xml" || { echo "  missing: $want"; return 1; }
  done
  # No time zone on the start: 03:30 local time.
  ! grep -qE '<StartBoundary>[^<]*(Z|[+-][0-9]{2}:[0-9]{2})</StartBoundary>' "$xml"
}
check "nightly_xml_content" nightly_content

# --- The MSI's tables ----------------------------------------------------------
# msi_table NAME: one table of the MSI, without msiinfo's CRs.
msi_table() { msiinfo export "$msi" "$1" | tr -d '\r'; }
msi_tables() {
  local t
  t=$(msi_table ServiceInstall) || return 1
  # Name, start type 2 (automatic), the virtual account.
  grep -qP '^\S+\thdc-reportd\t[^\t]*\t16\t2\t1\t\t\tNT SERVICE\\hdc-reportd\t' <<<"$t" ||
    { echo "  ServiceInstall: $t"; return 1; }
  # Stop on install and uninstall, delete on uninstall: 2 + 32 + 128.
  msi_table ServiceControl | grep -qP '\thdc-reportd\t162\t' || return 1
  msi_table Property | grep -qP '^UpgradeCode\t\{FC705A2B-466E-43A5-A61A-1840E76EEEFF\}$' || return 1
  msi_table Upgrade | grep -q WIX_UPGRADE_DETECTED || return 1
  msi_table Property | grep -qP "^ProductVersion\t$version\$" || return 1
}
check "msi_service_and_upgrade_tables" msi_tables

# --- Installing under Wine -------------------------------------------------------
wine_started=yes
if ! wine wineboot -i </dev/null >"$tmp/wineboot.log" 2>&1; then
  fail "wine_prefix" "wineboot -i failed"
  finish
fi
# Let the first boot finish (its server exits a few seconds after the last
# process): started while it still runs, the service manager's database is
# locked and Task Scheduler never comes up (error 1055). Then keep a server
# (and the service manager) up until cleanup's wineserver -k.
wineserver -w </dev/null >/dev/null 2>&1
wineserver -p </dev/null >/dev/null 2>&1
ok "wine_prefix"

drive_c=$WINEPREFIX/drive_c
pf=$drive_c/Program\ Files/hdc-reportd
pd=$drive_c/ProgramData/hdc-reportd
services_key='HKLM\System\CurrentControlSet\Services\hdc-reportd'

wine msiexec /i "$(winpath "$msi")" /qn /l*v "$(winpath "$tmp/install.log")" </dev/null >"$tmp/msiexec-i.out" 2>&1
rc=$?
if [[ $rc -eq 0 ]]; then ok "msiexec_install"; else fail "msiexec_install" "exit code $rc"; fi

installed_binaries() {
  local f
  for f in hdc-reportd.exe hdc-reportctl.exe hdc-emulator.exe README.md copyright INSTALL-windows.md \
      examples/hdc-reportd.ini examples/hdc-reportd-nightly.xml; do
    [[ -f $pf/$f ]] || { echo "  missing: Program Files/hdc-reportd/$f"; return 1; }
  done
  cmp -s "$pf/hdc-reportd.exe" "$win_build/daemon/hdc-reportd.exe"
}
check "installed_binaries" installed_binaries

installed_config() {
  local f
  cmp -s "$pd/hdc-reportd.ini" "$top/examples/hdc-reportd.ini" || { echo "  hdc-reportd.ini differs"; return 1; }
  for f in "$src"/config/jobs.d/*; do
    cmp -s "$pd/jobs.d/${f##*/}" "$f" || { echo "  jobs.d/${f##*/} missing or different"; return 1; }
  done
  [[ -d $pd/state && -d $pd/logs ]] || { echo "  state\\ or logs\\ missing"; return 1; }
}
check "installed_config" installed_config

wine_to "$tmp/service.reg" reg query "$services_key"
service_registered() {
  grep -qE 'ImagePath +REG_(EXPAND_)?SZ +C:\\Program Files\\hdc-reportd\\hdc-reportd\.exe' "$tmp/service.reg" &&
    grep -qE 'Start +REG_DWORD +0x2$' "$tmp/service.reg" &&
    grep -qE 'ObjectName +REG_SZ +NT SERVICE\\hdc-reportd' "$tmp/service.reg" &&
    grep -qE 'Description +REG_SZ +.*Hardware Dev Center' "$tmp/service.reg"
}
if service_registered; then
  ok "service_registered"
else
  fail "service_registered" "$(tr -s '\r\n' ' ' <"$tmp/service.reg")"
fi

# Recovery actions: the deferred custom actions must have run sc.exe. Wine's
# service manager accepts ChangeServiceConfig2(FAILURE_ACTIONS) without
# storing anything, so the actions themselves can be read back only where
# they are stored (FailureActions under the service's key).
recovery_ran() {
  grep -q 'Action ended .*: SetRecoveryActions\. Return value 1\.' "$tmp/install.log" &&
    grep -qi 'HDC_SC_EXE = C:\\windows\\system32\\sc\.exe' "$tmp/install.log"
}
check "recovery_custom_action_ran" recovery_ran
if wine_to "$tmp/failure.reg" reg query "$services_key" /v FailureActions &&
   grep -qi FailureActions "$tmp/failure.reg"; then
  # SERVICE_FAILURE_ACTIONS as stored: reset period 86400 s (80510100), then
  # restart (1) after 60000 ms (60ea0000) and after 300000 ms (e0930400).
  hex=$(grep -i FailureActions "$tmp/failure.reg" | awk '{print tolower($NF)}')
  if [[ $hex == 80510100* && $hex == *0100000060ea0000* && $hex == *01000000e0930400* ]]; then
    ok "recovery_actions_stored"
  else
    fail "recovery_actions_stored" "FailureActions = $hex"
  fi
else
  skip "recovery_actions_stored" "Wine's service manager does not store failure actions (no FailureActions value to read)"
fi

# --version from the installed path.
if [[ $real_exe == yes ]]; then
  wine_to "$tmp/version.out" 'C:\Program Files\hdc-reportd\hdc-reportd.exe' --version
  rc=$?
  out=$(cat "$tmp/version.out")
  want=$version
  if [[ -x $native_build/daemon/hdc-reportd ]]; then
    want=$("$native_build/daemon/hdc-reportd" --version 2>/dev/null | head -n 1)
  fi
  if [[ $rc -eq 0 && $out == *"$want"* ]]; then
    ok "installed_exe_version"
  else
    fail "installed_exe_version" "exit code $rc, output: $(tr -s '\r\n' ' ' <<<"$out") (want: $want)"
  fi
else
  skip "installed_exe_version" "$win_build/daemon/hdc-reportd.exe is a stand-in, not an hdc-reportd build"
fi

# The installed configuration as the service reads it (the default path),
# with a secret in the client-secret file it names.
if [[ $real_exe == yes ]]; then
  printf 'test-secret\r\n' >"$pd/client-secret"
  wine 'C:\Program Files\hdc-reportd\hdc-reportd.exe' --check-config </dev/null >"$tmp/check-config.out" 2>&1
  rc=$?
  if [[ $rc -eq 0 ]]; then
    ok "installed_config_valid"
  else
    fail "installed_config_valid" "--check-config exit code $rc: $(tail -n 3 "$tmp/check-config.out" | tr -s '\r\n' ' ')"
  fi
else
  skip "installed_config_valid" "$win_build/daemon/hdc-reportd.exe is a stand-in, not an hdc-reportd build"
fi

# The nightly task, from the installed copy. Wine's schtasks /create /xml
# accepts UTF-8 or UTF-16 with an XML declaration but no XML comment. If even
# a minimal definition is refused, this Wine cannot say anything.
task_xml='C:\Program Files\hdc-reportd\examples\hdc-reportd-nightly.xml'
if wine schtasks /create /f /tn hdc-reportd-nightly /xml "$task_xml" </dev/null >"$tmp/schtasks.out" 2>&1 &&
   [[ -f $drive_c/windows/system32/tasks/hdc-reportd-nightly ]]; then
  ok "schtasks_create_xml"
  wine schtasks /delete /f /tn hdc-reportd-nightly </dev/null >/dev/null 2>&1
else
  cat >"$tmp/minimal.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <Actions Context="Author">
    <Exec>
      <Command>cmd.exe</Command>
    </Exec>
  </Actions>
</Task>
EOF
  if wine schtasks /create /f /tn hdc-minimal /xml "$(winpath "$tmp/minimal.xml")" </dev/null >/dev/null 2>&1; then
    fail "schtasks_create_xml" "refused, while a minimal definition is accepted: $(tr -s '\r\n' ' ' <"$tmp/schtasks.out")"
  else
    skip "schtasks_create_xml" "this Wine's schtasks /create /xml refuses even a minimal task definition"
  fi
fi

# --- Upgrading: a higher version replaces the product, keeps the config ---------
echo 'state written by the test' >"$pd/state/marker"
printf '\n; edited by the operator\n' >>"$pd/hdc-reportd.ini"
cp "$pd/hdc-reportd.ini" "$tmp/edited.ini"
IFS=. read -r major minor patch <<<"$version"
next_version=$major.$minor.$((patch + 1))
mkdir -p "$tmp/next-src/config" "$tmp/next-src/packaging"
cp -r "$src/config/jobs.d" "$tmp/next-src/config/"
cp "$src/config/hdc-reportd.ini" "$tmp/next-src/config/"
cp -r "$src/packaging/windows" "$src/packaging/copyright" "$tmp/next-src/packaging/"
cp "$src/README.md" "$tmp/next-src/"
sed "s/^\(project([^)]*VERSION \)$version/\1$next_version/" "$src/CMakeLists.txt" >"$tmp/next-src/CMakeLists.txt"
next_msi=$tmp/next-out/hdc-reportd-$next_version-win64.msi
if bash "$tmp/next-src/packaging/windows/build_packages.sh" "$win_build" "$tmp/next-src" "$tmp/next-out" \
     >"$tmp/next-build.log" 2>&1 && [[ -f $next_msi ]]; then
  wine msiexec /i "$(winpath "$next_msi")" /qn /l*v "$(winpath "$tmp/upgrade.log")" </dev/null >/dev/null 2>&1
  rc=$?
  if [[ $rc -eq 0 ]]; then ok "msiexec_upgrade"; else fail "msiexec_upgrade" "exit code $rc"; fi
  wine_to "$tmp/uninstall.reg" reg query 'HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall' /s
  one_product() {
    local n
    n=$(grep -cE 'DisplayName +REG_SZ +hdc-reportd$' "$tmp/uninstall.reg")
    [[ $n -eq 1 ]] || { echo "  $n products named hdc-reportd registered"; return 1; }
    grep -qE "DisplayVersion +REG_SZ +$next_version\$" "$tmp/uninstall.reg"
  }
  check "upgrade_replaces_old_version" one_product
  check "upgrade_keeps_edited_config" cmp -s "$pd/hdc-reportd.ini" "$tmp/edited.ini"
  wine_to "$tmp/service-upgraded.reg" reg query "$services_key"
  check "upgrade_keeps_service" grep -q 'ObjectName *REG_SZ *NT SERVICE\\hdc-reportd' "$tmp/service-upgraded.reg"
  # The older package over the newer one: refused (launch condition).
  wine msiexec /i "$(winpath "$msi")" /qn </dev/null >/dev/null 2>&1
  rc=$?
  if [[ $rc -ne 0 ]]; then ok "downgrade_refused"; else fail "downgrade_refused" "msiexec /i of $version exited 0"; fi
  msi_installed=$next_msi
else
  fail "msiexec_upgrade" "building version $next_version failed: $(tail -n 3 "$tmp/next-build.log" | tr '\n' ' ')"
  msi_installed=$msi
fi

# --- Uninstalling ---------------------------------------------------------------
wine msiexec /x "$(winpath "$msi_installed")" /qn /l*v "$(winpath "$tmp/uninstall.log")" </dev/null >/dev/null 2>&1
rc=$?
if [[ $rc -eq 0 ]]; then ok "msiexec_uninstall"; else fail "msiexec_uninstall" "exit code $rc"; fi
binaries_gone() {
  local f
  for f in hdc-reportd.exe hdc-reportctl.exe hdc-emulator.exe examples/hdc-reportd.ini; do
    [[ ! -e $pf/$f ]] || { echo "  still there: Program Files/hdc-reportd/$f"; return 1; }
  done
}
check "uninstall_removes_binaries" binaries_gone
wine_to "$tmp/service-removed.reg" reg query "$services_key"
check "uninstall_removes_service" test $? -ne 0
data_kept() {
  [[ -f $pd/state/marker ]] || { echo "  state\\marker is gone"; return 1; }
  cmp -s "$pd/hdc-reportd.ini" "$tmp/edited.ini" || { echo "  hdc-reportd.ini is gone or changed"; return 1; }
  local f
  for f in "$src"/config/jobs.d/*; do
    [[ -f $pd/jobs.d/${f##*/} ]] || { echo "  jobs.d/${f##*/} is gone"; return 1; }
  done
  [[ -d $pd/logs ]] || { echo "  logs\\ is gone"; return 1; }
}
check "uninstall_keeps_programdata" data_kept

finish
