"""What running CPUs do, through QEMU's QMP (lkstub --qmp), on the busy
guests (4 vCPUs; tests/e2e/workloads/busy.sh: a user-mode spin pinned to
CPU 0, a kernel-mode one to CPU 1, a sleeper whose argv the guest printed).

With the VM paused: every CPU thread's `info registers` and `bt` through
lkstub equal QEMU's gdbstub's for the same vCPU (x86_64: line for line,
both ways; arm64: every register lkstub shows equals QEMU's line, QEMU's
hundreds of system registers aside, which QMP does not give); a task
thread reads its own argv through its page tables. With the VM running:
`thread apply all bt` completes with a named frame on every CPU, and the
pause per read is reported. Then --control (interrupt stops the VM,
continue and detach resume it), --mmio (x86_64: the HPET's capability
register through its ioremap'd address) and QEMU killed under lkstub.
"""

import os
import re
import socket
import time

import harness as h

NCPU = 4


def applies(ctx):
    return ctx.cfg in h.FOCUSED and h.FOCUSED[ctx.cfg][2] == "busy"


def _gdb(ctx, name, target, cmds, timeout=300):
    """gdb -batch on target with the vmlinux at the guest's offset: its
    output."""
    script = os.path.join(ctx.g.dir, name + ".gdb")
    sym = ctx.stub_cmd
    with open(script, "w") as f:
        f.write("set pagination off\nset confirm off\nset width 0\n"
                "set print frame-arguments none\n")
        if ctx.arch == "arm64":
            f.write("set architecture aarch64\n")
        f.write("target remote %s\n%s\n" % (target, sym))
        for c in cmds:
            f.write(c + "\n")
        f.write("detach\n")
    log = os.path.join(ctx.g.dir, name + ".log")
    rc, dt = h.run_gdb(script, log, timeout=timeout, gdb=h.GDB[ctx.arch])
    return open(log, errors="replace").read(), rc, dt


def _sections(text):
    """{marker: lines} of the text between `echo ==NAME==` markers."""
    out, cur = {}, None
    for line in text.splitlines():
        m = re.match(r"^==(\S+)==$", line)
        if m:
            cur = out.setdefault(m.group(1), [])
        elif cur is not None:
            cur.append(line)
    return out


def _regs(lines):
    regs = {}
    for line in lines:
        f = line.split(None, 1)
        if len(f) == 2 and re.match(r"^[A-Za-z_][\w]*$", f[0]) and not line.startswith("#"):
            regs[f[0]] = " ".join(f[1].split())
    return regs


def _frames(lines):
    return [" ".join(l.split()) for l in lines if l.startswith("#")]


def _named(frames):
    """The frames up to the first gdb could not place: past it both stubs
    unwind garbage, each its own way (arm64: lkstub serves the PAC masks,
    so gdb strips a signed return address that QEMU's stub leaves signed,
    or marks one [PAC] that it then cannot place)."""
    out = []
    for f in frames:
        if " ?? (" in f:
            break
        out.append(f)
    return out


def _cmds():
    cmds = []
    for i in range(1, NCPU + 1):
        cmds += ["echo ==REGS%d==\\n" % i, "thread %d" % i, "info registers",
                 "echo ==BT%d==\\n" % i, "bt 12", "echo ==END==\\n"]
    return cmds


REQUIRED = {
    "amd64": ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r15", "rip",
              "eflags", "cs", "ss", "fs_base", "gs_base", "k_gs_base", "cr0", "cr2",
              "cr3", "cr4", "cr8", "efer", "xmm0", "mxcsr"],
    "arm64": ["x%d" % i for i in range(31)] + ["sp", "pc", "cpsr", "fpsr", "fpcr"],
}


