"""One client's long request or a hostile guest cannot stall the others.

On 5level-kaslr, after the fault checks, on the paused guest. A normal client (rsp_client probe) reads 8 bytes of
init_uts_ns every 2 ms and times every read, first alone (the figures
show the machine's own noise), then in two phases where each read must
take under READ_BOUND_MS:

1. while another client searches memory with qSearch:memory, back to
   back, for a pattern that is nowhere: the most one search may cover
   (4 GiB) from the direct map's start + 1 MiB, so each one reads until
   the first unmapped page (lkstub works on it in 2 ms slices and serves
   the others in between);
2. while, on top of that, the guest "disappears": linux_banner is
   overwritten (through an lkstub --write), so every client that connects
   fails the check that the kernel is still there, and new clients
   connect every ATTACH_EVERY_S; lkstub looks for the kernel in a child
   process at most once per 2 s, backing off after each failed look (its
   stderr says how many it did). The banner is put back afterwards, and a
   new client reads it.

Standalone:  stall_checks.py run   boots its own guest (`stall-5level`).
"""

import os
import re
import statistics
import subprocess
import sys
import threading
import time

import harness as h

READ_BOUND_MS = 50         # a normal client's 8-byte read
PHASE_S = 6                # each phase's length
PAUSE_US = 2000            # between two of the normal client's reads
ATTACH_EVERY_S = 0.1       # new clients while the kernel is "gone"
RESCAN_MIN_S = 2.0         # stub/target/rescan_limit.h: RESCAN_MIN_NS
SEARCH_LEN = 4 << 30       # the most one qSearch may cover


class Loop(threading.Thread):
    """Runs step() until stopped; step errors end the loop and are kept."""

    def __init__(self):
        super().__init__(daemon=True)
        self.halt = threading.Event()
        self.errors = []

    def run(self):
        try:
            while not self.halt.is_set():
                self.step()
        except Exception as e:  # noqa: BLE001
            self.errors.append("%s: %s" % (type(e).__name__, e))

    def finish(self):
        self.halt.set()
        self.join(120)
        self.close()
        if self.is_alive():
            self.errors.append("still running")


class Reader:
    """The normal client: build/tests/tools/rsp_client probe, 8-byte reads
    of the same bytes PAUSE_US apart, each timed (a process of its own:
    Python threads would time each other)."""

    def __init__(self, stub, addr, seconds):
        self.cmd = [h.RSP_CLIENT, stub.addr, "probe", "0x%x" % addr, str(seconds),
                    str(PAUSE_US)]
        self.errors = []
        self.out = ""

    def start(self):
        self.p = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True)

    def finish(self):
        self.out = self.p.communicate(timeout=120)[0]
        m = re.search(r"probe: (\d+) reads .*median ([\d.]+) us, 99th percentile ([\d.]+) us, "
                      r"worst ([\d.]+) us, (\d+) differ", self.out)
        if self.p.returncode or not m:
            self.errors.append("rsp_client probe: exit %d: %s" % (self.p.returncode, self.out))
            self.reads, self.worst_ms, self.text = 0, float("inf"), self.out.strip()
            return
        self.reads = int(m.group(1))
        self.worst_ms = float(m.group(4)) / 1000
        if int(m.group(5)):
            self.errors.append("%s reads differ from the first" % m.group(5))
        self.text = ("%d reads, median %.2f ms, 99th percentile %.2f ms, worst %.2f ms"
                     % (self.reads, float(m.group(2)) / 1000, float(m.group(3)) / 1000,
                        self.worst_ms))


class Searcher(Loop):
    """qSearch:memory over and over for 16 bytes found nowhere."""

    def __init__(self, stub, addr):
        super().__init__()
        self.c = h.RSP(stub.connect(10))
        self.c.sock.settimeout(120)
        self.addr = addr
        self.pattern = os.urandom(8).hex()   # 16 hex digits, as bytes
        self.times, self.replies = [], []

    def step(self):
        t = time.perf_counter()
        r = self.c.request("qSearch:memory:%x;%x;%s" % (self.addr, SEARCH_LEN, self.pattern))
        self.times.append(time.perf_counter() - t)
        self.replies.append(r)

    def close(self):
        self.c.close()


