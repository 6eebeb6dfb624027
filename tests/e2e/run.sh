#!/bin/bash
# End-to-end differential tests: real QEMU guests (TCG) running the Debian
# cloud kernel, real gdb, lkstub compared against QEMU's own gdbstub.
# Builds nothing: `make e2e` runs `make all` first (build/lkstub).
#
#   LKSTUB_E2E_CONFIGS=5level-kaslr,4level-nokaslr,q35-3g,arm64-kaslr,arm64-nokaslr
#                                                           subset of guests
#   LKSTUB_CACHE=/var/cache/lkstub                          kernel cache
#   LKSTUB_E2E_KEEP=1                                       keep the work dir
#   tests/e2e/run.sh --oracle    only check the battery against QEMU twice
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/../deps.sh" e2e
"$here/kernel.sh" >/dev/null
# The arm64 guests (arm64-* configs) need qemu-system-aarch64, gdb-multiarch
# and the arm64 kernel; skipped when LKSTUB_E2E_CONFIGS names none of them.
case "${LKSTUB_E2E_CONFIGS-arm64}" in
    *arm64*) "$here/../deps.sh" e2e-arm64
             "$here/kernel.sh" arm64 >/dev/null ;;
esac
if [ "${1:-}" = --oracle ]; then
    exec python3 "$here/e2e.py" oracle
fi
exec python3 "$here/e2e.py" run "$@"
