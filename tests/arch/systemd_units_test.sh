#!/usr/bin/env bash
# Checks the units in systemd/ without a running systemd:
#   1. `systemd-analyze verify` on copies whose ExecStart points at an existing
#      binary (the built hdc-reportd if given, else /bin/true); any warning
#      (unknown key, bad value) counts as a failure;
#   2. `systemd-analyze security --offline=yes --threshold=15` on the daemon
#      and the --once unit: exposure must be <= 1.5 (docs/reliability.md §systemd hardening);
#   3. the values docs/operations.md §Units, docs/operations.md §Nightly one-shot
#      fix (Type, exit statuses, timer).
# sysusers.d and tmpfiles.d are applied by systemd_sysusers_tmpfiles_test.sh
# (it needs root, and CTest shows it skipped without).
# Controls prove each check can fail: a missing ExecStart binary and a
# misspelt key must fail verify, and the daemon unit stripped of its sandbox
# must exceed the threshold.
# Usage: systemd_units_test.sh SOURCE_DIR [HDC_REPORTD_BINARY]
set -euo pipefail
root=${1:-$(dirname "$0")/../..}
binary=${2:-/bin/true}
units=$root/systemd

if ! command -v systemd-analyze >/dev/null; then
  echo "systemd_units_test: systemd-analyze not found (Debian package 'systemd'; add it to PACKAGES in the Makefile)"
  exit 1
fi
if [[ ! -x $binary ]]; then
  echo "systemd_units_test: $binary is not an executable (build hdc-reportd first)"
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

unit_files=(hdc-reportd.service hdc-reportd-once.service hdc-reportd-once.timer)

# Copies the units into $1 with ExecStart's binary replaced by $2.
copy_units() {
  mkdir -p "$1"
  for u in "${unit_files[@]}"; do
    sed "s|^ExecStart=/usr/bin/hdc-reportd |ExecStart=$2 |" "$units/$u" >"$1/$u"
  done
}

# verify succeeds and prints nothing (warnings are errors here).
verify_clean() {
  local out rc=0
  out=$(cd "$1" && systemd-analyze verify --man=no "${unit_files[@]/#/./}" 2>&1) || rc=$?
  [[ -n $out ]] && printf '  %s\n' "$out"
  [[ $rc -eq 0 && -z $out ]]
}

# Prints "<score>" of a unit file and returns the --threshold=15 exit status.
security_score() {
  local out rc=0
  out=$(systemd-analyze security --offline=yes --threshold=15 --no-pager "$1" 2>&1) || rc=$?
  local line
  line=$(grep -o 'Overall exposure level for .*' <<<"$out" || true)
  if [[ -z $line ]]; then
    printf '  %s\n' "$out" | tail -5
    echo "no score"
    return 2
  fi
  sed -E 's/.*: ([0-9.]+) .*/\1/' <<<"$line"
  return "$rc"
}

# 1. verify
copy_units "$work/units" "$binary"
if verify_clean "$work/units"; then
  pass "systemd-analyze verify: ${unit_files[*]} (ExecStart=$binary)"
else
  fail "systemd-analyze verify reported problems in ${unit_files[*]}"
fi
copy_units "$work/missing" "$work/no-such-dir/hdc-reportd"
if verify_clean "$work/missing" >/dev/null; then
  fail "control: verify accepted an ExecStart binary that does not exist"
else
  pass "control: verify rejects a missing ExecStart binary"
fi
copy_units "$work/typo" "$binary"
sed -i 's/^ProtectSystem=strict/ProtectSytem=strict/' "$work/typo/hdc-reportd.service"
if verify_clean "$work/typo" >/dev/null; then
  fail "control: verify accepted a misspelt key (ProtectSytem=)"
else
  pass "control: verify flags a misspelt key"
fi

# 2. exposure score gate
for u in hdc-reportd.service hdc-reportd-once.service; do
  rc=0
  score=$(security_score "$work/units/$u") || rc=$?
  if [[ $rc -eq 0 ]]; then
    pass "security --offline=yes: $u exposure $score (threshold 1.5)"
  else
    fail "security --offline=yes: $u exposure ${score##*$'\n'} is above 1.5 (or no score)"
  fi
