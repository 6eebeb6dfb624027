#!/usr/bin/env python3
"""Every way a user holds a guest's memory, end to end.

From e2e.py's run (after the 5level-kaslr config, its guest closed):
run(k, wd, ck) boots one more guest, `vmm-anon`: QEMU with plain `-m 512M`
(no memory-backend: RAM is anonymous memory inside the QEMU process), with
`-device vmcoreinfo` and the guest's qemu_fw_cfg module loaded (so QEMU's
dumps carry the kernel's VMCOREINFO note).  On it, paused (QMP stop):

- lkstub pid:QEMUPID, RAM found in /proc/PID/maps;
- lkstub pid:QEMUPID --qmp SOCKET (QEMU says where RAM is; the harness lets
  go of its own QMP connection meanwhile: QEMU serves one client at a time);
- lkstub pid:QEMUPID --region 0:512M@HOSTADDR (the address maps gave);
- QMP dump-guest-memory (ELF, paging off): lkstub on the vmcore (the
  VMCOREINFO note, the CPU registers from NT_PRSTATUS);
- QMP dump-guest-memory format kdump-zlib: lkstub refuses the flattened
  file and names `makedumpfile -R`; after makedumpfile -R it serves the
  reassembled dump (libkdumpfile);
- one gdb session: the differential battery through each of these four
  lkstubs, then through QEMU's stub on the same paused guest (lkstub first:
  QEMU's stub may let the guest run once it detaches); on the ELF dump,
  `bt` and the registers of every CPU thread, compared with QEMU's vCPUs.

Also: `lkstub pid:999999` (no such process) exits 1 with a message naming
it; as root, lkstub run as user nobody (setpriv) on pid:QEMUPID is refused
(EACCES, with a hint); a write through pid: --write (process_vm_writev)
reads back through QEMU's stub.

Standalone:
    vmm_checks.py run     the checks above alone (kernel from kernel.sh)
    vmm_checks.py bench   pid: (process_vm_readv) vs the mapped RAM file on
                          one file-backed guest: 64 MiB bulk read and 8-byte
                          latency (`make bench` runs it)
"""

import os
import re
import shutil
import subprocess
import sys
import time
import types

HERE = os.path.dirname(os.path.abspath(__file__))
CFG = "vmm-anon"
EXTRA_MODULES = ("qemu_fw_cfg",)   # fw_cfg tells QEMU where vmcoreinfo is
GUEST_MEM = 512 << 20


def _h():
    """The e2e harness module: __main__ when run from e2e.py."""
    m = sys.modules.get("__main__")
    if m is not None and hasattr(m, "Guest") and hasattr(m, "Checks"):
        return m
    import e2e
    return e2e


def anon_guest_class():
    h = _h()

    class AnonGuest(h.Guest):
        """QEMU without a memory-backend, with -device vmcoreinfo.  Its
        `ram` is pid:QEMUPID once started (what Stub passes to lkstub)."""

        def edit_cmd(self, cmd):   # called by Guest.start
            out, i = [], 0
            while i < len(cmd):
                if cmd[i] == "-object" and cmd[i + 1].startswith("memory-backend"):
                    i += 2
                    continue
                if cmd[i] == "-machine":
                    out += [cmd[i], re.sub(r",memory-backend=[^,]*", "", cmd[i + 1])]
                    i += 2
                    continue
                out.append(cmd[i])
                i += 1
            return out + ["-device", "vmcoreinfo"]

        def start(self, initrd, timeout=120, on_launch=None):
            h.Guest.start(self, initrd, timeout, on_launch)
            self.ram = "pid:%d" % self.proc.pid
            return self

    return AnonGuest


def build_initramfs(h, wd, moddir):
    """The e2e initramfs plus qemu_fw_cfg (no dependencies; checked)."""
    d = os.path.join(wd, CFG + "-initramfs")
    os.makedirs(d, exist_ok=True)
    saved = h.MODULES
    h.MODULES = tuple(saved) + EXTRA_MODULES
    try:
        return h.build_initramfs(d, moddir)
    finally:
        h.MODULES = saved


