# Shared helpers of the Windows end-to-end scripts (tests/windows/*_test.sh),
# on top of tests/e2e/lib.sh: the .exe files run under Wine
# (cmake/windows/wine.sh), the emulator is the native Linux one, on
# 127.0.0.1, and the state lives in a host folder the Windows programs see as
# Z:\... (Wine maps Z: to /), so the invariant checks read it directly.
#
# Usage from a script: source "$3/tests/windows/lib.sh" "$@"
# with the arguments WIN_BUILD NATIVE_BUILD SOURCE_DIR of the CTest entry.
win_build=$1
native_build=$2
src=$3
tmp=$(mktemp -d)
source "$src/tests/e2e/lib.sh"

REPORTD=$win_build/daemon/hdc-reportd.exe
REPORTCTL=$win_build/daemon/hdc-reportctl.exe
NATIVE_CTL=$native_build/daemon/hdc-reportctl
EMULATOR=$native_build/emulator/hdc-emulator
for f in "$REPORTD" "$REPORTCTL"; do
  [[ -f $f ]] || { echo "missing $f (make windows)"; exit 1; }
done
[[ -x $EMULATOR ]] || { echo "missing the native emulator $EMULATOR (make build)"; exit 1; }

# wine_run PROGRAM ARGS...: runs a Windows program under Wine, returns its
# exit code.
wine_run() { "$src/cmake/windows/wine.sh" "$@"; }

# winpath PATH: the Windows name of a host path (Z:\tmp\...).
winpath() { local p=${1//\//\\}; printf 'Z:%s' "$p"; }

# win_config FILE STATE_DIR JOBS_DIR: write_config with Windows paths.
win_config() { write_config "$1" "$(winpath "$2")" "$(winpath "$3")"; }

# Dates relative to the real clock (the daemon polls up to its own "now").
t0=$(date -u -d '-7 days' +%Y-%m-%d)
d() { date -u -d "$t0 $1 days" +%Y-%m-%d; }
