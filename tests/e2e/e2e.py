#!/usr/bin/env python3
"""End-to-end tests for lkstub on real QEMU guests (stdlib only).

    e2e.py run        the differential suite (lkstub vs QEMU's gdbstub)
    e2e.py oracle     the battery twice through QEMU's stub (battery self-check)
    e2e.py demo       boot a guest, attach lkstub, show gdb at work
    e2e.py boot CFG   boot one guest and wait (debugging aid)

Environment: LKSTUB_E2E_CONFIGS (comma list; default all), LKSTUB_CACHE,
LKSTUB (binary, default build/lkstub), LKSTUB_E2E_KEEP=1 keeps the work dir.
"""

import atexit
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
BUSYBOX = "/bin/busybox"
MODULES = ("crc7", "dummy")   # small modules without dependencies

CONFIGS = {
    # name: (cpu, memory, machine, extra kernel args)
    "5level-kaslr":   ("max", "512M", "q35", ""),
    "4level-nokaslr": ("max,la57=off", "512M", "q35", "nokaslr"),
    "q35-3g":         ("max", "3G", "q35", ""),
}

T0 = time.time()


def log(msg):
    print("[%6.1fs] %s" % (time.time() - T0, msg), flush=True)


# ------------------------------------------------------------------ kernel

def kernel():
    out = subprocess.run([os.path.join(HERE, "kernel.sh")], check=True,
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
echo READY
while :; do sleep 3600; done
"""


def build_initramfs(workdir, moddir):
    root = os.path.join(workdir, "initramfs")
    shutil.rmtree(root, ignore_errors=True)
    for d in ("bin", "lib/modules", "dev", "proc", "sys"):
        os.makedirs(os.path.join(root, d))
    shutil.copy(BUSYBOX, os.path.join(root, "bin", "busybox"))
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

    def start(self, initrd, timeout=120):
        cpu, mem, machine, extra = CONFIGS[self.config]
        for p in (self.ram, self.qmp_path, self.serial):
            if os.path.exists(p):
                os.unlink(p)
        cmd = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", cpu, "-smp", "2",
               "-m", mem,
               "-object", "memory-backend-file,id=ram0,size=%s,mem-path=%s,share=on"
               % (mem, self.ram),
               "-machine", "%s,memory-backend=ram0" % machine,
               "-kernel", self.k["BZIMAGE"], "-initrd", initrd,
               "-append", ("console=ttyS0 panic=-1 quiet loglevel=4 " + extra).strip(),
               "-nographic", "-no-reboot", "-monitor", "none",
               "-serial", "file:" + self.serial,
               "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path,
               "-gdb", "tcp:127.0.0.1:%d" % self.port]
        self.cmdline = cmd
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=open(os.path.join(self.dir, "qemu.out"), "w"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        _live.append(self)
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
        if not m:
            raise RuntimeError("no _text line in serial log")
        self.kaslr_text = int(m.group(1), 16)
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
    """A running lkstub."""

    def __init__(self, guest, extra=(), name="lkstub"):
        self.guest = guest
        self.port = free_port()
        self.addr = "127.0.0.1:%d" % self.port
        self.errpath = os.path.join(guest.dir, name + ".stderr")
        cmd = [LKSTUB, "-k", guest.k["VMLINUX"], "-l", self.addr] + list(extra) + [guest.ram]
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=open(os.path.join(guest.dir, name + ".stdout"), "w"),
                                     stderr=open(self.errpath, "w"), start_new_session=True)
        _live.append(self)
        self.summary = ""
        deadline = time.time() + 120
        while time.time() < deadline:
            self.summary = open(self.errpath, errors="replace").read()
            if self.proc.poll() is not None:
                raise RuntimeError("lkstub exited (%d):\n%s" % (self.proc.returncode, self.summary))
            if re.search(r"listening", self.summary):
                # it is listening once the port accepts connections
                try:
                    socket.create_connection(("127.0.0.1", self.port), 1).close()
                except OSError:
                    time.sleep(0.1)
                    continue
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("lkstub did not start listening:\n" + self.summary)
        time.sleep(0.2)
        self.summary = open(self.errpath, errors="replace").read()

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

def link_text(vmlinux):
    out = subprocess.run(["nm", vmlinux], stdout=subprocess.PIPE, text=True, check=True).stdout
    m = re.search(r"^([0-9a-f]+) T _text$", out, re.M)
    return int(m.group(1), 16)


def gdb_plan(path, vmlinux, offset, steps):
    """Write a plan for gdbdriver.drive(); returns the results path."""
    results = path + ".results"
    with open(path, "w") as f:
        json.dump({"vmlinux": vmlinux, "offset": offset, "results": results,
                   "steps": steps}, f, indent=1)
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


def run_gdb(script, logpath, timeout=600):
    t = time.time()
    with open(logpath, "w") as f:
        p = _Proc(subprocess.Popen(["gdb", "-q", "-nx", "-batch", "-x", script],
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


EXPECTED_ERRORS = re.compile(r"^(unmapped\.|init_text\(freed\)|dmap\.2G-4K|dmap\.hole|task\[\d+\]\.stack\.guard)")


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


# ------------------------------------------------------------------ suites

def configs():
    sel = os.environ.get("LKSTUB_E2E_CONFIGS")
    names = [c.strip() for c in sel.split(",")] if sel else list(CONFIGS)
    for n in names:
        if n not in CONFIGS:
            sys.exit("unknown config %s (have: %s)" % (n, ", ".join(CONFIGS)))
    return names


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
        g = Guest(cfg, k, wd).start(initrd)
        ck.check("%s: boot to READY (modules: %s)" % (cfg, ",".join(g.modules) or "none"), True)
        g.stop()
        off = g.kaslr_text - ltext
        o1, o2 = os.path.join(g.dir, "qemu1.txt"), os.path.join(g.dir, "qemu2.txt")
        qemu = "127.0.0.1:%d" % g.port
        # Both passes run in one attach: QEMU resumes the guest on detach.
        script, _ = gdb_plan(os.path.join(g.dir, "oracle"), k["VMLINUX"], off, [
            ["remote", qemu], ["pick"], ["battery", o1], ["battery", o2], ["disconnect"]])
        rc, dt = run_gdb(script, os.path.join(g.dir, "oracle.log"))
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
    if cmd == "boot":
        k = kernel()
        wd = workdir()
        g = Guest(sys.argv[2], k, wd).start(build_initramfs(wd, k["MODDIR"]))
        print("READY; ram=%s gdb port=%d qmp=%s _text=%x; Enter to quit"
              % (g.ram, g.port, g.qmp_path, g.kaslr_text))
        sys.stdin.readline()
        return
    sys.exit(__doc__)


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
    ltext = link_text(k["VMLINUX"])
    ck.check("initramfs built", True)
    for cfg in configs():
        try:
            run_config(cfg, k, wd, initrd, ltext, ck)
        except Exception as e:  # noqa: BLE001
            ck.check("%s: harness" % cfg, False, "%s: %s" % (type(e).__name__, e))
        finally:
            _cleanup()
    print("%d passed, %d failed" % (ck.passed, ck.failed))
    return 1 if ck.failed else 0


def run_config(cfg, k, wd, initrd, ltext, ck):
    g = Guest(cfg, k, wd).start(initrd)
    ck.check("%s: boot to READY (modules: %s)" % (cfg, ",".join(g.modules) or "none"), True)
    g.stop()
    ck.check("%s: QMP stop" % cfg, g.status() == "paused", g.status())
    off = g.kaslr_text - ltext
    qemu = "127.0.0.1:%d" % g.port

    stub = Stub(g)
    got = stub.kaslr_offset()
    ck.check("%s: lkstub starts; kaslr offset 0x%x (kallsyms says 0x%x)" % (cfg, got or 0, off),
             got == off, stub.summary)
    banner = None
    if cfg == "5level-kaslr":
        banner = Stub(g, ["--discover=banner"], "lkstub-banner")
        got = banner.kaslr_offset()
        ck.check("%s: lkstub --discover=banner kaslr offset 0x%x" % (cfg, got or 0),
                 got == off, banner.summary)
    wstub = Stub(g, ["--write"], "lkstub-write")
    ck.check("%s: lkstub --write starts" % cfg, True)

    out = {n: os.path.join(g.dir, n + ".txt") for n in ("lkstub", "banner", "qemu")}
    dom = "&init_uts_ns.name.domainname"
    steps = [["remote", stub.addr], ["cmd", "monitor.kaslr", "monitor kaslr"],
             ["cmd", "monitor.info", "monitor info"],
             ["battery", out["lkstub"]],
             ["write", "write.readonly", dom, DOMAIN.hex()], ["disconnect"]]
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
    script, res = gdb_plan(os.path.join(g.dir, "plan"), k["VMLINUX"], off, steps)
    gdblog = os.path.join(g.dir, "gdb.log")
    ck.mark()
    g.release_qmp()   # gdbdriver talks QMP itself during the session
    rc, dt = run_gdb(script, gdblog)
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
    for s in (stub, banner, wstub):
        if s:
            ck.check("%s: %s still running" % (cfg, os.path.basename(s.errpath)[:-7]),
                     s.proc.poll() is None, open(s.errpath, errors="replace").read()[-2000:])
    g.close()


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
for th in sorted(gdb.selected_inferior().threads(), key=lambda t: t.num):
    cpu = th.num - 1
    t = "(*(struct task_struct **)((unsigned long)&current_task + __per_cpu_offset[%d]))" % cpu
    try:
        gdb.write("thread %d = CPU %d: current %s pid %d\n" % (
            th.num, cpu, gdb.parse_and_eval(t + "->comm").string(), int(gdb.parse_and_eval(t + "->pid"))))
    except gdb.error as e:
        gdb.write("thread %d = CPU %d: ERROR %s\n" % (th.num, cpu, e))
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
