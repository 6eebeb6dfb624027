#!/bin/bash
# Fetch and cache the Debian kernels used by the end-to-end tests.
#
#   tests/e2e/kernel.sh [KERNEL]   prints  KVER=..., BZIMAGE=..., VMLINUX=..., MODDIR=...,
#                                           DBGMODDIR=... (the test modules' debug files),
#                                           and for arm64 kernels BUSYBOX=...
#                                           (busybox-static for arm64)
#
# KERNEL (default amd64):
#   amd64            Debian 12's cloud kernel (6.1), linux-image-cloud-amd64
#   arm64            the same for arm64 (BZIMAGE is the arm64 Image)
#   amd64-6.12       the 6.12 LTS cloud kernel of bookworm-security
#                    (linux-image-6.12.N+deb12-cloud-amd64)
#   arm64-6.12       its arm64 build (4 KiB pages, 52-bit VA with LPA2)
#   arm64-16k-6.12   the 6.12 arm64 kernel with 16 KiB pages
#                    (linux-image-6.12.N+deb12-arm64-16k)
#
# The 6.1 versions are resolved at run time from the Depends of the
# linux-image-cloud-<arch>-dbg meta package; the 6.12 ones are the newest
# linux-image-6.12.N+deb12-FLAVOUR for which apt has both the -dbg and the
# -unsigned package. Packages are downloaded with apt-get download into
# $LKSTUB_CACHE/debs (default /var/cache/lkstub; debs-arm64 for arm64) only
# when missing; only the needed files are extracted, into
# $LKSTUB_CACHE/kernel/<ver>/.  Set LKSTUB_KVER to pin a version (amd64),
# LKSTUB_KVER_ARM64 for arm64, LKSTUB_KVER_AMD64_612, LKSTUB_KVER_ARM64_612,
# LKSTUB_KVER_ARM64_16K_612 for the 6.12 kernels.  arm64 needs the arm64
# architecture added to dpkg (tests/deps.sh e2e-arm64 does it, as root).
# 6.12's modules are .ko.xz: MODDIR holds them as shipped (the harness
# decompresses the ones its guests load), DBGMODDIR the -dbg package's
# uncompressed debug objects.
set -euo pipefail

KERNEL=${1:-amd64}
CACHE=${LKSTUB_CACHE:-/var/cache/lkstub}
# FLAVOUR: the KVER suffix; SERIES: how the version part of KVER starts
# (a regex), META: the 6.1 meta package (empty: resolve from the package names).
case "$KERNEL" in
    amd64) ARCH=amd64; FLAVOUR=cloud-amd64; SERIES='6\.1\.0-[0-9]+'
           META=linux-image-cloud-amd64-dbg; PIN=${LKSTUB_KVER:-} ;;
    arm64) ARCH=arm64; FLAVOUR=cloud-arm64; SERIES='6\.1\.0-[0-9]+'
           META=linux-image-cloud-arm64-dbg; PIN=${LKSTUB_KVER_ARM64:-} ;;
    amd64-6.12) ARCH=amd64; FLAVOUR=cloud-amd64; SERIES='6\.12\.[0-9]+\+deb12'
           META=; PIN=${LKSTUB_KVER_AMD64_612:-} ;;
    arm64-6.12) ARCH=arm64; FLAVOUR=cloud-arm64; SERIES='6\.12\.[0-9]+\+deb12'
           META=; PIN=${LKSTUB_KVER_ARM64_612:-} ;;
    arm64-16k-6.12) ARCH=arm64; FLAVOUR=arm64-16k; SERIES='6\.12\.[0-9]+\+deb12'
           META=; PIN=${LKSTUB_KVER_ARM64_16K_612:-} ;;
    *) echo "usage: $0 [amd64|arm64|amd64-6.12|arm64-6.12|arm64-16k-6.12]" >&2; exit 2 ;;
esac
case "$ARCH" in
    amd64) DEBS=$CACHE/debs; APTARCH= ;;
    arm64) DEBS=$CACHE/debs-arm64; APTARCH=:arm64 ;;
esac
log() { echo "kernel.sh: $*" >&2; }

resolve_ver() {
    if [ -n "$META" ]; then
        apt-cache depends "$META$APTARCH" 2>/dev/null |
            sed -n 's/^ *Depends: linux-image-\(.*\)-dbg\(:[a-z0-9]*\)\{0,1\}$/\1/p' | head -n1
        return
    fi
    # The newest version with both a -dbg and an -unsigned package.
    local names v
    names=$(apt-cache pkgnames linux-image- 2>/dev/null || true)
    for v in $(echo "$names" | sed -nE "s/^linux-image-($SERIES-$FLAVOUR)-dbg\$/\1/p" |
               sort -Vr); do
        if echo "$names" | grep -qxF "linux-image-$v-unsigned"; then
            echo "$v"
            return
        fi
    done
}

