#!/bin/bash
# Build and cache a small x86_64 Linux 6.12 kernel with sched_ext
# (CONFIG_SCHED_CLASS_EXT) and the sched_ext example schedulers, for the
# scx-x86 e2e guest.
#
#   tests/e2e/scx_kernel.sh      prints KVER=..., BZIMAGE=..., VMLINUX=..., MODDIR=...,
#                                DBGMODDIR=... (= MODDIR: the modules keep their debug
#                                info), GUEST_BIN=... (static scx_qmap, scx_simple,
#                                bpftool),
#                                SCXKEY=... (the cache key)
#
# Source: Debian's linux-source-6.12 (/usr/src/linux-source-6.12.tar.xz),
# extracted under $LKSTUB_CACHE/scx-kernel/src-<package version>/. The
# configuration is tinyconfig plus the options below (OPTS), checked to be
# really set after olddefconfig. The result is cached in
# $LKSTUB_CACHE/scx-kernel/<package version>-<sha256 of .config>/ and built
# only when that directory is missing (cold: see docs/testing.md for the
# time). Needs (as root, the script installs them when missing):
# linux-source-6.12 clang-19 llvm-19 lld-19 pahole bc flex bison libssl-dev
# libelf-dev libzstd-dev zlib1g-dev. Builds run under nice -n 19, make -j$JOBS
# (LKSTUB_JOBS, default 2).
set -euo pipefail

CACHE=${LKSTUB_CACHE:-/var/cache/lkstub}
TOP=$CACHE/scx-kernel
JOBS=${LKSTUB_JOBS:-2}
TARBALL=/usr/src/linux-source-6.12.tar.xz
log() { echo "scx_kernel.sh: $*" >&2; }
die() { log "$*"; exit 1; }

PKGS="linux-source-6.12 clang-19 llvm-19 lld-19 pahole bc flex bison libssl-dev libelf-dev libzstd-dev zlib1g-dev cpio"
missing=
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    [ "$(id -u)" = 0 ] || die "missing packages:$missing (install them as root)"
    log "installing$missing"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >&2
fi
PKGVER=$(dpkg-query -W -f='${Version}' linux-source-6.12)
SRC=$TOP/src-$PKGVER/linux-source-6.12
if [ ! -f "$SRC/Makefile" ]; then
    log "extracting $TARBALL"
    mkdir -p "$TOP/src-$PKGVER"
    tmp=$(mktemp -d "$TOP/src-$PKGVER/.x.XXXXXX")
    nice -n 19 tar -xJf "$TARBALL" -C "$tmp"
    mv "$tmp/linux-source-6.12" "$SRC"
    rmdir "$tmp"
fi

# name=value; y options are checked after olddefconfig, m too; n must be unset.
OPTS="
64BIT=y SMP=y NR_CPUS=8 PRINTK=y TTY=y SERIAL_8250=y SERIAL_8250_CONSOLE=y
BLK_DEV_INITRD=y RD_GZIP=y PROC_FS=y PROC_KCORE=y VMCORE_INFO=y SYSFS=y
DEVTMPFS=y DEVTMPFS_MOUNT=y BINFMT_ELF=y BINFMT_SCRIPT=y
MODULES=y MODULE_UNLOAD=y NET=y NETDEVICES=y DUMMY=m BLOCK=y BLK_DEV=y BLK_DEV_LOOP=m
CRC7=m RANDOMIZE_BASE=y RELOCATABLE=y X86_5LEVEL=y
BPF=y BPF_SYSCALL=y BPF_JIT=y BPF_JIT_ALWAYS_ON=y BPF_JIT_DEFAULT_ON=y
DEBUG_KERNEL=y DEBUG_INFO_DWARF5=y DEBUG_INFO_BTF=y DEBUG_FS=y
SCHED_CLASS_EXT=y KALLSYMS=y KALLSYMS_ALL=y CGROUPS=y CGROUP_SCHED=y
FAIR_GROUP_SCHED=y HPET=y HPET_TIMER=y PCI=y ACPI=y X86_MPPARSE=y
MULTIUSER=y FUTEX=y EPOLL=y SIGNALFD=y TIMERFD=y EVENTFD=y SHMEM=y AIO=y
FILE_LOCKING=y INOTIFY_USER=y POSIX_TIMERS=y HIGH_RES_TIMERS=y TMPFS=y MEMFD_CREATE=y
UNIX=y PERF_EVENTS=y TRACEPOINTS=y FTRACE=y
CC_OPTIMIZE_FOR_PERFORMANCE=y STACKTRACE=y
"