def frames(text):
    """Function names of a gdb backtrace (also one collapsed to a line)."""
    return re.findall(r"#\d+\s+(?:0x[0-9a-f]+ in )?([A-Za-z_][\w.]*) \(", text)


def layout_line(stub):
    s = stub.summary
    m = re.search(r"^\s+layout\s+(.*)$", s, re.M)
    return m.group(1) if m else ""


def ready_ms(h, stub):
    return h.summary_field(stub.summary, "ready in") or "?"


REGS = "rip rsp rbp rax rbx rcx rdx rsi rdi r8 r9 r10 r11 r12 r13 r14 r15 eflags cs ss"


def run(k, wd, ck, cfg_prefix=CFG):
    """The checks (see the module doc); never raises."""
    h = _h()
    try:
        _run(h, k, wd, ck, cfg_prefix)
    except Exception as e:  # noqa: BLE001
        ck.check("%s: harness" % cfg_prefix, False, "%s: %s" % (type(e).__name__, e))
    finally:
        h._cleanup()


def _as_nobody(h, vml, memory):
    """lkstub as user nobody (setpriv): (exit status, stderr)."""
    cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", h.LKSTUB,
           "-k", vml, "-l", "127.0.0.1:%d" % h.free_port(), memory]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return None, "still running after 60s"
    return p.returncode, p.stderr