KVER=$PIN
if [ -z "$KVER" ]; then
    KVER=$(resolve_ver)
    if [ -z "$KVER" ]; then
        # Maybe the package lists were never fetched; fall back to a cached kernel.
        if [ "$(id -u)" = 0 ]; then
            log "meta package not found, running apt-get update"
            apt-get update -qq >&2 || true
            KVER=$(resolve_ver)
        fi
    fi
    if [ -z "$KVER" ]; then
        KVER=$(ls -1 "$CACHE/kernel" 2>/dev/null | grep -E -- "^$SERIES-$FLAVOUR\$" | sort -V | tail -n1 || true)
        [ -n "$KVER" ] && log "using cached kernel $KVER (apt metadata unavailable)"
    fi
    [ -n "$KVER" ] || { log "cannot resolve the kernel version"; exit 1; }
fi

KDIR=$CACHE/kernel/$KVER
BZIMAGE=$KDIR/vmlinuz-$KVER
VMLINUX=$KDIR/vmlinux-$KVER
MODDIR=$KDIR/modules

find_deb() {  # $1 = package name; prints the newest cached .deb
    ls -1 "$DEBS/$1"_*.deb 2>/dev/null | grep -E "_($ARCH|all)\.deb\$" | sort -V | tail -n1
}

get_deb() {   # $1 = package name
    local deb
    deb=$(find_deb "$1")
    if [ -z "$deb" ]; then
        mkdir -p "$DEBS"
        log "downloading $1"
        if ! (cd "$DEBS" && apt-get download "$1$APTARCH" >&2 2>/dev/null); then
            if [ "$(id -u)" = 0 ]; then
                apt-get update -qq >&2
                (cd "$DEBS" && apt-get download "$1$APTARCH" >&2)
            else
                log "apt-get download $1 failed"; exit 1
            fi
        fi
        deb=$(find_deb "$1")
    fi
    [ -n "$deb" ] || { log "no .deb for $1"; exit 1; }
    echo "$deb"
}

extract() {   # $1 = deb, $2 = destination dir, rest = paths inside the deb
    local deb=$1 dst=$2; shift 2
    mkdir -p "$dst"
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dst" "$@"
}

mkdir -p "$KDIR"
# The kernel QEMU's -kernel boots (amd64: bzImage, arm64: Image) and the
# modules the guests' init loads.
if [ ! -s "$BZIMAGE" ] || [ ! -d "$MODDIR" ]; then
    deb=$(get_deb "linux-image-$KVER-unsigned")
    tmp=$(mktemp -d "$KDIR/.x.XXXXXX")
    log "extracting the kernel and modules from $(basename "$deb")"
    extract "$deb" "$tmp" "./boot/vmlinuz-$KVER" "./lib/modules/$KVER"
    rm -rf "$MODDIR"
    mv "$tmp/lib/modules/$KVER" "$MODDIR"
    mv "$tmp/boot/vmlinuz-$KVER" "$BZIMAGE"
    rm -rf "$tmp"
fi
if [ "$ARCH" = arm64 ]; then
    BUSYBOX=$CACHE/busybox-arm64/busybox
    if [ ! -s "$BUSYBOX" ]; then
        deb=$(get_deb busybox-static)
        tmp=$(mktemp -d "$CACHE/.x.XXXXXX")
        log "extracting busybox from $(basename "$deb")"
        extract "$deb" "$tmp" ./bin/busybox
        mkdir -p "$(dirname "$BUSYBOX")"
        mv "$tmp/bin/busybox" "$BUSYBOX"
        rm -rf "$tmp"
    fi
fi
if [ ! -s "$VMLINUX" ]; then
    deb=$(get_deb "linux-image-$KVER-dbg")
    tmp=$(mktemp -d "$KDIR/.x.XXXXXX")
    log "extracting vmlinux from $(basename "$deb") (large)"
    extract "$deb" "$tmp" "./usr/lib/debug/boot/vmlinux-$KVER"
    mv "$tmp/usr/lib/debug/boot/vmlinux-$KVER" "$VMLINUX"
    rm -rf "$tmp"
fi

# The debug object files (with DWARF) of the modules the guests load, for
# lkstub --modules: the -dbg package holds every module's; only these are
# extracted.
DBGMODDIR=$KDIR/debug-modules
DBGMODS="kernel/drivers/net/dummy.ko kernel/drivers/block/loop.ko kernel/lib/crc7.ko"
if [ ! -d "$DBGMODDIR" ]; then
    deb=$(get_deb "linux-image-$KVER-dbg")
    tmp=$(mktemp -d "$KDIR/.x.XXXXXX")
    log "extracting the test modules' debug files from $(basename "$deb")"
    paths=
    for m in $DBGMODS; do paths="$paths ./usr/lib/debug/lib/modules/$KVER/$m"; done
    # shellcheck disable=SC2086
    extract "$deb" "$tmp" $paths
    mv "$tmp/usr/lib/debug/lib/modules/$KVER" "$DBGMODDIR"
    rm -rf "$tmp"
fi

echo "KVER=$KVER"
echo "BZIMAGE=$BZIMAGE"
echo "VMLINUX=$VMLINUX"
echo "MODDIR=$MODDIR"
echo "DBGMODDIR=$DBGMODDIR"
if [ "$ARCH" = arm64 ]; then echo "BUSYBOX=$BUSYBOX"; fi
