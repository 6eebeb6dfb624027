"""The end-to-end harness (stdlib only): kernels, initramfs, QEMU guests,
QMP, lkstubs, a raw RSP client, gdb runs, the checks tally, and the
runner that takes each configuration's guest through the check modules.

Check modules (tests/e2e/*_checks.py, listed in e2e.py's CHECKS) are plain
modules with any of these functions; the runner calls them in list order:

  suite(ctx)         once per run, before any guest (ctx.k is amd64's)
  applies(ctx)       whether the hooks below run on ctx.cfg (default: all)
  launch(ctx)        QEMU has just started; the guest is not up yet
  booted(ctx)        the guest is up (READY) and running
  before_gdb(ctx)    the guest is paused; ctx.stub (the suite's lkstub) is up
  gdb_steps(ctx)     -> steps for the shared gdb session (gdbdriver.py), run
                     on the paused guest through lkstubs; QEMU's own battery
                     (the oracle, ctx.outs["qemu"]) follows them
  live_steps(ctx)    -> steps after that, with the guest running again
  after_gdb(ctx)     ctx.r holds the session's results; anything else on
                     this guest (pause it again if it must be paused)
  after_guest(ctx)   the configuration's guest is gone (a module may boot
                     its own)

A hook that raises counts as one failed check and the next one runs. Lkstubs
a module appends to ctx.stubs must still be running when the guest closes.
"""

import atexit
import lzma
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BATTERY = os.path.join(HERE, "battery.py")
LKSTUB = os.environ.get("LKSTUB", os.path.join(ROOT, "build", "lkstub"))
LKSTUB_ASAN = os.environ.get("LKSTUB_ASAN", os.path.join(ROOT, "build-asan", "lkstub"))
RSP_CLIENT = os.environ.get("RSP_CLIENT", os.path.join(ROOT, "build", "tests", "tools",
                                                       "rsp_client"))
BUSYBOX = "/bin/busybox"
# Small modules without dependencies, loaded by every guest's init: the
# battery walks the module list, the kernel's lx-lsmod lists them.
MODULES = ("dummy", "loop")
# Loaded by the init only when the guest's domainname becomes LATE_TRIGGER
# (written through lkstub --write): a module that appears after gdb attached.
LATE_MODULES = ("crc7",)
LATE_TRIGGER = "lkstub-load-late"

CONFIGS = {
    # name: (cpu, memory, machine, extra kernel args)
    "5level-kaslr":   ("max", "512M", "q35", ""),
    "4level-nokaslr": ("max,la57=off", "512M", "q35", "nokaslr"),
    "q35-3g":         ("max", "3G", "q35", ""),
    # arm64: qemu-system-aarch64 -M virt (RAM at GPA 0x40000000), 4 KiB
    # pages, 48-bit VAs; KASLR from the DT kaslr-seed / RNDR.
    "arm64-kaslr":    ("max", "1G", "virt", ""),
    "arm64-nokaslr":  ("max", "1G", "virt", "nokaslr"),
    # The 6.12 LTS kernels of bookworm-security (KERNEL_OF): amd64 with
    # 5-level paging and KASLR; arm64 with 4 KiB pages and 52-bit VAs
    # (LPA2: QEMU's max CPU has it, so 5 levels of tables); arm64 with
    # 16 KiB pages and 52-bit VAs (LPA2: 4 levels).
    "6.12-x86":       ("max", "512M", "q35", ""),
    "6.12-arm64":     ("max", "1G", "virt", ""),
    "6.12-arm64-16k": ("max", "1G", "virt", ""),
}
# The kernel (tests/e2e/kernel.sh KERNEL) of each configuration that does
# not run its architecture's 6.1 cloud kernel ("amd64" or "arm64").
KERNEL_OF = {
    "6.12-x86": "amd64-6.12",
    "6.12-arm64": "arm64-6.12",
    "6.12-arm64-16k": "arm64-16k-6.12",
}
BASE = {}   # a derived configuration: the one it copies
# Guests for one topic: their vCPU count, the workload their init starts
# (tests/e2e/workloads/NAME.sh, named on the kernel command line as
# lkstub.workload=NAME) and the only check modules that run on them.
FOCUSED = {
    # name: (base config, vCPUs, workload, check modules)
    "busy-x86":   ("5level-kaslr", 4, "busy", ("vcpu_checks", "sched_checks")),
    "busy-arm64": ("arm64-kaslr", 4, "busy", ("vcpu_checks", "sched_checks")),
    "busy-6.12-x86":   ("6.12-x86", 4, "busy", ("vcpu_checks", "sched_checks")),
    "busy-6.12-arm64": ("6.12-arm64", 4, "busy", ("vcpu_checks", "sched_checks")),
    # sched_ext: a 6.12 kernel built here (tests/e2e/scx_kernel.sh, KERNEL_OF)
    # with scx_qmap running (workloads/scx.sh).
    "scx-x86":    ("5level-kaslr", 4, "scx", ("scx_checks",)),
}
# kernel("scx"): scx_kernel.sh's kernel, not a Debian package's.
KERNEL_OF["scx-x86"] = "scx"
for _n, (_b, _cpus, _w, _mods) in FOCUSED.items():
    _cpu, _mem, _machine, _extra = CONFIGS[_b]
    CONFIGS[_n] = (_cpu, _mem, _machine, (_extra + " lkstub.workload=" + _w).strip())
    BASE[_n] = _b
