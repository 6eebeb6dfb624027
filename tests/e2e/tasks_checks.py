"""Tasks as gdb threads, and the kernel's own gdb scripts, end to end.

On 5level-kaslr, after the shared session (the guest paused again):

- `info threads` through lkstub: the CPUs first (`CPU#n <comm of its
  current task>`), then every task the guest's own /proc listed at READY
  (the init script prints `PS <pid> <comm>` lines), with the same comm;
- `bt` of the init script's `sleep` tasks: the scheduler and nanosleep path;
- `thread apply all bt` completes on the whole guest, within a bound
  derived from the same session: TAAB_SLACK x (the time `info threads`
  took + the number of threads x the per-thread cost of `thread apply ...
  bt` on a reference of up to 16 threads spread over the list);
- the kernel's scripts/gdb (tests/e2e/kscripts.sh): lx-* commands and
  $lx_* functions give the same output through lkstub and QEMU's stub.

The same on 6.12-x86, 6.12-arm64 and 6.12-arm64-16k (TASKS_CONFIGS; on
arm64 with the PAC-stripping unwinder of tools/gdb).

On every arm64 config: kthreadd's backtrace through its saved cpu_context,
with the PAC-stripping unwinder gdb 13 needs (tools/gdb).

bench.py tasks10k reuses session() and the checks' helpers on a guest
with ~10,000 tasks.
"""

import json
import os
import re
import subprocess

import harness as h

HERE = os.path.dirname(os.path.abspath(__file__))
TASK_TID_BASE = 1000000
TAAB_SLACK = 5              # `thread apply all bt` vs its derived cost
SLEEP_PATH = ("__schedule", "schedule", "do_nanosleep", "hrtimer_nanosleep",
              "__(x64|arm64)_sys_(clock_)?nanosleep")
# The configurations that get the whole tasks session (threads, backtraces,
# thread apply all bt, the kernel's scripts); every arm64 one also gets
# kthreadd's backtrace with the PAC unwinder (run_arm64).
TASKS_CONFIGS = ("5level-kaslr", "6.12-x86", "6.12-arm64", "6.12-arm64-16k")

# Run through both stubs with gdb thread 1 (CPU0) selected unless "@N".
KSCRIPT_COMMANDS = [
    "lx-version", "lx-cmdline", "lx-dmesg", "lx-ps", "lx-lsmod", "lx-cpus",
    "lx-iomem", "lx-ioports", "lx-mounts", "lx-device-list-bus",
    "lx-device-list-class", "lx-list-check init_task.tasks",
    "output $lx_current().pid", "output $lx_current().comm",
    "@2 output $lx_current().comm",
    'output $lx_per_cpu("runqueues", 0).nr_running',
    'output $lx_per_cpu("runqueues", 1).curr->comm',
    "output $lx_task_by_pid(1)->comm",
    "output $lx_thread_info_by_pid(1)->flags",
    'output $lx_module("dummy")->name',
]


def kscript_commands(path):
    """KSCRIPT_COMMANDS in the form the scripts at path take: 6.1's
    $lx_per_cpu takes a per-cpu variable's name as a string, later ones
    (6.12's: scripts/gdb/linux/cpus.py calls `per_cpu(var.address, cpu)`)
    the variable itself."""
    with open(os.path.join(os.path.dirname(path), "scripts", "gdb", "linux", "cpus.py")) as f:
        bare = "per_cpu(var.address" in f.read()
    if not bare:
        return list(KSCRIPT_COMMANDS)
    return [re.sub(r'\$lx_per_cpu\("(\w+)"', r"$lx_per_cpu(\1", c) for c in KSCRIPT_COMMANDS]


def target_regs(stub):
    """The register names of the stub's target.xml (qXfer:features)."""
    c = h.RSP(stub.connect(5))
    xml, off = "", 0
    try:
        while True:
            p = c.request("qXfer:features:read:target.xml:%x,%x" % (off, 4000))
            if not p or p[0] not in "lm":
                break
            xml += p[1:]
            off += len(p) - 1
            if p[0] == "l":
                break
    finally:
        c.close()
    return set(re.findall(r'<reg name="([^"]+)"', xml))


