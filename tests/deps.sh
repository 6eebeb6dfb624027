#!/bin/bash
# Check (and, as root, install) the packages lkstub needs.
#
#   tests/deps.sh build   compiler, libelf, cmocka
#   tests/deps.sh e2e     QEMU, gdb, busybox, cpio, python3
#   tests/deps.sh all     both
#
# As root, missing packages are installed with apt-get (apt-get update runs
# once first).  As another user, the missing packages are listed and the
# script exits 1.
set -euo pipefail

BUILD_PKGS="gcc clang make pkg-config libelf-dev libbpf-dev libcmocka-dev"
E2E_PKGS="qemu-system-x86 gdb busybox-static cpio python3 kmod"

case "${1:-all}" in
    build) want=$BUILD_PKGS ;;
    e2e)   want=$E2E_PKGS ;;
    all)   want="$BUILD_PKGS $E2E_PKGS" ;;
    *) echo "usage: $0 [build|e2e|all]" >&2; exit 2 ;;
esac

missing=
for p in $want; do
    st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$st" = installed ] || missing="$missing $p"
done
missing=${missing# }

[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "deps.sh: missing packages: $missing" >&2
    echo "deps.sh: install them with: sudo apt-get install $missing" >&2
    exit 1
fi

echo "deps.sh: installing: $missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
