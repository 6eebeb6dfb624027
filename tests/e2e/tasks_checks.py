#!/usr/bin/env python3
"""Tasks as gdb threads, and the kernel's own gdb scripts, end to end.

From e2e.py's run (5level-kaslr): run(cfg, g, k, stub, off, ck) on the
guest the differential suite has just used (it is paused again here):

- `info threads` through lkstub: the CPUs first (`CPU#n <comm of its
  current task>`), then every task the guest's own /proc listed at READY
  (the init script prints `PS <pid> <comm>` lines), with the same comm;
- `bt` of the init script's `sleep` tasks: the scheduler and nanosleep path;
- `thread apply all bt` completes on the whole guest (timed);
- the kernel's scripts/gdb (tests/e2e/kscripts.sh): lx-* commands and
  $lx_* functions give the same output through lkstub and QEMU's stub.

Standalone:  tasks_checks.py tasks10k [N]   boots a guest with N (default
10000) tasks (100 processes of N/100 threads, a static C program built
here) and times `info threads` and `thread apply all bt` on it, with
lkstub's own CPU time for each, and lkstub's memory with 64 raw clients
listing the threads at once (clients_bench.py) (`make bench` runs it).
"""

import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TASK_TID_BASE = 1000000
TAAB_BOUND_S = 120          # `thread apply all bt` on the small guest
SLEEP_PATH = ("__schedule", "schedule", "do_nanosleep", "hrtimer_nanosleep",
              "__x64_sys_(clock_)?nanosleep")

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


def _h():
    """The e2e harness module: __main__ when run from e2e.py."""
    m = sys.modules.get("__main__")
    if m is not None and hasattr(m, "Guest") and hasattr(m, "Checks"):
        return m
    import e2e
    return e2e


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


def ncpus_of(summary):
    m = re.search(r"^\s+cpus\s+(\d+) online", summary, re.M)
    return int(m.group(1)) if m else 2


def session(g, k, stub, off, name, plan, timeout):
    """One tasks_gdb.py session: (results dict, gdb log text, wall seconds)."""
    h = _h()
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
    rc, dt = h.run_gdb(script, log, timeout)
    try:
        with open(base + ".json") as f:
            res = json.load(f)
    except (OSError, ValueError):
        res = {}
    res["rc"] = rc
    for ext in ("info-threads", "taab"):
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

    if "taab_s" in res or res.get("rc") != 0:
        dt = res.get("taab_s", -1)
        bad = taab_problems(res.get("taab", ""), len(threads))
        ck.check("%s: thread apply all bt: %d threads in %.2fs (bound %ds)"
                 % (cfg, len(threads), dt, TAAB_BOUND_S),
                 0 <= dt <= TAAB_BOUND_S and not bad,
                 "\n".join(bad) + "\n" + gdblog[-2000:])


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
                                               _h().diff(a.splitlines(), (b or "").splitlines(),
                                                         limit=20)))


def run(cfg, g, k, stub, off, ck):
    """The checks on the differential suite's guest (called from e2e.py)."""
    h = _h()
    ck.mark()
    g.stop()
    ps = guest_ps(g.serial)
    path, why = kscripts(k)
    ck.check("%s: kernel scripts/gdb fetched, constants.py generated" % cfg, path, why)
    plan = {"qemu": "127.0.0.1:%d" % g.port, "ncpus": ncpus_of(stub.summary),
            "bt_comm": "sleep", "bt_max": 3, "taab": True, "kscripts": path,
            "commands": KSCRIPT_COMMANDS}
    res, gdblog, dt = session(g, k, stub, off, "tasks", plan, 600)
    ck.check("%s: tasks gdb session (gdb %.0fs; steps: %s)"
             % (cfg, dt, ", ".join(res.get("steps", []))),
             res.get("rc") == 0 and res.get("done"), gdblog[-3000:])
    if g.status() != "paused":
        h.log("note: guest %s after the session" % g.status())
    check_threads(cfg, res, ps, ncpus_of(stub.summary), ck, gdblog)
    if path:
        check_kscripts(cfg, res, ck, gdblog)


# ------------------------------------------------------------ 10,000 tasks

