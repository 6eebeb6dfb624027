#!/usr/bin/env python3
"""End-to-end tests for lkstub on real QEMU guests (stdlib only).

    e2e.py run        the differential suite (lkstub vs QEMU's gdbstub)
    e2e.py oracle     the battery twice through QEMU's stub (battery self-check)
    e2e.py demo       boot a guest, attach lkstub, show gdb at work
    e2e.py bench      lkstub vs QEMU's gdbstub: throughput, latency, gdb dump
    e2e.py boot CFG   boot one guest and wait (debugging aid)

Environment: LKSTUB_E2E_CONFIGS (comma list; default all), LKSTUB_CACHE,
LKSTUB (binary, default build/lkstub), RSP_CLIENT (default
build/tests/tools/rsp_client), LKSTUB_E2E_KEEP=1 keeps the work dir.
"""

import atexit
import errno
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

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BATTERY = os.path.join(HERE, "battery.py")
LKSTUB = os.environ.get("LKSTUB", os.path.join(ROOT, "build", "lkstub"))
RSP_CLIENT = os.environ.get("RSP_CLIENT", os.path.join(ROOT, "build", "tests", "tools", "rsp_client"))
BUSYBOX = "/bin/busybox"
MODULES = ("crc7", "dummy")   # small modules without dependencies

CONFIGS = {
    # name: (cpu, memory, machine, extra kernel args)
    "5level-kaslr":   ("max", "512M", "q35", ""),
    "4level-nokaslr": ("max,la57=off", "512M", "q35", "nokaslr"),
    "q35-3g":         ("max", "3G", "q35", ""),
    # arm64: qemu-system-aarch64 -M virt (RAM at GPA 0x40000000), 4 KiB
    # pages, 48-bit VAs; KASLR from the DT kaslr-seed / RNDR.
    "arm64-kaslr":    ("max", "1G", "virt", ""),
    "arm64-nokaslr":  ("max", "1G", "virt", "nokaslr"),
}


def arch_of(cfg):
    """Debian architecture of a config: the virt machine is arm64."""
    return "arm64" if CONFIGS[cfg][2] == "virt" else "amd64"


GDB = {"amd64": "gdb", "arm64": "gdb-multiarch"}   # Debian's gdb is x86-only

T0 = time.time()


def log(msg):
    print("[%6.1fs] %s" % (time.time() - T0, msg), flush=True)


# ------------------------------------------------------------------ kernel

def kernel(arch="amd64"):
    out = subprocess.run([os.path.join(HERE, "kernel.sh"), arch], check=True,
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
    if insmod "$m"; then echo "MODULE $(basename "$m" .ko) loaded"; fi
done
for i in 1 2 3; do sleep 1000000 & done
echo "KALLSYMS $(grep -w _text /proc/kallsyms)"
echo "KALLSYMS_STEXT $(grep -w _stext /proc/kallsyms)"
for d in /proc/[0-9]*; do read -r c < $d/comm 2>/dev/null && echo "PS ${d#/proc/} $c"; done
echo READY
while :; do sleep 3600; done
"""


def build_initramfs(workdir, moddir, busybox=BUSYBOX):
    root = os.path.join(workdir, "initramfs")
    shutil.rmtree(root, ignore_errors=True)
    for d in ("bin", "lib/modules", "dev", "proc", "sys"):
        os.makedirs(os.path.join(root, d))
    shutil.copy(busybox, os.path.join(root, "bin", "busybox"))
    with open(os.path.join(root, "init"), "w") as f:
        f.write(INIT)
    os.chmod(os.path.join(root, "init"), 0o755)
    if moddir:
        for m in MODULES:
            found = None
            for dp, _, files in os.walk(moddir):
                if m + ".ko" in files:
                    found = os.path.join(dp, m + ".ko")
                    break
            if not found:
                continue
            deps = subprocess.run(["modinfo", "-F", "depends", found],
                                  stdout=subprocess.PIPE, text=True).stdout.strip()
            if deps:
                log("initramfs: skipping %s (depends on %s)" % (m, deps))
                continue
            shutil.copy(found, os.path.join(root, "lib", "modules"))
    out = os.path.join(workdir, "initramfs.cpio.gz")
    subprocess.run("cd %s && find . | cpio -o -H newc --quiet | gzip -1 > %s"
                   % (root, out), shell=True, check=True)
    return out


# ------------------------------------------------------------------- guest

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
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


class Guest:
    def __init__(self, config, k, workdir):
        self.config = config
        self.k = k
        self.dir = os.path.join(workdir, config)
        os.makedirs(self.dir, exist_ok=True)
        self.ram = "/dev/shm/lkstub-e2e-" + config
        self.qmp_path = os.path.join(self.dir, "qmp.sock")
        self.serial = os.path.join(self.dir, "serial.log")
        self.port = free_port()
        self.proc = None
        self.qmp = None
        self.kaslr_text = None

    def start(self, initrd, timeout=120, on_launch=None):
        """Boot to READY; on_launch(self) runs right after QEMU is started."""
        cpu, mem, machine, extra = CONFIGS[self.config]
        for p in (self.ram, self.qmp_path, self.serial):
            if os.path.exists(p):
                os.unlink(p)
        arm = machine == "virt"
        cmd = ["qemu-system-aarch64" if arm else "qemu-system-x86_64",
               "-accel", "tcg", "-cpu", cpu, "-smp", "2",
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
               "-gdb", "tcp:127.0.0.1:%d" % self.port]
        cmd = getattr(self, "edit_cmd", list)(cmd)   # subclasses: vmm_checks.py
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

    def close(self):
        if self.qmp:
            try:
                self.qmp.cmd("quit")
            except Exception:
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


class Stub:
    """A running lkstub.

    listen: lkstub's -l (default a free 127.0.0.1 port; also [::1]:PORT and
    unix:PATH). ready=False returns at once; wait_ready() waits for it.
    vmlinux: another -k (default the guest's)."""

    def __init__(self, guest, extra=(), name="lkstub", listen=None, ready=True,
                 vmlinux=None):
        self.guest = guest
        if listen is None:
            self.port = free_port()
            listen = "127.0.0.1:%d" % self.port
        self.addr = listen
        self.errpath = os.path.join(guest.dir, name + ".stderr")
        cmd = [LKSTUB, "-k", vmlinux or guest.k["VMLINUX"], "-l", self.addr] + list(extra) \
            + [guest.ram]
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=open(os.path.join(guest.dir, name + ".stdout"), "w"),
                                     stderr=open(self.errpath, "w"), start_new_session=True)
        _live.append(self)
        self.summary = ""
        if ready:
            self.wait_ready(120)

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
            self.summary = open(self.errpath, errors="replace").read()
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
        self.summary = open(self.errpath, errors="replace").read()
        return self

    def kaslr_offset(self):
        m = re.search(r"kaslr offset\s+(0x[0-9a-fA-F]+|\d+)", self.summary)
        return int(m.group(1), 0) if m else None

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


