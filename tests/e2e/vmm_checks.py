"""Every way a user holds a guest's memory, end to end.

After the 5level-kaslr configuration, its guest closed, one more guest, `vmm-anon`: QEMU with plain `-m 512M`
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
it; lkstub run as user nobody (setpriv) on pid:QEMUPID is refused (EACCES,
with a hint): this one needs root, and is a counted skip without; a write
through pid: --write (process_vm_writev) reads back through QEMU's stub.

Standalone:  vmm_checks.py run   the checks above alone (kernel from
kernel.sh). bench.py pid compares pid: with the mapped RAM file.
"""

import os
import re
import shutil
import subprocess
import sys
import time
import types

import harness as h
from write_checks import DOMAIN

CFG = "vmm-anon"
EXTRA_MODULES = ("qemu_fw_cfg",)   # fw_cfg tells QEMU where vmcoreinfo is
GUEST_MEM = 512 << 20


class AnonGuest(h.Guest):
    """QEMU without a memory-backend, with -device vmcoreinfo.  Its `ram`
    is pid:QEMUPID once started (what Stub passes to lkstub)."""

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


def frames(text):
    """Function names of a gdb backtrace (also one collapsed to a line)."""
    return re.findall(r"#\d+\s+(?:0x[0-9a-f]+ in )?([A-Za-z_][\w.]*) \(", text)


def unnamed_from(bt):
    """A backtrace without the object file gdb names for frames it has no
    function for (`?? () from FILE`): lkstub's library list places the
    vmlinux's per-cpu section at 0, so the outermost frame's pc 0 is "in"
    it; QEMU's stub has no library list. Frames with a name are compared
    as they are."""
    return re.sub(r"(in \?\? \(\)) from \S+", r"\1", bt)


REGS = "rip rsp rbp rax rbx rcx rdx rsi rdi r8 r9 r10 r11 r12 r13 r14 r15 eflags cs ss"


def applies(ctx):
    return ctx.base == "5level-kaslr"


def after_guest(ctx):
    """The checks (see the module doc), on a guest of their own."""
    try:
        run(ctx.k, ctx.wd, ctx.ck)
    finally:
        h.cleanup()


def _as_nobody(vml, memory):
    """lkstub as user nobody (setpriv): (exit status, stderr)."""
    cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", h.LKSTUB,
           "-k", vml, "-l", "127.0.0.1:%d" % h.free_port(), memory]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return None, "still running after 60s"
    return p.returncode, p.stderr