WORKLOADS = os.path.join(HERE, "workloads")
# Static helpers the guests run (tests/e2e/guest/NAME.c), built per
# architecture into the initramfs's /bin.
GUEST_TOOLS = ("schedtool",)
CC = {"amd64": "gcc", "arm64": "aarch64-linux-gnu-gcc"}


def smp_of(cfg):
    return FOCUSED[cfg][1] if cfg in FOCUSED else 2


def derive_config(name, base, memory=None):
    """Another name for a configuration (its own RAM file and work dir),
    optionally with another memory size."""
    cpu, mem, machine, extra = CONFIGS[base]
    CONFIGS[name] = (cpu, memory or mem, machine, extra)
    BASE[name] = BASE.get(base, base)
    return name


def base_of(cfg):
    return BASE.get(cfg, cfg)


def arch_of(cfg):
    """Debian architecture of a config: the virt machine is arm64."""
    return "arm64" if CONFIGS[cfg][2] == "virt" else "amd64"


def kernel_of(cfg):
    """The kernel a config boots: its architecture's cloud kernel
    (kernel.sh ARCH) unless KERNEL_OF names another."""
    return KERNEL_OF.get(cfg) or KERNEL_OF.get(base_of(cfg)) or arch_of(cfg)


GDB = {"amd64": "gdb", "arm64": "gdb-multiarch"}   # Debian's gdb is x86-only

T0 = time.time()


def log(msg):
    print("[%6.1fs] %s" % (time.time() - T0, msg), flush=True)


# ------------------------------------------------------------------ kernel

