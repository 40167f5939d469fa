#!/usr/bin/env bash
# build_packages.sh WIN_BUILD_DIR SOURCE_DIR OUT_DIR
#
# Builds the Windows x64 packages on Linux from a MinGW-w64 build tree:
#   OUT_DIR/hdc-reportd-<version>-win64.zip  top folder hdc-reportd-<version>/
#   OUT_DIR/hdc-reportd-<version>-win64.msi  wixl (msitools) from hdc-reportd.wxs
# <version> is project(VERSION) in SOURCE_DIR/CMakeLists.txt.
#
# The ZIP's folder is also what the MSI installs under
# %ProgramFiles%\hdc-reportd\:
#   hdc-reportd.exe hdc-reportctl.exe hdc-emulator.exe
#   README.md copyright INSTALL-windows.md
#   examples\hdc-reportd.ini          config/hdc-reportd.ini with Windows paths
#   examples\jobs.d\*.ini, README     config/jobs.d/ (Microsoft's five samples, disabled)
#   examples\hdc-reportd-nightly.xml  the Task Scheduler definition
#
# Needs: wixl, msibuild and msiinfo (Debian packages wixl and msitools), zip.
# SOURCE_DATE_EPOCH, when set, fixes the files' times in the ZIP.
set -euo pipefail

die() { echo "build_packages.sh: $*" >&2; exit 1; }

