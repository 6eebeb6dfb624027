"""Scheduler inspection from gdb-python (tools/gdb/lkstub_sched.py), end to
end, on the focused guests busy-x86 and busy-arm64 (4 vCPUs, workload
tests/e2e/workloads/busy.sh).

The guest prints its own view of its run queues over and over
(workloads/sched-report.sh: the kernel's sched debug file between
`SCHED-BEGIN n` and `SCHED-END n`, with an RT and a deadline task running on
CPU 3, and each sleeper's /proc/PID/wchan as `WCHAN PID NAME`); booted()
pauses the guest right after a new copy is complete. Then, in the shared
gdb session, through lkstub and through QEMU's stub: lk-runq (twice: the
first run looks the types up), lk-sched-json, lk-task of the sleepers and
of the RT and deadline tasks. Checks:

- lk-runq through lkstub lists the same runnable tasks per CPU and class
  as the guest's view: sets of (cpu, class, pid). The guest's view: in each
  `cpu#N` section's `runnable tasks:`, every line whose state is `R` or
  `>R` (the current task); the class from the prio column (< 0 deadline,
  < 100 RT, but `migration/N`, the stop class; else fair); the task that
  read the file (`cat`) is left out (it is gone when the guest is paused).
  lk-runq's: every task of the fair trees (groups' cfs_rqs included), of
  the RT lists and the deadline tree, and each CPU's current task but the
  idle task. A task may change state between the copy and the pause: on a
  difference, the guest is resumed and paused after the next copy, up to
  ATTEMPTS times, each attempt through lkstub alone;
- the workload is where it was put: the two fair spinners on CPU 2's fair
  class (one in the group /lkstub-grp, whose entity lk-runq shows), the RT
  and the deadline task on CPU 3, the sleepers in no run queue;
- lk-runq, lk-sched-json and lk-task print the same through lkstub and
  through QEMU's stub, without an error line;
- lk-task of each sleeper names the function the guest's /proc/PID/wchan
  names;
- lk-sched-json is JSON whose task set equals lk-runq's;
- the pid IDR lk-task looks a pid up in gives every task of the task
  list, at the same address;
- on a vmcore: with the guest paused, lk-runq, lk-sched-json and lk-task
  (of init and the sleepers) through lkstub on a QMP ELF dump of it print
  what they print through lkstub on the guest's RAM.
"""

import json
import os
import re
import types

import harness as h

HERE = os.path.dirname(os.path.abspath(__file__))
SCHED_PY = os.path.join(h.ROOT, "tools", "gdb", "lkstub_sched.py")
ATTEMPTS = 3
ERROR_LINE = re.compile(r"\berror: |Traceback")     # a command's failure in its output
REPORT_TIMEOUT = 90     # seconds to wait for the guest's next copy


def applies(ctx):
    return ctx.cfg in h.FOCUSED and h.FOCUSED[ctx.cfg][2] == "busy"


def _serial(g):
    return g.serial_text()


def pause_after_copy(g, timeout=REPORT_TIMEOUT):
    """The number of the guest's next complete copy, the guest paused
    right after it (None: none came)."""
    return g.pause_after_copy("SCHED", timeout)[0]


def report(text, n):
    """The guest's copy n: {"cpus": {cpu: [(state, comm, pid, prio)]},
    "wchan": {pid: name}, "rt": pid, "dl": pid, "reader": pid}."""
    m = re.search(r"^SCHED-BEGIN %d (.*?)$(.*?)^SCHED-END %d$" % (n, n), text, re.M | re.S)
    if not m:
        return None
    head = dict(kv.split("=", 1) for kv in m.group(1).split())
    out = {"cpus": {}, "wchan": {}, "file": head.get("file")}
    for k in ("rt", "dl", "reader"):
        out[k] = int(head[k]) if head.get(k, "").isdigit() else None
    cpu, cols = None, None
    for line in m.group(2).splitlines():
        c = re.match(r"^cpu#(\d+)", line)
        if c:
            cpu, cols = int(c.group(1)), None
            out["cpus"][cpu] = []
            continue
        w = re.match(r"^WCHAN (\d+) (\S*)", line)
        if w:
            out["wchan"][int(w.group(1))] = w.group(2)
            continue
        if cpu is None:
            continue
        if re.match(r"^ S\s+task\s+PID", line):
            cols = line.split()[2:]          # the columns after the comm
            continue
        if cols is None or len(line) < 19 or line[:2] not in (">R",) and not (
                line[0] == " " and line[1].isalpha()):
            continue
        f = line[18:].split()
        try:
            pid = int(f[0])
            prio = int(f[cols.index("prio")])
        except (ValueError, IndexError):
            continue
        out["cpus"][cpu].append((line[:2].strip(), line[3:18].strip(), pid, prio))
    return out