def _paused(ctx):
    """The VM paused (by QMP here: other modules' sessions are over, and
    QEMU's stub may resume it when gdb detaches): lkstub's CPU threads
    against QEMU's stub."""
    ck, g, cfg = ctx.ck, ctx.g, ctx.cfg
    g.stop()
    stub = h.Stub(g, extra=["--qmp", g.qmp_lkstub, "--no-symbols"], name="lkstub-qmp")
    ctx.stubs.append(stub)
    ctx.qstub = stub
    m = re.search(r"gdb command: (add-symbol-file .*)", stub.stderr())
    ctx.stub_cmd = m.group(1) if m else ""
    ours, rc1, _ = _gdb(ctx, "vcpu-lkstub", stub.addr, _cmds())
    theirs, rc2, _ = _gdb(ctx, "vcpu-qemu", ctx.qemu, _cmds())
    a, b = _sections(ours), _sections(theirs)
    ck.check("%s: vCPU sessions through both stubs" % cfg,
             rc1 == 0 and rc2 == 0 and len(a) >= NCPU and len(b) >= NCPU,
             (ours + theirs)[-3000:])
    for i in range(1, NCPU + 1):
        ra, rb = _regs(a.get("REGS%d" % i, [])), _regs(b.get("REGS%d" % i, []))
        missing = [r for r in REQUIRED[ctx.arch] if r not in ra or r not in rb]
        differ = ["%s: lkstub %s, qemu %s" % (r, ra[r], rb.get(r)) for r in ra
                  if r in rb and ra[r] != rb[r]]
        if ctx.arch == "arm64":
            # SP_EL0 is not compared. With SPSel 1 QMP does not give it:
            # lkstub shows the run queue's current task, which the kernel
            # keeps there outside its entry code (QEMU's value differs at
            # an exception vector, before the entry code loads it). With
            # SPSel 0 (EL0) lkstub shows the live stack pointer, QEMU's
            # stub its banked copy, stale while the CPU runs on it.
            differ = [d for d in differ if not d.startswith("SP_EL0:")]
        if ctx.arch == "amd64":
            # Both ways: the same registers, line for line.
            extra = sorted(set(ra) ^ set(rb))
        else:
            # QEMU adds its system registers; lkstub adds the PAC masks.
            extra = sorted(r for r in ra if r not in rb and not r.startswith("pauth_"))
        ck.check("%s: CPU#%d registers equal QEMU's (%d lines, %d compared)"
                 % (cfg, i - 1, len(rb), len([r for r in ra if r in rb])),
                 not missing and not differ and not extra,
                 "missing %s; differ %s; only one side %s" % (missing, differ[:8], extra[:20]))
        fa, fb = _frames(a.get("BT%d" % i, [])), _frames(b.get("BT%d" % i, []))
        if ctx.arch == "arm64":
            # Up to the first frame either side could not place (a garbage
            # or signed return address: gdb strips it with lkstub's PAC
            # masks, not without them, so the two unwinds part there). A
            # vCPU in user mode: frame #0 alone is the user PC.
            na, nb = _named(fa), _named(fb)
            n = min(len(na), len(nb))
            same = (n >= 1 and na[:n] == nb[:n]) or \
                (not na and not nb and fa[:1] == fb[:1] and fa)
        else:
            same = fa and fa == fb
        ck.check("%s: CPU#%d bt equals QEMU's (%s)"
                 % (cfg, i - 1, fa[0][:70] if fa else "no frame"),
                 same, "lkstub:\n%s\nqemu:\n%s" % ("\n".join(fa), "\n".join(fb)))
    # What the busy CPUs run, as both stubs showed it.
    bt1 = " ".join(_frames(a.get("BT2", [])))
    ck.check("%s: CPU#1 (a kernel busy loop) shows a kernel function" % cfg,
             re.search(r" in \w+ \(| \w+ \(", bt1) is not None, bt1)
    _running_task(ctx, stub)
    _argv(ctx, stub)


def _running_task(ctx, stub):
    """The kernel busy loop (pinned to CPU 1) has CPU 1's registers. It is
    always runnable, but another task may hold CPU 1 at the pause: then
    the VM runs a moment and is paused again (up to 5 times)."""
    ck, g, cfg = ctx.ck, ctx.g, ctx.cfg
    pids = [p for p, role, _ in g.work if role == "kernel-spin"]
    if not pids:
        ck.check("%s: the guest started the kernel busy loop" % cfg, False, str(g.work))
        return
    tid = 1000000 + pids[0]
    for attempt in range(1, 6):
        # QEMU's stub resumed the VM when its gdb detached (and so does
        # each retry here): the thread list and the registers must come
        # from one pause.
        if g.status() == "running":
            g.stop()
        r = _rsp(stub.addr)
        r.request("qfThreadInfo")      # a new refresh: the registers read afresh
        extra = bytes.fromhex(r.request("qThreadExtraInfo,%x" % tid)).decode(errors="replace")
        r.request("Hg2")
        cpu = r.request("g")
        r.request("Hg%x" % tid)
        task = r.request("g")
        r.sock.close()
        running = "running" in extra and "cpu 1" in extra
        if running:
            break
        g.cont()
        time.sleep(0.5)
    ck.check("%s: the busy task, %s, has CPU 1's registers (pause %d)" % (cfg, extra, attempt),
             running and task == cpu and not task.startswith("xxxxxxxx"),
             "cpu %s\ntask %s" % (cpu[:64], task[:64]))