[[ $# -eq 3 ]] || die "usage: build_packages.sh WIN_BUILD_DIR SOURCE_DIR OUT_DIR"
win_build=$(cd "$1" && pwd) || die "no such build directory: $1"
src=$(cd "$2" && pwd) || die "no such source directory: $2"
mkdir -p "$3"
out=$(cd "$3" && pwd)

for tool in wixl msibuild msiinfo zip; do
  command -v "$tool" >/dev/null 2>&1 ||
    die "$tool not found (apt-get install wixl msitools zip)"
done

version=$(sed -n 's/^project([^)]*VERSION \([0-9][0-9.]*\).*/\1/p' "$src/CMakeLists.txt" | head -n 1)
[[ -n $version ]] || die "no project(... VERSION x.y.z ...) in $src/CMakeLists.txt"
name="hdc-reportd-$version"

# The three programs: static PE executables, no DLLs beside them.
exes=("$win_build/daemon/hdc-reportd.exe" "$win_build/daemon/hdc-reportctl.exe"
      "$win_build/emulator/hdc-emulator.exe")
for exe in "${exes[@]}"; do
  [[ -f $exe ]] || die "missing $exe (build it with: make windows)"
  [[ $(head -c 2 "$exe") == MZ ]] || die "$exe is not a Windows executable"
done

# The jobs the MSI lists one by one must be exactly config/jobs.d/.
jobs=()
while IFS= read -r job; do jobs+=("$job"); done < <(find "$src/config/jobs.d" -mindepth 1 -maxdepth 1 -type f -printf '%f\n' | LC_ALL=C sort)
for job in "${jobs[@]}"; do
  grep -q "Source=\"examples/jobs.d/$job\"" "$src/packaging/windows/hdc-reportd.wxs" ||
    die "config/jobs.d/$job is not in packaging/windows/hdc-reportd.wxs: add it there"
done
listed=$(grep -o 'Source="examples/jobs.d/[^"]*"' "$src/packaging/windows/hdc-reportd.wxs" |
         sed 's|.*/||; s|"$||' | LC_ALL=C sort -u)
[[ $listed == "$(printf '%s\n' "${jobs[@]}")" ]] ||
  die "packaging/windows/hdc-reportd.wxs lists jobs that are not in config/jobs.d/: ${listed//$'\n'/ }"

work=$(mktemp -d "${TMPDIR:-/tmp}/hdc-winpkg.XXXXXX")
trap 'rm -rf "$work"' EXIT
stage="$work/$name"
mkdir -p "$stage/examples/jobs.d"

cp "${exes[@]}" "$stage/"
cp "$src/README.md" "$src/packaging/copyright" "$src/packaging/windows/INSTALL-windows.md" "$stage/"
cp "$src/packaging/windows/hdc-reportd-nightly.xml" "$stage/examples/"
for job in "${jobs[@]}"; do cp "$src/config/jobs.d/$job" "$stage/examples/jobs.d/"; done

# config/hdc-reportd.ini for %ProgramData%\hdc-reportd\hdc-reportd.ini:
# state_dir and jobs_dir relative to the file itself (state, jobs.d), which
# the daemon resolves against the file's folder; client_secret_file absolute
# (C:\ProgramData\hdc-reportd\client-secret), because the daemon resolves a
# relative one against the working directory, C:\Windows\System32 for a
# service; and the comments that spoke of Linux. Each replaced line must exist, so a change of the
# source file is noticed here, not in the field.
awk '
  BEGIN { n = 0 }
  NR == 2 {
    print
    print "; Windows: the MSI installs this file as %ProgramData%\\hdc-reportd\\hdc-reportd.ini,"
    print "; where the service (started without arguments) reads it. state_dir and"
    print "; jobs_dir below are relative to this file: %ProgramData%\\hdc-reportd\\state"
    print "; and ...\\jobs.d. client_secret_file is not: it is an absolute path."
    next
  }
  /^state_dir *=/ {
    print "state_dir = state                       ; state.db and store\\ live here (relative: to this file)"
    n++; next
  }
  /^jobs_dir *=/ {
    print "jobs_dir = jobs.d                       ; job files, *.ini, read in name order (relative: to this file)"
    n++; next
  }
  /^log_format *=/ {
    print "log_format = text                       ; text (one line per event) or json (one object per line)"
    n++; next
  }
  # The log_file comment (optional: the key is new) speaks of modes and
  # systemctl; the Windows default of an empty value is the logs folder.
  /^; log_file:/ {
    print "; log_file: also write every log line to this file, redacted like stderr (no"
    print "; tokens, secrets, SAS signatures or device ids), as text with a UTC timestamp"
    print "; or, with log_format = json, as JSON lines. Relative: to this file. Its"
    print "; folder must exist (else exit 78 naming this key). Empty: on Windows"
    print "; %ProgramData%\\hdc-reportd\\logs\\hdc-reportd.log (the MSI creates logs\\ and"
    print "; lets only the service account, Administrators and SYSTEM write there)."
    logskip = 1; next
  }
  logskip && /^log_file *=/ { logskip = 0; print; next }
  logskip { next }
  /^; The client secret: a file readable only by the service user/ {
    print "; The client secret: a file holding it on one line, readable only by"
    print "; Administrators, SYSTEM and the service account NT SERVICE\\hdc-reportd (the"
    print "; MSI gives %ProgramData%\\hdc-reportd these permissions), else the"
    print "; environment variable HDC_CLIENT_SECRET. It is never logged."
    skip = 1; n++; next
  }
  skip && /It is never logged\./ { skip = 0; next }
  skip { next }
  /^client_secret_file *=/ {
    print "client_secret_file = C:\\ProgramData\\hdc-reportd\\client-secret   ; absolute (a relative one is not resolved against this file)"
    n++; next
  }
  # The certificate credential: file modes and the systemd credential are for Linux.
  /^; Or a certificate credential instead of the secret/ {
    print "; Or a certificate credential instead of the secret (set exactly one of"
    print "; client_secret_file, client_certificate_file and federated_token_file): the PEM certificate"
    print "; registered on the application, and its unencrypted PEM RSA key (2048 bits"
    print "; or more) in client_certificate_key_file, else after the certificate in"
    print "; client_certificate_file. Keep the key where only Administrators, SYSTEM and"
    print "; NT SERVICE\\hdc-reportd can read it, as the secret. Each token request sends"
    print "; a signed client_assertion valid for 10 minutes; neither the key nor an"
    print "; assertion is ever logged."
    certskip = 1; n++; next
  }
  certskip && /key nor an assertion is ever logged\./ { certskip = 0; next }
  certskip { next }
  /^client_certificate_file *=/ {
    print "client_certificate_file =               ; e.g. C:\\ProgramData\\hdc-reportd\\client-cert.pem"
    n++; next
  }
  /^client_certificate_key_file *=/ {
    print "client_certificate_key_file =           ; e.g. C:\\ProgramData\\hdc-reportd\\client-cert.key"
    n++; next
  }
  # The federated credential: file modes and the systemd credential are for Linux.
  /^; Or a federated credential/ {
    print "; Or a federated credential (workload identity federation: another cloud, a"
    print "; CI job): the file where the platform writes and renews the token it issued"
    print "; to this workload, readable only by Administrators, SYSTEM and NT"
    print "; SERVICE\\hdc-reportd. It is read for every token request and sent as the"
    print "; client assertion; the app registration must trust its issuer and subject"
    print "; (audience api://AzureADTokenExchange). The token is never logged."
    fedskip = 1; n++; next
  }
  fedskip && /The token is never logged\./ { fedskip = 0; next }
  fedskip { next }
  /^federated_token_file *=/ {
    print "federated_token_file =                  ; e.g. C:\\ProgramData\\hdc-reportd\\federated-token"
    n++; next
  }
  { print }
  END { if (n != 10) { print "expected 10 rewrites, made " n > "/dev/stderr"; exit 1 } }
' "$src/config/hdc-reportd.ini" > "$stage/examples/hdc-reportd.ini" ||
  die "config/hdc-reportd.ini changed shape: update the rewrite in build_packages.sh"
if grep -nE '(^|[ =])/(etc|var|usr)/|systemd|systemctl|chmod|journald|logrotate' "$stage/examples/hdc-reportd.ini" >&2; then
  die "examples/hdc-reportd.ini still names Linux paths or tools (lines above)"
fi

if [[ -n ${SOURCE_DATE_EPOCH:-} ]]; then
  find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
fi

# --- ZIP ---------------------------------------------------------------------
zip_tmp="$work/$name-win64.zip"
(cd "$work" && find "$name" -print | LC_ALL=C sort | zip -q -X -@ "$zip_tmp")

# --- MSI ---------------------------------------------------------------------
msi_tmp="$work/$name-win64.msi"
cp "$src/packaging/windows/hdc-reportd.wxs" "$work/hdc-reportd.wxs"
# wixl warns about the two Component attributes it does not know (set below);
# any other output is shown.
(cd "$stage" && wixl -a x64 -D "Version=$version" -o "$msi_tmp" "$work/hdc-reportd.wxs") 2>"$work/wixl.log" || {
  cat "$work/wixl.log" >&2; die "wixl failed"
}
grep -vE "^$|has no property named '(Permanent|NeverOverwrite)'" "$work/wixl.log" >&2 || true

# Permanent (16) and NeverOverwrite (128) on top of 64-bit (256): see the
# comment at the top of hdc-reportd.wxs.
components=$(msiinfo export "$msi_tmp" Component | awk -F'\t' 'NR > 3 { print $1 }')
queries=()
for c in $components; do
  case $c in
    Conf*) queries+=(-q "UPDATE \`Component\` SET \`Attributes\` = 400 WHERE \`Component\` = '$c'") ;;
    Keep*) queries+=(-q "UPDATE \`Component\` SET \`Attributes\` = 272 WHERE \`Component\` = '$c'") ;;
  esac
done
[[ ${#queries[@]} -gt 0 ]] || die "no Conf*/Keep* components in the MSI"
msibuild "$msi_tmp" "${queries[@]}"
msiinfo export "$msi_tmp" Component | awk -F'\t' '
  NR > 3 && $1 ~ /^Conf/ && $4 != 400 { print "component " $1 ": attributes " $4 ", want 400"; bad = 1 }
  NR > 3 && $1 ~ /^Keep/ && $4 != 272 { print "component " $1 ": attributes " $4 ", want 272"; bad = 1 }
  NR > 3 && $1 !~ /^(Conf|Keep)/ && $4 != 256 { print "component " $1 ": attributes " $4 ", want 256"; bad = 1 }
  END { exit bad }' >&2 || die "setting the Component attributes failed"

mv -f "$zip_tmp" "$out/$name-win64.zip"
mv -f "$msi_tmp" "$out/$name-win64.msi"
echo "$out/$name-win64.zip"
echo "$out/$name-win64.msi"