class Attacher(Loop):
    """A new client every ATTACH_EVERY_S: each one's attach runs lkstub's
    check that the kernel is still there."""

    def __init__(self, stub):
        super().__init__()
        self.stub = stub
        self.times = []

    def step(self):
        t = time.perf_counter()
        c = h.RSP(self.stub.connect(10))   # connect + qSupported
        self.times.append(time.perf_counter() - t)
        c.close()
        time.sleep(ATTACH_EVERY_S)

    def close(self):
        pass


def start(*loops):
    for o in loops:
        o.start()


def finish(ck, name, reader, *others):
    """Stops them all (the reader stops by itself after PHASE_S); checks
    the reader's reads and everyone's errors."""
    reader.finish()
    for o in others:
        o.finish()
    errs = [e for o in (reader,) + others for e in o.errors]
    ck.check("%s: 8-byte reads under %d ms: %s" % (name, READ_BOUND_MS, reader.text),
             reader.reads and reader.worst_ms < READ_BOUND_MS and not errs, "\n".join(errs))


def applies(ctx):
    return ctx.base == "5level-kaslr"


def after_gdb(ctx):
    """The checks on the suite's guest and lkstub."""
    cfg, g, k, stub, off, ck = ctx.cfg, ctx.g, ctx.k, ctx.stub, ctx.off, ctx.ck
    g.stop()
    syms = h.kernel_syms(k["VMLINUX"], ("init_uts_ns", "linux_banner"))
    rel = syms["init_uts_ns"] + off + h.UTS_RELEASE_OFFSET
    banner = syms["linux_banner"] + off
    base = int(h.summary_field(stub.summary, "page_offset"), 16) + (1 << 20)
    probe = h.RSP(stub.connect(10))
    saved = probe.read(banner, 32)
    probe.close()

    # 0. the machine's own noise: the same reads with nothing else going on
    r = Reader(stub, rel, PHASE_S)
    start(r)
    r.finish()
    ck.check("%s: baseline, no other client: %s" % (cfg, r.text), r.reads and not r.errors,
             "\n".join(r.errors))

    # 1. a long search
    r, s = Reader(stub, rel, PHASE_S), Searcher(stub, base)
    start(s, r)
    finish(ck, "%s: while another client searches 4 GiB with qSearch" % cfg, r, s)
    ck.check("%s: qSearch from the direct map: %d searches, each %.2f s, all \"0\""
             % (cfg, len(s.times), statistics.median(s.times or [0])),
             s.times and all(x == "0" for x in s.replies), "replies: %s" % s.replies[:5])

    # 2. the guest's kernel "disappears" while clients keep attaching
    w = h.Stub(g, ["--write"], "lkstub-stall-write")
    wc = h.RSP(w.connect(10))
    r, s, a = Reader(stub, rel, PHASE_S + 1), Searcher(stub, base), Attacher(stub)
    start(s, r)
    said_before = len(stub.stderr())
    t0 = time.time()
    try:
        ok = wc.request("M%x,10:%s" % (banner, b"not the banner!!".hex())) == "OK"
        ck.check("%s: linux_banner overwritten through lkstub --write" % cfg, ok)
        start(a)
        finish(ck, "%s: while clients attach to a guest whose kernel is gone, and "
               "another client searches" % cfg, r, s, a)
    finally:
        dt = time.time() - t0
        restored = wc.request("M%x,20:%s" % (banner, saved.hex())) == "OK"
        wc.close()
        w.close()
    said = stub.stderr()[said_before:]
    rescans = said.count("looking again")
    # One at once, then after waits of 2, 4, 8 ... s.
    bound = 1 + sum(1 for i in range(8) if RESCAN_MIN_S * (2 ** (i + 1) - 1) <= dt)
    ck.check("%s: %d attaches in %.1fs made %d rescans (bound %d), the slowest attach %.0f ms"
             % (cfg, len(a.times), dt, rescans, bound, 1000 * max(a.times or [0])),
             len(a.times) >= 20 and 1 <= rescans <= bound and "next look in" in said,
             said[-3000:])
    c = h.RSP(stub.connect(10))
    back = c.read(banner, 32)
    c.close()
    ck.check("%s: banner put back; a new client reads it" % cfg,
             restored and back == saved, "%r vs %r" % (back, saved))


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] != "run":
        sys.exit(__doc__)
    sys.exit(h.run_suite([sys.modules[__name__]],
                         [h.derive_config("stall-5level", "5level-kaslr")]))
