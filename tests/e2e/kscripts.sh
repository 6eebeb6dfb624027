#!/bin/bash
# Fetch and cache the kernel's own gdb scripts (scripts/gdb, the lx-*
# commands) for the e2e kernel, with linux/constants.py generated for it.
#
#   tests/e2e/kscripts.sh KVER     prints  KSCRIPTS=<dir>/vmlinux-gdb.py
#
# scripts/gdb comes from Debian's linux-source-6.1 (or -6.12) package (the tarball in
# /usr/src; only scripts/gdb is extracted). constants.py.in is run through
# the C preprocessor the way scripts/gdb/linux/Makefile does it, with the
# kernel's include paths and -include flags. Its headers (linux/fs.h and
# friends) need the generated headers of the kernel's build (autoconf.h
# from its .config, asm/ wrappers, bounds.h, ...): Debian ships exactly
# those, for this build, in linux-headers-KVER (+ -common), so they are
# taken from there instead of being regenerated. All cached under
# $LKSTUB_CACHE/kscripts/KVER (default /var/cache/lkstub).
set -euo pipefail

KVER=${1:?usage: kscripts.sh KVER}
CACHE=${LKSTUB_CACHE:-/var/cache/lkstub}
DEBS=$CACHE/debs
OUT=$CACHE/kscripts/$KVER
log() { echo "kscripts.sh: $*" >&2; }

if [ -s "$OUT/vmlinux-gdb.py" ] && [ -s "$OUT/scripts/gdb/linux/constants.py" ]; then
    echo "KSCRIPTS=$OUT/vmlinux-gdb.py"
    exit 0
fi

case $KVER in
    *-amd64) SRCARCH=x86; DEBARCH=amd64 ;;
    *-arm64|*-arm64-16k) SRCARCH=arm64; DEBARCH=arm64 ;;
    *) log "unknown architecture in $KVER"; exit 1 ;;
esac
ABI=${KVER%-*}; ABI=${ABI%-*}            # 6.1.0-56-cloud-amd64 -> 6.1.0-56,
                                        # 6.12.118+deb12-arm64-16k -> 6.12.118+deb12
MAJ=$(echo "$KVER" | cut -d. -f1-2)     # 6.1

get_deb() {   # $1 = package[:arch], $2 = version; prints the cached .deb
    local name=${1%%:*} deb
    deb=$(ls -1 "$DEBS/${name}_${2}_"*.deb 2>/dev/null | head -n1 || true)
    if [ -z "$deb" ]; then
        mkdir -p "$DEBS"
        log "downloading $1=$2"
        (cd "$DEBS" && apt-get download "$1=$2" >&2 2>/dev/null) ||
            { [ "$(id -u)" = 0 ] && apt-get update -qq >&2 &&
              (cd "$DEBS" && apt-get download "$1=$2" >&2); } ||
            { log "apt-get download $1=$2 failed"; exit 1; }
        deb=$(ls -1 "$DEBS/${name}_${2}_"*.deb 2>/dev/null | head -n1)
    fi
    echo "$deb"
}

# The package version of this kernel build (e.g. 6.1.192-2).
VER=$(apt-cache show "linux-headers-$KVER:$DEBARCH" 2>/dev/null |
      sed -n 's/^Version: //p' | head -n1)
[ -n "$VER" ] || { log "apt knows no linux-headers-$KVER"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kscripts.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
src=$(get_deb "linux-source-$MAJ" "$VER")
log "extracting scripts/gdb from $(basename "$src")"
dpkg-deb --fsys-tarfile "$src" |
    tar -xO "./usr/src/linux-source-$MAJ.tar.xz" |
    xz -dc | tar -x -C "$tmp" "linux-source-$MAJ/scripts/gdb"
for p in "linux-headers-$ABI-common:all" "linux-headers-$KVER:$DEBARCH"; do
    dpkg-deb -x "$(get_deb "$p" "$VER")" "$tmp/h"
done
C=$tmp/h/usr/src/linux-headers-$ABI-common
F=$tmp/h/usr/src/linux-headers-$KVER
A=arch/$SRCARCH/include

rm -rf "$OUT.new"
mkdir -p "$OUT.new/scripts"
cp -r "$tmp/linux-source-$MAJ/scripts/gdb" "$OUT.new/scripts/gdb"
G=$OUT.new/scripts/gdb/linux
# As scripts/gdb/linux/Makefile: $(CPP) -E -x c -P $(c_flags), then drop
# everything up to the end-of-headers marker.
gcc -E -x c -P -nostdinc -D__KERNEL__ \
    -I"$C/$A" -I"$F/$A/generated" -I"$C/include" -I"$F/include" \
    -I"$C/$A/uapi" -I"$F/$A/generated/uapi" -I"$C/include/uapi" \
    -I"$F/include/generated/uapi" \
    -include "$C/include/linux/compiler-version.h" \
    -include "$C/include/linux/kconfig.h" \
    -include "$C/include/linux/compiler_types.h" \
    "$G/constants.py.in" -o "$G/constants.py"
sed -i '1,/<!-- end-c-headers -->/d;' "$G/constants.py"
grep -q '^LX_NR_CPUS = [0-9]' "$G/constants.py" ||
    { log "constants.py looks wrong:"; cat "$G/constants.py" >&2; exit 1; }
cp "$F/.config" "$OUT.new/config-$KVER"
# The top-level loader, as the kernel's build links it next to vmlinux.
cp "$OUT.new/scripts/gdb/vmlinux-gdb.py" "$OUT.new/vmlinux-gdb.py"
rm -rf "$OUT"
mv "$OUT.new" "$OUT"
log "kernel gdb scripts in $OUT"
echo "KSCRIPTS=$OUT/vmlinux-gdb.py"