def unsupported_kscripts(ctx, path, commands):
    """(command, why) of the commands that cannot work through this lkstub:
    on arm64 the scripts' $lx_current() reads the SP_EL0 register (the
    current task in EL1; 6.12's cpus.py), which an lkstub before SP_EL0
    was added to its target description lacks."""
    if ctx.arch != "arm64":
        return []
    with open(os.path.join(os.path.dirname(path), "scripts", "gdb", "linux", "cpus.py")) as f:
        if "$SP_EL0" not in f.read():
            return []
    if "SP_EL0" in target_regs(ctx.stub):
        return []
    why = ("this lkstub's target.xml has no SP_EL0, which this kernel's $lx_current() "
           "reads (QEMU's stub serves the vCPU's)")
    return [(c, why) for c in commands if "$lx_current" in c]


def kscripts(k):
    """Path of the kernel's vmlinux-gdb.py for k, or (None, why)."""
    p = subprocess.run([os.path.join(HERE, "kscripts.sh"), k["KVER"]],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    m = re.search(r"^KSCRIPTS=(\S+)", p.stdout, re.M)
    if p.returncode or not m:
        return None, "kscripts.sh exit %d:\n%s" % (p.returncode, p.stderr[-2000:])
    return m.group(1), ""


def guest_ps(serial):
    """{pid: comm} from the `PS <pid> <comm>` lines the init script prints."""
    ps = {}
    with open(serial, errors="replace") as f:
        for line in f:
            m = re.match(r"PS (\d+) (.*?)\s*$", line)
            if m:
                ps[int(m.group(1))] = m.group(2)
    return ps


def session(g, k, stub, off, name, plan, timeout, gdb="gdb"):
    """One tasks_gdb.py session: (results dict, gdb log text, wall seconds)."""
    base = os.path.join(g.dir, name)
    plan = dict(plan, vmlinux=k["VMLINUX"], offset=off, results=base + ".json",
                lkstub=stub.addr)
    with open(base + ".plan.json", "w") as f:
        json.dump(plan, f, indent=1)
    script = base + ".gdb"
    with open(script, "w") as f:
        f.write("source %s\npython tasks_session(%r)\n"
                % (os.path.join(HERE, "tasks_gdb.py"), base + ".plan.json"))
    log = base + ".log"
    rc, dt = h.run_gdb(script, log, timeout, gdb=gdb)
    try:
        with open(base + ".json") as f:
            res = json.load(f)
    except (OSError, ValueError):
        res = {}
    res["rc"] = rc
    for ext in ("info-threads", "taab-ref", "taab"):
        try:
            with open("%s.json.%s.txt" % (base, ext), errors="replace") as f:
                res[ext] = f.read()
        except OSError:
            res[ext] = ""
    return res, open(log, errors="replace").read(), dt


def frames(bt):
    """Function names of a gdb backtrace, innermost first."""
    out = []
    for line in bt.splitlines():
        m = re.match(r"#\d+\s+(?:0x[0-9a-f]+ in )?(\S+) \(", line)
        if m:
            out.append(m.group(1))
    return out


def path_in_order(names, path):
    i = 0
    for n in names:
        if i < len(path) and re.fullmatch(path[i], n):
            i += 1
    return i == len(path)


def taab_bound(res, nthreads):
    """(bound in seconds, how it was derived) for `thread apply all bt`
    on nthreads, from the session's own measurements; (None, why) when
    they are missing."""
    ref_s, ref_n = res.get("taab_ref_s"), res.get("taab_ref_n")
    list_s = res.get("info_threads_s")
    if not ref_n or ref_s is None or list_s is None:
        return None, "no reference measured"
    per = ref_s / ref_n
    return TAAB_SLACK * (list_s + per * nthreads), (
        "%d x (listing %.2fs + %d x %.1f ms, the per-thread cost of `thread apply` "
        "with bt on %d of them)" % (TAAB_SLACK, list_s, nthreads, 1000 * per, ref_n))


def check_taab(ck, cfg, res, nthreads, gdblog):
    dt = res.get("taab_s", -1)
    bound, how = taab_bound(res, nthreads)
    bad = taab_problems(res.get("taab", ""), nthreads) if dt >= 0 else ["did not finish"]
    bad += ["reference: " + p for p in
            taab_problems(res.get("taab-ref", ""), res.get("taab_ref_n") or 0)]
    cpu = res.get("taab_lkstub_cpu_s")
    ck.check("%s: thread apply all bt: %d threads in %.2fs (%.1f ms/thread%s; bound %s = %s)"
             % (cfg, nthreads, dt, 1000 * dt / max(nthreads, 1),
                "; lkstub CPU %.2fs" % cpu if cpu is not None else "",
                "%.2fs" % bound if bound is not None else "none", how),
             bound is not None and 0 <= dt <= bound and not bad,
             "\n".join(bad) + "\n" + gdblog[-2000:])


def taab_problems(text, nthreads):
    heads = len(re.findall(r"^Thread \d+ \(", text, re.M))
    bad = [l for l in text.splitlines()
           if re.search(r"Cannot access memory|Remote (connection closed|failure)|"
                        r"^ERROR|Python Exception|Couldn't get registers", l)]
    out = []
    if heads != nthreads:
        out.append("%d thread headers for %d threads" % (heads, nthreads))
    return out + bad[:20]


def check_threads(cfg, res, ps, ncpus, ck, gdblog):
    threads = res.get("threads") or []
    tids = [t[1] for t in threads]
    names = {t[1]: t[2] for t in threads}
    curr = res.get("cpu_curr") or []
    bad = []
    if tids[:ncpus] != list(range(1, ncpus + 1)):
        bad.append("first thread ids %s, want 1..%d" % (tids[:ncpus], ncpus))
    for cpu in range(ncpus):
        want = "CPU#%d %s" % (cpu, curr[cpu][1] if cpu < len(curr) else "?")
        if names.get(cpu + 1) != want:
            bad.append("thread %d named %r, want %r (rq->curr)" % (cpu + 1, names.get(cpu + 1), want))
    rest = tids[ncpus:]
    if any(t <= TASK_TID_BASE for t in rest) or len(set(rest)) != len(rest):
        bad.append("task thread ids not all distinct and > %d" % TASK_TID_BASE)
    ck.check("%s: info threads: %d threads, the %d CPUs first (%.2fs)"
             % (cfg, len(threads), ncpus, res.get("info_threads_s", -1)),
             res.get("info_threads_s") is not None and len(threads) > ncpus and not bad,
             "\n".join(bad) + "\n" + (res.get("info-threads") or gdblog)[-3000:])

    # Every pid the guest listed at READY must still be there with its
    # comm; kernel workers may have exited since (kworkers come and go, and
    # /proc shows "kworker/0:1-events": the task comm plus the workqueue).
    # /proc also shows a kthread's full name where task->comm keeps 15
    # characters ("rcu_tasks_kthread" vs "rcu_tasks_kthre").
    missing, wrong, gone_kw = [], [], []
    for pid, comm in sorted(ps.items()):
        got = names.get(TASK_TID_BASE + pid)
        kworker = comm.startswith("kworker/")
        if got is None:
            (gone_kw if kworker else missing).append("%d %s" % (pid, comm))
        elif not (got == comm or (kworker and comm.startswith(got + "-"))
                  or (len(got) == 15 and comm.startswith(got))):
            wrong.append("pid %d: gdb %r, guest %r" % (pid, got, comm))
    ck.check("%s: every task the guest's /proc listed (%d, %d kworkers gone) is a "
             "thread with its comm" % (cfg, len(ps), len(gone_kw)),
             len(ps) >= 20 and not missing and not wrong,
             "guest listed %d pids\nmissing: %s\nwrong comm: %s"
             % (len(ps), missing, wrong))

    # The sleep tasks: qThreadExtraInfo and the kernel stack through the
    # saved context-switch registers.
    sleeps = [p for p, c in ps.items() if c == "sleep" and TASK_TID_BASE + p in names]
    bts = res.get("bt") or {}
    bad = []
    it = res.get("info-threads") or ""
    for pid in sleeps:
        tid = TASK_TID_BASE + pid
        if not re.search(r'Thread %d "sleep" \(pid %d, tgid %d, state S, cpu \d+\)'
                         % (tid, pid, pid), it):
            bad.append("pid %d: no `pid %d, tgid %d, state S, cpu N` in info threads"
                       % (pid, pid, pid))
        bt = bts.get(str(tid))
        if bt is None:
            continue
        if not path_in_order(frames(bt), SLEEP_PATH):
            bad.append("pid %d: bt lacks %s in order:\n%s" % (pid, " < ".join(SLEEP_PATH), bt))
    ck.check("%s: sleep tasks %s: extra info, bt through __schedule .. sys_nanosleep"
             % (cfg, sleeps), sleeps and len(bts) >= min(len(sleeps), 3) and not bad,
             "\n".join(bad) + "\nbacktraces: %s" % sorted(bts))

    check_taab(ck, cfg, res, len(threads), gdblog)


def check_kscripts(cfg, res, ck, gdblog):
    ks = res.get("kscripts") or {}
    lk, qe = ks.get("lkstub") or {}, ks.get("qemu") or {}
    if not lk or not qe:
        ck.check("%s: kernel gdb scripts loaded and run through both stubs" % cfg, False,
                 gdblog[-3000:])
        return
    for cmd in [c for c in lk if c != "$cs of thread 1"]:
        a, dt = lk[cmd]
        b = (qe.get(cmd) or [None, 0])[0]
        ok = a == b and not a.startswith("ERROR")
        extra = ""
        if cmd == "lx-dmesg":
            ok = ok and "lkstub-e2e-marker" in a
            extra = ", has lkstub-e2e-marker" if "lkstub-e2e-marker" in a else ", NO marker"
        nl = a.count("\n")
        ck.check("%s: kernel scripts: %s: lkstub == QEMU (%s%s)"
                 % (cfg, cmd, "%d lines" % nl if nl > 1 else a.strip()[:40], extra), ok,
                 "QEMU thread 1 $cs %s\n%s" % (qe.get("$cs of thread 1"),
                                               h.diff(a.splitlines(), (b or "").splitlines(),
                                                      limit=20)))


def applies(ctx):
    return ctx.base in TASKS_CONFIGS or ctx.arch == "arm64"


def after_gdb(ctx):
    if ctx.base in TASKS_CONFIGS:
        run_tasks(ctx)
    if ctx.arch == "arm64":
        run_arm64(ctx)


def run_tasks(ctx):
    ck, cfg, g, stub = ctx.ck, ctx.cfg, ctx.g, ctx.stub
    ck.mark()
    g.stop()
    ps = guest_ps(g.serial)
    path, why = kscripts(ctx.k)
    ck.check("%s: kernel scripts/gdb fetched, constants.py generated" % cfg, path, why)
    commands = kscript_commands(path) if path else KSCRIPT_COMMANDS
    for c, why in unsupported_kscripts(ctx, path, commands) if path else []:
        ck.skip("%s: kernel scripts: %s" % (cfg, c), why)
        commands.remove(c)
    plan = {"qemu": ctx.qemu, "ncpus": h.ncpus_of(stub.summary),
            "bt_comm": "sleep", "bt_max": 3, "taab": True, "kscripts": path,
            "commands": commands,
            "arch": ctx.arch,
            "unwinder": os.path.join(h.ROOT, "tools", "gdb", "arm64_pac_unwind.py")
            if ctx.arch == "arm64" else None}
    res, gdblog, dt = session(g, ctx.k, stub, ctx.off, "tasks", plan, 900, gdb=h.GDB[ctx.arch])
    ck.check("%s: tasks gdb session (gdb %.0fs; steps: %s)"
             % (cfg, dt, ", ".join(res.get("steps", []))),
             res.get("rc") == 0 and res.get("done"), gdblog[-3000:])
    if g.status() != "paused":
        h.log("note: guest %s after the session" % g.status())
    check_threads(cfg, res, ps, h.ncpus_of(stub.summary), ck, gdblog)
    if path:
        check_kscripts(cfg, res, ck, gdblog)


def run_arm64(ctx):
    """arm64: a sleeping task's backtrace through its saved cpu_context,
    with the PAC-stripping unwinder gdb 13 needs (tools/gdb)."""
    g = ctx.g
    script = os.path.join(g.dir, "arm64-bt.gdb")
    log = os.path.join(g.dir, "arm64-bt.log")
    tid = TASK_TID_BASE + 2  # kthreadd
    with open(script, "w") as f:
        f.write("set pagination off\nset backtrace limit 40\n"
                "add-symbol-file %s -o %#x\n" % (ctx.k["VMLINUX"], ctx.off))
        f.write("source %s\n" % os.path.join(h.ROOT, "tools", "gdb",
                                            "arm64_pac_unwind.py"))
        f.write("target remote %s\n" % ctx.stub.addr)
        # gdb numbers threads itself; find kthreadd's by its remote id.
        f.write("python gdb.execute('thread %%d' %% next(t.num for t in "
                "gdb.selected_inferior().threads() if %d in t.ptid))\n" % tid)
        f.write("bt\ndisconnect\n")
    rc, dt = h.run_gdb(script, log, 300, gdb=h.GDB["arm64"])
    out = open(log, errors="replace").read()
    names = frames(out)
    ok = rc == 0 and path_in_order(names, ["__switch_to", "__schedule",
                                           "schedule", "kthreadd"])
    ctx.ck.check("%s: kthreadd bt through cpu_context and PAC (%.0fs): %s"
                 % (ctx.cfg, dt, " > ".join(names[:6])), ok, out[-3000:])
