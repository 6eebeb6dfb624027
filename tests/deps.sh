#!/bin/bash
# Check (and, as root, install) the packages lkstub needs.
#
#   tests/deps.sh build   compiler, groff and man (the man page check), libelf, zlib, liblzma, libzstd, json-c, cmocka, libFuzzer (libclang-rt-14-dev), valgrind
#   tests/deps.sh e2e        QEMU, gdb, busybox, cpio, python3, kmod, makedumpfile
#   tests/deps.sh e2e-arm64  qemu-system-aarch64, gdb-multiarch, the arm64 cross
#                            compiler and libc (static guest helpers), and the arm64
#                            dpkg architecture (for the arm64 kernel debs)
#   tests/deps.sh all        all of them
#
# As root, missing packages are installed with apt-get (apt-get update runs
# once first) and a missing arm64 architecture is added.  As another user,
# what is missing is listed and the script exits 1.
set -euo pipefail

BUILD_PKGS="gcc clang make pkg-config groff-base man-db libelf-dev libbpf-dev libkdumpfile-dev zlib1g-dev liblzma-dev libzstd-dev libjson-c-dev libcmocka-dev libclang-rt-14-dev valgrind"
E2E_PKGS="qemu-system-x86 gdb busybox-static cpio python3 kmod makedumpfile zstd"
E2E_ARM64_PKGS="qemu-system-arm gdb-multiarch gcc-aarch64-linux-gnu libc6-dev-arm64-cross"

arm64=
case "${1:-all}" in
    build) want=$BUILD_PKGS ;;
    e2e)   want=$E2E_PKGS ;;
    e2e-arm64) want=$E2E_ARM64_PKGS; arm64=1 ;;
    all)   want="$BUILD_PKGS $E2E_PKGS $E2E_ARM64_PKGS"; arm64=1 ;;
    *) echo "usage: $0 [build|e2e|e2e-arm64|all]" >&2; exit 2 ;;
esac

# The arm64 kernel and busybox debs are fetched with apt-get download
# PKG:arm64, which needs arm64 in dpkg's foreign architectures and its
# package lists.
if [ -n "$arm64" ] && [ "$(dpkg --print-architecture)" != arm64 ] &&
   ! dpkg --print-foreign-architectures | grep -qx arm64; then
    if [ "$(id -u)" != 0 ]; then
        echo "deps.sh: the arm64 architecture is not enabled in dpkg" >&2
        echo "deps.sh: enable it with: sudo dpkg --add-architecture arm64 && sudo apt-get update" >&2
        exit 1
    fi
    echo "deps.sh: adding the arm64 architecture" >&2
    dpkg --add-architecture arm64
    apt-get update -qq
fi

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
