#!/usr/bin/env bash
# make demo: validates the demo configuration and prints each job's template
# and schedule JSON as hdc-reportd will send them to Hardware Dev Center.
# (The full demo, against hdc-emulator, follows with the ingestion engine.)
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/../.."
# The emulator's demo client secret: not a real secret.
export HDC_CLIENT_SECRET=${HDC_CLIENT_SECRET:-demo-client-secret}
echo "== hdc-reportd --check-config --config config/demo/hdc-reportd.ini"
"$build/daemon/hdc-reportd" --check-config --config config/demo/hdc-reportd.ini