def _argv(ctx, stub):
    """A task thread of a sleeping process reads its own argv at its
    mm->arg_start (the guest printed both from /proc); a kernel thread has
    no user half; a CPU thread reads user addresses as that CPU would."""
    ck, g, cfg = ctx.ck, ctx.g, ctx.cfg
    m = re.search(r"^ARGV (\d+) (\d+) (.*)$", open(g.serial, errors="replace").read(), re.M)
    if not m:
        ck.check("%s: the guest printed the sleeper's cmdline" % cfg, False, "no ARGV line")
        return
    pid, start, want = int(m.group(1)), int(m.group(2)), m.group(3).split()
    n = len(" ".join(want)) + 1
    r = _rsp(stub.addr)
    r.request("qfThreadInfo")
    sel = r.request("Hg%x" % (1000000 + pid))
    got = h.RSP.mem(r.request("m%x,%x" % (start, n)))
    kthread = r.request("Hg%x" % (1000000 + 2))      # kthreadd: no mm
    refused = r.request("m%x,%x" % (start, n))
    r.sock.close()
    args = got.rstrip(b"\0").split(b"\0")
    ck.check("%s: pid %d reads its argv at %#x through its own page tables: %s"
             % (cfg, pid, start, b" ".join(args).decode(errors="replace")),
             sel == "OK" and [a.decode(errors="replace") for a in args] == want,
             "guest /proc/%d/cmdline: %s; read %r" % (pid, want, got))
    ck.check("%s: a kernel thread has no user addresses (%s)" % (cfg, refused[:3]),
             kthread == "OK" and refused.startswith("E"), refused)


def after_gdb(ctx):
    """Last of the modules on this guest: paused checks, then live ones,
    then QEMU is killed."""
    ck, g, cfg = ctx.ck, ctx.g, ctx.cfg
    _paused(ctx)
    if g.status() != "running":
        g.cont()
    stub = ctx.qstub
    text, rc, dt = _gdb(ctx, "vcpu-live", stub.addr,
                        ["echo ==ALL==\\n", "thread apply all -s bt 3", "echo ==INFO==\\n",
                         "monitor info"], timeout=600)
    sec = _sections(text)
    heads = {}
    for line in sec.get("ALL", []):
        mt = re.match(r"^Thread (\d+) \(Thread (\d+)", line)
        if mt:
            cur = int(mt.group(2))
            heads.setdefault(cur, [])
        elif line.startswith("#") and 'cur' in dir():
            heads[cur].append(line)
    cpus = {t: f for t, f in heads.items() if t <= NCPU}
    named = [t for t, f in cpus.items() if any(re.search(r" in [A-Za-z_]\w* \(|^#\d+\s+[A-Za-z_]\w* \(", l) for l in f)]
    # A CPU in user mode has no kernel frame: its user PC, as such.
    def user_pc(frame):
        m = re.match(r"^#0\s+(0x[0-9a-f]+) in \?\? \(\)", frame)
        return m is not None and int(m.group(1), 16) < 1 << 56
    user = [t for t, f in cpus.items() if t not in named and f and user_pc(f[0])]
    ck.check("%s: live thread apply all bt completes (%.1fs): each CPU a named frame (%d) "
             "or a user PC (%d)" % (cfg, dt, len(named), len(user)),
             rc == 0 and len(cpus) == NCPU and len(named) + len(user) == NCPU
             and len(named) >= 1,
             "CPUs %s named %s user %s\n%s" % (sorted(cpus), sorted(named), sorted(user),
                                              text[-2000:]))
    info = "\n".join(sec.get("INFO", []))
    mp = re.search(r"pause per read of (\d+) vCPUs: last ([\d.]+) ms, min ([\d.]+), "
                   r"max ([\d.]+), mean ([\d.]+) \((\d+) reads\)", info)
    ck.check("%s: the VM was paused to read registers: %s" % (cfg, mp.group(0) if mp else "?"),
             mp is not None and int(mp.group(1)) == NCPU, info[-1500:])
    ck.check("%s: the VM runs after the live reads" % cfg, g.status() == "running", g.status())
    _control(ctx)
    if ctx.arch == "amd64":
        _mmio(ctx)
    _qmp_refused(ctx)
    _qemu_killed(ctx)


def _rsp(addr):
    host, port = addr.rsplit(":", 1)
    return h.RSP(socket.create_connection((host, int(port)), timeout=10))


def _replace(ctx, old, flag):
    """A new lkstub on the guest's QMP socket with flag, in old's place:
    QEMU serves one client per QMP socket."""
    old.stop()
    ctx.stubs.remove(old)
    stub = h.Stub(ctx.g, extra=["--qmp", ctx.g.qmp_lkstub, "--no-symbols", flag],
                  name="lkstub" + flag[1:])
    ctx.stubs.append(stub)
    return stub


