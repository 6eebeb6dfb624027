"""sched_ext under gdb (tools/gdb/lkstub_sched.py: lk-scx, lk-task,
lk-bpf-maps, lk-bpf-map), end to end, on the focused guest scx-x86: a 6.12
kernel built with CONFIG_SCHED_CLASS_EXT (tests/e2e/scx_kernel.sh), 4
vCPUs, the workload tests/e2e/workloads/scx.sh: scx_qmap, a busy loop
pinned to each CPU and two more on CPU 2, sleepers on CPUs 1 and 3, and the
guest's own view printed every 2 s between `SCX-BEGIN n` and `SCX-END n`:
/sys/kernel/sched_ext/*, scx_qmap's last counters line, each task's state,
CPU and /proc/PID/sched `ext.enabled`, and, just before SCX-END, bpftool -j map peek of scx_qmap's queue0..4 (their heads:
bpftool shows no more of a queue map without popping; map dump lists none).

booted() pauses the guest right after a copy is complete. Then, in the
shared gdb session, through lkstub and through QEMU's stub: lk-scx (twice:
the first run looks the types up), lk-scx --json, lk-bpf-maps, lk-bpf-map
of scx_qmap's .bss, lk-task of a spinner and a sleeper. Checks:

- each output the same through both stubs, without an error line;
- lk-scx: state enabled, ops name qmap (the guest's root/ops), the user
  DSQs scx_qmap creates (ids 0 and 1), the global one and a local one per CPU;
- every spinner (it never sleeps: the race between the copy and the pause
  cannot change that) is runnable in lk-scx's view: a CPU's current task,
  on a DSQ or held by the BPF scheduler, with the CPU it is pinned to; no
  sleeper is; every task lk-scx shows on a DSQ or held is one the guest's
  copy shows runnable (state R) and on sched_ext (ext.enabled 1), but
  the report's own short-lived processes;
- lk-task of the spinner shows its scx fields, of the sleeper scx
  state enabled on no DSQ;
- lk-bpf-maps == the guest's bpftool map show, printed once scx_qmap is
  in (ids, names, key/value sizes, max_entries); each FIFO's head by bpftool map peek is lk-bpf-map
  queueN's first pid, or (the race between the peek and the pause) the
  queue was empty then, or the head was since dispatched (a CPU's current
  task or on a DSQ in lk-scx), queued again, or is no longer runnable and
  not a task scx.sh started;
- lk-bpf-maps gives each map's programs as bpftool prog show's map_ids
  do;
- lk-bpf-maps lists scx_qmap's maps (.bss, queue0..4); lk-bpf-map of the
  .bss gives nr_enqueued and nr_dispatched typed by BTF, between the last
  counters the guest printed before the pause and the ones after it;
- with the guest running: lk-scx completes, its count of tasks on
  sched_ext equals the guest's (ext.enabled 1) within the report's own
  processes; lk-bpf-map's counters lie between the guest's lines printed
  before and after the command (serial log offsets taken around it).
"""

import json
import os
import re
import time

import harness as h

SCHED_PY = os.path.join(h.ROOT, "tools", "gdb", "lkstub_sched.py")
REPORT_TIMEOUT = 90
BSS = "scx_qmap.bss"
# More of scx_qmap's maps lk-bpf-map reads: its five FIFOs (queue maps of
# pids), a per-CPU array, its .data.
QUEUES = ["queue%d" % i for i in range(5)]
MAPS = QUEUES + ["cpu_ctx_stor", "scx_qmap.data"]
# The report's own processes (scx.sh): they come and go around the copy.
TRANSIENT = re.compile(r"^(cat|grep|cut|tr|sh|sleep|init|bpftool|kworker/.*|ksoftirqd/.*|rcu_.*"
                       r"|migration/.*)$")


def applies(ctx):
    return ctx.cfg in h.FOCUSED and h.FOCUSED[ctx.cfg][2] == "scx"


def _serial(g):
    return g.serial_text()


def pause_after_copy(g, timeout=REPORT_TIMEOUT):
    return g.pause_after_copy("SCX", timeout)


