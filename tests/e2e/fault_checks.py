"""Hostile input and faults, end to end.

On 5level-kaslr, after the shared session (the guest paused again here):

1. hostile clients against the suite's lkstub, while a normal client keeps
   reading linux_banner and init_uts_ns.name.release and timing each read
   (bound READ_BOUND_S): (a) one that vanishes mid-packet, (b) one that
   sends a packet one byte per second, (c) a flood of garbage and valid
   packets that never reads its replies (dropped: its output queue is
   full), (d) 16 clients at once, (e) one
   that pipelines large m reads and never reads: dropped once lkstub's
   output queue is full, (f) 1,000 connect/disconnect cycles: lkstub's
   VmRSS and open fds before and after;
2. the VM exits while gdb is attached: a second lkstub (the normal build,
   then the ASan one) on a copy of the RAM file; gdb (no symbols needed)
   and a raw client are attached when the copy is truncated to half, then
   to 0: reads fail ("Cannot access memory"), lkstub says the file shrank,
   keeps serving, exits 0 on SIGTERM;
3. writes (lkstub --write): M, X and gdb writes that cross from pid 1's
   vmalloc'd stack into the guard page (both directions, and an 8 KiB one)
   fail whole: the bytes on the mapped page are unchanged;
4. lkstub built with clang ASan+UBSan (build-asan/lkstub, `make
   lkstub-asan`) and build/lkstub under valgrind memcheck: gdb attached to
   each, the whole battery on the ASan one (== the normal build's), a short
   probe set and `info threads` on both; SIGTERM; exit 0, no report;
5. the guest reboots: one more guest (`fault-reboot`, 5level-kaslr without
   -no-reboot) and an lkstub on its RAM file; QMP system_reset twice: after
   the first a new client must see the new kernel (on_attach), after the
   second `monitor rescan` on a client connected all along; `monitor kaslr`
   == the new kallsyms _text - link _text, init_uts_ns and jiffies_64 read
   right (jiffies_64 below what it was before the reset).

Standalone:  fault_checks.py run [PART,...]   boots its own guest
(`fault-5level`, RAM file /dev/shm/lkstub-e2e-PID-fault-5level) and runs the
parts (clients, truncate, write, sanitizers, reboot; default all).
"""

import os
import re
import socket
import subprocess
import sys
import threading
import time
import types

import harness as h

READ_BOUND_S = 1.0          # a normal client's read while others misbehave
RSS_BOUND_KIB = 512         # VmRSS growth over 1,000 connect cycles
CYCLES = 1000
NCLIENTS = 16
THREAD_SIZE = 0x4000        # x86_64, no KASAN
PID1 = ("((struct task_struct *)((unsigned long)init_task.tasks.next"
        " - (unsigned long)&((struct task_struct *)0)->tasks))")
SAN_ENV = {"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=1",
           "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1"}
VALGRIND = ["valgrind", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite"]
SAN_REPORT = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
                        r"SUMMARY: (Address|Undefined|Leak)Sanitizer|"
                        r"Invalid (read|write)|uninitialised|definitely lost: [1-9]")


def kib(v):
    return int(v.split()[0]) if v else -1


def nfds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


class Reader(threading.Thread):
    """A normal client reading known bytes in a loop and timing each read."""

    def __init__(self, stub, expect):
        super().__init__(daemon=True)
        self.c = h.RSP(stub.connect(10))
        self.expect = expect
        self.stop = threading.Event()
        self.reads = 0
        self.worst = 0.0
        self.gap = 0.0              # longest time between two answers
        self.bad = []

    def run(self):
        last = time.time()
        try:
            while not self.stop.is_set():
                for addr, want in self.expect:
                    t = time.time()
                    got = self.c.read(addr, len(want))
                    now = time.time()
                    dt = now - t
                    self.gap = max(self.gap, now - last)
                    last = now
                    self.worst = max(self.worst, dt)
                    self.reads += 1
                    if got != want and len(self.bad) < 5:
                        self.bad.append("0x%x: %r" % (addr, got[:40]))
                time.sleep(0.005)
        except Exception as e:  # noqa: BLE001
            self.bad.append("%s: %s" % (type(e).__name__, e))

    def brief(self):
        return "%d reads, worst %.3fs, longest gap %.3fs" % (self.reads, self.worst, self.gap)

    def finish(self):
        self.stop.set()
        self.join(30)
        self.c.close()
        ok = (not self.bad and self.reads > 0 and self.worst < READ_BOUND_S
              and self.gap < 2 * READ_BOUND_S and not self.is_alive())
        return ok, "normal client: %d reads, worst %.3fs, longest gap %.3fs%s" % (
            self.reads, self.worst, self.gap, "; " + "; ".join(self.bad) if self.bad else "")


# ---------------------------------------------------------------- 1. clients