def run(k, wd, ck, cfg=CFG):
    ck.mark()
    vml = k["VMLINUX"]
    rc, err = h.lkstub_exit(["-k", vml, "-l", "127.0.0.1:%d" % h.free_port(), "pid:999999"])
    first = (err.splitlines() or [""])[0]
    ck.check("cli: pid:999999 (no such process): exit %s, message names it" % rc,
             rc == 1 and first.startswith("lkstub: ") and "999999" in first
             and (os.strerror(2) in first or os.strerror(3) in first),
             "exit %s:\n%s" % (rc, err[-1500:]))

    syms = h.kernel_syms(vml)
    d = os.path.join(wd, CFG + "-initramfs")
    os.makedirs(d, exist_ok=True)
    modules = h.MODULES + EXTRA_MODULES
    initrd = h.build_initramfs(d, k["MODDIR"], modules=modules)
    h.derive_config(cfg, "5level-kaslr")
    g = AnonGuest(cfg, k, wd).start(initrd)
    ck.check("%s: boot without memory-backend, -device vmcoreinfo, modules %s loaded"
             % (cfg, ",".join(modules)),
             all(m in g.modules for m in modules) and not any(
                 a.startswith("memory-backend") for a in g.cmdline),
             "modules loaded %s; cmdline %s" % (g.modules, g.cmdline))
    off = g.kaslr_text - syms["_text"]
    pid = g.proc.pid
    g.stop()
    ck.check("%s: QMP stop" % cfg, g.status() == "paused", g.status())

    # Another user may not read QEMU's memory: lkstub run as nobody (only
    # root can switch to it; setpriv is util-linux's, always there).
    what = "%s: lkstub %s as user nobody refused (EACCES, hint)" % (cfg, g.ram)
    if os.geteuid() != 0:
        ck.skip(what, "needs root to run lkstub as another user")
    elif not shutil.which("setpriv"):
        ck.check(what, False, "setpriv (util-linux) not found")
    else:
        rc, err = _as_nobody(vml, g.ram)
        first = (err.splitlines() or [""])[0]
        ck.check("%s: exit %s, %s" % (what, rc, first[:60]),
                 rc == 1 and first.startswith("lkstub: ") and str(pid) in first
                 and os.strerror(13) in first and "CAP_SYS_PTRACE" in first, err[-1500:])

    # pid:PID, RAM found in /proc/PID/maps
    maps = h.Stub(g, name="lkstub-pid")
    lay = h.layout_line(maps)
    m = re.search(r"RAM is VMM mapping (0x[0-9a-f]+)-(0x[0-9a-f]+) \(found in /proc/%d/maps\)"
                  % pid, lay)
    ck.check("%s: lkstub pid:%d (maps): kaslr 0x%x (kallsyms 0x%x), ready in %s ms"
             % (cfg, pid, maps.kaslr_offset() or 0, off, h.ready_ms(maps)),
             maps.kaslr_offset() == off and m is not None, maps.summary)

    # pid:PID --qmp: QEMU's QMP socket serves one client at a time.
    g.release_qmp()
    try:
        qmp = h.Stub(g, ["--qmp", g.qmp_path], name="lkstub-qmp")
    finally:
        g.grab_qmp()
    ck.check("%s: lkstub pid:%d --qmp: kaslr 0x%x, layout from QEMU over QMP, ready in %s ms"
             % (cfg, pid, qmp.kaslr_offset() or 0, h.ready_ms(qmp)),
             qmp.kaslr_offset() == off and "from QEMU over QMP" in h.layout_line(qmp),
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
    if m:
        region = h.Stub(g, ["--region", "0:%d@%s" % (GUEST_MEM, m.group(1))],
                        name="lkstub-region")
        ck.check("%s: lkstub pid: --region 0:512M@%s: kaslr 0x%x"
                 % (cfg, m.group(1), region.kaslr_offset() or 0),
                 region.kaslr_offset() == off, region.summary)
        region.close()
    else:
        ck.check("%s: lkstub pid: --region 0:512M@HOSTADDR" % cfg, False,
                 "no host address: lkstub pid: did not say where it found RAM:\n"
                 + maps.summary)

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
             % (cfg, dump.kaslr_offset() or 0, h.ready_ms(dump)),
             dump.kaslr_offset() == off
             and re.search(r"found by\s+the dump's VMCOREINFO note", dump.summary),
             dump.summary)

    rc, err = h.lkstub_exit(["-k", vml, "-l", "127.0.0.1:%d" % h.free_port(), "--write", elf])
    ck.check("%s: lkstub --write on the ELF vmcore: exit %s, read-only" % (cfg, rc),
             rc in (1, 2) and err.startswith("lkstub: ") and "drop --write" in err, err[-1500:])
    rc, err = h.lkstub_exit(["-k", vml, "-l", "127.0.0.1:%d" % h.free_port(), "--qmp",
                             g.qmp_lkstub, elf])
    ck.check("%s: lkstub --qmp on the ELF vmcore: exit %s, no live QEMU behind it" % (cfg, rc),
             rc == 1 and "drop --qmp" in err, err[-1500:])

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
             % (cfg, kdump.kaslr_offset() or 0, h.ready_ms(kdump)),
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
    want = DOMAIN + b"-pid\0"
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
                 vals == qvals and len(vals) == len(REGS.split())
                 and unnamed_from(bt) == unnamed_from(qbt),
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
    dump_checks.run(ck, g, k, wd, elf, off, cfg)
    g.close()
    for f in (elf, kd):
        if os.path.exists(f):
            os.unlink(f)


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] != "run":
        sys.exit(__doc__)
    sys.exit(h.standalone(after_guest))