def _peek(text):
    """bpftool -j map peek's line: the head's u32 (a pid), None if the
    queue is empty (bpftool's error), the text itself if neither."""
    try:
        d = json.loads(text)
    except ValueError:
        return text.strip()
    if isinstance(d, dict) and "value" in d:
        v = d["value"]
        if isinstance(v, list):
            return int.from_bytes(bytes(int(x, 16) for x in v), "little")
        if isinstance(v, int):
            return v
    if d is None:                       # bpftool -j: null when the queue is empty
        return None
    return text.strip()


def report(text, n):
    """The guest's copy n: {"sysfs": {name: value},
    "tasks": {pid: (state, cpu, ext, comm)}, "reader": pid, "qmap": counters,
    "ext": count, "bpf_peek": {queueN: head pid or None}, "bpf_dump": {queueN: bpftool's text},
    "bpf_runs": bpftool's runs (after the ext-tasks count)}."""
    m = re.search(r"^SCX-BEGIN %d reader=(\d+)$(.*?)^SCX-END %d$" % (n, n), text, re.M | re.S)
    if not m:
        return None
    out = {"reader": int(m.group(1)), "sysfs": {}, "tasks": {}, "qmap": None, "ext": None,
           "bpf_peek": {}, "bpf_dump": {}, "bpf_runs": 0}
    for line in m.group(2).splitlines():
        f = line.split(" ", 2)
        out["bpf_runs"] += f[0].startswith("bpf-")
        if f[0] == "sysfs" and len(f) == 3:
            out["sysfs"][f[1]] = f[2].strip()
        elif f[0] == "qmap":
            q = re.search(r"enq=(\d+) dsp=(\d+)", line)
            if q:
                out["qmap"] = {"nr_enqueued": int(q.group(1)), "nr_dispatched": int(q.group(2))}
        elif f[0] == "ext-tasks" and f[1].strip().isdigit():
            out["ext"] = int(f[1])
        elif f[0] == "bpf-peek" and len(f) == 3:
            out["bpf_peek"][f[1]] = _peek(f[2])
        elif f[0] == "bpf-dump" and len(f) == 3:
            out["bpf_dump"][f[1]] = f[2].strip()
        elif f[0] == "task":
            t = re.match(r"task (\d+) (\S) cpu=(\d+) ext=(\S+) (.*)$", line)
            if t:
                out["tasks"][int(t.group(1))] = (t.group(2), int(t.group(3)), t.group(4),
                                                 t.group(5).strip())
    return out


def _tasks(g):
    """[(pid, role, cpu)] of scx.sh's SCX lines."""
    return [(int(p), r, int(c)) for p, r, c in
            re.findall(r"^SCX (\d+) (\S+) (-?\d+)$", _serial(g), re.M)]


def _timed(cmd, path, serial=None):
    """A gdb command (python one-liner) that runs cmd, writes its output
    to path and prints the seconds it took (and, with serial, the serial
    log's size before and after it)."""
    size = ("os.path.getsize(%r)" % serial) if serial else "0"
    return ("python import time, os; gdb.execute('maint flush dcache', to_string=True); "
            "_s0 = %s; _t = time.time(); _o = gdb.execute(%r, to_string=True); "
            "_t = time.time() - _t; _s1 = %s; open(%r, 'w').write(_o); "
            "gdb.write('%%.3f %%d %%d' %% (_t, _s0, _s1))" % (size, cmd, size, path))


def _steps(ctx, who, pids):
    d = ctx.g.dir
    s = [["cmd", "scx.%s.scx1" % who, _timed("lk-scx", "%s/scx-%s.txt" % (d, who))],
         ["cmd", "scx.%s.scx2" % who, _timed("lk-scx", "%s/scx2-%s.txt" % (d, who))],
         ["cmd", "scx.%s.json" % who, _timed("lk-scx --json", "%s/scx-json-%s.txt" % (d, who))],
         ["cmd", "scx.%s.maps" % who, _timed("lk-bpf-maps", "%s/scx-maps-%s.txt" % (d, who))],
         ["cmd", "scx.%s.bss" % who, _timed("lk-bpf-map " + BSS,
                                            "%s/scx-bss-%s.txt" % (d, who))]]
    for m in MAPS:
        s.append(["cmd", "scx.%s.map-%s" % (who, m),
                  _timed("lk-bpf-map " + m, "%s/scx-map-%s-%s.txt" % (d, m, who))])
    for p in pids:
        s.append(["cmd", "scx.%s.task%d" % (who, p),
                  _timed("lk-task %d" % p, "%s/scx-task%d-%s.txt" % (d, p, who))])
    return s