def _run(h, k, wd, ck, cfg):
    ck.mark()
    vml = k["VMLINUX"]
    rc, err = h.lkstub_exit(["-k", vml, "-l", "127.0.0.1:%d" % h.free_port(), "pid:999999"])
    first = (err.splitlines() or [""])[0]
    ck.check("cli: pid:999999 (no such process): exit %s, message names it" % rc,
             rc == 1 and first.startswith("lkstub: ") and "999999" in first
             and (os.strerror(2) in first or os.strerror(3) in first),
             "exit %s:\n%s" % (rc, err[-1500:]))

    syms = h.kernel_syms(vml)
    initrd = build_initramfs(h, wd, k["MODDIR"])
    base = h.CONFIGS["5level-kaslr"]
    h.CONFIGS[cfg] = base
    g = anon_guest_class()(cfg, k, wd).start(initrd)
    ck.check("%s: boot without memory-backend, -device vmcoreinfo (modules: %s)"
             % (cfg, ",".join(g.modules)),
             "qemu_fw_cfg" in g.modules and not any(
                 a.startswith("memory-backend") for a in g.cmdline),
             "modules %s; cmdline %s" % (g.modules, g.cmdline))
    off = g.kaslr_text - syms["_text"]
    pid = g.proc.pid
    g.stop()
    ck.check("%s: QMP stop" % cfg, g.status() == "paused", g.status())

    # Another user may not read QEMU's memory (needs root to set up).
    if os.geteuid() == 0 and shutil.which("setpriv"):
        rc, err = _as_nobody(h, vml, g.ram)
        first = (err.splitlines() or [""])[0]
        ck.check("%s: lkstub %s as user nobody: exit %s, %s" % (cfg, g.ram, rc, first[:60]),
                 rc == 1 and first.startswith("lkstub: ") and str(pid) in first
                 and os.strerror(13) in first and "CAP_SYS_PTRACE" in first, err[-1500:])
    else:
        h.log("%s: skipped the permission check (needs root and setpriv)" % cfg)

    # pid:PID, RAM found in /proc/PID/maps
    maps = h.Stub(g, name="lkstub-pid")
    lay = layout_line(maps)
    m = re.search(r"RAM is VMM mapping (0x[0-9a-f]+)-(0x[0-9a-f]+) \(found in /proc/%d/maps\)"
                  % pid, lay)
    ck.check("%s: lkstub pid:%d (maps): kaslr 0x%x (kallsyms 0x%x), ready in %s ms"
             % (cfg, pid, maps.kaslr_offset() or 0, off, ready_ms(h, maps)),
             maps.kaslr_offset() == off and m is not None, maps.summary)

    # pid:PID --qmp: QEMU's QMP socket serves one client at a time.
    g.release_qmp()
    try:
        qmp = h.Stub(g, ["--qmp", g.qmp_path], name="lkstub-qmp")
    finally:
        g.grab_qmp()
    ck.check("%s: lkstub pid:%d --qmp: kaslr 0x%x, layout from QEMU over QMP, ready in %s ms"
             % (cfg, pid, qmp.kaslr_offset() or 0, ready_ms(h, qmp)),
             qmp.kaslr_offset() == off and "from QEMU over QMP" in layout_line(qmp),
             qmp.summary)

    # --qmp while the harness holds the QMP connection: lkstub must give up
    # with a message, not hang (QEMU 7.2 does not greet a second client).
    t = time.time()
    rc, err = h.lkstub_exit(["-k", vml, "-l", "127.0.0.1:%d" % h.free_port(),
                             "--qmp", g.qmp_path, g.ram], timeout=60)
    ck.check("%s: lkstub --qmp while another client holds QMP: exit %s in %.1fs: %s"
             % (cfg, rc, time.time() - t, (err.splitlines() or [""])[0][:70]),
             rc == 1 and err.startswith("lkstub: ") and "qmp" in err.lower(), err[-1500:])

    # --region GPA:SIZE@HOSTADDR: the host address the maps discovery found.
    region = None
    if m:
        region = h.Stub(g, ["--region", "0:%d@%s" % (GUEST_MEM, m.group(1))],
                        name="lkstub-region")
        ck.check("%s: lkstub pid: --region 0:512M@%s: kaslr 0x%x"
                 % (cfg, m.group(1), region.kaslr_offset() or 0),
                 region.kaslr_offset() == off, region.summary)
        region.close()

    # ELF vmcore
    elf = os.path.join(wd, "vmcore.elf")
    t = time.time()
    g.qmp.cmd("dump-guest-memory", paging=False, protocol="file:" + elf)
    dt = time.time() - t
    ck.check("%s: QMP dump-guest-memory (ELF): %d MiB in %.1fs, still paused"
             % (cfg, os.path.getsize(elf) >> 20, dt),
             os.path.getsize(elf) > GUEST_MEM and g.status() == "paused", g.status())
    dump = h.Stub(types.SimpleNamespace(dir=g.dir, k=k, ram=elf), name="lkstub-elf")
    ck.check("%s: lkstub on the ELF vmcore: kaslr 0x%x, found by the VMCOREINFO note, ready in %s ms"
             % (cfg, dump.kaslr_offset() or 0, ready_ms(h, dump)),
             dump.kaslr_offset() == off
             and re.search(r"found by\s+the dump's VMCOREINFO note", dump.summary),
             dump.summary)

    rc, err = h.lkstub_exit(["-k", vml, "-l", "127.0.0.1:%d" % h.free_port(), "--write", elf])
    ck.check("%s: lkstub --write on the ELF vmcore: exit %s, read-only" % (cfg, rc),
             rc in (1, 2) and err.startswith("lkstub: ") and "drop --write" in err, err[-1500:])

    # kdump-zlib: makedumpfile's flattened format, refused; then -R.
    flat = os.path.join(wd, "vmcore.flat")
    t = time.time()
    g.qmp.cmd("dump-guest-memory", paging=False, protocol="file:" + flat, format="kdump-zlib")
    dt = time.time() - t
    rc, err = h.lkstub_exit(["-k", vml, "-l", "127.0.0.1:%d" % h.free_port(), flat])
    ck.check("%s: lkstub on QEMU's kdump-zlib (flattened, %d MiB in %.1fs): exit %s, "
             "suggests makedumpfile -R" % (cfg, os.path.getsize(flat) >> 20, dt, rc),
             rc == 1 and err.startswith("lkstub: ") and "makedumpfile -R" in err, err[-1500:])
    kd = os.path.join(wd, "vmcore.kdump")
    with open(flat, "rb") as fin:
        p = subprocess.run(["makedumpfile", "-R", kd], stdin=fin, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=300)
    ck.check("%s: makedumpfile -R (exit %d)" % (cfg, p.returncode), p.returncode == 0,
             p.stdout[-1500:])
    os.unlink(flat)
    kdump = h.Stub(types.SimpleNamespace(dir=g.dir, k=k, ram=kd), name="lkstub-kdump")
    ck.check("%s: lkstub on the reassembled kdump: kaslr 0x%x, ready in %s ms"
             % (cfg, kdump.kaslr_offset() or 0, ready_ms(h, kdump)),
             kdump.kaslr_offset() == off, kdump.summary)

    wpid = h.Stub(g, ["--write"], name="lkstub-pid-write")

    # One gdb session: four lkstubs, then QEMU's stub.
    ncpus = int((re.search(r"^\s+cpus\s+(\d+)", dump.summary, re.M) or [0, 2])[1])
    stubs = (("pid", maps), ("qmp", qmp), ("elf", dump), ("kdump", kdump))
    out = {n: os.path.join(g.dir, n + ".txt") for n, _ in stubs + (("qemu", None),)}

    def cpu_steps(who):
        st = [["cmd", who + ".threads", "info threads"]]
        for n in range(1, ncpus + 1):
            st += [["cmd", "%s.thread%d" % (who, n), "thread %d" % n],
                   ["cmd", "%s.bt%d" % (who, n), "bt"],
                   ["cmd", "%s.regs%d" % (who, n), "info registers " + REGS]]
        return st

    steps = []
    for name, s in stubs:
        steps += [["remote", s.addr], ["battery", out[name]]]
        if name == "elf":
            steps += cpu_steps("elf")
        steps += [["disconnect"]]
    qemu = "127.0.0.1:%d" % g.port
    steps += [["remote", qemu]] + cpu_steps("qemu") + [
        ["pick"], ["battery", out["qemu"]], ["disconnect"]]
    # After the batteries (they read utsname): a write through pid: --write
    # (process_vm_writev), seen through QEMU's stub.
    dom = "&init_uts_ns.name.domainname"
    want = h.DOMAIN + b"-pid\0"
    steps += [["remote", wpid.addr], ["write", "pidw.write", dom, want.hex()],
              ["read", "pidw.readback", dom, len(want)], ["disconnect"],
              ["remote", qemu], ["pick"], ["read", "pidw.qemu", dom, len(want)], ["disconnect"]]
    script, res = h.gdb_plan(os.path.join(g.dir, "vmm-plan"), vml, off, steps)
    gdblog = os.path.join(g.dir, "vmm-gdb.log")
    ck.mark()
    g.release_qmp()
    rc, dt = h.run_gdb(script, gdblog, timeout=1200)
    g.grab_qmp()
    r = h.results_dict(res)
    ck.check("%s: gdb session, 5 batteries (total %.0fs)" % (cfg, dt),
             rc == 0 and r.get("done") == "ok", open(gdblog, errors="replace").read()[-3000:])
    times = {}
    for key, v in r.items():
        if ".battery" in key:
            times[len(times)] = v
    q = h.read_lines(out["qemu"])
    sane = h.battery_sanity(q or [])
    ck.check("%s: QEMU battery sane (%d probes)" % (cfg, len(q or [])), not sane, sane)
    for i, (name, s) in enumerate(stubs):
        lk = h.read_lines(out[name])
        d = h.diff(lk, q, "lkstub-" + name)
        ck.check("%s: battery lkstub %s == QEMU (%d probes; %s)"
                 % (cfg, name, len(lk or []), times.get(i, "?")), not d, d)

    # CPU threads of the ELF dump: real registers, a real stack, the same as
    # QEMU's vCPUs.
    for n in range(1, ncpus + 1):
        bt, qbt = r.get("elf.bt%d" % n, ""), r.get("qemu.bt%d" % n, "")
        fr = frames(bt)
        ok = (len(fr) >= 3 and not re.search(r"#0\s+<unavailable>", bt)
              and "ERROR" not in bt)
        ck.check("%s: ELF dump thread %d bt: %d frames (%s)"
                 % (cfg, n, len(fr), " < ".join(fr[:3] + (["..", fr[-1]] if len(fr) > 3 else []))),
                 ok, "thread: %s\nbt: %s\nthreads: %s"
                 % (r.get("elf.thread%d" % n), bt, r.get("elf.threads")))
        # Values only: gdb shows eflags' bits by each stub's target
        # description ("[ PF ZF IF ]" vs "[ IOPL=0 IF ZF PF ]").
        regs, qregs = r.get("elf.regs%d" % n, ""), r.get("qemu.regs%d" % n, "")
        rx = r"\b(%s) (0x[0-9a-f]+)" % "|".join(REGS.split())
        vals, qvals = dict(re.findall(rx, regs)), dict(re.findall(rx, qregs))
        ck.check("%s: ELF dump thread %d: %d registers (rip..ss) and bt == QEMU's vCPU %d"
                 % (cfg, n, len(REGS.split()), n - 1),
                 vals == qvals and len(vals) == len(REGS.split()) and bt == qbt,
                 "lkstub: %s\nqemu:   %s\nlkstub bt: %s\nqemu bt:   %s" % (regs, qregs, bt, qbt))

    ck.check("%s: write through lkstub pid: --write, read back through it and QEMU's stub"
             % cfg, r.get("pidw.write") == "ok" and r.get("pidw.readback") == want.hex()
             and r.get("pidw.qemu") == want.hex(),
             "write %s, readback %s, through QEMU %s"
             % (r.get("pidw.write"), r.get("pidw.readback"), r.get("pidw.qemu")))

    for name, s in stubs + (("pid-write", wpid),):
        ck.check("%s: lkstub-%s still running" % (cfg, name), s.proc.poll() is None,
                 open(s.errpath, errors="replace").read()[-2000:])
        s.close()
    import dump_checks  # makedumpfile -E, truncation, the VMM's exit (kills the guest)
    dump_checks.run(h, ck, g, k, wd, elf, off, cfg)
    g.close()
    for f in (elf, kd):
        if os.path.exists(f):
            os.unlink(f)


