"""Benchmarks (`make bench`, tests/e2e/bench.sh; docs/benchmarks.md).

    bench.py rsp        lkstub vs QEMU's gdbstub on the paused 5level-kaslr
                        guest: raw m packets (rsp_client), 8-byte latency,
                        gdb `dump binary memory` (also `e2e.py bench`)
    bench.py pid        pid: (process_vm_readv) vs the mapped RAM file, on
                        one file-backed guest
    bench.py xread      bulk reads through lkstub: x packets (binary) vs m
                        packets (hex)
    bench.py tasks10k [N]   a guest with N (default 10000) tasks (100
                        processes of N/100 threads, a static C program built
                        here): `info threads` and `thread apply all bt`, with
                        lkstub's own CPU time for each, and lkstub's memory
                        with 64 raw clients listing the threads at once
                        (clients_bench.py)
    bench.py sched      lk-runq (tools/gdb/lkstub_sched.py) through lkstub
                        and through QEMU's stub on guests of ~100 and
                        ~10,000 tasks (the tasks10k guest): the first run
                        (gdb looks the types up) and the next ones, and
                        lk-task of a pid that is not there (a walk of every
                        task) and of pid 1 (found in the pid IDR)
    bench.py vcpu [N]   how long lkstub --qmp pauses the VM to read every
                        vCPU's registers: N (default 20) reads on the
                        5level-kaslr guest (2 vCPUs, idle) and on busy-x86
                        (4 vCPUs, two of them spinning); also arm64 with
                        LKSTUB_BENCH_ARM64=1
"""

import os
import re
import subprocess
import sys
import types

import clients_bench
import harness as h
import tasks_checks

BENCH_TOTAL = 64 << 20
BENCH_RUNS = 5


def bench_line(who, what, value):
    print("bench: %-7s %s: %s" % (who, what, value), flush=True)


def need_binaries():
    for exe in (h.LKSTUB, h.RSP_CLIENT):
        if not os.access(exe, os.X_OK):
            sys.exit("bench: %s missing; run make all" % exe)


# ------------------------------------------------- lkstub vs QEMU's gdbstub

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


def rsp(argv):
    """lkstub vs QEMU's gdbstub on the paused 5level-kaslr guest."""
    k = h.kernel()
    need_binaries()
    wd = h.workdir()
    h.log("booting the 5level-kaslr guest (TCG)")
    g = h.Guest("5level-kaslr", k, wd).start(h.build_initramfs(wd, k["MODDIR"]))
    g.stop()
    stub = h.Stub(g)
    off = stub.kaslr_offset()
    addr = int(h.summary_field(stub.summary, "page_offset"), 16) + (16 << 20)
    qemu = "127.0.0.1:%d" % g.port
    cpus = sorted(os.sched_getaffinity(0))
    allcpus = ",".join(map(str, cpus))
    h.log("guest paused (%s); lkstub at %s, QEMU's stub at %s; direct map 0x%x"
          % (g.status(), stub.addr, qemu, addr))
    bench_line("lkstub", "start-up", "%s ms (its `ready in`)" % h.ready_ms(stub))

    def pin(pid, cpu):
        subprocess.run(["taskset", "-a", "-p", "-c", cpu, str(pid)], check=True,
                       stdout=subprocess.DEVNULL)

    def client(target, args, pinned=False):
        cmd = [h.RSP_CLIENT, target] + [str(a) for a in args]
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
    h.log("gdb dump binary memory through both (loading symbols first)")
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

    status = h.proc_status(stub.proc.pid)
    f = lambda key: status.get(key, "?")  # noqa: E731
    bench_line("lkstub", "memory after the benchmarks",
               "VmRSS %s, VmHWM %s (RssAnon %s, RssFile %s, RssShmem %s: the RAM file pages it touched)"
               % (f("VmRSS"), f("VmHWM"), f("RssAnon"), f("RssFile"), f("RssShmem")))
    h.cleanup()
    return 0 if same else 1