def booted(ctx):
    g = ctx.g
    deadline = time.time() + 60
    while time.time() < deadline and "SCX-STATE" not in _serial(g):
        time.sleep(0.2)
    st = re.search(r"^SCX-STATE (.*)$", _serial(g), re.M)
    ctx.ck.check("%s: scx_qmap loaded in the guest (%s)" % (ctx.cfg, st and st.group(1)),
                 st is not None and st.group(1).startswith("enabled"), _serial(g)[-3000:])
    n, ctx.scx_pause_at = pause_after_copy(g)
    ctx.scx_copy = n
    ctx.ck.check("%s: the guest printed its sched_ext view; paused right after copy %s"
                 % (ctx.cfg, n), n is not None, _serial(g)[-2000:])


def gdb_steps(ctx):
    tasks = _tasks(ctx.g)
    spin = [p for p, r, c in tasks if r == "spin" and c == 2][:1]
    sleeper = [p for p, r, _ in tasks if r == "sleeper"][:1]
    ctx.scx_pids = spin + sleeper
    n = getattr(ctx, "scx_copy", None)
    ctx.scx_report = report(_serial(ctx.g), n) if n else None
    return ([["cmd", "scx.source", "source " + SCHED_PY], ["remote", ctx.stub.addr]]
            + _steps(ctx, "lkstub", ctx.scx_pids) + [["disconnect"], ["remote", ctx.qemu],
                                                     ["pick"]]
            + _steps(ctx, "qemu", ctx.scx_pids) + [["disconnect"]])


def live_steps(ctx):
    d, ser = ctx.g.dir, ctx.g.serial
    return [["remote", ctx.stub.addr],
            ["cmd", "scx.live.scx", _timed("lk-scx --json", d + "/scx-live.txt", ser)],
            ["cmd", "scx.live.bss", _timed("lk-bpf-map " + BSS, d + "/scx-live-bss.txt", ser)],
            ["disconnect"]]


def _read(path):
    try:
        return open(path, errors="replace").read()
    except OSError:
        return None


def scx_view(doc):
    """From lk-scx --json: {pid: (where, cpu)} of the runnable tasks
    (where: curr, a DSQ's name, bpf), and the DSQs by name."""
    run, dsqs = {}, {}
    for c in doc.get("cpus", []):
        if "curr" in c and c["curr"]["class"] == "ext":
            run[c["curr"]["pid"]] = ("curr", c["cpu"])
    for q in doc.get("dsqs", []):
        name = ("local%d" % q["cpu"] if q.get("kind") == "local" else
                "global" if q.get("kind") == "global" else "user%d" % q.get("id", -1))
        dsqs[name] = q
        for t in q.get("tasks", []):
            if "pid" in t:
                run[t["pid"]] = (name, t["cpu"])
    for t in doc.get("bpf_owned", []):
        run[t["pid"]] = ("bpf", t["cpu"])
    return run, dsqs


def _bss_counters(text):
    return {k: int(v) for k, v in re.findall(r"^\s+(nr_enqueued|nr_dispatched)=(\d+)$",
                                             text or "", re.M)}


def _copies(serial):
    """[(offset of SCX-BEGIN n, offset past SCX-END n, report n)]."""
    out = []
    for m in re.finditer(r"^SCX-BEGIN (\d+) .*?^SCX-END \1$", serial, re.M | re.S):
        out.append((m.start(), m.end(), report(serial, int(m.group(1)))))
    return out