# The flood client (argv: address, mode, hex of valid packets, reply to
# look for), in ack mode, in 64 KiB chunks.  "mixed": 8 MiB, half random
# bytes, half valid packets, replies never read (they pile up: lkstub
# should drop it).  "garbage": 32 MiB of random bytes with two oversized
# packets, replies read (and dropped) by a thread, then the valid packet,
# whose reply must come.
FLOOD = r"""
import os, socket, sys, threading, time
host, _, port = sys.argv[1].rpartition(":")
mode, valid, want = sys.argv[2], bytes.fromhex(sys.argv[3]), sys.argv[4].encode()
s = socket.create_connection((host, int(port)), 10)
s.settimeout(30)
if mode == "mixed":
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
print("PEER %s:%d" % s.getsockname()[:2], flush=True)
tail, found = [b""], threading.Event()
def drain():
    while not found.is_set():
        try:
            d = s.recv(1 << 20)
        except OSError:
            return
        if not d:
            return
        tail[0] = (tail[0] + d)[-65536:]
        if want in tail[0]:
            found.set()
if mode == "garbage":
    threading.Thread(target=drain, daemon=True).start()
sent, err = 0, "all sent"
try:
    for i in range(128 if mode == "mixed" else 512):
        if mode == "mixed":
            chunk = (os.urandom(32768) + valid * (32768 // len(valid) + 1))[:65536]
        elif i in (100, 300):
            chunk = b"$" + b"a" * 0x50000 + b"#00"
        else:
            chunk = os.urandom(65536)
        s.sendall(chunk)
        sent += len(chunk)
except OSError as e:
    err = "%s after %d KiB" % (e.__class__.__name__, sent >> 10)
print("SENT %d %s" % (sent, err), flush=True)
if mode == "garbage" and err == "all sent":
    s.sendall(valid)
    print("REPLY %s" % ("found" if found.wait(30) else "missing"), flush=True)
"""