_live = []


def _cleanup(*_):
    for o in list(reversed(_live)):
        try:
            o.close()
        except Exception:
            pass


def _on_signal(signum, frame):
    _cleanup()
    sys.exit(128 + signum)


atexit.register(_cleanup)
signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)
signal.signal(signal.SIGHUP, _on_signal)


# --------------------------------------------------------------------- gdb

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


def gdb_plan(path, vmlinux, offset, steps, arch="amd64"):
    """Write a plan for gdbdriver.drive(); returns the results path."""
    results = path + ".results"
    with open(path, "w") as f:
        json.dump({"vmlinux": vmlinux, "offset": offset, "results": results,
                   "steps": steps, "arch": arch}, f, indent=1)
    script = path + ".gdb"
    with open(script, "w") as f:
        f.write("source %s\nsource %s\npython drive(%r)\n"
                % (BATTERY, os.path.join(HERE, "gdbdriver.py"), path))
    return script, results


def results_dict(path):
    d = {}
    for line in read_lines(path) or []:
        k, _, v = line.partition(": ")
        d[k] = v
    return d


class _Proc:
    """A child process that _cleanup() kills."""

    def __init__(self, popen):
        self.proc = popen

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self in _live:
            _live.remove(self)


def run_gdb(script, logpath, timeout=600, gdb="gdb"):
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


def read_lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return None


# ------------------------------------------------------------------ checks

class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.t = time.time()

    def check(self, name, ok, detail=""):
        dt = time.time() - self.t
        self.t = time.time()
        if ok:
            self.passed += 1
            log("PASS %-50s (%.1fs)" % (name, dt))
        else:
            self.failed += 1
            log("FAIL %-50s (%.1fs)" % (name, dt))
            if detail:
                for line in str(detail).rstrip().splitlines():
                    print("      " + line, flush=True)

    def mark(self):
        self.t = time.time()


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


# ------------------------------------------------- command line, transports

# struct new_utsname (uapi): sysname[65], nodename[65], release[65], ...;
# struct uts_namespace starts with it.
UTS_RELEASE_OFFSET = 130