cd "$SRC"
CFG=$TOP/.config-$PKGVER.$$
cleanup() { rm -f "$CFG"; }
trap cleanup EXIT
# The wanted configuration, made apart from the tree's own .config (which
# belongs to the last build) so that the cache key is known before building.
KOUT=$TOP/cfg-$PKGVER
mkdir -p "$KOUT"
make -s O="$KOUT" tinyconfig >/dev/null
set --
for o in $OPTS; do
    n=${o%%=*}; v=${o#*=}
    case "$v" in
        y) set -- "$@" --enable "$n" ;;
        m) set -- "$@" --module "$n" ;;
        n) set -- "$@" --disable "$n" ;;
        *) set -- "$@" --set-val "$n" "$v" ;;
    esac
done
scripts/config --file "$KOUT/.config" "$@" \
    --disable CC_OPTIMIZE_FOR_SIZE --disable KERNEL_XZ --enable KERNEL_GZIP \
    --disable MODULE_SIG --disable MODULE_COMPRESS --disable DEBUG_INFO_REDUCED \
    --disable DEBUG_INFO_SPLIT --disable DEBUG_INFO_NONE --disable DEBUG_INFO_DWARF4 \
    --disable DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT
make -s O="$KOUT" olddefconfig >/dev/null
# Twice: an option may only appear once another is set.
scripts/config --file "$KOUT/.config" "$@"
make -s O="$KOUT" olddefconfig >/dev/null
bad=
for o in $OPTS; do
    n=${o%%=*}; v=${o#*=}
    case "$v" in
        y|m) grep -qx "CONFIG_$n=$v" "$KOUT/.config" || bad="$bad $n=$v($(grep -E "^(# )?CONFIG_$n[= ]" "$KOUT/.config" || echo unset))" ;;
        n) grep -q "^CONFIG_$n=" "$KOUT/.config" && bad="$bad $n=n" ;;
        *) grep -qx "CONFIG_$n=$v" "$KOUT/.config" || bad="$bad $n=$v" ;;
    esac
done
[ -z "$bad" ] || die "options not set as wanted after olddefconfig:$bad"
cp "$KOUT/.config" "$CFG"

KEY=$PKGVER-$(sha256sum "$CFG" | cut -c1-16)
OUT=$TOP/$KEY
if [ ! -f "$OUT/done" ]; then
    # Out of tree (the source stays clean for the O= configuration above).
    B=$TOP/build-$PKGVER
    mkdir -p "$B"
    [ -f "$B/.config" ] && cmp -s "$B/.config" "$CFG" || cp "$CFG" "$B/.config"
    log "building $KEY in $B (nice -n 19, make -j$JOBS)"
    t0=$(date +%s)
    nice -n 19 make O="$B" -j"$JOBS" bzImage vmlinux modules >"$TOP/build-$KEY.log" 2>&1 ||
        { tail -n 30 "$TOP/build-$KEY.log" >&2; die "kernel build failed (log: $TOP/build-$KEY.log)"; }
    t1=$(date +%s)
    log "kernel built in $((t1 - t0)) s"
    rm -rf "$OUT.tmp"
    mkdir -p "$OUT.tmp/modules"
    KREL=$(make -s O="$B" kernelrelease)
    cp "$B/arch/x86/boot/bzImage" "$OUT.tmp/bzImage-$KREL"
    cp "$B/vmlinux" "$OUT.tmp/vmlinux-$KREL"
    cp "$B/.config" "$OUT.tmp/config-$KREL"
    nice -n 19 make -s O="$B" INSTALL_MOD_PATH="$OUT.tmp/modinst" modules_install >&2
    # The modules keep their debug info (no INSTALL_MOD_STRIP): one dir for both.
    mv "$OUT.tmp/modinst/lib/modules/$KREL" "$OUT.tmp/modules/$KREL"
    rm -rf "$OUT.tmp/modinst"
    echo "$KREL" > "$OUT.tmp/kernelrelease"
    echo "$((t1 - t0))" > "$OUT.tmp/build-seconds"
    touch "$OUT.tmp/done"
    rm -rf "$OUT"
    mv "$OUT.tmp" "$OUT"