SPAWN_C = r"""
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *idle(void *arg) { (void)arg; for (;;) pause(); return NULL; }

/* spawn P T: P processes of T threads each (the main thread included). */
int main(int argc, char **argv)
{
	int procs = atoi(argv[1]), per = atoi(argv[2]), made = 1;
	for (int i = 1; i < procs; i++)
		if (fork() == 0)
			break;
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 16384);
	for (int i = 1; i < per; i++) {
		pthread_t t;
		if (pthread_create(&t, &a, idle, NULL) == 0)
			made++;
	}
	char line[64];
	int n = snprintf(line, sizeof(line), "SPAWNED %d %d\n", getpid(), made);
	write(1, line, n);
	for (;;) pause();
}
"""

INIT_10K = r"""#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo 0 > /proc/sys/kernel/kptr_restrict
echo 200000 > /proc/sys/kernel/threads-max
echo 200000 > /proc/sys/kernel/pid_max
/bin/spawn %(procs)d %(per)d >> /tmp/spawned &
while [ "$(grep -c SPAWNED /tmp/spawned)" -lt %(procs)d ]; do sleep 1; done
echo "THREADS $(awk '{s += $3} END {print s}' /tmp/spawned) in $(grep -c SPAWNED /tmp/spawned) processes"
echo "KALLSYMS $(grep -w _text /proc/kallsyms)"
echo "KALLSYMS_STEXT $(grep -w _stext /proc/kallsyms)"
echo READY
while :; do sleep 3600; done
"""