def lkstub_exit(args, timeout=60):
    """Runs lkstub expecting it to exit: (rc, stderr); rc None on a hang."""
    try:
        p = subprocess.run([LKSTUB] + list(args), stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return None, "still running after %ds\n%s" % (timeout, e.stderr or "")
    return p.returncode, p.stderr


def cli_checks(k, wd, ck):
    """Bad arguments and unreadable inputs: exit status and message."""
    zero = os.path.join(wd, "zero-64M.ram")
    with open(zero, "wb") as f:
        f.truncate(64 << 20)
    vml = k["VMLINUX"]
    noram = os.path.join(wd, "no-such-ram")
    novml = os.path.join(wd, "no-such-vmlinux")
    enoent = os.strerror(errno.ENOENT)
    lst = ["-l", "127.0.0.1:%d" % free_port()]
    # (what, args, exit status, strings its first message line must hold)
    cases = [
        ("unknown option", ["-k", vml, "--no-such-option"] + lst + [zero], 2,
         ["--no-such-option"]),
        ("--layout bogus", ["-k", vml, "--layout", "bogus"] + lst + [zero], 2,
         ["--layout", "bogus"]),
        ("--region 12", ["-k", vml, "--region", "12"] + lst + [zero], 2, ["--region", "12"]),
        ("missing -k", lst + [zero], 2, ["--vmlinux"]),
        ("missing RAM file", ["-k", vml] + lst + [noram], 1, [noram, enoent]),
        ("missing vmlinux", ["-k", novml] + lst + [zero], 1, [novml, enoent]),
        ("unbooted 64 MiB zero RAM file", ["-k", vml] + lst + [zero], 1,
         ["kernel not found"]),
    ]
    for what, args, want, needles in cases:
        rc, err = lkstub_exit(args)
        first = (err.splitlines() or [""])[0]
        ok = rc == want and first.startswith("lkstub: ") and all(n in first for n in needles)
        ck.check("cli: %s: exit %s, message names it" % (what, rc), ok,
                 "want exit %d and %s in the first line; got exit %s:\n%s"
                 % (want, needles, rc, err[-1500:]))
    os.unlink(zero)


def free_port6():
    s = socket.socket(socket.AF_INET6)
    s.bind(("::1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def build_tiny(wd):
    """A small ELF with a GNU build-id and a symbol table: (path, build-id)."""
    src, exe = os.path.join(wd, "tiny.c"), os.path.join(wd, "tiny")
    with open(src, "w") as f:
        f.write("int tiny_var = 1;\nint main(void) { return tiny_var - 1; }\n")
    subprocess.run(["gcc", "-g", "-Wl,--build-id", "-o", exe, src], check=True)
    notes = subprocess.run(["readelf", "-n", exe], stdout=subprocess.PIPE, text=True,
                           check=True).stdout
    return exe, re.search(r"Build ID: ([0-9a-f]+)", notes).group(1)


def summary_field(summary, name):
    m = re.search(r"^\s+%s\s+(\S+)" % re.escape(name), summary, re.M)
    return m.group(1) if m else None


def extra_checks_before_gdb(cfg, g, k, stub, syms, off, wd, ck):
    """5level-kaslr only: wrong vmlinux, unix/IPv6 transports, two clients."""
    exe, tiny_id = build_tiny(wd)
    guest_id = summary_field(stub.summary, "build-id")
    rc, err = lkstub_exit(["-k", exe, "-l", "127.0.0.1:%d" % free_port(), g.ram])
    ck.check("%s: wrong vmlinux: exit %s, both build-ids named" % (cfg, rc),
             rc == 1 and guest_id and guest_id != tiny_id and guest_id in err and tiny_id in err,
             "guest (summary) %s, tiny (readelf -n) %s, exit %s:\n%s"
             % (guest_id, tiny_id, rc, err[-1500:]))

    banner = syms["linux_banner"] + off
    want = ("Linux version %s " % k["KVER"]).encode()
    release = syms["init_uts_ns"] + off + UTS_RELEASE_OFFSET
    want_rel = k["KVER"].encode() + b"\0"

    path = os.path.join(g.dir, "lkstub.sock")
    us = Stub(g, name="lkstub-unix", listen="unix:" + path)
    got = rsp_client_read("unix:" + path, banner, len(want))
    ck.check("%s: unix socket: rsp_client reads linux_banner" % cfg, got == want,
             "got %r want %r" % (got, want))
    mode = os.stat(path).st_mode & 0o777
    ck.check("%s: unix socket mode %03o" % (cfg, mode), mode == 0o600, us.summary)
    us.close()

    try:
        v6 = Stub(g, name="lkstub-ipv6", listen="[::1]:%d" % free_port6())
        got = rsp_client_read(v6.addr, banner, len(want))
        detail = "got %r want %r" % (got, want)
        v6.close()
    except (OSError, RuntimeError) as e:
        got, detail = None, str(e)
    ck.check("%s: IPv6 [::1]: rsp_client reads linux_banner" % cfg, got == want, detail)

    # Two connections at once: requests in flight on both, replies taken in
    # either order, and one connection's half-sent packet must not hold up
    # the other.
    bad = []
    c1 = c2 = None
    try:
        c1, c2 = RSP(stub.connect(10)), RSP(stub.connect(10))
        exp = {banner: want, release: want_rel}
        for i in range(40):
            a, b = (banner, release) if i % 2 == 0 else (release, banner)
            c1.send("m%x,%x" % (a, len(exp[a])))
            c2.send("m%x,%x" % (b, len(exp[b])))
            first, second = (c2, c1) if i % 3 == 0 else (c1, c2)
            r_first = RSP.mem(first.recv())
            r_second = RSP.mem(second.recv())
            r1, r2 = (r_first, r_second) if first is c1 else (r_second, r_first)
            if r1 != exp[a] or r2 != exp[b]:
                bad.append("round %d: c1 %r c2 %r" % (i, r1, r2))
        frame = RSP.frame("m%x,%x" % (banner, len(want)))
        c1.sock.sendall(frame[:5])
        r2 = c2.read(release, len(want_rel))
        c1.sock.sendall(frame[5:])
        r1 = RSP.mem(c1.recv())
        if r1 != want or r2 != want_rel:
            bad.append("split packet: c1 %r c2 %r" % (r1, r2))
    except (OSError, RuntimeError, ValueError) as e:
        bad.append("%s: %s" % (type(e).__name__, e))
    finally:
        for c in (c1, c2):
            if c:
                c.close()
    ck.check("%s: two RSP connections at once, 81 interleaved reads" % cfg, not bad,
             "\n".join(bad[:20]))


def extra_checks_after_gdb(cfg, g, k, stub, syms, off, r, ck):
    """5level-kaslr only: the gdb plan's translate/stdio/detach results, then
    a new gdb on the stub the first one detached from."""
    walk = r.get("translate.walk", "")
    pas = re.findall(r"=> PA (0x[0-9a-fA-F]+)", walk)
    gdb_bytes, file_bytes = r.get("translate.bytes", ""), r.get("translate.file")
    ok = (len(pas) == 1 and "page-table walk" in walk
          and walk.index("page-table walk") < walk.index("=> PA") and gdb_bytes == file_bytes
          and gdb_bytes.strip("0") != "")
    ck.check("%s: monitor translate pid 1 stack %s => PA %s: RAM file bytes == gdb's"
             % (cfg, r.get("translate.addr"), pas[-1] if pas else "?"), ok,
             "walk: %s\ngdb:  %s...\nfile: %s..." % (walk, gdb_bytes[:64], (file_bytes or "")[:64]))

    want_rel = (k["KVER"].encode() + b"\0").hex()
    a, b = r.get("stdio.release"), r.get("tcp.release")
    ck.check("%s: gdb target remote | lkstub -l -: release == over TCP" % cfg,
             a == b and a and a.startswith(want_rel), "stdio %s\ntcp   %s" % (a, b))

    detached = [v for key, v in r.items() if key.endswith(".detach")]
    banner = syms["linux_banner"] + off
    log_path = os.path.join(g.dir, "gdb-after-detach.log")
    with open(log_path, "w") as f:
        p = subprocess.run(["gdb", "-q", "-nx", "-batch", "-ex", "target remote " + stub.addr,
                            "-ex", "x/s 0x%x" % banner, "-ex", "detach"],
                           stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                           timeout=60)
    out = open(log_path, errors="replace").read()
    ck.check("%s: gdb detach, then a new gdb reads linux_banner" % cfg,
             detached == ["ok"] and p.returncode == 0 and ("Linux version %s " % k["KVER"]) in out,
             "first gdb's detach: %s\nnew gdb (exit %d):\n%s" % (detached, p.returncode, out[-1500:]))


class WaitStub:
    """lkstub --wait started as soon as QEMU has created the RAM file."""

    def __init__(self):
        self.stub = None
        self.error = None

    def __call__(self, guest):
        mem = CONFIGS[guest.config][1]
        size = int(mem[:-1]) << {"M": 20, "G": 30}[mem[-1]]
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if os.path.getsize(guest.ram) == size:
                    break
            except OSError:
                pass
            time.sleep(0.02)
        else:
            self.error = "QEMU did not create %s (%d bytes)" % (guest.ram, size)
            return
        self.stub = Stub(guest, ["--wait=60"], "lkstub-wait", ready=False)

    def check(self, cfg, k, syms, off, ck):
        ok, detail = False, self.error
        if self.stub:
            try:
                self.stub.wait_ready(30)
                s = self.stub.summary
                want = ("Linux version %s " % k["KVER"]).encode()
                got = rsp_client_read(self.stub.addr, syms["linux_banner"] + off, len(want))
                ok = ("waiting for the kernel" in s.split("\n", 1)[0] and "ready in" in s
                      and self.stub.kaslr_offset() == off and got == want)
                detail = "read %r want %r; stderr:\n%s" % (got, want, s)
            except RuntimeError as e:
                detail = str(e)
            self.stub.close()
        ck.check("%s: lkstub --wait=60 started before boot, serves once up" % cfg, ok, detail)


# ------------------------------------------------------------------ suites

def configs():
    sel = os.environ.get("LKSTUB_E2E_CONFIGS")
    names = [c.strip() for c in sel.split(",")] if sel else list(CONFIGS)
    for n in names:
        if n not in CONFIGS:
            sys.exit("unknown config %s (have: %s)" % (n, ", ".join(CONFIGS)))
    return names


_ARCH_INPUTS = {}


def arch_inputs(cfg, wd, default):
    """(kernel dict, initrd, kernel_syms) for cfg's architecture; default
    is amd64's (the arm64 ones are fetched and built once, on first use)."""
    arch = arch_of(cfg)
    if arch == "amd64":
        return default
    if arch not in _ARCH_INPUTS:
        k = kernel(arch)
        d = os.path.join(wd, arch)
        os.makedirs(d, exist_ok=True)
        initrd = build_initramfs(d, k["MODDIR"] or None, k["BUSYBOX"])
        _ARCH_INPUTS[arch] = (k, initrd, kernel_syms(k["VMLINUX"]))
    return _ARCH_INPUTS[arch]


def workdir():
    d = tempfile.mkdtemp(prefix="lkstub-e2e.")
    if not os.environ.get("LKSTUB_E2E_KEEP"):
        atexit.register(shutil.rmtree, d, True)
    else:
        print("work dir: " + d)
    return d


def oracle(argv):
    """Battery twice through QEMU's stub on the same paused guest."""
    k = kernel()
    wd = workdir()
    initrd = build_initramfs(wd, k["MODDIR"])
    ck = Checks()
    ltext = link_text(k["VMLINUX"])
    for cfg in configs():
        ck.mark()
        k_, initrd_, syms_ = arch_inputs(cfg, wd, (k, initrd, None))
        arch = arch_of(cfg)
        g = Guest(cfg, k_, wd).start(initrd_)
        ck.check("%s: boot to READY (modules: %s)" % (cfg, ",".join(g.modules) or "none"), True)
        g.stop()
        off = g.kaslr_text - (syms_["_text"] if syms_ else ltext)
        o1, o2 = os.path.join(g.dir, "qemu1.txt"), os.path.join(g.dir, "qemu2.txt")
        qemu = "127.0.0.1:%d" % g.port
        # Both passes run in one attach: QEMU resumes the guest on detach.
        script, _ = gdb_plan(os.path.join(g.dir, "oracle"), k_["VMLINUX"], off, [
            ["remote", qemu], ["pick"], ["battery", o1], ["battery", o2], ["disconnect"]],
            arch)
        rc, dt = run_gdb(script, os.path.join(g.dir, "oracle.log"), gdb=GDB[arch])
        a, b = read_lines(o1), read_lines(o2)
        ck.check("%s: battery through QEMU (%s probes, gdb %.0fs)"
                 % (cfg, len(a) if a else 0, dt), rc == 0 and a is not None,
                 open(os.path.join(g.dir, "oracle.log")).read()[-3000:])
        ck.check("%s: battery sane" % cfg, not battery_sanity(a or []), battery_sanity(a or []))
        d = diff(a, b, "qemu#1", "qemu#2")
        ck.check("%s: two QEMU passes identical" % cfg, not d, d)
        g.close()
    print("%d passed, %d failed" % (ck.passed, ck.failed))
    return 1 if ck.failed else 0


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd = sys.argv[1]
    if cmd == "oracle":
        sys.exit(oracle(sys.argv[2:]))
    if cmd == "run":
        sys.exit(run(sys.argv[2:]))
    if cmd == "demo":
        sys.exit(demo(sys.argv[2:]))
    if cmd == "bench":
        sys.exit(bench(sys.argv[2:]))
    if cmd == "boot":
        wd = workdir()
        if arch_of(sys.argv[2]) == "amd64":
            k = kernel()
            initrd = build_initramfs(wd, k["MODDIR"])
        else:
            k, initrd, _ = arch_inputs(sys.argv[2], wd, None)
        g = Guest(sys.argv[2], k, wd).start(initrd)
        print("READY; ram=%s gdb port=%d qmp=%s _text=%x; Enter to quit"
              % (g.ram, g.port, g.qmp_path, g.kaslr_text))
        sys.stdin.readline()
        return
    sys.exit(__doc__)


# ------------------------------------------------------------------- bench

BENCH_TOTAL = 64 << 20
BENCH_GDB = r"""
import time
import gdb
gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("add-symbol-file %(vmlinux)s -o 0x%(off)x -s .data..percpu 0", to_string=True)
# A lookup waits for gdb's background DWARF indexing, which would otherwise
# compete with the dumps for the CPUs.
gdb.parse_and_eval("&init_uts_ns")
for name, target, out in %(targets)r:
    gdb.execute("target remote " + target, to_string=True)
    # QEMU's stub translates with the selected vCPU's CR3: pick one in the kernel.
    for th in gdb.selected_inferior().threads():
        th.switch()
        try:
            if int(gdb.parse_and_eval("$cs")) & 3 == 0:
                break
        except gdb.error:
            break
    t, cpu = time.time(), time.thread_time()
    gdb.execute("dump binary memory %%s 0x%(addr)x 0x%(end)x" %% out, to_string=True)
    gdb.write("DUMP %%s %%.3f %%.3f\n" %% (name, time.time() - t, time.thread_time() - cpu))
    gdb.execute("disconnect", to_string=True)
"""


def bench_line(who, what, value):
    print("bench: %-7s %s: %s" % (who, what, value), flush=True)


def bench(argv):
    """lkstub vs QEMU's gdbstub on the paused 5level-kaslr guest."""
    k = kernel()
    for exe in (LKSTUB, RSP_CLIENT):
        if not os.access(exe, os.X_OK):
            sys.exit("bench: %s missing; run make all" % exe)
    wd = workdir()
    log("booting the 5level-kaslr guest (TCG)")
    g = Guest("5level-kaslr", k, wd).start(build_initramfs(wd, k["MODDIR"]))
    g.stop()
    stub = Stub(g)
    off = stub.kaslr_offset()
    addr = int(summary_field(stub.summary, "page_offset"), 16) + (16 << 20)
    qemu = "127.0.0.1:%d" % g.port
    cpus = sorted(os.sched_getaffinity(0))
    allcpus = ",".join(map(str, cpus))
    log("guest paused (%s); lkstub at %s, QEMU's stub at %s; direct map 0x%x"
        % (g.status(), stub.addr, qemu, addr))
    bench_line("lkstub", "start-up", "%s ms (its `ready in`)"
               % summary_field(stub.summary, "ready in"))

    def pin(pid, cpu):
        subprocess.run(["taskset", "-a", "-p", "-c", cpu, str(pid)], check=True,
                       stdout=subprocess.DEVNULL)

    def client(target, args, pinned=False):
        cmd = [RSP_CLIENT, target] + [str(a) for a in args]
        if pinned:
            cmd = ["taskset", "-c", str(cpus[0])] + cmd
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=600)
        if p.returncode:
            raise RuntimeError("%s: exit %d\n%s" % (" ".join(cmd), p.returncode, p.stdout))
        return p.stdout

    # (who, target, server pid, chunks for bench-read, latency reads)
    targets = (("lkstub", stub.addr, stub.proc.pid, (131072, 2048), 10000),
               ("qemu", qemu, g.proc.pid, (2048,), 2000))
    runs = 3   # the median of three runs: a 2-core machine is noisy
    for who, target, pid, chunks, count in targets:
        g.stop()    # QEMU's stub may have let the guest run on disconnect
        for chunk in chunks:
            got = []
            for _ in range(runs):
                out = client(target, ["bench-read", "0x%x" % addr, BENCH_TOTAL, chunk])
                m = re.search(r"read: (\d+) bytes in ([\d.]+) s = ([\d.]+) MB/s \(chunk (\d+)\)",
                              out)
                if not m or int(m.group(1)) != BENCH_TOTAL:
                    raise RuntimeError("bench-read through %s: %s" % (who, out))
                got.append((float(m.group(3)), m.group(4)))
            got.sort()
            bench_line(who, "read 64 MiB", "%.1f MB/s (chunk %s; median of %s MB/s)"
                       % (got[runs // 2][0], got[0][1], "/".join("%.1f" % x for x, _ in got)))
        for pinned in (False, True):
            if pinned:
                pin(pid, str(cpus[0]))
            got = []
            try:
                for _ in range(runs):
                    out = client(target, ["bench-latency", "0x%x" % addr, count], pinned)
                    m = re.search(r"mean ([\d.]+) us, median ([\d.]+) us", out)
                    if not m:
                        raise RuntimeError("bench-latency through %s: %s" % (who, out))
                    got.append((float(m.group(2)), float(m.group(1))))
            finally:
                if pinned:
                    pin(pid, allcpus)
            got.sort()
            bench_line(who, "8-byte read, %s" % ("client and server on cpu %d" % cpus[0]
                                                  if pinned else "unpinned"),
                       "median %.1f us, mean %.1f us (%d reads; median run of %d)"
                       % (got[runs // 2] + (count, runs)))

    g.stop()
    dumps = [(who, target, os.path.join(wd, who + ".dump")) for who, target, *_ in targets]
    script = os.path.join(wd, "bench-gdb.py")
    with open(script, "w") as f:
        f.write(BENCH_GDB % {"vmlinux": k["VMLINUX"], "off": off, "addr": addr,
                             "end": addr + BENCH_TOTAL, "targets": dumps})
    log("gdb dump binary memory through both (loading symbols first)")
    p = subprocess.run(["gdb", "-q", "-nx", "-batch", "-x", script], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)
    times = {w: (float(t), float(c)) for w, t, c in
             re.findall(r"^DUMP (\S+) ([\d.]+) ([\d.]+)$", p.stdout, re.M)}
    for who, _, path in dumps:
        size = os.path.getsize(path) if os.path.exists(path) else 0
        if who not in times or size != BENCH_TOTAL:
            raise RuntimeError("gdb dump through %s (%d bytes):\n%s" % (who, size, p.stdout[-3000:]))
        dt, cpu = times[who]
        bench_line(who, "gdb dump binary memory 64 MiB", "%.2f s = %.1f MB/s (gdb busy %.2f s of it)"
                   % (dt, BENCH_TOTAL / dt / 1e6, cpu))
    same = all(open(dumps[0][2], "rb").read() == open(d[2], "rb").read() for d in dumps[1:])
    bench_line("both", "dumps identical", "yes" if same else "NO")

    status = dict(line.split(":", 1) for line in open("/proc/%d/status" % stub.proc.pid)
                  if ":" in line)
    f = lambda key: status.get(key, "?").strip()  # noqa: E731
    bench_line("lkstub", "memory after the benchmarks",
               "VmRSS %s, VmHWM %s (RssAnon %s, RssFile %s, RssShmem %s: the RAM file pages it touched)"
               % (f("VmRSS"), f("VmHWM"), f("RssAnon"), f("RssFile"), f("RssShmem")))
    _cleanup()
    return 0 if same else 1


DOMAIN = b"lkstub-e2e-write"


def run(argv):
    """The differential suite."""
    ck = Checks()
    k = kernel()
    ck.check("kernel %s fetched/cached" % k["KVER"], True)
    if not os.access(LKSTUB, os.X_OK):
        ck.check("lkstub binary %s exists" % LKSTUB, False, "build it first (make all)")
        print("%d passed, %d failed" % (ck.passed, ck.failed))
        return 1
    wd = workdir()
    initrd = build_initramfs(wd, k["MODDIR"])
    syms = kernel_syms(k["VMLINUX"])
    ck.check("initramfs built", True)
    cli_checks(k, wd, ck)
    cfgs = configs()
    # lkstub --wait rides along with one boot.
    wait_cfg = "4level-nokaslr" if "4level-nokaslr" in cfgs else cfgs[0]
    for cfg in cfgs:
        try:
            k_, initrd_, syms_ = arch_inputs(cfg, wd, (k, initrd, syms))
            run_config(cfg, k_, wd, initrd_, syms_, ck, cfg == wait_cfg)
        except Exception as e:  # noqa: BLE001
            ck.check("%s: harness" % cfg, False, "%s: %s" % (type(e).__name__, e))
        finally:
            _cleanup()
    print("%d passed, %d failed" % (ck.passed, ck.failed))
    return 1 if ck.failed else 0


def run_config(cfg, k, wd, initrd, syms, ck, with_wait=False):
    extras = cfg == "5level-kaslr"
    arch = arch_of(cfg)
    waiter = WaitStub() if with_wait else None
    g = Guest(cfg, k, wd).start(initrd, on_launch=waiter)
    ck.check("%s: boot to READY (modules: %s)" % (cfg, ",".join(g.modules) or "none"), True)
    off = g.kaslr_text - syms["_text"]
    if waiter:
        waiter.check(cfg, k, syms, off, ck)
    g.stop()
    ck.check("%s: QMP stop" % cfg, g.status() == "paused", g.status())
    qemu = "127.0.0.1:%d" % g.port

    stub = Stub(g)
    got = stub.kaslr_offset()
    ck.check("%s: lkstub starts; kaslr offset 0x%x (kallsyms says 0x%x)" % (cfg, got or 0, off),
             got == off, stub.summary)
    banner = None
    if cfg in ("5level-kaslr", "arm64-kaslr"):
        banner = Stub(g, ["--discover=banner"], "lkstub-banner")
        got = banner.kaslr_offset()
        ck.check("%s: lkstub --discover=banner kaslr offset 0x%x" % (cfg, got or 0),
                 got == off, banner.summary)
    wstub = Stub(g, ["--write"], "lkstub-write")
    ck.check("%s: lkstub --write starts" % cfg, True)
    if extras:
        extra_checks_before_gdb(cfg, g, k, stub, syms, off, wd, ck)

    out = {n: os.path.join(g.dir, n + ".txt") for n in ("lkstub", "banner", "qemu")}
    dom = "&init_uts_ns.name.domainname"
    rel = "init_uts_ns.name.release"
    steps = [["remote", stub.addr], ["cmd", "monitor.kaslr", "monitor kaslr"],
             ["cmd", "monitor.info", "monitor info"],
             ["battery", out["lkstub"]],
             ["write", "write.readonly", dom, DOMAIN.hex()]]
    if extras:
        # pid 1's stack is vmalloc'd (init_task's is in the kernel image);
        # its top page holds the frames.
        pid1 = ("((struct task_struct *)((unsigned long)init_task.tasks.next"
                " - (unsigned long)&((struct task_struct *)0)->tasks))")
        steps += [["translate", "translate", "(unsigned long)%s->stack + 0x3000" % pid1,
                   4096, g.ram],
                  ["read", "tcp.release", rel, 65], ["detach"],
                  ["remote", "| %s -k %s -l - %s" % (LKSTUB, k["VMLINUX"], g.ram)],
                  ["read", "stdio.release", rel, 65], ["disconnect"]]
    else:
        steps += [["disconnect"]]
    if banner:
        steps += [["remote", banner.addr], ["battery", out["banner"]], ["disconnect"]]
    steps += [["remote", qemu], ["pick"], ["battery", out["qemu"]], ["disconnect"],
              # The rest is live: make sure the guest runs (QEMU's stub
              # resumes it on detach in some versions, not in 7.2 after a
              # QMP stop).
              ["qmp", "qmp.status.after_detach", g.qmp_path, "query-status"],
              ["qmp", "qmp.cont", g.qmp_path, "cont"],
              ["qmp", "qmp.status.live", g.qmp_path, "query-status"],
              ["sleep", 0.2],
              ["remote", stub.addr], ["jiffies", "live.jiffies1"], ["sleep", 1.0],
              ["jiffies", "live.jiffies2"], ["disconnect"],
              ["remote", wstub.addr], ["write", "write.lkstub", dom, (DOMAIN + b"\0").hex()],
              ["read", "write.readback.lkstub", dom, len(DOMAIN) + 1], ["disconnect"],
              ["remote", qemu], ["pick"],
              ["read", "write.readback.qemu", dom, len(DOMAIN) + 1], ["disconnect"]]
    script, res = gdb_plan(os.path.join(g.dir, "plan"), k["VMLINUX"], off, steps, arch)
    gdblog = os.path.join(g.dir, "gdb.log")
    ck.mark()
    g.release_qmp()   # gdbdriver talks QMP itself during the session
    rc, dt = run_gdb(script, gdblog, gdb=GDB[arch])
    g.grab_qmp()
    r = results_dict(res)
    ck.check("%s: gdb session (symbols %ss, total %.0fs)"
             % (cfg, r.get("symbols.load_seconds", "?"), dt),
             rc == 0 and r.get("done") == "ok",
             open(gdblog, errors="replace").read()[-3000:])
    for key, v in r.items():
        if ".remote" in key and v.startswith("ERROR"):
            ck.check("%s: %s" % (cfg, key), False, v)

    q = read_lines(out["qemu"])
    sane = battery_sanity(q or [])
    ck.check("%s: QEMU battery sane (%d probes)" % (cfg, len(q or [])), not sane, sane)
    lk = read_lines(out["lkstub"])
    d = diff(lk, q)
    ck.check("%s: battery lkstub == QEMU (%d probes)" % (cfg, len(lk or [])), not d, d)
    if banner:
        b = read_lines(out["banner"])
        d = diff(b, q, "lkstub-banner")
        ck.check("%s: battery lkstub --discover=banner == QEMU" % cfg, not d, d)

    mk = r.get("monitor.kaslr", "")
    ck.check("%s: monitor kaslr mentions 0x%x" % (cfg, off),
             ("%x" % off) in mk.lower(), mk)
    ck.check("%s: write refused without --write" % cfg,
             r.get("write.readonly", "").startswith("ERROR"), r.get("write.readonly"))
    try:
        j1, j2 = int(r.get("live.jiffies1")), int(r.get("live.jiffies2"))
    except (TypeError, ValueError):
        j1 = j2 = None
    ck.check("%s: live jiffies_64 advances through lkstub (%s -> %s)" % (cfg, j1, j2),
             j1 is not None and j2 > j1, "%s / %s" % (r.get("live.jiffies1"), r.get("live.jiffies2")))
    want = (DOMAIN + b"\0").hex()
    ck.check("%s: write through lkstub --write" % cfg,
             r.get("write.lkstub") == "ok" and r.get("write.readback.lkstub") == want,
             "write: %s readback: %s" % (r.get("write.lkstub"), r.get("write.readback.lkstub")))
    ck.check("%s: write seen through QEMU's stub" % cfg,
             r.get("write.readback.qemu") == want, r.get("write.readback.qemu"))
    if extras:
        extra_checks_after_gdb(cfg, g, k, stub, syms, off, r, ck)
        __import__("tasks_checks").run(cfg, g, k, stub, off, ck)   # tasks, scripts/gdb
        __import__("fault_checks").run(cfg, g, k, stub, off, ck)   # hostile clients, faults
        __import__("stall_checks").run(cfg, g, k, stub, off, ck)   # long requests, rescans
    if arch_of(cfg) == "arm64":   # a task's backtrace through cpu_context and PAC
        __import__("tasks_checks").run_arm64(cfg, g, k, stub, off, ck)
    for s in (stub, banner, wstub):
        if s:
            ck.check("%s: %s still running" % (cfg, os.path.basename(s.errpath)[:-7]),
                     s.proc.poll() is None, open(s.errpath, errors="replace").read()[-2000:])
    g.close()
    if extras:   # QEMU without a RAM file: pid:, --qmp, ELF and kdump vmcores
        __import__("vmm_checks").run(k, wd, ck)


DEMO_GDB = r"""
import gdb
def show(title, expr):
    try:
        v = gdb.parse_and_eval(expr)
        gdb.write("%-28s %s\n" % (title, v))
    except gdb.error as e:
        gdb.write("%-28s ERROR %s\n" % (title, e))
gdb.write("\n== lkstub demo ==\n")
show("kernel release", "init_uts_ns.name.release")
gdb.write(gdb.execute("monitor kaslr", to_string=True))
show("jiffies_64", "jiffies_64")
# The first threads are the CPUs (named "CPU#n ..."); tasks follow.
for th in sorted(gdb.selected_inferior().threads(), key=lambda t: t.num):
    if not (th.name or "").startswith("CPU#"):
        continue
    cpu = th.num - 1
    t = "(*(struct task_struct **)((unsigned long)&current_task + __per_cpu_offset[%d]))" % cpu
    try:
        gdb.write("thread %d = CPU %d: current %s pid %d\n" % (
            th.num, cpu, gdb.parse_and_eval(t + "->comm").string(), int(gdb.parse_and_eval(t + "->pid"))))
    except gdb.error as e:
        gdb.write("thread %d = CPU %d: ERROR %s\n" % (th.num, cpu, e))
gdb.write("threads: %d (CPUs, then every task)\n" % len(gdb.selected_inferior().threads()))
for th in gdb.selected_inferior().threads():
    if th.name == "sleep":
        th.switch()
        gdb.write("backtrace of a sleeping task (%s):\n" % th.name)
        gdb.execute("bt 8")
        break
gdb.write("first 10 tasks:\n")
off = int(gdb.parse_and_eval("(unsigned long)&((struct task_struct *)0)->tasks"))
head = int(gdb.parse_and_eval("(unsigned long)&init_task.tasks"))
node = head
for i in range(10):
    node = int(gdb.parse_and_eval("*(unsigned long *)%d" % node))
    if node == head:
        break
    t = gdb.parse_and_eval("(struct task_struct *)%d" % (node - off))
    gdb.write("  pid %-5d %s\n" % (int(t["pid"]), t["comm"].string()))
"""


def demo(argv):
    k = kernel()
    if not os.access(LKSTUB, os.X_OK):
        sys.exit("demo: %s missing; run make all" % LKSTUB)
    wd = workdir()
    log("booting the 5level-kaslr guest (TCG)")
    g = Guest("5level-kaslr", k, wd).start(build_initramfs(wd, k["MODDIR"]))
    log("guest READY; RAM file %s; starting lkstub" % g.ram)
    stub = Stub(g)
    sys.stderr.write(stub.summary)
    off = stub.kaslr_offset()
    if off is None:
        off = g.kaslr_text - link_text(k["VMLINUX"])
    py = os.path.join(g.dir, "demo.py")
    with open(py, "w") as f:
        f.write(DEMO_GDB)
    log("running gdb (loading the vmlinux takes ~20s)")
    subprocess.run(["gdb", "-q", "-nx", "-batch", "-ex", "set pagination off",
                    "-ex", "add-symbol-file %s -o 0x%x -s .data..percpu 0" % (k["VMLINUX"], off),
                    "-ex", "target remote " + stub.addr, "-x", py, "-ex", "disconnect"],
                   stdin=subprocess.DEVNULL)
    print("""
To attach interactively (the guest keeps running; lkstub never pauses it):

    gdb -q \\
        -ex 'add-symbol-file %s -o 0x%x -s .data..percpu 0' \\
        -ex 'target remote %s'

(gdb's `file` would place symbols at link addresses; add-symbol-file -o
relocates them by the KASLR offset.)  QEMU's own stub, for comparison, is at
127.0.0.1:%d (it pauses the guest while attached).
""" % (k["VMLINUX"], off, stub.addr, g.port))
    if sys.stdin.isatty():
        input("Press Enter to stop the guest and lkstub... ")
    _cleanup()
    return 0


if __name__ == "__main__":
    main()