def _stats_around(serial, s0, s1, later=2):
    """scx_qmap's counters (the qmap line of the guest's copies) from
    before serial offset s0 and from after s1: the last copy complete in
    the log before s0 was made before it (the log only lags); of the
    copies that begin after s1, the `later`-th (the first may have been
    made before s1 and printed late; the counters only grow). None where
    there is none."""
    cs = [(b, e, r) for b, e, r in _copies(serial) if r and r["qmap"]]
    before = [r["qmap"] for b, e, r in cs if e <= s0]
    after = [r["qmap"] for b, e, r in cs if b >= s1]
    return (before[-1] if before else None), (after[later - 1] if len(after) >= later else None)


def _wait_stats(g, off, timeout=40):
    """Waits until the guest printed the copies _stats_around needs after
    serial offset off."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if _stats_around(_serial(g), off, off)[1]:
            return
        time.sleep(0.2)


def _queue_pids(text):
    """lk-bpf-map of a queue map: its pids (u32 values), oldest first."""
    return [int.from_bytes(bytes.fromhex(v), "little")
            for v in re.findall(r"^  value ([0-9a-f]{8})$", text or "", re.M)]


def _prog_checks(ctx, gm, maps):
    """lk-bpf-maps' programs of each map (progs=) against bpftool prog
    show's map_ids, for the maps bpftool listed (gm: {id: ...})."""
    ck, cfg = ctx.ck, ctx.cfg
    m = re.search(r"^SCX-BPF-PROGS (.*)$", _serial(ctx.g), re.M)
    try:
        bp = json.loads(m.group(1)) if m else None
    except ValueError:
        bp = m.group(1)
    if not isinstance(bp, list) or gm is None:
        ck.check("%s: the guest printed bpftool prog show" % cfg, False, str(bp)[:2000])
        return
    # The kernel keeps 15 characters of a name; bpftool takes longer ones
    # from the program's BTF.
    gp = {i: [] for i in gm}
    for p in bp:
        for i in (p.get("map_ids") or []) if isinstance(p, dict) else []:
            if i in gp:
                gp[i].append((p.get("name") or "-")[:15])
    gp = {i: sorted(v) for i, v in gp.items()}
    lk = {int(i): sorted(u.split(",")) if u else [] for i, u in re.findall(
        r"^\s*(\d+) \S+\s+\S+\s+key=.*flags=0x[0-9a-f]+ *(?:progs=(\S+))?$", maps, re.M)}
    lk = {i: v for i, v in lk.items() if i in gp}
    fmt = lambda d: "\n".join("%4d %s" % (i, ",".join(d[i]) or "-") for i in sorted(d))
    used = sum(1 for v in gp.values() if v)
    ck.check("%s: lk-bpf-maps (paused): the programs using each map == bpftool prog show's "
             "map_ids (%d programs, %d of %d maps used)" % (cfg, len(bp), used, len(gp)),
             gp == lk and used > 0, h.diff(fmt(gp).splitlines(), fmt(lk).splitlines(),
                                           "bpftool", "lk-bpf-maps"))