# Tasks that wake on their own timers, or run for the report itself: they
# may be runnable at the copy and not at the pause (or the other way round).
# Differences in them are listed, not failed.
TRANSIENT = re.compile(r"^(cat|grep|init|sleep|rcu_preempt|rcu_sched|kworker/.*|ksoftirqd/.*"
                       r"|kcompactd\d+|migration/.*|khugepaged|kswapd\d+)$")


def guest_runnable(rep):
    """(set of (cpu, class, pid), {pid: comm} of transient tasks)."""
    s, left = set(), {}
    if rep.get("reader"):
        left[rep["reader"]] = "sh"      # the report's shell, which may not be asleep yet
    for cpu, tasks in rep["cpus"].items():
        for state, comm, pid, prio in tasks:
            if TRANSIENT.match(comm) or pid == rep.get("reader"):
                left[pid] = comm
            if state not in ("R", ">R"):
                continue
            cls = ("dl" if prio < 0 else "stop" if comm.startswith("migration/")
                   else "rt" if prio < 100 else "fair")
            s.add((cpu, cls, pid))
    return s, left


def runq_text_set(text):
    """(cpu, class, pid) of lk-runq's output."""
    s, cpu, cls = set(), None, None
    for line in text.splitlines():
        m = re.match(r"^CPU (\d+): curr (\d+) \S.* \((\w+)\)  nr_running", line)
        if m:
            cpu = int(m.group(1))
            if m.group(3) != "idle":
                s.add((cpu, m.group(3), int(m.group(2))))
            continue
        m = re.match(r"^  (fair|rt|dl): ", line)
        if m:
            cls = m.group(1)
            continue
        if re.match(r"^  \S", line):
            cls = None
            continue
        m = re.match(r"^\s+[> ] (\d+) ", line)
        if m and cls and cpu is not None:
            s.add((cpu, cls, int(m.group(1))))
    return s


def runq_comms(text):
    """{pid: comm} of the tasks lk-runq's output names."""
    return {int(p): c for p, c in re.findall(r"^(?:CPU \d+: curr|\s+[> ]) (\d+) (\S+)", text, re.M)}


def json_set(doc):
    s = set()

    def fair(cpu, q):
        for e in (q or {}).get("entities", []):
            if "pid" in e:
                s.add((cpu, "fair", e["pid"]))
            elif e.get("cfs_rq"):
                fair(cpu, e["cfs_rq"])

    for r in doc["runqueues"]:
        c = r["cpu"]
        fair(c, r.get("fair"))
        for k in ("rt", "dl"):
            for t in (r.get(k) or {}).get("tasks", []):
                if "pid" in t:
                    s.add((c, k, t["pid"]))
        cur = r.get("curr")
        if cur and cur.get("class") != "idle":
            s.add((c, cur["class"], cur["pid"]))
    return s


def _sched_tasks(g):
    """[(pid, role, cpu, rest)] of busy.sh's SCHED lines."""
    return [(int(p), r, int(c), rest.strip()) for p, r, c, rest in
            re.findall(r"^SCHED (\d+) (\S+) (\d+)(.*)$", _serial(g), re.M)]


def _timed(cmd, path):
    """A gdb command (python one-liner) that runs cmd, writes its output to
    path and prints the seconds it took."""
    return ("python import time; _t = time.time(); _o = gdb.execute(%r, to_string=True); "
            "open(%r, 'w').write(_o); gdb.write('%%.3f' %% (time.time() - _t))" % (cmd, path))