# ------------------------------------------------------------------- bench

BENCH_RUNS = 5


def bench(argv):
    """pid: (process_vm_readv) vs the mapped RAM file, same paused guest."""
    h = _h()
    k = h.kernel()
    for exe in (h.LKSTUB, h.RSP_CLIENT):
        if not os.access(exe, os.X_OK):
            sys.exit("bench: %s missing; run make all" % exe)
    wd = h.workdir()
    h.log("booting the 5level-kaslr guest (RAM file) for pid: vs RAM file")
    g = h.Guest("5level-kaslr", k, wd).start(h.build_initramfs(wd, k["MODDIR"]))
    try:
        g.stop()
        fstub = h.Stub(g, name="lkstub-file")
        pstub = h.Stub(types.SimpleNamespace(dir=g.dir, k=k, ram="pid:%d" % g.proc.pid),
                       name="lkstub-pid")
        h.log("pid: layout: %s" % layout_line(pstub))
        if pstub.kaslr_offset() != fstub.kaslr_offset():
            sys.exit("bench: pid: and file disagree on the KASLR offset:\n%s\n%s"
                     % (fstub.summary, pstub.summary))
        addr = int(h.summary_field(fstub.summary, "page_offset"), 16) + (16 << 20)
        targets = (("file", fstub), ("pid", pstub))
        for who, s in targets:
            h.bench_line(who, "start-up", "%s ms (its `ready in`)" % ready_ms(h, s))
            h.rsp_client(s.addr, "bench-read", "0x%x" % addr, h.BENCH_TOTAL, 131072,
                         timeout=600)   # warm-up: first touches of the RAM file's pages
        # Runs alternate between the two, so that other load on the
        # machine falls on both alike; the median of BENCH_RUNS each.
        bulk = {w: [] for w, _ in targets}
        lat = {(w, p): [] for w, _ in targets for p in (False, True)}
        for _ in range(BENCH_RUNS):
            for who, s in targets:
                rc, out = h.rsp_client(s.addr, "bench-read", "0x%x" % addr, h.BENCH_TOTAL,
                                       131072, timeout=600)
                m = re.search(r"read: (\d+) bytes in ([\d.]+) s = ([\d.]+) MB/s", out)
                if rc or not m or int(m.group(1)) != h.BENCH_TOTAL:
                    sys.exit("bench-read through %s: %s" % (who, out))
                bulk[who].append(float(m.group(3)))
        # 8-byte reads: unpinned, then client and lkstub on one core (on an
        # idle machine, cross-core wake-ups dominate the unpinned figure).
        cpu = sorted(os.sched_getaffinity(0))[0]
        allcpus = ",".join(map(str, sorted(os.sched_getaffinity(0))))
        for pinned in (False, True):
            for who, s in targets:
                if pinned:
                    subprocess.run(["taskset", "-a", "-p", "-c", str(cpu), str(s.proc.pid)],
                                   check=True, stdout=subprocess.DEVNULL)
            for _ in range(BENCH_RUNS):
                for who, s in targets:
                    cmd = [h.RSP_CLIENT, s.addr, "bench-latency", "0x%x" % addr, "10000"]
                    if pinned:
                        cmd = ["taskset", "-c", str(cpu)] + cmd
                    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       text=True, timeout=600)
                    m = re.search(r"mean ([\d.]+) us, median ([\d.]+) us", p.stdout)
                    if p.returncode or not m:
                        sys.exit("bench-latency through %s: %s" % (who, p.stdout))
                    lat[(who, pinned)].append((float(m.group(2)), float(m.group(1))))
            for who, s in targets:
                if pinned:
                    subprocess.run(["taskset", "-a", "-p", "-c", allcpus, str(s.proc.pid)],
                                   check=True, stdout=subprocess.DEVNULL)
        mid = BENCH_RUNS // 2
        for who, _ in targets:
            got = sorted(bulk[who])
            h.bench_line(who, "read 64 MiB", "%.1f MB/s (chunk 131072; median of %s MB/s)"
                         % (got[mid], "/".join("%.1f" % x for x in got)))
            for pinned in (False, True):
                got = sorted(lat[(who, pinned)])
                h.bench_line(who, "8-byte read, %s" % ("client and lkstub on cpu %d" % cpu
                                                       if pinned else "unpinned"),
                             "median %.1f us, mean %.1f us (10000 reads; median run of %d; "
                             "run medians %s us)" % (got[mid] + (BENCH_RUNS, "/".join(
                                 "%.1f" % x for x, _ in got))))
        # The two must have read the same bytes.
        a = h.rsp_client_read(fstub.addr, addr, 4096)
        b = h.rsp_client_read(pstub.addr, addr, 4096)
        h.bench_line("both", "same 4 KiB at the bench address", "yes" if a and a == b else "NO")
        return 0 if a and a == b else 1
    finally:
        h._cleanup()


def standalone_run(argv):
    h = _h()
    ck = h.Checks()
    k = h.kernel()
    wd = h.workdir()
    run(k, wd, ck)
    print("%d passed, %d failed" % (ck.passed, ck.failed))
    return 1 if ck.failed else 0


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "run":
        sys.exit(standalone_run(sys.argv[2:]))
    if cmd == "bench":
        sys.exit(bench(sys.argv[2:]))
    sys.exit(__doc__)
