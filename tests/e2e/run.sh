#!/bin/bash
# End-to-end differential tests: real QEMU guests (TCG) running the Debian
# cloud kernel, real gdb, lkstub compared against QEMU's own gdbstub.
# Builds nothing: `make e2e` runs `make all` first (build/lkstub).
#
#   LKSTUB_E2E_CONFIGS=5level-kaslr,arm64-kaslr,...   subset of guests;
#                      fast: the subset covering every architecture, paging
#                      mode and input kind; all (default): every one
#   LKSTUB_CACHE=/var/cache/lkstub                          kernel cache
#   LKSTUB_E2E_KEEP=1                                       keep the work dir
#   tests/e2e/run.sh --oracle    only check the battery against QEMU twice
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/../deps.sh" e2e
"$here/kernel.sh" >/dev/null
# The kernels the chosen configs boot (kernel.sh KERNEL, scx_kernel.sh for
# the sched_ext guest's); the arm64 guests
# need qemu-system-aarch64, gdb-multiarch and arm64 packages.
kernels=$(python3 "$here/e2e.py" kernels)
case " $kernels" in
    *" arm64"*) "$here/../deps.sh" e2e-arm64 ;;
esac
for k in $kernels; do
    case "$k" in
        scx) "$here/scx_kernel.sh" >/dev/null ;;   # built here, cached
        *)   "$here/kernel.sh" "$k" >/dev/null ;;
    esac
done
if [ "${1:-}" = --oracle ]; then
    exec python3 "$here/e2e.py" oracle
fi
exec python3 "$here/e2e.py" run "$@"