def _stub_steps(ctx, who, pids):
    d = ctx.g.dir
    steps = [["cmd", "sched.%s.runq1" % who, _timed("lk-runq", "%s/sched-runq-%s.txt" % (d, who))],
             ["cmd", "sched.%s.runq2" % who, _timed("lk-runq", "%s/sched-runq2-%s.txt" % (d, who))],
             ["cmd", "sched.%s.json" % who, _timed("lk-sched-json", "%s/sched-json-%s.txt" % (d, who))]]
    for p in pids:
        steps.append(["cmd", "sched.%s.task%d" % (who, p),
                      _timed("lk-task %d" % p, "%s/sched-task%d-%s.txt" % (d, p, who))])
    return steps


# Every task of the task list found by its pid in the pid IDR (the lookup
# lk-task makes), at the same address.
IDR_CMD = ("python import lkstub_sched as _s; _w = {p: a for a, p, *_ in _s.all_tasks() if p}; "
           "gdb.write('IDR %d of %d' % (sum(_s.task_by_pid(p) == a for p, a in _w.items()), "
           "len(_w)))")


def booted(ctx):
    n = pause_after_copy(ctx.g)
    ctx.sched_copy = n
    ctx.ck.check("%s: the guest printed its scheduler view; paused right after copy %s"
                 % (ctx.cfg, n), n is not None, _serial(ctx.g)[-2000:])


def gdb_steps(ctx):
    n = getattr(ctx, "sched_copy", None)
    rep = report(_serial(ctx.g), n) if n else None
    ctx.sched_report = rep
    pids = [p for p, role, _, _ in _sched_tasks(ctx.g) if role == "sleeper"]
    if rep:
        pids += [p for p in (rep["rt"], rep["dl"]) if p]
    ctx.sched_pids = pids
    return ([["cmd", "sched.source", "source " + SCHED_PY], ["remote", ctx.stub.addr]]
            + _stub_steps(ctx, "lkstub", pids) + [["cmd", "sched.idr", IDR_CMD]]
            + [["disconnect"], ["remote", ctx.qemu], ["pick"]]
            + _stub_steps(ctx, "qemu", pids) + [["disconnect"]])


def _read(path):
    try:
        return open(path, errors="replace").read()
    except OSError:
        return None


def _again(ctx, attempt):
    """Resume, pause after the next copy, lk-runq and lk-sched-json through
    lkstub alone: (report, lk-runq text, JSON text)."""
    g = ctx.g
    g.cont()
    n = pause_after_copy(g)
    if n is None:
        return None, None, None
    rep = report(_serial(g), n)
    base = os.path.join(g.dir, "sched-again%d" % attempt)
    steps = [["cmd", "r", _timed("lk-runq", base + "-runq.txt")],
             ["cmd", "j", _timed("lk-sched-json", base + "-json.txt")]]
    script, res = h.gdb_plan(base + ".plan", ctx.k["VMLINUX"], ctx.off,
                             [["cmd", "src", "source " + SCHED_PY], ["remote", ctx.stub.addr]]
                             + steps + [["disconnect"]], ctx.arch)
    h.run_gdb(script, base + ".log", timeout=600, gdb=h.GDB[ctx.arch])
    return rep, _read(base + "-runq.txt"), _read(base + "-json.txt")


def _fmt(s):
    return " ".join("%d/%s/%d" % t for t in sorted(s))