fi
KREL=$(cat "$OUT/kernelrelease")

# The example schedulers (tools/sched_ext) against this vmlinux's BTF, with
# clang-19 for the BPF side and the tree's own libbpf and bpftool; the
# programs linked again with -static (busybox initramfs: no libc there).
# Built only when $OUT/bin is missing.
SCXBIN=$OUT/bin
if [ ! -x "$SCXBIN/scx_qmap" ]; then
    T=$TOP/scx-tools-$PKGVER
    mkdir -p "$T"
    log "building tools/sched_ext (scx_simple scx_qmap) in $T"
    t0=$(date +%s)
    nice -n 19 make -C "$SRC/tools/sched_ext" O="$T" VMLINUX_BTF="$OUT/vmlinux-$KREL" \
        CLANG=clang-19 LLVM_STRIP=llvm-strip-19 -j"$JOBS" scx_simple scx_qmap \
        >"$TOP/scx-tools-$KEY.log" 2>&1 ||
        { tail -n 30 "$TOP/scx-tools-$KEY.log" >&2; die "tools/sched_ext build failed (log: $TOP/scx-tools-$KEY.log)"; }
    rm -rf "$SCXBIN.tmp"
    mkdir -p "$SCXBIN.tmp"
    for s in scx_simple scx_qmap; do
        gcc -static -o "$SCXBIN.tmp/$s" "$T/build/obj/sched_ext/$s.o" \
            "$T/build/obj/libbpf/libbpf.a" -lelf -lz -lzstd -lpthread >&2 ||
            die "static link of $s failed"
        file "$SCXBIN.tmp/$s" | grep -q "statically linked" || die "$s is not static"
        cp "$T/build/obj/sched_ext/$s.bpf.o" "$OUT/$s.bpf.o"
    done
    echo "$(( $(date +%s) - t0 ))" > "$OUT/scx-build-seconds"
    rm -rf "$SCXBIN"
    mv "$SCXBIN.tmp" "$SCXBIN"
fi

# bpftool (tools/bpf/bpftool of the same tree), static, for the guest's own
# view of scx_qmap's maps. Built apart from the rest (its own marker: the
# binary in $SCXBIN), so that a cache made before it gets it added without
# the kernel or the schedulers built again. No LLVM, libbfd, libcap or BPF
# skeletons (feature-*=0): only libbpf, libelf, zlib, all static.
if [ ! -x "$SCXBIN/bpftool" ]; then
    BT=$TOP/bpftool-$PKGVER/
    mkdir -p "$BT"
    log "building tools/bpf/bpftool (static) in $BT"
    t0=$(date +%s)
    nice -n 19 make -C "$SRC/tools/bpf/bpftool" OUTPUT="$BT" -j"$JOBS" \
        feature-llvm=0 feature-libbfd=0 feature-libbfd-liberty=0 feature-libbfd-liberty-z=0 \
        feature-libcap=0 feature-clang-bpf-co-re=0 EXTRA_LDFLAGS=-static \
        >"$TOP/bpftool-$KEY.log" 2>&1 ||
        { tail -n 30 "$TOP/bpftool-$KEY.log" >&2; die "bpftool build failed (log: $TOP/bpftool-$KEY.log)"; }
    file "$BT/bpftool" | grep -q "statically linked" || die "bpftool is not static"
    strip -o "$OUT/bpftool.tmp" "$BT/bpftool"
    mv "$OUT/bpftool.tmp" "$SCXBIN/bpftool"
    echo "$(( $(date +%s) - t0 ))" > "$OUT/bpftool-build-seconds"
fi

echo "KVER=$KREL"
echo "BZIMAGE=$OUT/bzImage-$KREL"
echo "VMLINUX=$OUT/vmlinux-$KREL"
echo "MODDIR=$OUT/modules/$KREL"
echo "DBGMODDIR=$OUT/modules/$KREL"
echo "GUEST_BIN=$SCXBIN"
echo "SCXKEY=$KEY"