# --------------------------------------------------- pid: vs the RAM file

def pid(argv):
    """pid: (process_vm_readv) vs the mapped RAM file, same paused guest."""
    k = h.kernel()
    need_binaries()
    wd = h.workdir()
    h.log("booting the 5level-kaslr guest (RAM file) for pid: vs RAM file")
    g = h.Guest("5level-kaslr", k, wd).start(h.build_initramfs(wd, k["MODDIR"]))
    try:
        g.stop()
        fstub = h.Stub(g, name="lkstub-file")
        pstub = h.Stub(types.SimpleNamespace(dir=g.dir, k=k, ram="pid:%d" % g.proc.pid),
                       name="lkstub-pid")
        h.log("pid: layout: %s" % h.layout_line(pstub))
        if pstub.kaslr_offset() != fstub.kaslr_offset():
            sys.exit("bench: pid: and file disagree on the KASLR offset:\n%s\n%s"
                     % (fstub.summary, pstub.summary))
        addr = int(h.summary_field(fstub.summary, "page_offset"), 16) + (16 << 20)
        targets = (("file", fstub), ("pid", pstub))
        for who, s in targets:
            bench_line(who, "start-up", "%s ms (its `ready in`)" % h.ready_ms(s))
            h.rsp_client(s.addr, "bench-read", "0x%x" % addr, BENCH_TOTAL, 131072,
                         timeout=600)   # warm-up: first touches of the RAM file's pages
        # Runs alternate between the two, so that other load on the
        # machine falls on both alike; the median of BENCH_RUNS each.
        bulk = {w: [] for w, _ in targets}
        lat = {(w, p): [] for w, _ in targets for p in (False, True)}
        for _ in range(BENCH_RUNS):
            for who, s in targets:
                rc, out = h.rsp_client(s.addr, "bench-read", "0x%x" % addr, BENCH_TOTAL,
                                       131072, timeout=600)
                m = re.search(r"read: (\d+) bytes in ([\d.]+) s = ([\d.]+) MB/s", out)
                if rc or not m or int(m.group(1)) != BENCH_TOTAL:
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
            bench_line(who, "read 64 MiB", "%.1f MB/s (chunk 131072; median of %s MB/s)"
                       % (got[mid], "/".join("%.1f" % x for x in got)))
            for pinned in (False, True):
                got = sorted(lat[(who, pinned)])
                bench_line(who, "8-byte read, %s" % ("client and lkstub on cpu %d" % cpu
                                                     if pinned else "unpinned"),
                           "median %.1f us, mean %.1f us (10000 reads; median run of %d; "
                           "run medians %s us)" % (got[mid] + (BENCH_RUNS, "/".join(
                               "%.1f" % x for x, _ in got))))
        # The two must have read the same bytes.
        a = h.rsp_client_read(fstub.addr, addr, 4096)
        b = h.rsp_client_read(pstub.addr, addr, 4096)
        bench_line("both", "same 4 KiB at the bench address", "yes" if a and a == b else "NO")
        return 0 if a and a == b else 1
    finally:
        h.cleanup()


# ---------------------------------------------- x (binary) vs m (hex) reads

XREAD_MODES = (("m", 131072), ("x", 262143), ("x", 131072))