def after_gdb(ctx):
    ck, cfg, g, r = ctx.ck, ctx.cfg, ctx.g, ctx.r
    rep = getattr(ctx, "sched_report", None)
    d = g.dir
    out = {}
    for who in ("lkstub", "qemu"):
        for kind in ("runq", "runq2", "json"):
            out[who, kind] = _read("%s/sched-%s-%s.txt" % (d, kind, who))
        for p in ctx.sched_pids:
            out[who, "task%d" % p] = _read("%s/sched-task%d-%s.txt" % (d, p, who))
    figures = ", ".join("%s %s %ss" % (who, k, r.get("sched.%s.%s" % (who, k), "?"))
                        for who in ("lkstub", "qemu") for k in ("runq1", "runq2"))
    h.log("bench: lk-runq (%s, ~100 tasks; first run looks the types up): %s" % (cfg, figures))

    # the same through both stubs, and no error lines
    for kind in sorted({k for _, k in out}):
        a, b = out["lkstub", kind], out["qemu", kind]
        bad = [l for l in (a or "").splitlines() if ERROR_LINE.search(l)]
        if kind == "json" and a:
            bad += re.findall(r'"error": "[^"]*"|"errors": \[[^\]]', a)
        name = "lk-sched-json" if kind == "json" else "lk-" + re.sub(r"(\d+)", r" \1", kind)
        ck.check("%s: %s through lkstub == through QEMU's stub, no error" % (cfg, name),
                 a is not None and a == b and not bad and a.strip() != "",
                 "\n".join(bad) + "\n" + (h.diff((a or "").splitlines(), (b or "").splitlines())
                                          if a != b else "") + "\n" + (a or "")[-1500:])

    idr = re.match(r"IDR (\d+) of (\d+)$", r.get("sched.idr", ""))
    ck.check("%s: the pid IDR gives every task of the task list (%s)"
             % (cfg, idr and idr.group(0)),
             idr is not None and idr.group(1) == idr.group(2) and int(idr.group(2)) > 20,
             r.get("sched.idr", "no result"))

    # JSON: valid, same tasks as lk-runq
    lk_runq = out["lkstub", "runq"] or ""
    try:
        doc = json.loads(out["lkstub", "json"] or "")
        js, err = json_set(doc), ""
    except ValueError as e:
        js, err = None, "not JSON: %s" % e
    ts = runq_text_set(lk_runq)
    ck.check("%s: lk-sched-json is JSON, its %d tasks == lk-runq's" % (cfg, len(ts)),
             js is not None and js == ts and ts,
             err or "json only: %s\nlk-runq only: %s" % (_fmt(js - ts), _fmt(ts - js)))

    # lk-runq == the guest's own view (retried: tasks may change state
    # between the copy and the pause)
    if rep is None:
        ck.check("%s: the guest's scheduler view parsed" % cfg, False, _serial(g)[-3000:])
        return
    attempt, text, cur = 1, lk_runq, rep
    while True:
        gs, left = guest_runnable(cur)
        ls = runq_text_set(text or "")
        left.update({p: c for p, c in runq_comms(text or "").items() if TRANSIENT.match(c)})
        noise = {t for t in gs ^ ls if t[2] in left}
        gs, ls = gs - noise, ls - noise
        if gs == ls or attempt >= ATTEMPTS:
            break
        h.log("%s: attempt %d: guest-only %s, lk-runq-only %s; again"
              % (cfg, attempt, _fmt(gs - ls), _fmt(ls - gs)))
        attempt += 1
        cur2, text, _ = _again(ctx, attempt)
        if cur2 is None:
            break
        cur = cur2
    ck.check("%s: lk-runq lists the guest's runnable tasks per CPU and class "
             "(%d tasks, %s; attempt %d; transient, not compared: %s)"
             % (cfg, len(gs), cur.get("file"), attempt,
                " ".join("%d/%s/%d(%s)" % (t + (left[t[2]],)) for t in sorted(noise)) or "none"),
             gs == ls and gs,
             "guest only: %s\nlk-runq only: %s\n%s" % (_fmt(gs - ls), _fmt(ls - gs), text))

    # the workload where it was put (first pause)
    ts = runq_text_set(lk_runq)
    tasks = _sched_tasks(g)
    want, unwanted = set(), set()
    for pid, role, cpu, _ in tasks:
        if role in ("fair-spin",):
            want.add((cpu, "fair", pid))
        elif role == "sleeper":
            unwanted |= {t for t in ts if t[2] == pid}
    if rep["rt"]:
        want.add((3, "rt", rep["rt"]))
    # The deadline task may move: the kernel pushes and pulls deadline
    # tasks across the root domain whatever their affinity says.
    if rep["dl"]:
        dl_cpu = [t[0] for t in ts if t[1] == "dl" and t[2] == rep["dl"]]
        want.add((dl_cpu[0] if dl_cpu else 3, "dl", rep["dl"]))
    groups = [rest for _, role, _, rest in tasks if role == "group-spin"]
    grp_ok = all(re.search(r"^\s+[> ] group %s " % re.escape(gp), lk_runq, re.M) for gp in groups)
    ck.check("%s: lk-runq: fair spinners on CPU 2 (group %s), RT task on CPU 3, deadline task, "
             "no sleeper" % (cfg, ",".join(groups) or "none"),
             want <= ts and not unwanted and grp_ok,
             "missing: %s\nsleepers listed: %s\ngroup line: %s\n%s"
             % (_fmt(want - ts), _fmt(unwanted), grp_ok, lk_runq))

    # wchan of the sleepers
    for pid, role, cpu, _ in tasks:
        if role != "sleeper":
            continue
        t = out["lkstub", "task%d" % pid] or ""
        m = re.search(r"^\s+wchan: (\S+)", t, re.M)
        gw = rep["wchan"].get(pid)
        ck.check("%s: lk-task %d (sleeper on CPU %d): wchan %s == the guest's %s"
                 % (cfg, pid, cpu, m and m.group(1), gw),
                 m is not None and gw and m.group(1) == gw, t)
    for who, pid in (("RT", rep["rt"]), ("deadline", rep["dl"])):
        t = out["lkstub", "task%s" % pid] or ""
        cls = {"RT": "rt", "deadline": "dl"}[who]
        where = "3" if cls == "rt" else r"\d+"
        ck.check("%s: lk-task %s (%s task): class=%s cpu=%s" % (cfg, pid, who, cls, where),
                 re.search(r"class=%s cpu=%s on_rq=1" % (cls, where), t) is not None, t)

    _vmcore(ctx)