def _bpftool_checks(ctx, rep, run, maps, queues, tasks):
    """lk-bpf-maps and lk-bpf-map queue0..4 (through lkstub, paused)
    against bpftool in the guest's copy the guest was paused after."""
    ck, cfg = ctx.ck, ctx.cfg
    first = report(_serial(ctx.g), 1)
    h.log("%s: bpftool -j map dump name queue2 in the guest's copy 1: %s (its map peek: %s)"
          % (cfg, first and first["bpf_dump"].get("queue2"),
             first and first["bpf_peek"].get("queue2")))
    lk = {int(i): (n, int(k), int(v), int(e)) for i, n, k, v, e in re.findall(
        r"^\s*(\d+) (\S+)\s+\S+\s+key=(\d+)\s+value=(\d+)\s+max_entries=(\d+)", maps, re.M)}
    m = re.search(r"^SCX-BPF-MAPS (.*)$", _serial(ctx.g), re.M)
    try:
        bm = json.loads(m.group(1)) if m else None
    except ValueError:
        bm = m.group(1)
    gm = None
    if isinstance(bm, list):
        gm = {m["id"]: (m.get("name") or "-", m.get("bytes_key"), m.get("bytes_value"),
                        m.get("max_entries")) for m in bm if isinstance(m, dict) and "id" in m}
    fmt = lambda d: "\n".join("%4d %-16s key=%s value=%s max_entries=%s" % ((i,) + d[i])
                               for i in sorted(d))
    h.log("%s: bpftool -j map show (guest, once scx_qmap is in):\n%s\nlk-bpf-maps (paused):\n%s"
          % (cfg, fmt(gm) if gm is not None else bm, fmt(lk)))
    ck.check("%s: lk-bpf-maps (paused) == the guest's bpftool map show once scx_qmap is in: "
             "ids, names, key/value sizes, max_entries (%s maps; no race: scx_qmap makes "
             "its maps when it loads)" % (cfg, len(gm) if gm is not None else "no"),
             gm is not None and gm == lk,
             h.diff(fmt(gm or {}).splitlines(), fmt(lk).splitlines()) if gm is not None else str(bm))
    _prog_checks(ctx, gm, maps)
    peek = rep["bpf_peek"] if rep else {}
    started = {p: ro for p, ro, _ in tasks}
    lines, bad, same, full = [], [], 0, 0
    for q in QUEUES:
        pids = _queue_pids(queues[q])
        gh = peek.get(q, "not in the copy")
        head = pids[0] if pids else None
        if isinstance(gh, str):
            how, ok = "bpftool: " + gh, False
        elif gh == head:
            how, ok = "the same" + (" (empty)" if gh is None else ""), True
            same += 1
            full += gh is not None
        elif gh is None:
            how, ok = "empty in the copy: enqueued since", True
        elif gh in pids:
            how, ok = "queued again since", True
        elif gh in run and run[gh][0] != "bpf":
            how, ok = "dispatched since: lk-scx %s/%d" % run[gh], True
        elif gh not in started and gh not in run:
            how, ok = "not runnable now: ran and slept, or exited (not a task scx.sh started)", True
        else:
            how, ok = "lk-scx: %s" % (run.get(gh),), False
        lines.append("%s: guest's head %s, lk-bpf-map %s: %s" % (q, gh, pids, how))
        if not ok:
            bad.append(lines[-1])
    h.log("%s: scx_qmap's FIFOs, bpftool map peek (guest, copy %s) vs lk-bpf-map (paused):\n  %s"
          % (cfg, ctx.scx_copy, "\n  ".join(lines)))
    ck.check("%s: scx_qmap's FIFO heads, bpftool map peek in the guest's copy before the pause "
             "vs lk-bpf-map queue0..4 (paused): %d of 5 the same (%d of them not empty); "
             "allowed otherwise (the race): the copy's head since dispatched (lk-scx: a CPU's "
             "or on a DSQ), queued again, or no longer runnable (slept or exited: not a task "
             "scx.sh started, those never sleep), or the queue empty in the copy"
             % (cfg, same, full),
             rep is not None and not bad, "\n".join(lines))