done
# Control: the daemon unit without its sandbox must fail the same gate.
grep -vE '^(NoNewPrivileges|CapabilityBoundingSet|AmbientCapabilities|Protect[A-Za-z]+|Private[A-Za-z]+|ProcSubset|Restrict[A-Za-z]+|LockPersonality|MemoryDenyWriteExecute|SystemCall[A-Za-z]+|KeyringMode|RemoveIPC|DevicePolicy|UMask)=' \
  "$work/units/hdc-reportd.service" >"$work/unhardened.service"
rc=0
score=$(security_score "$work/unhardened.service") || rc=$?
if [[ $rc -eq 1 ]]; then
  pass "control: the daemon unit without its sandbox scores $score and fails the gate"
else
  fail "control: the unhardened copy passed the gate or gave no score (rc $rc, $score)"
fi

# 3. values fixed by docs/operations.md §Units, docs/operations.md §Nightly one-shot
require() {  # file, exact line
  if grep -qxF -- "$2" "$units/$1"; then pass "$1: $2"; else fail "$1 lacks the line '$2'"; fi
}
require hdc-reportd.service 'Type=notify'
require hdc-reportd.service 'NotifyAccess=main'
require hdc-reportd.service 'ExecStart=/usr/bin/hdc-reportd --config /etc/hdc-reportd/hdc-reportd.ini'
require hdc-reportd.service 'ExecReload=/bin/kill -HUP $MAINPID'
require hdc-reportd.service 'Restart=on-failure'
require hdc-reportd.service 'RestartPreventExitStatus=64 77 78'
require hdc-reportd.service 'LimitCORE=0'
require hdc-reportd.service 'StateDirectory=hdc-reportd'
require hdc-reportd.service 'LoadCredential=client-secret:/etc/hdc-reportd/client-secret'
grep -qE '^WatchdogSec=[1-9]' "$units/hdc-reportd.service" && pass "hdc-reportd.service: WatchdogSec set" ||
  fail "hdc-reportd.service has no WatchdogSec="
require hdc-reportd-once.service 'Type=oneshot'
require hdc-reportd-once.service 'ExecStart=/usr/bin/hdc-reportd --config /etc/hdc-reportd/hdc-reportd.ini --once'
require hdc-reportd-once.service 'SuccessExitStatus=75'
require hdc-reportd-once.service 'LoadCredential=client-secret:/etc/hdc-reportd/client-secret'
grep -q '^WatchdogSec=' "$units/hdc-reportd-once.service" && fail "hdc-reportd-once.service must not set WatchdogSec=" ||
  pass "hdc-reportd-once.service: no watchdog"
require hdc-reportd-once.timer 'OnCalendar=daily'
require hdc-reportd-once.timer 'Persistent=true'
grep -qE '^RandomizedDelaySec=[1-9]' "$units/hdc-reportd-once.timer" && pass "hdc-reportd-once.timer: RandomizedDelaySec set" ||
  fail "hdc-reportd-once.timer has no RandomizedDelaySec="
# The two services share one sandbox: the hardening lines must be identical.
sandbox() { grep -E '^(NoNewPrivileges|CapabilityBoundingSet|AmbientCapabilities|Protect[A-Za-z]+|Private[A-Za-z]+|ProcSubset|Restrict[A-Za-z]+|LockPersonality|MemoryDenyWriteExecute|SystemCall[A-Za-z]+|KeyringMode|RemoveIPC|DevicePolicy|UMask|User|Group|LimitCORE|MemoryMax|TasksMax)=' "$1"; }
if diff <(sandbox "$units/hdc-reportd.service") <(sandbox "$units/hdc-reportd-once.service") >"$work/sandbox.diff"; then
  pass "both services have the same user and sandbox"
else
  fail "the services' sandboxes differ:"; cat "$work/sandbox.diff"
fi

if ((failures > 0)); then
  echo "systemd_units_test: $failures failure(s)"
  exit 1
fi
echo "systemd_units_test: all checks passed"