def _vmcore(ctx):
    """The commands on a vmcore: a QMP ELF dump of the paused guest
    served by its own lkstub, against lkstub on the guest's RAM."""
    ck, cfg, g = ctx.ck, ctx.cfg, ctx.g
    if g.status() == "running":
        g.stop()
    elf = os.path.join(g.dir, "sched.vmcore")
    g.qmp.cmd("dump-guest-memory", paging=False, protocol="file:" + elf)
    dump = h.Stub(types.SimpleNamespace(dir=g.dir, k=ctx.k, ram=elf), name="lkstub-sched-vmcore")
    try:
        base = os.path.join(g.dir, "sched-vmcore")
        # The sleepers and init live as long as the guest; the RT and
        # deadline tasks of the first copy may be gone by now (the guest
        # ran since: QEMU's stub resumes it when gdb detaches).
        sleepers = [p for p, role, _, _ in _sched_tasks(g) if role == "sleeper"]
        cmds = ["lk-runq", "lk-sched-json"] + ["lk-task %d" % p for p in [1] + sleepers]
        steps = [["cmd", "src", "source " + SCHED_PY]]
        for who, target in (("ram", ctx.stub.addr), ("vmcore", dump.addr)):
            steps.append(["remote", target])
            steps += [["cmd", "%s.%d" % (who, i), _timed(c, "%s-%s-%d.txt" % (base, who, i))]
                      for i, c in enumerate(cmds)]
            steps.append(["disconnect"])
        script, results = h.gdb_plan(base + ".plan", ctx.k["VMLINUX"], ctx.off, steps, ctx.arch)
        rc, _ = h.run_gdb(script, base + ".log", timeout=600, gdb=h.GDB[ctx.arch])
        errors = [l for l in (_read(results) or "").splitlines() if ": ERROR" in l]
        for i, c in enumerate(cmds):
            a = _read("%s-ram-%d.txt" % (base, i))
            b = _read("%s-vmcore-%d.txt" % (base, i))
            bad = [l for l in (a or "").splitlines() if ERROR_LINE.search(l)]
            ck.check("%s: %s on a vmcore (QMP ELF dump) == on the paused guest's RAM, "
                     "no error" % (cfg, c),
                     rc == 0 and not errors and a is not None and a == b and a.strip()
                     and not bad,
                     "\n".join(errors + bad) + "\n"
                     + h.diff((a or "").splitlines(), (b or "").splitlines()))
    finally:
        dump.stop()
        os.unlink(elf)
        g.cont()