def xread(argv):
    """Bulk reads through lkstub: x packets (binary) against m packets (hex).

    On the paused 5level-kaslr guest, 64 MiB of the direct map (page_offset
    + 16 MiB) read with rsp_client, raw packets back to back:

    - m, chunk 131072: the most one hex reply carries (PacketSize 0x40000);
    - x, chunk 262143: the most one binary reply carries (all of the packet
      but its 'b'); replies heavy in escapes come back short and the client
      asks again from there, as gdb does;
    - x, chunk 131072: the same request size as m, so only the encoding
      differs.

    The first read touches the RAM file's pages (warm-up); then the runs
    alternate between the three, so that other load on the machine falls
    on all alike; the median of BENCH_RUNS each. The 64 MiB read with m
    and with x must be the same bytes."""

    def client(stub, mode, *args):
        cmd = [h.RSP_CLIENT] + (["-x"] if mode == "x" else []) + [stub.addr] + \
            [str(a) for a in args]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=600)
        if p.returncode:
            sys.exit("%s: exit %d\n%s" % (" ".join(cmd), p.returncode, p.stdout))
        return p.stdout

    k = h.kernel()
    need_binaries()
    wd = h.workdir()
    h.log("booting the 5level-kaslr guest for x vs m")
    g = h.Guest("5level-kaslr", k, wd).start(h.build_initramfs(wd, k["MODDIR"]))
    try:
        g.stop()
        stub = h.Stub(g)
        addr = int(h.summary_field(stub.summary, "page_offset"), 16) + (16 << 20)
        total = BENCH_TOTAL
        dumps = {}
        for mode in ("m", "x"):   # also the warm-up
            dumps[mode] = os.path.join(wd, "xread-%s.dump" % mode)
            client(stub, mode, "dump", "0x%x" % addr, total, dumps[mode])
        data = open(dumps["m"], "rb").read()
        same = len(data) == total and data == open(dumps["x"], "rb").read()
        escaped = sum(data.count(c) for c in b"$#}*")
        got = {mode: [] for mode in XREAD_MODES}
        packets = {}
        for _ in range(BENCH_RUNS):
            for mode in XREAD_MODES:
                out = client(stub, mode[0], "bench-read", "0x%x" % addr, total, mode[1])
                m = re.search(r"read: (\d+) bytes in ([\d.]+) s = ([\d.]+) MB/s "
                              r"\(chunk (\d+)\)(?: with x: (\d+) packets)?", out)
                if not m or int(m.group(1)) != total or int(m.group(4)) != mode[1]:
                    sys.exit("bench-read %s through lkstub: %s" % (mode[0], out))
                got[mode].append(float(m.group(3)))
                packets[mode] = int(m.group(5)) if m.group(5) else -(-total // mode[1])
        mid = BENCH_RUNS // 2
        for mode in XREAD_MODES:
            runs = sorted(got[mode])
            bench_line("lkstub", "read 64 MiB with %s" % mode[0],
                       "%.1f MB/s (chunk %d, %d packets; median of %s MB/s)"
                       % (runs[mid], mode[1], packets[mode],
                          "/".join("%.1f" % x for x in runs)))
        bench_line("lkstub", "bytes x escapes in those 64 MiB",
                   "%d (%.2f%%)" % (escaped, 100.0 * escaped / max(1, len(data))))
        bench_line("both", "m and x read the same 64 MiB", "yes" if same else "NO")
        return 0 if same else 1
    finally:
        h.cleanup()


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
    n = int(argv[0]) if argv else 10000
    procs = 100
    per = (n + procs - 1) // procs
    cfg = h.derive_config("tasks-10k", "5level-kaslr", memory="2G")   # ~30 KiB per task
    t = tasks_checks

    def body(ctx):
        ck, k, wd = ctx.ck, ctx.k, ctx.wd
        initrd = build_initramfs_10k(wd, procs, per)
        h.log("booting %s: %d processes x %d threads" % (cfg, procs, per))
        g = h.Guest(cfg, k, wd).start(initrd, timeout=900)
        m = re.search(r"THREADS (\d+) in (\d+)", open(g.serial, errors="replace").read())
        ck.check("%s: boot to READY: %s threads in %s processes"
                 % (cfg, m and m.group(1), m and m.group(2)), m is not None)
        g.stop()
        off = g.kaslr_text - ctx.syms["_text"]
        many = h.Stub(g, name="lkstub-clients")   # a fresh lkstub for its memory figures
        fig, bad = clients_bench.listing(many, 64)
        h.log("bench: lkstub  " + clients_bench.line(fig))
        ck.check("%s: 64 clients listing %d threads at once all see the same threads"
                 % (cfg, fig["threads"]), fig["threads"] >= n and not bad, "\n".join(bad))
        many.close()
        stub = h.Stub(g)
        plan = {"qemu": None, "ncpus": h.ncpus_of(stub.summary), "bt_comm": "spawn",
                "bt_max": 3, "taab": True, "kscripts": None, "lkstub_pid": stub.proc.pid}
        res, gdblog, dt = t.session(g, k, stub, off, "tasks10k", plan, 1800)
        threads = res.get("threads") or []
        spawned = [x for x in threads if x[2] == "spawn"]
        ck.check("%s: info threads lists %d threads (%d spawn) in %.2fs (lkstub CPU %.2fs)"
                 % (cfg, len(threads), len(spawned), res.get("info_threads_s", -1),
                    res.get("info_threads_lkstub_cpu_s", -1)),
                 len(threads) >= n and len(spawned) >= n, gdblog[-3000:])
        bts = res.get("bt") or {}
        okbt = bts and all(t.path_in_order(t.frames(b), ("__schedule", "schedule"))
                           for b in bts.values())
        ck.check("%s: bt of %d spawn threads goes through __schedule, schedule"
                 % (cfg, len(bts)), okbt, "\n".join(bts.values())[-3000:])
        t.check_taab(ck, cfg, res, len(threads), gdblog)
        st = h.proc_status(stub.proc.pid)
        h.log("lkstub memory: VmHWM %s, RssAnon %s, RssShmem %s (RAM file pages)"
              % tuple(st.get(f, "?") for f in ("VmHWM", "RssAnon", "RssShmem")))
        ck.check("%s: lkstub still running" % cfg, stub.proc.poll() is None,
                 stub.stderr()[-2000:])

    return h.standalone(body)


SCHED_GDB = r"""
import time
import gdb
gdb.execute("set pagination off")
gdb.execute("add-symbol-file %(vmlinux)s -o 0x%(off)x -s .data..percpu 0", to_string=True)
gdb.parse_and_eval("&init_task")      # waits for gdb's DWARF indexing
gdb.execute("source %(sched)s")
for name, target in %(targets)r:
    gdb.execute("target remote " + target, to_string=True)
    for th in gdb.selected_inferior().threads():   # QEMU: a vCPU in the kernel
        th.switch()
        try:
            if int(gdb.parse_and_eval("$cs")) & 3 == 0:
                break
        except gdb.error:
            break
    for what in ("lk-runq", "lk-runq", "lk-runq", "lk-task %(last)d", "lk-task 1"):
        t = time.time()
        try:
            out = gdb.execute(what, to_string=True)
        except gdb.error as e:          # lk-task of no such pid says so
            out = str(e)
        gdb.write("SCHED %%s %%s %%.3f %%d\n" %% (name, what.replace(" ", "_"),
                                                 time.time() - t, out.count("\n")))
    gdb.execute("disconnect", to_string=True)
"""


def sched(argv):
    """lk-runq and lk-task through lkstub and QEMU's stub, ~100 and ~10,000 tasks."""
    sizes = [int(a) for a in argv] or [100, 10000]

    def body(ctx):
        ck, k, wd = ctx.ck, ctx.k, ctx.wd
        for n in sizes:
            procs = 100 if n >= 1000 else max(1, n // 10)
            per = (n + procs - 1) // procs
            cfg = h.derive_config("sched-%d" % n, "5level-kaslr", memory="2G")
            initrd = build_initramfs_10k(os.path.join(wd, cfg), procs, per)
            g = h.Guest(cfg, k, wd).start(initrd, timeout=900)
            text = open(g.serial, errors="replace").read()
            m = re.search(r"THREADS (\d+) in (\d+)", text)
            last = 999999        # no such pid: an IDR miss, then a walk of every task
            g.stop()
            off = g.kaslr_text - ctx.syms["_text"]
            stub = h.Stub(g)
            script = os.path.join(g.dir, "sched-bench.py")
            with open(script, "w") as f:
                f.write(SCHED_GDB % {"vmlinux": k["VMLINUX"], "off": off, "last": last,
                                     "sched": os.path.join(h.ROOT, "tools", "gdb",
                                                           "lkstub_sched.py"),
                                     "targets": [("lkstub", stub.addr),
                                                 ("qemu", "127.0.0.1:%d" % g.port)]})
            log = os.path.join(g.dir, "sched-bench.log")
            rc, _ = h.run_gdb(script, log, 1800)
            rows = re.findall(r"^SCHED (\S+) (\S+) ([\d.]+) (\d+)$",
                              open(log, errors="replace").read(), re.M)
            for who in ("lkstub", "qemu"):
                runq = [float(t) for w, c, t, _ in rows if w == who and c == "lk-runq"]
                task = [float(t) for w, c, t, _ in rows if w == who and c == "lk-task_%d" % last]
                one = [float(t) for w, c, t, _ in rows if w == who and c == "lk-task_1"]
                if runq:
                    bench_line(who, "lk-runq, %s threads" % (m and m.group(1)),
                               "first %.3f s (types looked up), then %s s"
                               % (runq[0], "/".join("%.3f" % x for x in runq[1:])))
                if task:
                    bench_line(who, "lk-task %d (not in the pid IDR: walks every task), %s "
                               "threads" % (last, m and m.group(1)), "%.3f s" % task[0])
                if one:
                    bench_line(who, "lk-task 1 (found in the pid IDR), %s threads"
                               % (m and m.group(1)), "%.3f s" % one[0])
            ck.check("%s: lk-runq and lk-task timed through both stubs" % cfg,
                     rc == 0 and len(rows) == 10, open(log, errors="replace").read()[-2000:])
            stub.close()
            g.close()

    return h.standalone(body)


def vcpu(argv):
    """The pause per read of all vCPUs (lkstub --qmp), from monitor info."""
    n = int(argv[0]) if argv else 20
    cfgs = ["5level-kaslr", "busy-x86"]
    if os.environ.get("LKSTUB_BENCH_ARM64"):
        cfgs += ["arm64-kaslr", "busy-arm64"]
    need_binaries()
    wd = h.workdir()
    try:
        for cfg in cfgs:
            k, initrd, _ = h.inputs(h.kernel_of(cfg), wd)
            g = h.Guest(cfg, k, wd).start(initrd)
            stub = h.Stub(g, extra=["--qmp", g.qmp_lkstub, "--no-symbols"],
                          name="lkstub-vcpu")
            host, port = stub.addr.rsplit(":", 1)
            import socket
            r = h.RSP(socket.create_connection((host, int(port)), timeout=30))
            for _ in range(n):
                r.request("qfThreadInfo")     # a new refresh
                r.request("Hg1")
                if r.request("g").startswith("xxxxxxxx"):
                    sys.exit("bench vcpu: %s: no registers:\n%s" % (cfg, stub.stderr()[-1500:]))
            info = r.monitor("info")[0]
            r.sock.close()
            m = re.search(r"pause per read of (\d+) vCPUs: last [\d.]+ ms, min ([\d.]+), "
                          r"max ([\d.]+), mean ([\d.]+) \((\d+) reads\)", info)
            if not m:
                sys.exit("bench vcpu: %s: no pause figures:\n%s" % (cfg, info))
            bench_line("lkstub", "%s: pause per read of %s vCPUs" % (cfg, m.group(1)),
                       "mean %s ms, min %s, max %s (%s reads; QMP stop, info registers "
                       "-a%s, cont)" % (m.group(4), m.group(2), m.group(3), m.group(5),
                                        ", a one-page dump, info lapic per vCPU"
                                        if h.arch_of(cfg) == "amd64" else ""))
            stub.close()
            g.close()
        return 0
    finally:
        h.cleanup()


COMMANDS = {"rsp": rsp, "pid": pid, "xread": xread, "tasks10k": tasks10k, "sched": sched,
            "vcpu": vcpu}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))