def kernel(kkey="amd64"):
    """tests/e2e/kernel.sh KKEY's KVER, BZIMAGE, VMLINUX, MODDIR, DBGMODDIR
    (and BUSYBOX); kkey: amd64, arm64 or one of KERNEL_OF's values ("scx":
    tests/e2e/scx_kernel.sh's, with GUEST_BIN, a directory of static
    programs for the initramfs's /bin)."""
    cmd = ([os.path.join(HERE, "scx_kernel.sh")] if kkey == "scx"
           else [os.path.join(HERE, "kernel.sh"), kkey])
    out = subprocess.run(cmd, check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return dict(line.split("=", 1) for line in out.split())


INIT = r"""#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo 0 > /proc/sys/kernel/kptr_restrict
echo lkstub-e2e-marker > /dev/kmsg
for m in /lib/modules/*.ko; do
    [ -e "$m" ] || continue
    n=$(basename "$m" .ko)
    if insmod "$m"; then
        echo "MODULE $n loaded"
        # Where the kernel put its sections: the oracle for add-symbol-file.
        for s in /sys/module/$n/sections/.* /sys/module/$n/sections/*; do
            [ -f "$s" ] && echo "SECTION $n ${s##*/} $(cat "$s")"
        done
    fi
done
for i in 1 2 3; do sleep 1000000 & done
# A workload named on the kernel command line starts its tasks in the
# background and prints a line per task it started.
for w in $(cat /proc/cmdline); do
    case "$w" in lkstub.workload=*) sh "/workload/${w#lkstub.workload=}.sh" ;; esac
done
echo "KALLSYMS $(grep -w _text /proc/kallsyms)"
echo "KALLSYMS_STEXT $(grep -w _stext /proc/kallsyms)"
for d in /proc/[0-9]*; do read -r c < $d/comm 2>/dev/null && echo "PS ${d#/proc/} $c"; done
: > /tmp/ready     # workloads may wait for it
echo READY
while :; do
    if [ "$(cat /proc/sys/kernel/domainname)" = lkstub-load-late ]; then
        echo "(none)" > /proc/sys/kernel/domainname
        for m in /lib/modules/late/*.ko; do
            insmod "$m" && echo "LATE $(basename "$m" .ko) loaded"
        done
    fi
    sleep 1
done
"""


def find_module(moddir, name):
    """NAME.ko under moddir, or as shipped compressed (6.12: NAME.ko.xz)."""
    for dp, _, files in os.walk(moddir):
        for f in (name + ".ko", name + ".ko.xz", name + ".ko.zst"):
            if f in files:
                return os.path.join(dp, f)
    return None


def build_tool(name, arch, workdir):
    """tests/e2e/guest/NAME.c compiled -static for arch, cached in workdir
    (rebuilt when the source is newer)."""
    src = os.path.join(HERE, "guest", name + ".c")
    out = os.path.join(workdir, "%s-%s" % (name, arch))
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(src):
        subprocess.run([CC[arch], "-static", "-O2", "-Wall", "-o", out, src], check=True)
    return out


def copy_module(src, dstdir):
    """src into dstdir as NAME.ko, decompressed: busybox insmod takes
    plain ELF objects only."""
    base = os.path.basename(src)
    dst = os.path.join(dstdir, base[:base.index(".ko") + 3])
    if src.endswith(".ko"):
        shutil.copy(src, dst)
    elif src.endswith(".xz"):
        with lzma.open(src) as i, open(dst, "wb") as o:
            shutil.copyfileobj(i, o)
    else:
        subprocess.run(["zstd", "-q", "-d", "-f", src, "-o", dst], check=True)
    return dst


def build_initramfs(workdir, moddir, busybox=BUSYBOX, modules=MODULES,
                    late=LATE_MODULES, arch="amd64", bindir=None):
    """The guests' busybox initramfs with modules (from the kernel
    package's MODDIR) that its init loads, and the static GUEST_TOOLS in
    /bin, with every file of bindir (if any). A module that is not there or needs another is an error: the
    guests must load them all."""
    root = os.path.join(workdir, "initramfs")
    shutil.rmtree(root, ignore_errors=True)
    for d in ("bin", "lib/modules/late", "dev", "proc", "sys"):
        os.makedirs(os.path.join(root, d))
    shutil.copytree(WORKLOADS, os.path.join(root, "workload"))
    shutil.copy(busybox, os.path.join(root, "bin", "busybox"))
    for t in GUEST_TOOLS:
        shutil.copy(build_tool(t, arch, workdir), os.path.join(root, "bin", t))
    for t in sorted(os.listdir(bindir)) if bindir else ():
        shutil.copy(os.path.join(bindir, t), os.path.join(root, "bin", t))
    with open(os.path.join(root, "init"), "w") as f:
        f.write(INIT)
    os.chmod(os.path.join(root, "init"), 0o755)
    if modules and not moddir:
        raise RuntimeError("initramfs: no modules directory for %s (kernel.sh MODDIR)"
                           % ", ".join(modules))
    for m in list(modules) + list(late):
        found = find_module(moddir, m)
        if not found:
            raise RuntimeError("initramfs: no %s.ko under %s" % (m, moddir))
        deps = subprocess.run(["modinfo", "-F", "depends", found], check=True,
                              stdout=subprocess.PIPE, text=True).stdout.strip()
        if deps:
            raise RuntimeError("initramfs: %s depends on %s" % (m, deps))
        copy_module(found, os.path.join(root, "lib", "modules", "late" if m in late else ""))
    out = os.path.join(workdir, "initramfs.cpio.gz")
    subprocess.run("cd %s && find . | cpio -o -H newc --quiet | gzip -1 > %s"
                   % (root, out), shell=True, check=True)
    return out


def kernel_syms(vmlinux, names=("_text", "linux_banner", "init_uts_ns")):
    """Link-time addresses of a few vmlinux symbols (nm)."""
    out = subprocess.run(["nm", vmlinux], stdout=subprocess.PIPE, text=True, check=True).stdout
    syms = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[2] in names and f[2] not in syms:
            syms[f[2]] = int(f[0], 16)
    return syms


def link_text(vmlinux):
    return kernel_syms(vmlinux, ("_text",))["_text"]


_INPUTS = {}


def inputs(kkey, wd):
    """(kernel dict, initrd, kernel_syms) of a kernel (kernel_of(cfg): an
    architecture or a KERNEL_OF value), fetched and built once per run."""
    if kkey not in _INPUTS:
        k = kernel(kkey)
        d = os.path.join(wd, kkey)
        os.makedirs(d, exist_ok=True)
        initrd = build_initramfs(d, k.get("MODDIR") or None, k.get("BUSYBOX", BUSYBOX),
                                 arch="arm64" if kkey.startswith("arm64") else "amd64",
                                 bindir=k.get("GUEST_BIN"))
        _INPUTS[kkey] = (k, initrd, kernel_syms(k["VMLINUX"]))
    return _INPUTS[kkey]


# ------------------------------------------------------------------- guest

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def free_port6():
    s = socket.socket(socket.AF_INET6)
    s.bind(("::1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class QMP:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(30)
        self.sock.connect(path)
        self.buf = b""
        self._recv()  # greeting
        self.cmd("qmp_capabilities")

    def _recv(self):
        while b"\n" not in self.buf:
            d = self.sock.recv(65536)
            if not d:
                raise RuntimeError("QMP connection closed")
            self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            r = self._recv()
            if "return" in r:
                return r["return"]
            if "error" in r:
                raise RuntimeError("QMP %s: %s" % (name, r["error"]))

    def close(self):
        self.sock.close()


RAM_PREFIX = "/dev/shm/lkstub-e2e-"
_reaped = []


def ram_path(config):
    """The RAM file of a guest: named after this run (other runs, of other
    checkouts too, may boot the same configuration at the same time). The
    first call removes those of runs that are gone."""
    if not _reaped:
        _reaped.append(True)
        d, base = os.path.split(RAM_PREFIX)
        for f in os.listdir(d):
            m = re.match(re.escape(base) + r"(\d+)-", f)
            if m and not os.path.exists("/proc/" + m.group(1)):
                try:
                    os.unlink(os.path.join(d, f))
                except OSError:
                    pass
    return "%s%d-%s" % (RAM_PREFIX, os.getpid(), config)


class Guest:
    """A QEMU guest booted to its init's READY. Subclasses may define
    edit_cmd(cmd) to change QEMU's command line."""

    def __init__(self, config, k, workdir):
        self.config = config
        self.k = k
        self.dir = os.path.join(workdir, config)
        os.makedirs(self.dir, exist_ok=True)
        self.ram = ram_path(config)
        self.qmp_path = os.path.join(self.dir, "qmp.sock")
        # A QMP socket of lkstub's own (QEMU serves one client per socket).
        self.qmp_lkstub = os.path.join(self.dir, "qmp-lkstub.sock")
        self.serial = os.path.join(self.dir, "serial.log")
        self.port = free_port()
        self.proc = None
        self.qmp = None
        self.kaslr_text = None
        self.modules = []
        self.work = []

    def start(self, initrd, timeout=120, on_launch=None):
        """Boot to READY; on_launch(self) runs right after QEMU is started."""
        cpu, mem, machine, extra = CONFIGS[self.config]
        for p in (self.ram, self.qmp_path, self.qmp_lkstub, self.serial):
            if os.path.exists(p):
                os.unlink(p)
        arm = machine == "virt"
        cmd = ["qemu-system-aarch64" if arm else "qemu-system-x86_64",
               "-accel", "tcg", "-cpu", cpu, "-smp", str(smp_of(self.config)),
               "-m", mem,
               "-object", "memory-backend-file,id=ram0,size=%s,mem-path=%s,share=on"
               % (mem, self.ram),
               "-machine", "%s,memory-backend=ram0" % machine,
               "-kernel", self.k["BZIMAGE"], "-initrd", initrd,
               "-append", ("console=%s panic=-1 quiet loglevel=4 %s"
                           % ("ttyAMA0" if arm else "ttyS0", extra)).strip(),
               "-nographic", "-no-reboot", "-monitor", "none",
               "-serial", "file:" + self.serial,
               "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path,
               "-qmp", "unix:%s,server=on,wait=off" % self.qmp_lkstub,
               "-gdb", "tcp:127.0.0.1:%d" % self.port]
        cmd = getattr(self, "edit_cmd", list)(cmd)
        self.cmdline = cmd
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=open(os.path.join(self.dir, "qemu.out"), "w"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        _live.append(self)
        if on_launch:
            on_launch(self)
        deadline = time.time() + timeout
        text = ""
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("QEMU exited (%d); see %s" % (self.proc.returncode, self.dir))
            try:
                text = open(self.serial, errors="replace").read()
            except FileNotFoundError:
                text = ""
            if re.search(r"^READY", text, re.M):
                break
            time.sleep(0.2)
        else:
            raise RuntimeError("guest %s not READY after %ds; tail of serial:\n%s"
                               % (self.config, timeout, text[-2000:]))
        m = re.search(r"KALLSYMS ([0-9a-f]+) T _text", text)
        m2 = re.search(r"KALLSYMS_STEXT ([0-9a-f]+) T _stext", text)
        if m:
            self.kaslr_text = int(m.group(1), 16)
        elif m2:
            # arm64's kallsyms has no _text (it lies before _stext, outside
            # the text range kallsyms lists without KALLSYMS_ALL): take
            # _stext and the link-time distance _stext - _text.
            ls = kernel_syms(self.k["VMLINUX"], ("_text", "_stext"))
            self.kaslr_text = int(m2.group(1), 16) - (ls["_stext"] - ls["_text"])
        else:
            raise RuntimeError("no _text or _stext line in serial log")
        self.modules = re.findall(r"MODULE (\S+) loaded", text)
        # The workload's tasks: (pid, role, cpu).
        self.work = [(int(p), r, int(c)) for p, r, c in
                     re.findall(r"^WORK (\d+) (\S+) (\d+)", text, re.M)]
        self.qmp = QMP(self.qmp_path)
        return self

    def release_qmp(self):
        self.qmp.close()
        self.qmp = None

    def grab_qmp(self):
        self.qmp = QMP(self.qmp_path)

    def stop(self):
        self.qmp.cmd("stop")

    def cont(self):
        self.qmp.cmd("cont")

    def status(self):
        return self.qmp.cmd("query-status")["status"]

    def serial_text(self):
        """The serial log so far; latin-1: a character per byte, so that
        offsets are the file's."""
        return open(self.serial, encoding="latin-1").read()

    def pause_after_copy(self, tag, timeout=90):
        """The workloads print their view of the guest over and over,
        between `TAG-BEGIN n` and `TAG-END n`: pauses the guest right after
        the next complete copy. (The copy's number, the serial log's size
        once paused); (None, None) if none came."""
        def last(text):
            ends = re.findall(r"^%s-END (\d+)" % tag, text, re.M)
            return int(ends[-1]) if ends else 0
        seen = last(self.serial_text())
        deadline = time.time() + timeout
        while time.time() < deadline:
            if last(self.serial_text()) > seen:
                self.stop()
                return last(self.serial_text()), os.path.getsize(self.serial)
            time.sleep(0.05)
        return None, None

    def close(self):
        if self.qmp:
            try:
                self.qmp.cmd("quit")
            except Exception:  # noqa: BLE001 - it may be gone already
                pass
            self.qmp.close()
            self.qmp = None
        if self.proc and self.proc.poll() is None:
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if os.path.exists(self.ram):
            os.unlink(self.ram)
        if self in _live:
            _live.remove(self)


def check_boot(ck, cfg, g, wanted=MODULES):
    """The guest is up with every module its init was to load."""
    missing = [m for m in wanted if m not in g.modules]
    detail = ""
    if missing:
        serial = open(g.serial, errors="replace").read()
        detail = "not loaded: %s\nserial log (insmod errors):\n%s" % (
            ", ".join(missing), "\n".join(l for l in serial.splitlines()
                                          if "insmod" in l or ".ko" in l)[-2000:])
    ck.check("%s: boot to READY, modules %s loaded" % (cfg, ",".join(wanted) or "(none)"),
             not missing, detail)


class Stub:
    """A running lkstub on guest.ram (guest: anything with dir, k, ram).

    listen: lkstub's -l (default a free 127.0.0.1 port; also [::1]:PORT and
    unix:PATH). ready=False returns at once; wait_ready() waits for it.
    vmlinux: another -k (default the guest's). prefix: run under it
    (valgrind); env: added to the environment (ASan options)."""

    def __init__(self, guest, extra=(), name="lkstub", listen=None, ready=True,
                 vmlinux=None, prefix=(LKSTUB,), env=None, timeout=120, symbols=False):
        self.guest = guest
        if listen is None:
            self.port = free_port()
            listen = "127.0.0.1:%d" % self.port
        self.addr = listen
        self.name = name
        self.errpath = os.path.join(guest.dir, name + ".stderr")
        # The checks load symbols with add-symbol-file, as for QEMU's stub,
        # unless they test what lkstub offers gdb (symbols=True).
        self.cmd = list(prefix) + ["-k", vmlinux or guest.k["VMLINUX"], "-l", self.addr] \
            + ([] if symbols else ["--no-symbols"]) + list(extra) + [guest.ram]
        e = dict(os.environ)
        e.update(env or {})
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, env=e,
                                     stdout=open(os.path.join(guest.dir, name + ".stdout"), "w"),
                                     stderr=open(self.errpath, "w"), start_new_session=True)
        _live.append(self)
        self.summary = ""
        if ready:
            self.wait_ready(timeout)

    def connect(self, timeout=1):
        """A socket connected to the stub's listen address."""
        if self.addr.startswith("unix:"):
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(timeout)
            try:
                s.connect(self.addr[5:])
            except OSError:
                s.close()
                raise
            return s
        host, _, port = self.addr.rpartition(":")
        s = socket.create_connection((host.strip("[]"), int(port)), timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    def wait_ready(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.summary = self.stderr()
            if self.proc.poll() is not None:
                raise RuntimeError("lkstub exited (%d):\n%s" % (self.proc.returncode, self.summary))
            if re.search(r"listening", self.summary):
                # it is listening once the address accepts connections
                try:
                    self.connect().close()
                except OSError:
                    time.sleep(0.1)
                    continue
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("lkstub did not start listening:\n" + self.summary)
        time.sleep(0.2)
        self.summary = self.stderr()
        return self

    def stderr(self):
        return open(self.errpath, errors="replace").read()

    def kaslr_offset(self):
        m = re.search(r"kaslr offset\s+(0x[0-9a-fA-F]+|\d+)", self.summary)
        return int(m.group(1), 0) if m else None

    def stop(self, timeout=120):
        """SIGTERM; the exit status (None: had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.close()
                return None
        self.close()
        return self.proc.returncode

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self in _live:
            _live.remove(self)


def stderr_of(stub):
    return stub.stderr()


def summary_field(summary, name):
    m = re.search(r"^\s+%s\s+(\S+)" % re.escape(name), summary, re.M)
    return m.group(1) if m else None


def layout_line(stub):
    m = re.search(r"^\s+layout\s+(.*)$", stub.summary, re.M)
    return m.group(1) if m else ""


def ready_ms(stub):
    return summary_field(stub.summary, "ready in") or "?"


def ncpus_of(summary):
    m = re.search(r"^\s+cpus\s+(\d+) online", summary, re.M)
    return int(m.group(1)) if m else 2


def proc_status(pid):
    st = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            st[k] = v.strip()
    return st


def lkstub_exit(args, timeout=60):
    """Runs lkstub expecting it to exit: (rc, stderr); rc None on a hang."""
    try:
        p = subprocess.run([LKSTUB] + list(args), stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return None, "still running after %ds\n%s" % (timeout, e.stderr or "")
    return p.returncode, p.stderr


_live = []


def cleanup(*_):
    """Stops every guest, lkstub and gdb the harness started."""
    for o in list(reversed(_live)):
        try:
            o.close()
        except Exception:  # noqa: BLE001 - clean up the rest regardless
            pass


def _on_signal(signum, frame):
    cleanup()
    sys.exit(128 + signum)


atexit.register(cleanup)
signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)
signal.signal(signal.SIGHUP, _on_signal)


# ----------------------------------------------------------- raw RSP client

class RSP:
    """A minimal GDB remote protocol client over a connected socket, with
    send and receive apart so that several connections can interleave."""

    def __init__(self, sock):
        self.sock = sock
        self.sock.settimeout(10)
        self.buf = b""
        self.ack = True
        self.features = self.request("qSupported:swbreak+;hwbreak+")
        if "QStartNoAckMode+" in self.features and self.request("QStartNoAckMode") == "OK":
            self.ack = False

    @staticmethod
    def frame(payload):
        data = payload.encode("latin-1")
        return b"$%s#%02x" % (data, sum(data) & 0xFF)

    def send(self, payload):
        self.sock.sendall(self.frame(payload))

    def _more(self):
        d = self.sock.recv(1 << 20)
        if not d:
            raise RuntimeError("RSP connection closed")
        self.buf += d

    def recv(self):
        while b"$" not in self.buf:   # skip acks
            self._more()
        self.buf = self.buf[self.buf.index(b"$") + 1:]
        while True:
            i = self.buf.find(b"#")
            if i >= 0 and len(self.buf) >= i + 3:
                break
            self._more()
        body, self.buf = self.buf[:i], self.buf[i + 3:]
        if self.ack:
            self.sock.sendall(b"+")
        out = bytearray()
        j = 0
        while j < len(body):
            c = body[j]
            if c == 0x7D:                      # '}' escape
                out.append(body[j + 1] ^ 0x20)
                j += 2
            elif c == 0x2A and out:            # '*' run length
                out += bytes([out[-1]]) * (body[j + 1] - 29)
                j += 2
            else:
                out.append(c)
                j += 1
        return out.decode("latin-1")

    def request(self, payload):
        self.send(payload)
        return self.recv()

    @staticmethod
    def mem(reply):
        if not reply or reply[0] == "E" or len(reply) % 2:
            raise RuntimeError("m reply %r" % reply[:40])
        return bytes.fromhex(reply)

    def read(self, addr, n):
        return self.mem(self.request("m%x,%x" % (addr, n)))

    def monitor(self, cmd):
        """qRcmd: (text, ok)."""
        self.send("qRcmd," + cmd.encode().hex())
        out = ""
        while True:
            p = self.recv()
            if p == "OK":
                return out, True
            if p.startswith("O"):
                out += bytes.fromhex(p[1:]).decode("utf-8", "replace")
            else:
                return out + p, False

    def close(self):
        self.sock.close()


def rsp_client(target, *args, timeout=60):
    """build/tests/tools/rsp_client TARGET ARGS...: (rc, stdout + stderr)."""
    p = subprocess.run([RSP_CLIENT, target] + [str(a) for a in args],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout


def rsp_client_read(target, addr, n):
    """Bytes read with one raw m packet through rsp_client, or None."""
    rc, out = rsp_client(target, "send", "m%x,%x" % (addr, n))
    try:
        return bytes.fromhex(out.strip()) if rc == 0 else None
    except ValueError:
        return None


# --------------------------------------------------------------------- gdb

def gdb_plan(path, vmlinux, offset, steps, arch="amd64"):
    """Write a plan for gdbdriver.drive(); returns (script, results path)."""
    results = path + ".results"
    with open(path, "w") as f:
        json.dump({"vmlinux": vmlinux, "offset": offset, "results": results,
                   "steps": steps, "arch": arch}, f, indent=1)
    script = path + ".gdb"
    with open(script, "w") as f:
        f.write("source %s\nsource %s\npython drive(%r)\n"
                % (BATTERY, os.path.join(HERE, "gdbdriver.py"), path))
    return script, results


def read_lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return None


def results_dict(path):
    d = {}
    for line in read_lines(path) or []:
        k, _, v = line.partition(": ")
        d[k] = v
    return d


class _Proc:
    """A child process that cleanup() kills."""

    def __init__(self, popen):
        self.proc = popen

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self in _live:
            _live.remove(self)


def run_gdb(script, logpath, timeout=600, gdb="gdb"):
    """gdb -batch -x script, output to logpath: (exit status or -1 on a
    timeout, seconds)."""
    t = time.time()
    with open(logpath, "w") as f:
        p = _Proc(subprocess.Popen([gdb, "-q", "-nx", "-batch", "-x", script],
                                   stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                                   start_new_session=True))
        _live.append(p)
        try:
            rc = p.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            rc = -1
        p.close()
    return rc, time.time() - t


def gdb_quick(steps, logpath, timeout=120, gdb="gdb"):
    """gdb without symbols runs (name, command) steps, each whatever the
    one before did; (rc, {name: output or 'ERROR msg'})."""
    script = logpath + ".gdb"
    with open(script, "w") as f:
        f.write("set pagination off\nset confirm off\npython\nimport gdb\n"
                "for name, cmd in %r:\n"
                "    try:\n"
                "        out = gdb.execute(cmd, to_string=True)\n"
                "    except gdb.error as e:\n"
                "        out = 'ERROR %%s' %% e\n"
                "    gdb.write('STEP %%s\\n%%s\\n' %% (name, out))\n"
                "end\n" % (list(steps),))
    rc, _ = run_gdb(script, logpath, timeout, gdb)
    out = open(logpath, errors="replace").read()
    return rc, dict(re.findall(r"^STEP (\S+)\n(.*?)(?=^STEP |\Z)", out, re.M | re.S))


# ---------------------------------------------------------------- batteries

EXPECTED_ERRORS = re.compile(r"^(unmapped\.|init_text\(freed\)|dmap\.2G-4K|dmap\.hole|task\[\d+\]\.stack\.guard"
                             r"|image_head)")   # arm64: [_text, _stext) is not mapped


def diff(a, b, la="lkstub", lb="qemu", limit=60):
    if a is None or b is None:
        return "missing output: %s=%s %s=%s" % (la, a is not None, lb, b is not None)
    out = []
    n = max(len(a), len(b))
    for i in range(n):
        x = a[i] if i < len(a) else "<none>"
        y = b[i] if i < len(b) else "<none>"
        if x != y:
            out.append("line %d:\n  %s: %s\n  %s: %s" % (i + 1, la, x, lb, y))
    if len(out) > limit:
        out = out[:limit] + ["... %d more differing lines" % (len(out) - limit)]
    return "\n".join(out)


def battery_sanity(lines):
    """Problems in a battery output that are independent of the stub."""
    if not lines:
        return "empty battery output"
    bad = [l for l in lines if " ERROR " in l + " " and not EXPECTED_ERRORS.match(l)]
    bad += [l for l in lines if "BATTERY-EXCEPTION" in l]
    bad += ["expected an ERROR: " + l for l in lines
            if l.startswith("unmapped.") and not l.startswith("unmapped.pid1.stack-8")
            and ": ERROR " not in l]
    if len(lines) < 40:
        bad.append("only %d probes" % len(lines))
    return "\n".join(bad)


# struct new_utsname (uapi): sysname[65], nodename[65], release[65], ...;
# struct uts_namespace starts with it.
UTS_RELEASE_OFFSET = 130


# ------------------------------------------------------------------ checks

class Checks:
    """The tally: every check passes or fails; one that cannot run is
    skipped with a reason, counted and listed at the end."""

    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = []
        self.failures = []
        self.t = time.time()

    def check(self, name, ok, detail=""):
        dt = time.time() - self.t
        self.t = time.time()
        if ok:
            self.passed += 1
            log("PASS %-50s (%.1fs)" % (name, dt))
        else:
            self.failed += 1
            self.failures.append((name, str(detail).strip()))
            log("FAIL %-50s (%.1fs)" % (name, dt))
            if detail:
                for line in str(detail).rstrip().splitlines():
                    print("      " + line, flush=True)

    def skip(self, name, why):
        self.t = time.time()
        self.skipped.append((name, why))
        log("SKIP %s: %s" % (name, why))

    def harness_failure(self, what, e):
        self.check("%s: harness" % what, False, "%s: %s\n%s" % (
            type(e).__name__, e, traceback.format_exc()))

    def mark(self):
        self.t = time.time()

    def tally(self):
        """Prints the skips, then the failures again (a CI log may keep
        only its tail), then the final line `N passed, N failed`; returns
        the exit status."""
        if self.skipped:
            print("%d skipped:" % len(self.skipped))
            for name, why in self.skipped:
                print("  %s: %s" % (name, why))
        if self.failures:
            print("%d failed:" % len(self.failures))
            for name, detail in self.failures:
                print("  " + name)
                for line in detail.splitlines()[-6:]:
                    print("      " + line[:240])
        print("%d passed, %d failed" % (self.passed, self.failed), flush=True)
        return 1 if self.failed else 0


def workdir():
    d = tempfile.mkdtemp(prefix="lkstub-e2e.")
    if not os.environ.get("LKSTUB_E2E_KEEP"):
        atexit.register(shutil.rmtree, d, True)
    else:
        print("work dir: " + d)
    return d


# The fast subset (LKSTUB_E2E_CONFIGS=fast, for `make check` should the
# whole run grow past ~30 minutes): every architecture, paging mode
# (x86_64 4- and 5-level; arm64 4K 48-bit, 4K 52-bit LPA2 with 5 levels,
# 16K 52-bit), RAM layout and input kind (5level-kaslr's vmm_checks: pid:,
# --qmp, ELF and kdump vmcores), both kernel series, and the focused
# guests (running CPUs over QMP, the scheduler commands: no other guest
# tests those). What it leaves out (arm64-nokaslr, 6.12-x86) repeats a
# paging mode with another KASLR setting or kernel.
FAST = ("5level-kaslr", "4level-nokaslr", "q35-3g", "arm64-kaslr", "6.12-arm64",
        "6.12-arm64-16k", "busy-x86", "busy-arm64", "busy-6.12-x86", "busy-6.12-arm64")


def configs():
    """The configurations LKSTUB_E2E_CONFIGS selects: a comma list of
    names, `fast` (FAST) or `all` (the default)."""
    sel = os.environ.get("LKSTUB_E2E_CONFIGS")
    if sel in (None, "", "all"):
        return list(CONFIGS)
    if sel == "fast":
        return list(FAST)
    names = [c.strip() for c in sel.split(",")]
    for n in names:
        if n not in CONFIGS:
            sys.exit("unknown config %s (have: %s)" % (n, ", ".join(CONFIGS)))
    return names


# ------------------------------------------------------------------ runner

class Ctx:
    """What the checks of a run, and of one configuration, share."""

    def __init__(self, ck, wd, cfgs):
        self.ck = ck
        self.wd = wd
        self.cfgs = cfgs          # the configurations of this run
        self.k, self.initrd, self.syms = inputs("amd64", wd)
        self.cfg = self.base = self.arch = None
        self.kkey = "amd64"       # the kernel: kernel_of(cfg)
        self.g = None             # the guest
        self.off = None           # its KASLR offset (kallsyms _text - link _text)
        self.stub = None          # the suite's lkstub on it
        self.stubs = []           # lkstubs that must still run at the end
        self.outs = {}            # battery outputs by name
        self.r = {}               # results of the shared gdb session
        self.qemu = None          # QEMU's gdbstub address

    def for_config(self, cfg):
        """A context of its own for cfg, sharing the run's."""
        c = Ctx.__new__(Ctx)
        c.__dict__.update(self.__dict__)
        c.cfg, c.base, c.arch, c.kkey = cfg, base_of(cfg), arch_of(cfg), kernel_of(cfg)
        c.k, c.initrd, c.syms = inputs(c.kkey, self.wd)
        c.g = c.off = c.stub = c.qemu = None
        c.stubs, c.outs, c.r = [], {}, {}
        return c


def _hooks(mods, name, ctx=None):
    out = []
    for m in mods:
        if ctx is not None and ctx.cfg in FOCUSED and m.__name__ not in FOCUSED[ctx.cfg][3]:
            continue
        f = getattr(m, name, None)
        if f and (ctx is None or getattr(m, "applies", lambda c: True)(ctx)):
            out.append((m, f))
    return out


def _call(ctx, what, m, f, *args):
    try:
        return f(ctx, *args)
    except Exception as e:  # noqa: BLE001 - one failed check, then go on
        ctx.ck.harness_failure("%s: %s.%s" % (what, m.__name__, f.__name__), e)
        return None


def run_config(ctx, mods):
    """One configuration's guest through the modules' hooks."""
    cfg = ctx.cfg
    k = ctx.k
    ctx.g = g = Guest(cfg, k, ctx.wd)
    g.start(ctx.initrd, on_launch=lambda _g: [
        _call(ctx, cfg, m, f) for m, f in _hooks(mods, "launch", ctx)])
    ctx.off = g.kaslr_text - ctx.syms["_text"]
    check_boot(ctx.ck, cfg, g)
    for m, f in _hooks(mods, "booted", ctx):
        _call(ctx, cfg, m, f)
    g.stop()
    ctx.ck.check("%s: QMP stop" % cfg, g.status() == "paused", g.status())
    ctx.qemu = "127.0.0.1:%d" % g.port
    ctx.stub = Stub(g)
    ctx.stubs.append(ctx.stub)
    for m, f in _hooks(mods, "before_gdb", ctx):
        _call(ctx, cfg, m, f)

    steps, live = [], []
    for m, f in _hooks(mods, "gdb_steps", ctx):
        steps += _call(ctx, cfg, m, f) or []
    for m, f in _hooks(mods, "live_steps", ctx):
        live += _call(ctx, cfg, m, f) or []
    if steps or live:
        ctx.outs["qemu"] = os.path.join(g.dir, "qemu.txt")
        steps += [["remote", ctx.qemu], ["pick"], ["battery", ctx.outs["qemu"]], ["disconnect"],
                  # The rest is live: make sure the guest runs (QEMU's
                  # stub resumes it on detach in some versions, not in 7.2
                  # after a QMP stop).
                  ["qmp", "qmp.status.after_detach", g.qmp_path, "query-status"],
                  ["qmp", "qmp.cont", g.qmp_path, "cont"],
                  ["qmp", "qmp.status.live", g.qmp_path, "query-status"],
                  ["sleep", 0.2]] + live
        script, res = gdb_plan(os.path.join(g.dir, "plan"), k["VMLINUX"], ctx.off, steps,
                               ctx.arch)
        gdblog = os.path.join(g.dir, "gdb.log")
        ctx.ck.mark()
        g.release_qmp()   # gdbdriver talks QMP itself during the session
        rc, dt = run_gdb(script, gdblog, gdb=GDB[ctx.arch])
        g.grab_qmp()
        ctx.r = r = results_dict(res)
        ctx.ck.check("%s: gdb session (symbols %ss, total %.0fs)"
                     % (cfg, r.get("symbols.load_seconds", "?"), dt),
                     rc == 0 and r.get("done") == "ok",
                     open(gdblog, errors="replace").read()[-3000:])
        for key, v in r.items():
            if ".remote" in key and v.startswith("ERROR"):
                ctx.ck.check("%s: %s" % (cfg, key), False, v)

    for m, f in _hooks(mods, "after_gdb", ctx):
        _call(ctx, cfg, m, f)
    for s in ctx.stubs:
        ctx.ck.check("%s: %s still running" % (cfg, s.name), s.proc.poll() is None,
                     s.stderr()[-2000:])
    g.close()
    for m, f in _hooks(mods, "after_guest", ctx):
        _call(ctx, cfg, m, f)


def run_suite(mods, cfgs=None):
    """The run: the modules' suite hooks, then each configuration's guest
    through their other hooks. Returns the exit status."""
    ck = Checks()
    if not os.access(LKSTUB, os.X_OK):
        ck.check("lkstub binary %s exists" % LKSTUB, False, "build it first (make all)")
        return ck.tally()
    cfgs = configs() if cfgs is None else cfgs
    try:
        ctx = Ctx(ck, workdir(), cfgs)
    except Exception as e:  # noqa: BLE001
        ck.harness_failure("kernel and initramfs", e)
        return ck.tally()
    for m, f in _hooks(mods, "suite"):
        _call(ctx, "suite", m, f)
    for cfg in cfgs:
        try:
            run_config(ctx.for_config(cfg), mods)
        except Exception as e:  # noqa: BLE001
            ck.harness_failure(cfg, e)
        finally:
            cleanup()
    return ck.tally()


def standalone(fn):
    """Runs fn(ctx) with a run's context (amd64 kernel, work dir, tally)
    and no guest of the suite's; returns the exit status."""
    ck = Checks()
    try:
        fn(Ctx(ck, workdir(), []))
    except Exception as e:  # noqa: BLE001
        ck.harness_failure("standalone", e)
    finally:
        cleanup()
    return ck.tally()


def import_checks(names):
    """The check modules, by name (tests/e2e/NAME.py)."""
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    return [__import__(n) for n in names]