def clients(cfg, g, k, stub, off, ck, syms):
    banner = syms["linux_banner"] + off
    want_b = ("Linux version %s " % k["KVER"]).encode()
    release = syms["init_uts_ns"] + off + h.UTS_RELEASE_OFFSET
    want_r = k["KVER"].encode() + b"\0"
    expect = [(banner, want_b), (release, want_r)]
    dmap = int(h.summary_field(stub.summary, "page_offset"), 16) + (16 << 20)
    pid = stub.proc.pid

    def peer(s):
        return "%s:%d" % s.getsockname()[:2]

    def dropped(p, whys, timeout=20):
        """Which of whys lkstub logged as p's disconnect reason, or None."""
        whys = (whys,) if isinstance(whys, str) else whys
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(r"^lkstub: %s disconnected \((.*)\)$" % re.escape(p),
                          stub.stderr(), re.M)
            if m:
                return m.group(1) if m.group(1) in whys else None
            time.sleep(0.05)
        return None

    # (a) gone mid-packet
    ck.mark()
    r = Reader(stub, expect)
    r.start()
    gone = []
    for payload in (b"$m1234,", b"$m%x,40#" % banner, b"$qSupported:swbreak+;hw"):
        s = stub.connect(10)
        gone.append(peer(s))
        s.sendall(payload)
        s.close()
        time.sleep(0.2)
    ok_r, det = r.finish()
    ok = all(dropped(p, "closed") == "closed" for p in gone)
    ck.check("%s: hostile: 3 clients vanish mid-packet: dropped (closed), normal client ok "
             "(%s)" % (cfg, r.brief()), ok and ok_r and stub.proc.poll() is None,
             det + "\n" + stub.stderr()[-1500:])

    # (b) one byte per second
    r = Reader(stub, expect)
    r.start()
    slow = h.RSP(stub.connect(10))
    frame = h.RSP.frame("m%x,%x" % (banner, len(want_b)))
    t = time.time()
    try:
        for i in range(5):
            slow.sock.sendall(frame[i:i + 1])
            time.sleep(1.0)
        slow.sock.sendall(frame[5:])
        got = h.RSP.mem(slow.recv())
    except (OSError, RuntimeError, ValueError) as e:
        got = "%s: %s" % (type(e).__name__, e)
    slow.close()
    ok_r, det = r.finish()
    ck.check("%s: hostile: 1 byte/s for %.0fs: its reply right, normal client ok "
             "(%s)" % (cfg, time.time() - t, r.brief()),
             got == want_b and ok_r, "slow client got %r\n%s" % (got, det))

    # (c) floods, each in a process of its own (a Python thread would
    # starve the reader)
    for mode in ("garbage", "mixed"):
        r = Reader(stub, expect)
        r.start()
        if mode == "mixed":
            valid = b"".join(h.RSP.frame(p) for p in (
                "m%x,40" % banner, "qSupported", "g", "qfThreadInfo", "m%x,1000" % dmap, "?"))
        else:
            valid = h.RSP.frame("m%x,%x" % (banner, len(want_b)))
        t = time.time()
        p = subprocess.run([sys.executable, "-c", FLOOD, stub.addr, mode, valid.hex(),
                            "$" + want_b.hex() + "#"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=120)
        dt = time.time() - t
        ok_r, det = r.finish()
        m = re.match(r"PEER (\S+)\nSENT (\d+) (.*)", p.stdout)
        fpeer, sent, err = (m.group(1), int(m.group(2)), m.group(3)) if m else ("?", 0, p.stdout)
        why = dropped(fpeer, ("closed", "output queue full", "write error", "read error"), 10)
        if mode == "garbage":
            ok = err == "all sent" and "REPLY found" in p.stdout and why == "closed"
            what = "garbage flood (32 MiB random, 2 oversized packets), then a valid m: its reply"
        else:
            # The replies pile up: lkstub's output cap must be what ends
            # it (a closed connection alone would not show the cap acts).
            ok = why == "output queue full"
            what = "mixed flood (garbage and valid packets), replies never read, dropped by " \
                   "the output cap"
        ck.check("%s: hostile: %s: %.1f MiB sent (%s) in %.1fs, %s; normal client ok (%s)"
                 % (cfg, what, sent / 2.0 ** 20, err, dt,
                    "found" if "REPLY found" in p.stdout else "dropped (%s)" % why, r.brief()),
                 ok_r and ok and stub.proc.poll() is None,
                 "%s\nflood client: %s\n%s" % (det, p.stdout[-500:], stub.stderr()[-1500:]))

    # (d) 16 clients at once
    ref = h.RSP(stub.connect(10))
    big = ref.read(dmap, 0x8000)
    ref.close()
    errs, counts = [], [0] * NCLIENTS

    def one(i):
        try:
            c = h.RSP(stub.connect(10))
            for j in range(30):
                for addr, want in expect + [(dmap, big)]:
                    if c.read(addr, len(want)) != want:
                        errs.append("client %d read %d at 0x%x wrong" % (i, j, addr))
                        return
                    counts[i] += 1
            c.close()
        except Exception as e:  # noqa: BLE001
            errs.append("client %d: %s: %s" % (i, type(e).__name__, e))

    t = time.time()
    ths = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(NCLIENTS)]
    for th in ths:
        th.start()
    for th in ths:
        th.join(120)
    ck.check("%s: hostile: %d clients at once, %d reads each (banner, release, 32 KiB): "
             "all right in %.1fs" % (cfg, NCLIENTS, 90, time.time() - t),
             not errs and counts == [90] * NCLIENTS, "\n".join(errs[:20]) + "\n%s" % counts)

    # (e) never reads its replies: pipelined 128 KiB reads
    r = Reader(stub, expect)
    r.start()
    nr = h.RSP(stub.connect(10))
    nr.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    npeer = peer(nr.sock)
    reqs = b"".join(h.RSP.frame("m%x,20000" % (dmap + (i % 64) * 0x20000)) for i in range(400))
    t = time.time()
    err = None
    try:
        nr.sock.sendall(reqs)
    except OSError as e:
        err = e.__class__.__name__
    was_dropped = dropped(npeer, "output queue full", 20) == "output queue full"
    dt = time.time() - t
    time.sleep(0.5)
    nr.close()
    ok_r, det = r.finish()
    ck.check("%s: hostile: non-reading client (400 pipelined 128 KiB reads = 100 MiB of "
             "replies) dropped 'output queue full' after %.1fs; normal client ok ("
             "%s)" % (cfg, dt, r.brief()),
             was_dropped and ok_r and stub.proc.poll() is None,
             "send: %s\n%s\n%s" % (err or "ok", det, stub.stderr()[-1500:]))

    # (f) 1,000 connect/disconnect cycles
    time.sleep(0.5)
    st0, fd0 = h.proc_status(pid), nfds(pid)
    n0 = stub.stderr().count(" disconnected (")
    t = time.time()
    probe = h.RSP.frame("qSupported:swbreak+")
    errs = []
    for i in range(CYCLES):
        try:
            s = stub.connect(10)
            if i % 3 == 1:
                s.sendall(probe)          # and go without the reply
            elif i % 3 == 2:
                s.sendall(probe)
                buf = b""
                while b"#" not in buf or len(buf) < buf.index(b"#") + 3:
                    d = s.recv(65536)
                    if not d:
                        raise RuntimeError("closed before the reply")
                    buf += d
                if b"PacketSize=" not in buf:
                    errs.append("cycle %d: reply %r" % (i, buf[:60]))
            s.close()
        except (OSError, RuntimeError) as e:
            errs.append("cycle %d: %s: %s" % (i, type(e).__name__, e))
            if len(errs) > 10:
                break
    deadline = time.time() + 30
    while time.time() < deadline and stub.stderr().count(" disconnected (") < n0 + CYCLES:
        time.sleep(0.1)
    n1 = stub.stderr().count(" disconnected (")
    time.sleep(0.3)
    st1, fd1 = h.proc_status(pid), nfds(pid)
    c = h.RSP(stub.connect(10))
    final = [c.read(a, len(w)) == w for a, w in expect]
    c.close()
    grow = kib(st1["VmRSS"]) - kib(st0["VmRSS"])
    figs = ("VmRSS %s -> %s (%+d KiB), RssAnon %s -> %s, fds %d -> %d, %d disconnects logged"
            % (st0["VmRSS"], st1["VmRSS"], grow, st0.get("RssAnon"), st1.get("RssAnon"),
               fd0, fd1, n1 - n0))
    h.log("1000 cycles: " + figs)
    ck.check("%s: hostile: %d connect/disconnect cycles in %.1fs: %s; alive and right after"
             % (cfg, CYCLES, time.time() - t, figs),
             not errs and n1 - n0 >= CYCLES and grow <= RSS_BOUND_KIB and fd1 == fd0
             and all(final) and stub.proc.poll() is None,
             "\n".join(errs) + "\nfinal reads right: %s" % final)