def build_initramfs_10k(wd, procs, per):
    root = os.path.join(wd, "initramfs-10k")
    for d in ("bin", "dev", "proc", "sys", "tmp"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    h = _h()
    subprocess.run(["cp", h.BUSYBOX, os.path.join(root, "bin", "busybox")], check=True)
    src = os.path.join(wd, "spawn.c")
    with open(src, "w") as f:
        f.write(SPAWN_C)
    subprocess.run(["gcc", "-static", "-O2", "-pthread", "-o",
                    os.path.join(root, "bin", "spawn"), src], check=True)
    with open(os.path.join(root, "init"), "w") as f:
        f.write(INIT_10K % {"procs": procs, "per": per})
    os.chmod(os.path.join(root, "init"), 0o755)
    out = os.path.join(wd, "initramfs-10k.cpio.gz")
    subprocess.run("cd %s && find . | cpio -o -H newc --quiet | gzip -1 > %s"
                   % (root, out), shell=True, check=True)
    return out


def tasks10k(argv):
    """Boot a guest with ~10,000 tasks; time info threads and thread apply all bt."""
    h = _h()
    n = int(argv[0]) if argv else 10000
    procs = 100
    per = (n + procs - 1) // procs
    cfg = "tasks-10k"
    base = h.CONFIGS["5level-kaslr"]
    h.CONFIGS[cfg] = (base[0], "2G") + tuple(base[2:])   # ~30 KiB per task
    ck = h.Checks()
    k = h.kernel()
    wd = h.workdir()
    initrd = build_initramfs_10k(wd, procs, per)
    h.log("booting %s: %d processes x %d threads" % (cfg, procs, per))
    try:
        g = h.Guest(cfg, k, wd).start(initrd, timeout=900)
        m = re.search(r"THREADS (\d+) in (\d+)", open(g.serial, errors="replace").read())
        ck.check("%s: boot to READY: %s threads in %s processes"
                 % (cfg, m and m.group(1), m and m.group(2)), m is not None)
        g.stop()
        off = g.kaslr_text - h.kernel_syms(k["VMLINUX"])["_text"]
        many = h.Stub(g, name="lkstub-clients")   # a fresh lkstub for its memory figures
        cb = __import__("clients_bench")
        fig, bad = cb.listing(many, 64)
        h.log("bench: lkstub  " + cb.line(fig))
        ck.check("%s: 64 clients listing %d threads at once all see the same threads"
                 % (cfg, fig["threads"]), fig["threads"] >= n and not bad, "\n".join(bad))
        many.close()
        stub = h.Stub(g)
        plan = {"qemu": None, "ncpus": ncpus_of(stub.summary), "bt_comm": "spawn",
                "bt_max": 3, "taab": True, "kscripts": None, "lkstub_pid": stub.proc.pid}
        res, gdblog, dt = session(g, k, stub, off, "tasks10k", plan, 1800)
        threads = res.get("threads") or []
        spawned = [t for t in threads if t[2] == "spawn"]
        ck.check("%s: info threads lists %d threads (%d spawn) in %.2fs (lkstub CPU %.2fs)"
                 % (cfg, len(threads), len(spawned), res.get("info_threads_s", -1),
                    res.get("info_threads_lkstub_cpu_s", -1)),
                 len(threads) >= n and len(spawned) >= n, gdblog[-3000:])
        bts = res.get("bt") or {}
        okbt = bts and all(path_in_order(frames(b), ("__schedule", "schedule")) for b in bts.values())
        ck.check("%s: bt of %d spawn threads goes through __schedule, schedule"
                 % (cfg, len(bts)), okbt, "\n".join(bts.values())[-3000:])
        dtb = res.get("taab_s", -1)
        bad = taab_problems(res.get("taab", ""), len(threads)) if dtb >= 0 else ["did not finish"]
        ck.check("%s: thread apply all bt: %d threads in %.1fs (%.1f ms/thread; lkstub CPU %.2fs)"
                 % (cfg, len(threads), dtb, 1000 * dtb / max(len(threads), 1),
                    res.get("taab_lkstub_cpu_s", -1)),
                 dtb >= 0 and not bad, "\n".join(bad) + "\n" + gdblog[-2000:])
        st = dict(l.split(":", 1) for l in open("/proc/%d/status" % stub.proc.pid) if ":" in l)
        h.log("lkstub memory: VmHWM %s, RssAnon %s, RssShmem %s (RAM file pages)"
              % tuple(st.get(f, "?").strip() for f in ("VmHWM", "RssAnon", "RssShmem")))
        ck.check("%s: lkstub still running" % cfg, stub.proc.poll() is None,
                 open(stub.errpath, errors="replace").read()[-2000:])
    except Exception as e:  # noqa: BLE001
        ck.check("%s: harness" % cfg, False, "%s: %s" % (type(e).__name__, e))
    finally:
        h._cleanup()
    print("%d passed, %d failed" % (ck.passed, ck.failed))
    return 1 if ck.failed else 0


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    if len(sys.argv) >= 2 and sys.argv[1] == "tasks10k":
        sys.exit(tasks10k(sys.argv[2:]))
    sys.exit(__doc__)


# ------------------------------------------------------------ arm64 tasks

ROOT = os.path.dirname(os.path.dirname(HERE))


def run_arm64(cfg, g, k, stub, off, ck):
    """arm64: a sleeping task's backtrace through its saved cpu_context,
    with the PAC-stripping unwinder gdb 13 needs (tools/gdb)."""
    h = _h()
    script = os.path.join(g.dir, "arm64-bt.gdb")
    log = os.path.join(g.dir, "arm64-bt.log")
    tid = 1000002  # kthreadd: lkstub's thread id is 1000000 + pid
    with open(script, "w") as f:
        f.write("set pagination off\nset backtrace limit 40\n"
                "add-symbol-file %s -o %#x\n" % (k["VMLINUX"], off))
        f.write("source %s\n" % os.path.join(ROOT, "tools", "gdb",
                                            "arm64_pac_unwind.py"))
        f.write("target remote %s\n" % stub.addr)
        # gdb numbers threads itself; find kthreadd's by its remote id.
        f.write("python gdb.execute('thread %%d' %% next(t.num for t in "
                "gdb.selected_inferior().threads() if %d in t.ptid))\n" % tid)
        f.write("bt\ndisconnect\n")
    rc, dt = h.run_gdb(script, log, 300, gdb=h.GDB["arm64"])
    out = open(log, errors="replace").read()
    names = frames(out)
    ok = rc == 0 and path_in_order(names, ["__switch_to", "__schedule",
                                           "schedule", "kthreadd"])
    ck.check("%s: kthreadd bt through cpu_context and PAC (%.0fs): %s"
             % (cfg, dt, " > ".join(names[:6])), ok, out[-3000:])