def _control(ctx):
    ck, g, cfg = ctx.ck, ctx.g, ctx.cfg
    stub = ctx.cstub = _replace(ctx, ctx.qstub, "--control")
    r = _rsp(stub.addr)
    r.request("?")
    r.send("vCont;c")
    time.sleep(0.5)
    st1 = g.status()
    r.sock.sendall(b"\x03")
    reply = r.recv()
    st2 = g.status()
    ck.check("%s: --control: continue runs, interrupt stops the VM (%s, %s, reply %s)"
             % (cfg, st1, st2, reply[:20]), st1 == "running" and st2 == "paused"
             and reply.startswith("T02"), stub.stderr()[-1500:])
    r.send("c")
    time.sleep(0.5)
    st3 = g.status()
    r.sock.sendall(b"\x03")
    r.recv()
    st4 = g.status()
    d = r.request("D")
    time.sleep(0.3)
    st5 = g.status()
    ck.check("%s: --control: continue resumes (%s), detach resumes what lkstub stopped (%s)"
             % (cfg, st3, st5), st3 == "running" and st4 == "paused" and d == "OK"
             and st5 == "running", stub.stderr()[-1500:])
    r.sock.close()


def _mmio(ctx):
    """x86_64: the HPET's capability register at its ioremap'd address."""
    ck, g, cfg = ctx.ck, ctx.g, ctx.cfg
    syms = h.kernel_syms(g.k["VMLINUX"], ("hpet_virt_address",))
    if "hpet_virt_address" not in syms:
        ck.check("%s: --mmio: hpet_virt_address in the vmlinux" % cfg, False, "")
        return
    ptr = syms["hpet_virt_address"] + ctx.off
    plain = _rsp(ctx.cstub.addr)
    va = int.from_bytes(h.RSP.mem(plain.request("m%x,8" % ptr)), "little")
    refused = plain.request("m%x,8" % va)
    plain.sock.close()
    ck.check("%s: without --mmio the HPET (%#x) is refused, naming the address and flag"
             % (cfg, va), refused.startswith("E") and "--mmio" in ctx.cstub.stderr(),
             refused + ctx.cstub.stderr()[-800:])
    stub = ctx.mstub = _replace(ctx, ctx.cstub, "--mmio")
    r = _rsp(stub.addr)
    ours = r.request("m%x,8" % va)
    r.sock.close()
    # QEMU's stub reads through a CPU in kernel mode: CPU 2 idles there.
    g.stop()
    q = _rsp(ctx.qemu)
    q.request("Hg3")
    theirs = q.request("m%x,8" % va)
    q.request("D")
    q.sock.close()
    g.cont()
    ck.check("%s: --mmio: the HPET capability register %s equals QEMU's %s"
             % (cfg, ours, theirs), ours == theirs and not ours.startswith("E")
             and len(ours) == 16, stub.stderr()[-800:])


def _without_qemu(ctx, stub, what, extra_ok):
    """Through stub, QEMU not answering: memory still served, CPU 0's
    registers unknown, `monitor info` says why."""
    ck, g, cfg = ctx.ck, ctx.g, ctx.cfg
    banner = h.kernel_syms(g.k["VMLINUX"], ("linux_banner",))["linux_banner"] + ctx.off
    r = _rsp(stub.addr)
    mem = r.request("m%x,5" % banner)
    r.request("qfThreadInfo")
    r.request("Hg1")
    regs = r.request("g")
    info = r.monitor("info")[0]
    r.sock.close()
    ck.check("%s: %s: memory still served, registers unknown, said why" % (cfg, what),
             h.RSP.mem(mem) == b"Linux" and set(regs[:32]) <= set("x0")
             and "registers unknown" in info and extra_ok(),
             "mem %r regs %s\n%s\n%s" % (mem, regs[:40], info[-800:], stub.stderr()[-800:]))


def _qmp_refused(ctx):
    """A QMP socket nobody listens on: lkstub starts all the same."""
    dead = os.path.join(ctx.g.dir, "no-qemu-here.sock")
    stub = h.Stub(ctx.g, extra=["--qmp", dead, "--no-symbols"], name="lkstub-noqmp")
    _without_qemu(ctx, stub, "--qmp refused", lambda: dead in stub.stderr())
    stub.stop()


def _qemu_killed(ctx):
    """QEMU dies under lkstub."""
    g = ctx.g
    stub = getattr(ctx, "mstub", None) or getattr(ctx, "cstub", None)
    g.proc.kill()
    g.proc.wait()
    _without_qemu(ctx, stub, "QEMU killed", lambda: stub.proc.poll() is None)