# -------------------------------------------------------- 2. VM exits (truncate)

def truncate(cfg, g, k, off, ck, syms, binary, tag, env=None):
    copy = "/dev/shm/lkstub-fault-copy-%d-%s" % (os.getpid(), tag)
    subprocess.run(["cp", "--sparse=always", g.ram, copy], check=True)
    size = os.path.getsize(copy)
    try:
        _truncate(cfg, g, k, off, ck, syms, binary, tag, env, copy, size)
    finally:
        if os.path.exists(copy):
            os.unlink(copy)


def _truncate(cfg, g, k, off, ck, syms, binary, tag, env, copy, size):
    ck.mark()
    st = h.Stub(types.SimpleNamespace(dir=g.dir, k=k, ram=copy), name="lkstub-trunc-" + tag,
                prefix=[binary], env=env, timeout=300)
    banner = syms["linux_banner"] + off
    want_b = ("Linux version %s " % k["KVER"]).encode()
    po = int(h.summary_field(st.summary, "page_offset"), 16)
    high = po + size // 2 + (64 << 20)       # PA in the half that goes first
    low = po + (16 << 20)
    c = h.RSP(st.connect(10))
    before = (c.read(banner, len(want_b)) == want_b, len(c.read(high, 64)) == 64,
              len(c.read(low, 64)) == 64)
    glog = os.path.join(g.dir, "gdb-trunc-%s.log" % tag)
    rc, parts = h.gdb_quick([
        ("remote", "target remote " + st.addr),
        ("before", "x/8xb 0x%x" % high),
        ("t-half", "python import os; os.truncate(%r, %d)" % (copy, size // 2)),
        ("f1", "maint flush dcache"), ("half-high", "x/8xb 0x%x" % high),
        ("t-zero", "python os.truncate(%r, 0)" % copy),
        ("f2", "maint flush dcache"), ("zero-banner", "x/8xb 0x%x" % banner),
        ("zero-low", "x/8xb 0x%x" % low),
        ("info", "monitor info"), ("threads", "info threads"),
        ("detach", "detach")], glog)
    cam = "Cannot access memory at address"
    gdb_ok = (rc == 0 and not parts.get("before", "ERROR").startswith("ERROR") and
              not parts.get("detach", "ERROR").startswith("ERROR") and
              all(cam in parts.get(s, "") for s in ("half-high", "zero-banner", "zero-low")))
    after = []
    try:
        for a in (banner, high, low):
            after.append(c.request("m%x,8" % a))
        c.close()
        c2 = h.RSP(st.connect(10))            # a new client: on_attach looks again
        after.append(c2.request("m%x,8" % banner))
        mon, _ = c2.monitor("info")
        c2.close()
    except (OSError, RuntimeError) as e:
        after.append("%s: %s" % (type(e).__name__, e))
        mon = ""
    err = st.stderr()
    said = re.search(r"lkstub: guest RAM file \S+ shrank from %d to \d+ bytes \(the VM has "
                     r"exited\?\)" % size, err)
    alive = st.proc.poll() is None
    rc_term = st.stop()
    err = st.stderr()
    rep = SAN_REPORT.search(err)
    ck.check("%s: VM exit (%s): RAM file copy truncated to half, then 0 with gdb and a client "
             "attached: reads fail (gdb 'Cannot access memory'), stderr says it shrank, alive; "
             "SIGTERM exit %s" % (cfg, tag, rc_term),
             all(before) and gdb_ok and after and all(a == "E14" for a in after) and said
             and alive and rc_term == 0 and not rep and "FAILED" in mon,
             "before (banner, high, low readable): %s\ngdb rc %s steps: %s\nraw after: %s\n"
             "monitor info: %s\nsanitizer: %s\nlkstub stderr:\n%s"
             % (before, rc, {k_: v.strip()[:200] for k_, v in parts.items()}, after,
                mon[-400:], rep and rep.group(0), err[-2500:]))
    h.log("truncate (%s): lkstub said: %s" % (tag, " | ".join(
        l for l in err.splitlines() if "shrank" in l or "SIGBUS" in l or "looking again" in l
        or "rescan" in l or "not found" in l)[:600]))


# ----------------------------------------------------- sanitizers, valgrind

def stale_asan():
    """Why build-asan/lkstub cannot be used, or None."""
    if not os.access(h.LKSTUB_ASAN, os.X_OK):
        return "%s missing: make lkstub-asan" % h.LKSTUB_ASAN
    t = os.path.getmtime(h.LKSTUB_ASAN)
    for d in ("stub", "translate", "symbols", "common"):
        for dp, _, files in os.walk(os.path.join(h.ROOT, d)):
            for f in files:
                if f.endswith((".c", ".h")) and os.path.getmtime(os.path.join(dp, f)) > t:
                    return "%s older than %s: make lkstub-asan" % (
                        h.LKSTUB_ASAN, os.path.relpath(os.path.join(dp, f), h.ROOT))
    return None


def sanitizers_and_writes(cfg, g, k, stub, off, ck, syms, do_san=True, do_write=True):
    """One gdb session (symbols loaded once): the battery through the ASan
    lkstub and the normal one, a short probe set through the valgrind one,
    then the crossing writes through a --write lkstub; raw M/X after."""
    ck.mark()
    asan = vg = wst = None
    steps = []
    rel = "init_uts_ns.name.release"
    outs = {n: os.path.join(g.dir, "fault-battery-%s.txt" % n) for n in ("asan", "ref")}
    if do_san:
        why = stale_asan()
        ck.check("%s: sanitizers: ASan+UBSan lkstub %s up to date" % (cfg, h.LKSTUB_ASAN),
                 why is None, why)
        if why is None:
            t = time.time()
            asan = h.Stub(g, name="lkstub-asan", prefix=[h.LKSTUB_ASAN], env=SAN_ENV,
                          timeout=300)
            asan_up = time.time() - t
            steps += [["remote", asan.addr], ["battery", outs["asan"]],
                      ["cmd", "asan.threads", "info threads"],
                      ["cmd", "asan.kaslr", "monitor kaslr"],
                      ["cmd", "asan.ps", "monitor ps"], ["detach"],
                      ["remote", stub.addr], ["battery", outs["ref"]],
                      ["cmd", "ref.threads", "info threads"], ["disconnect"]]
        t = time.time()
        vg = h.Stub(g, name="lkstub-valgrind", prefix=VALGRIND + [h.LKSTUB], timeout=600)
        vg_up = time.time() - t
        h.log("valgrind lkstub ready in %.1fs" % vg_up)
        steps += [["remote", vg.addr], ["read", "vg.release", rel, 65],
                  ["read", "vg.banner", "linux_banner", 32], ["jiffies", "vg.jiffies"],
                  ["read", "vg.pid1.stack", "(unsigned long)%s->stack" % PID1, 16],
                  ["cmd", "vg.threads", "info threads"], ["cmd", "vg.kaslr", "monitor kaslr"],
                  ["detach"]]
    if do_write:
        wst = h.Stub(g, ["--write"], "lkstub-fault-write")
        top = "(unsigned long)%s->stack + 0x%x" % (PID1, THREAD_SIZE)
        bot = "(unsigned long)%s->stack" % PID1
        steps += [["remote", wst.addr],
                  ["cmd", "w.stack", "output/x (unsigned long)%s->stack" % PID1],
                  ["read", "w.top.before", top + " - 8", 8],
                  ["read", "w.bot.before", bot, 8],
                  ["read", "w.guard.top", top, 1],
                  ["read", "w.guard.bot", bot + " - 1", 1],
                  ["write", "w.top.cross", top + " - 4", "a5" * 8],
                  ["write", "w.bot.cross", bot + " - 4", "a5" * 8],
                  ["read", "w.top.after", top + " - 8", 8],
                  ["read", "w.bot.after", bot, 8],
                  ["disconnect"]]
    if not steps:
        return
    script, res = h.gdb_plan(os.path.join(g.dir, "fault-plan"), k["VMLINUX"], off, steps)
    t = time.time()
    rc, dt = h.run_gdb(script, os.path.join(g.dir, "fault-gdb.log"), 900)
    r = h.results_dict(res)
    gdblog = open(os.path.join(g.dir, "fault-gdb.log"), errors="replace").read()
    ck.check("%s: fault gdb session (symbols %ss, %.0fs)"
             % (cfg, r.get("symbols.load_seconds", "?"), dt),
             rc == 0 and r.get("done") == "ok", gdblog[-3000:])
    bad_remote = ["%s: %s" % (key, v) for key, v in r.items()
                  if re.match(r"\d+\.(remote|battery|detach|disconnect)", key) and v.startswith("ERROR")]
    if bad_remote:
        ck.check("%s: fault gdb session steps" % cfg, False, "\n".join(bad_remote))

    def nthreads(key):
        return len(re.findall(r"Thread \d+", r.get(key, "")))

    if asan:
        a, b = h.read_lines(outs["asan"]), h.read_lines(outs["ref"])
        d = h.diff(a, b, "asan", "lkstub", limit=10)
        sane = "\n".join(h.battery_sanity(a or []).splitlines()[:10])
        ck.check("%s: sanitizers: ASan lkstub (ready in %.1fs): battery (%d probes) == "
                 "build/lkstub's, info threads %d == %d"
                 % (cfg, asan_up, len(a or []), nthreads("asan.threads"), nthreads("ref.threads")),
                 not d and not sane and nthreads("asan.threads") == nthreads("ref.threads") > 2
                 and ("%x" % off) in r.get("asan.kaslr", "") and "sleep" in r.get("asan.ps", ""),
                 "%s\n%s\nkaslr: %s" % (d, sane, r.get("asan.kaslr")))
        rct = asan.stop()
        err = asan.stderr()
        rep = SAN_REPORT.search(err)
        ck.check("%s: sanitizers: ASan+UBSan lkstub: SIGTERM exit %s, %s"
                 % (cfg, rct, "report: " + rep.group(0) if rep else "no report"),
                 rct == 0 and not rep, err[-3000:])
    if vg:
        want_rel = (k["KVER"].encode() + b"\0").hex()
        probes_ok = (r.get("vg.release", "").startswith(want_rel)
                     and bytes.fromhex(r.get("vg.banner", "00")).startswith(b"Linux version ")
                     and r.get("vg.jiffies", "").isdigit()
                     and int(r.get("vg.pid1.stack", "0") or "0", 16) != 0
                     and ("%x" % off) in r.get("vg.kaslr", ""))
        nt = nthreads("vg.threads")
        ref_nt = nthreads("ref.threads") if asan else nt
        rct = vg.stop(300)
        err = vg.stderr()
        rep = SAN_REPORT.search(err)
        summ = re.search(r"ERROR SUMMARY: (\d+) errors", err)
        ck.check("%s: valgrind: lkstub (ready in %.1fs): release, banner, jiffies_64, pid 1 "
                 "stack, monitor kaslr, info threads (%d); SIGTERM exit %s, %s"
                 % (cfg, vg_up, nt, rct, summ.group(0) if summ else "no summary"),
                 probes_ok and nt == ref_nt and nt > 2 and rct == 0 and not rep
                 and summ and summ.group(1) == "0",
                 "%s\n%s" % ({k_: v[:80] for k_, v in r.items() if k_.startswith("vg.")},
                             err[-3000:]))
    if wst:
        writes(cfg, g, k, wst, off, ck, r)


# ------------------------------------------------------------------ 3. writes

def writes(cfg, g, k, wst, off, ck, r):
    try:
        stack = int(r.get("w.stack", ""), 16)
    except ValueError:
        ck.check("%s: write: pid 1's stack address from gdb" % cfg, False, r.get("w.stack"))
        return
    top = stack + THREAD_SIZE
    pre = (r.get("w.guard.top", "").startswith("ERROR") and
           r.get("w.guard.bot", "").startswith("ERROR") and
           len(r.get("w.top.before", "")) == 16 and len(r.get("w.bot.before", "")) == 16)
    gdb_ok = (pre and all("Cannot access memory" in r.get(x, "")
                          for x in ("w.top.cross", "w.bot.cross"))
              and r.get("w.top.after") == r.get("w.top.before")
              and r.get("w.bot.after") == r.get("w.bot.before"))
    ck.check("%s: write: gdb writes across pid 1's stack ends (0x%x, 0x%x) into the guard "
             "pages fail ('Cannot access memory'), the stack bytes unchanged" % (cfg, stack, top),
             gdb_ok, "\n".join("%s: %s" % (x, r.get(x)) for x in sorted(r) if x.startswith("w.")))

    c = h.RSP(wst.connect(10))
    bad, restore = [], []
    try:
        top_pg = c.read(top - 0x1000, 0x1000)
        bot_pg = c.read(stack, 0x1000)
        for a in (top, stack - 1):
            rep = c.request("m%x,1" % a)
            if rep != "E14":
                bad.append("precondition: 0x%x reads %r, want E14 (guard page)" % (a, rep))

        def esc(data):
            out = bytearray()
            for b in data:
                if b in b"#$}*":
                    out += bytes([0x7D, b ^ 0x20])
                else:
                    out.append(b)
            return out.decode("latin-1")

        cases = [("M top-4,8", "M%x,8:%s" % (top - 4, "5a" * 8)),
                 ("M stack-4,8", "M%x,8:%s" % (stack - 4, "5a" * 8)),
                 ("X top-4,8", "X%x,8:%s" % (top - 4, esc(b"\x24\x23\x7d\x2a" * 2))),
                 ("X stack-4,8", "X%x,8:%s" % (stack - 4, esc(b"\xa5" * 8))),
                 ("X top-0x1000,0x2000", "X%x,2000:%s" % (top - 0x1000, esc(b"\x5a" * 0x2000))),
                 ("M top-0x1000,0x1001", "M%x,1001:%s" % (top - 0x1000, "a5" * 0x1001)),
                 ("M stack-0x1000,0x1008", "M%x,1008:%s" % (stack - 0x1000, "a5" * 0x1008))]
        for what, pkt in cases:
            rep = c.request(pkt)
            now_top, now_bot = c.read(top - 0x1000, 0x1000), c.read(stack, 0x1000)
            if not rep.startswith("E") or now_top != top_pg or now_bot != bot_pg:
                bad.append("%s: reply %r, top page %s, bottom page %s"
                           % (what, rep, "unchanged" if now_top == top_pg else "CHANGED",
                              "unchanged" if now_bot == bot_pg else "CHANGED"))
                if now_top != top_pg:
                    restore.append((top - 0x1000, top_pg))
                if now_bot != bot_pg:
                    restore.append((stack, bot_pg))
        # Control: a write inside the stack goes through (same bytes back).
        rep_ok = c.request("M%x,8:%s" % (top - 8, top_pg[-8:].hex()))
        if rep_ok != "OK":
            bad.append("control write inside the stack: %r" % rep_ok)
    except (OSError, RuntimeError, ValueError) as e:
        bad.append("%s: %s" % (type(e).__name__, e))
    for a, data in restore:
        c.request("M%x,%x:%s" % (a, len(data), data.hex()))
    c.close()
    err = wst.stderr()
    ck.check("%s: write: raw M and X across the stack ends (8 B, 4 KiB + 1, 8 KiB) fail "
             "whole (E..), mapped bytes unchanged; a write inside succeeds" % cfg,
             not bad and wst.proc.poll() is None,
             "\n".join(bad) + "\nlkstub --write stderr:\n" + err[-1500:])
    wst.close()


# ----------------------------------------------------------------- 5. reboot

class RebootGuest(h.Guest):
    """A guest whose reset reboots it (no -no-reboot)."""

    def edit_cmd(self, cmd):
        return [a for a in cmd if a != "-no-reboot"]


def wait_ready_n(g, n, timeout=240):
    """Waits for the n-th READY in the serial log: kallsyms _text of that boot."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        text = open(g.serial, errors="replace").read()
        if len(re.findall(r"^READY", text, re.M)) >= n:
            return int(re.findall(r"KALLSYMS ([0-9a-f]+) T _text", text)[n - 1], 16)
        if g.proc.poll() is not None:
            raise RuntimeError("QEMU exited (%s)" % g.proc.returncode)
        time.sleep(0.2)
    raise RuntimeError("no READY #%d after %ds" % (n, timeout))


def reboot(k, wd, initrd, ck, cfg="fault-reboot"):
    ck.mark()
    h.derive_config(cfg, "5level-kaslr")
    syms = h.kernel_syms(k["VMLINUX"], ("_text", "init_uts_ns", "jiffies_64", "linux_banner",
                                        "tick_nsec"))
    want_rel = k["KVER"].encode() + b"\0"
    t = time.time()
    g = RebootGuest(cfg, k, wd).start(initrd)
    try:
        _reboot(cfg, g, k, ck, syms, want_rel, t)
    finally:
        g.close()


def _reboot(cfg, g, k, ck, syms, want_rel, t):
    off1 = g.kaslr_text - syms["_text"]
    stub = h.Stub(g, name="lkstub-reboot")
    ck.check("%s: boot (no -no-reboot) in %.0fs; lkstub kaslr offset 0x%x == kallsyms 0x%x"
             % (cfg, time.time() - t, stub.kaslr_offset() or 0, off1),
             stub.kaslr_offset() == off1, stub.summary)
    a = h.RSP(stub.connect(10))
    a.sock.settimeout(30)

    def state(c, off):
        mon, _ = c.monitor("kaslr")
        rel = c.request("m%x,%x" % (syms["init_uts_ns"] + off + h.UTS_RELEASE_OFFSET,
                                    len(want_rel)))
        jr = c.request("m%x,8" % (syms["jiffies_64"] + off))
        j = int.from_bytes(bytes.fromhex(jr), "little") if not jr.startswith("E") else None
        return mon, rel, j

    # CONFIG_HZ from the kernel's tick_nsec (NSEC_PER_SEC / HZ, rounded):
    # "small again" after a reset means no more than the time since the
    # reset, counted from INITIAL_JIFFIES.
    _, _, j0 = state(a, off1)
    tn = a.request("m%x,8" % (syms["tick_nsec"] + off1))
    tick = int.from_bytes(bytes.fromhex(tn), "little") if not tn.startswith("E") else 0
    hz = min((100, 250, 300, 1000), key=lambda x: abs(x * tick - 10 ** 9))
    initial = (1 << 32) - 300 * hz

    # Reset #1: a new client must see the new kernel (on_attach).
    offs = [off1]
    for n, how in ((2, "new client"), (3, "monitor rescan")):
        ck.mark()
        tr = time.time()
        g.qmp.cmd("system_reset")
        offn = wait_ready_n(g, n) - syms["_text"]
        dt_boot = time.time() - tr
        time.sleep(1)
        err0 = stub.stderr()
        if how == "new client":
            c = h.RSP(stub.connect(10))
            c.sock.settimeout(60)
            note = ""
        else:
            c = a
            note, ok_r = a.monitor("rescan")
            note = ("ok " if ok_r else "FAILED ") + note
        mon, rel, j = state(c, offn)
        since = time.time() - tr
        time.sleep(1)
        _, _, j_later = state(c, offn)
        up = (j - initial) / hz if j is not None else None
        said = stub.stderr()[len(err0):]
        moved = offn != offs[-1]
        ok = (("KASLR offset 0x%x," % offn) in mon and rel == want_rel.hex()
              and up is not None and 0 <= up <= since + 1 and j_later and j_later > j)
        if how == "monitor rescan":
            # "found: HOW\nKASLR offset 0x...\n" then the symbols' line
            ok = ok and note.startswith("ok") and re.search(
                r"^KASLR offset 0x%x$" % offn, note, re.M) is not None
        else:
            ok = ok and (not moved or "no longer where it was" in said)
        if moved:
            ok = ok and "the kernel moved: KASLR offset 0x%x" % offn in said
        ck.check("%s: reset #%d (boot %.0fs), %s: monitor kaslr 0x%x == kallsyms 0x%x (was 0x%x%s), "
                 "release right, jiffies_64 %s = %.1fs of uptime (HZ %d; %.1fs since the "
                 "reset; %s before the resets; tick_nsec %d), advancing"
                 % (cfg, n - 1, dt_boot, how, _kaslr_of(mon) or 0, offn, offs[-1],
                    "" if moved else ": SAME offset, weaker check", j, up if up is not None else -1,
                    hz, since, j0, tick),
                 ok, "monitor kaslr: %s\nrelease: %s\njiffies %s -> %s\nrescan: %s\n"
                 "lkstub said:\n%s" % (mon, rel, j, j_later, note, said[-2000:]))
        h.log("reset #%d: lkstub said: %s" % (n - 1, " | ".join(
            l for l in said.splitlines() if "connected" not in l)))
        if c is not a:
            c.close()
        offs.append(offn)
    a.close()
    ck.check("%s: lkstub-reboot still running" % cfg, stub.proc.poll() is None,
             stub.stderr()[-1500:])
    stub.close()


def _kaslr_of(mon):
    m = re.search(r"KASLR offset (0x[0-9a-f]+)", mon)
    return int(m.group(1), 16) if m else None


# ---------------------------------------------------------------- entry points

PARTS = ("clients", "truncate", "write", "sanitizers", "reboot")
parts = PARTS   # what runs (standalone: the command line's)


def applies(ctx):
    return ctx.base == "5level-kaslr"


def after_gdb(ctx):
    """The checks on the suite's guest and lkstub."""
    cfg, g, k, stub, off, ck = ctx.cfg, ctx.g, ctx.k, ctx.stub, ctx.off, ctx.ck
    g.stop()
    syms = h.kernel_syms(k["VMLINUX"], ("_text", "init_uts_ns", "jiffies_64", "linux_banner"))

    def truncate_asan():
        why = stale_asan()
        if why:   # the same build the sanitizer part checks
            ck.check("%s: VM exit (asan): ASan+UBSan lkstub usable" % cfg, False, why)
        else:
            truncate(cfg, g, k, off, ck, syms, h.LKSTUB_ASAN, "asan", SAN_ENV)

    steps = [("clients", lambda: clients(cfg, g, k, stub, off, ck, syms)),
             ("truncate", lambda: truncate(cfg, g, k, off, ck, syms, h.LKSTUB, "normal")),
             ("truncate", truncate_asan),
             ("sanitizers+write", lambda: sanitizers_and_writes(
                 cfg, g, k, stub, off, ck, syms, "sanitizers" in parts, "write" in parts)),
             ("reboot", lambda: reboot(k, ctx.wd, ctx.initrd, ck))]
    for name, fn in steps:
        if not set(name.split("+")) & set(parts):
            continue
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            ck.harness_failure("%s: fault checks: %s" % (cfg, name), e)


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] != "run":
        sys.exit(__doc__)
    parts = tuple(sys.argv[2].split(",")) if len(sys.argv) > 2 else PARTS
    sys.exit(h.run_suite([sys.modules[__name__]],
                         [h.derive_config("fault-5level", "5level-kaslr")]))
