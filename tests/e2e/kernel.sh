#!/bin/bash
# Fetch and cache the Debian cloud kernel used by the end-to-end tests.
#
#   tests/e2e/kernel.sh            prints  KVER=..., BZIMAGE=..., VMLINUX=..., MODDIR=...
#
# The version is resolved at run time from the Depends of the
# linux-image-cloud-amd64-dbg meta package. Packages are downloaded with
# apt-get download into $LKSTUB_CACHE/debs (default /var/cache/lkstub) only
# when missing; only the needed files are extracted, into
# $LKSTUB_CACHE/kernel/<ver>/.  Set LKSTUB_KVER to pin a version.
set -euo pipefail

CACHE=${LKSTUB_CACHE:-/var/cache/lkstub}
DEBS=$CACHE/debs
log() { echo "kernel.sh: $*" >&2; }

resolve_ver() {
    local dep
    dep=$(apt-cache depends linux-image-cloud-amd64-dbg 2>/dev/null |
          sed -n 's/^ *Depends: linux-image-\(.*\)-dbg$/\1/p' | head -n1)
    echo "$dep"
}

KVER=${LKSTUB_KVER:-}
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
        KVER=$(ls -1 "$CACHE/kernel" 2>/dev/null | sort -V | tail -n1 || true)
        [ -n "$KVER" ] && log "using cached kernel $KVER (apt metadata unavailable)"
    fi
    [ -n "$KVER" ] || { log "cannot resolve the kernel version"; exit 1; }
fi

KDIR=$CACHE/kernel/$KVER
BZIMAGE=$KDIR/vmlinuz-$KVER
VMLINUX=$KDIR/vmlinux-$KVER
MODDIR=$KDIR/modules

find_deb() {  # $1 = package name; prints the newest cached .deb
    ls -1 "$DEBS/$1"_*.deb 2>/dev/null | sort -V | tail -n1
}

get_deb() {   # $1 = package name
    local deb
    deb=$(find_deb "$1")
    if [ -z "$deb" ]; then
        mkdir -p "$DEBS"
        log "downloading $1"
        if ! (cd "$DEBS" && apt-get download "$1" >&2 2>/dev/null); then
            if [ "$(id -u)" = 0 ]; then
                apt-get update -qq >&2
                (cd "$DEBS" && apt-get download "$1" >&2)
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
if [ ! -s "$BZIMAGE" ] || [ ! -d "$MODDIR" ]; then
    deb=$(get_deb "linux-image-$KVER-unsigned")
    tmp=$(mktemp -d "$KDIR/.x.XXXXXX")
    log "extracting bzImage and modules from $(basename "$deb")"
    extract "$deb" "$tmp" "./boot/vmlinuz-$KVER" "./lib/modules/$KVER"
    rm -rf "$MODDIR"
    mv "$tmp/lib/modules/$KVER" "$MODDIR"
    mv "$tmp/boot/vmlinuz-$KVER" "$BZIMAGE"
    rm -rf "$tmp"
fi
if [ ! -s "$VMLINUX" ]; then
    deb=$(get_deb "linux-image-$KVER-dbg")
    tmp=$(mktemp -d "$KDIR/.x.XXXXXX")
    log "extracting vmlinux from $(basename "$deb") (large)"
    extract "$deb" "$tmp" "./usr/lib/debug/boot/vmlinux-$KVER"
    mv "$tmp/usr/lib/debug/boot/vmlinux-$KVER" "$VMLINUX"
    rm -rf "$tmp"
fi

echo "KVER=$KVER"
echo "BZIMAGE=$BZIMAGE"
echo "VMLINUX=$VMLINUX"
echo "MODDIR=$MODDIR"