def after_gdb(ctx):
    ck, cfg, g, r = ctx.ck, ctx.cfg, ctx.g, ctx.r
    d = g.dir
    rep = getattr(ctx, "scx_report", None)
    kinds = (["", "2", "-json", "-maps", "-bss"] + ["-map-" + m for m in MAPS]
             + ["-task%d" % p for p in ctx.scx_pids])
    out = {(w, k): _read("%s/scx%s-%s.txt" % (d, k, w)) for w in ("lkstub", "qemu") for k in kinds}
    h.log("bench: lk-scx (%s): %s" % (cfg, ", ".join(
        "%s %s %ss" % (w, k, (r.get("scx.%s.%s" % (w, k)) or "?").split()[0])
        for w in ("lkstub", "qemu") for k in ("scx1", "scx2", "maps", "bss"))))
    for k in kinds:
        a, b = out["lkstub", k], out["qemu", k]
        bad = [l for l in (a or "").splitlines() if re.search(r"\berror: |Traceback", l)]
        ck.check("%s: lk-scx%s through lkstub == through QEMU's stub, no error" % (cfg, k),
                 a is not None and a == b and not bad and a.strip() != "",
                 "\n".join(bad) + "\n" + (h.diff((a or "").splitlines(), (b or "").splitlines())
                                          if a != b else "") + "\n" + (a or "")[-2000:])
    text = out["lkstub", ""] or ""
    try:
        doc = json.loads(out["lkstub", "-json"] or "")
    except ValueError as e:
        ck.check("%s: lk-scx --json is JSON" % cfg, False, str(e))
        return
    ops = rep["sysfs"].get("root/ops") if rep else None
    ck.check("%s: lk-scx: state %s, ops %s (the guest's: %s, %s)"
             % (cfg, doc.get("state"), doc.get("ops", {}).get("name"),
                rep and rep["sysfs"].get("state"), ops),
             doc.get("state") == "enabled" and doc["ops"]["name"] == "qmap" and ops == "qmap"
             and rep["sysfs"].get("state") == "enabled", text)
    run, dsqs = scx_view(doc)
    want = {"global", "user0", "user1"} | {"local%d" % c for c in range(4)}
    ck.check("%s: lk-scx lists the global DSQ, scx_qmap's DSQs 0 and 1, a local DSQ per CPU "
             "(%s)" % (cfg, " ".join("%s:%s" % (n, q.get("nr")) for n, q in sorted(dsqs.items()))),
             want <= set(dsqs) and all("error" not in q for q in dsqs.values()), text)
    tasks = _tasks(g)
    bad = []
    for pid, role, cpu in tasks:
        if role == "spin" and (pid not in run or run[pid][1] != cpu):
            bad.append("spinner %d (CPU %d): %s" % (pid, cpu, run.get(pid)))
        if role == "sleeper" and pid in run:
            bad.append("sleeper %d: %s" % (pid, run[pid]))
    ck.check("%s: lk-scx: each spinner runnable on its CPU (%s), no sleeper"
             % (cfg, " ".join("%d:%s/%d" % (p, run[p][0], run[p][1])
                              for p, ro, _ in tasks if ro == "spin" and p in run)),
             not bad and any(ro == "spin" for _, ro, _ in tasks), "\n".join(bad) + "\n" + text)
    if rep:
        noise, odd = [], []
        comms = {t["pid"]: t["comm"] for q in doc.get("dsqs", []) for t in q.get("tasks", [])
                 if "pid" in t}
        comms.update({t["pid"]: t["comm"] for t in doc.get("bpf_owned", [])})
        comms.update({c["curr"]["pid"]: c["curr"]["comm"] for c in doc.get("cpus", [])
                      if "curr" in c})
        for pid, (where, cpu) in sorted(run.items()):
            gt = rep["tasks"].get(pid)
            if gt and gt[0] == "R" and gt[2] == "1":
                continue
            comm = gt[3] if gt else comms.get(pid, "?")
            if pid == rep["reader"] or TRANSIENT.match(comm):
                noise.append("%d(%s)" % (pid, comm))
            else:
                odd.append("%d %s: guest %s, lk-scx %s/%d" % (pid, comm, gt, where, cpu))
        ck.check("%s: lk-scx's runnable tasks are runnable sched_ext tasks in the guest's copy "
                 "(%d tasks; the report's own, not compared: %s)"
                 % (cfg, len(run), " ".join(noise) or "none"), not odd, "\n".join(odd))
        tot = doc.get("totals", {}).get("enabled")
        # bpftool runs after the count: the exited ones stay on sched_ext's
        # list of tasks (state enabled) until their task_struct is freed
        nb = rep["bpf_runs"]
        ck.check("%s: lk-scx: %s tasks on sched_ext, the guest's copy %s (ext.enabled 1; "
                 "the report's own processes may differ: 3 allowed, %d more for the "
                 "bpftool runs after the count, exited but perhaps not yet freed)"
                 % (cfg, tot, rep["ext"], nb),
                 tot is not None and rep["ext"] is not None
                 and -3 <= tot - rep["ext"] <= 3 + nb, text)
    for p in ctx.scx_pids:
        t = out["lkstub", "-task%d" % p] or ""
        role = [ro for pid, ro, _ in tasks if pid == p][0]
        ok = re.search(r"^  scx: state=enabled flags=0x[0-9a-f]+ dsq=", t, re.M) is not None
        if role == "sleeper":
            ok = ok and re.search(r"dsq=none ", t) is not None
        ck.check("%s: lk-task %d (%s) shows its scx fields" % (cfg, p, role), ok, t)
    queued = set()
    for q in QUEUES:
        queued |= {int.from_bytes(bytes.fromhex(v), "little") for v in
                   re.findall(r"^  value ([0-9a-f]{8})$", out["lkstub", "-map-" + q] or "", re.M)}
    held = {t["pid"] for t in doc.get("bpf_owned", [])}
    ck.check("%s: every task lk-scx shows held by the BPF scheduler (%d) is in one of "
             "scx_qmap's FIFOs (lk-bpf-map queue0..4: %d pids)" % (cfg, len(held), len(queued)),
             held <= queued, "held, in no FIFO: %s" % sorted(held - queued))
    maps = out["lkstub", "-maps"] or ""
    names = set(re.findall(r"^\s*\d+ (\S+)", maps, re.M))
    ck.check("%s: lk-bpf-maps lists scx_qmap's maps (%d maps)" % (cfg, len(names)),
             {BSS, "queue0", "queue4"} <= names, maps)
    _bpftool_checks(ctx, rep, run, maps, {q: out["lkstub", "-map-" + q] for q in QUEUES}, tasks)
    bss = _bss_counters(out["lkstub", "-bss"])
    # scx_qmap prints its counters every second: the last line before the
    # pause and the first after it (the guest runs again for the live steps)
    live_res = (r.get("scx.live.bss") or "").split()
    _wait_stats(g, int(live_res[2]) if len(live_res) == 3 else ctx.scx_pause_at or 0)
    serial = _serial(g)
    before, after = _stats_around(serial, ctx.scx_pause_at or 0, ctx.scx_pause_at or 0)
    if rep and rep["qmap"]:
        before = rep["qmap"]                 # the copy the guest was paused after
    ok = bool(bss) and before and after and all(before[k] <= v <= after[k]
                                                for k, v in bss.items())
    ck.check("%s: lk-bpf-map %s (paused): nr_enqueued/nr_dispatched %s between scx_qmap's "
             "counters in the guest's copy before the pause %s and in its 2nd copy after it %s"
             % (cfg, BSS, bss, before, after),
             ok, out["lkstub", "-bss"] or "")

    # live
    res = (r.get("scx.live.scx") or "").split()
    live = _read(d + "/scx-live.txt")
    try:
        ldoc = json.loads(live or "")
    except ValueError:
        ldoc = None
    ck.check("%s: lk-scx with the guest running completes (%ss)"
             % (cfg, res[0] if res else "?"), ldoc is not None and not ldoc.get("errors"),
             (live or "")[-2000:] + " ".join(res))
    if ldoc and len(res) == 3:
        reps = [report(serial, int(n)) for n in re.findall(r"^SCX-END (\d+)", serial, re.M)]
        counts = [x["ext"] for x in reps if x and x["ext"] is not None]
        tot = ldoc["totals"]["enabled"]
        ck.check("%s: lk-scx (running): %d tasks on sched_ext, the guest's copies %s..%s"
                 % (cfg, tot, min(counts or [0]), max(counts or [0])),
                 counts and min(counts) - 3 <= tot <= max(counts) + 3, str(counts))
    res = (r.get("scx.live.bss") or "").split()
    lb = _bss_counters(_read(d + "/scx-live-bss.txt"))
    if len(res) == 3:
        b4, af = _stats_around(serial, int(res[1]), int(res[2]))
        ck.check("%s: lk-bpf-map %s (running): %s between scx_qmap's counters in the guest's "
                 "last copy before the command %s and its 2nd copy after it %s"
                 % (cfg, BSS, lb, b4, af),
                 bool(lb) and b4 and af and all(b4[k] <= v <= af[k] for k, v in lb.items()),
                 _read(d + "/scx-live-bss.txt") or "")
    else:
        ck.check("%s: lk-bpf-map %s (running)" % (cfg, BSS), False, " ".join(res))
