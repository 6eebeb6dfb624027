"""Symbols without set-up: gdb with nothing but `target remote` has the
vmlinux's and the loaded modules' symbols at their runtime addresses, equal
to what QEMU's stub gives with the usual add-symbol-file lines; a module
loaded after gdb attached is there after `monitor rescan`.

The modules' object files are the -dbg package's (kernel.sh DBGMODDIR),
given with --modules: dummy.ko compressed with xz and crc7.ko with zstd,
as Debian 6.12 ships them, loop.ko as it is. The guest's init prints each
module's sections from /sys/module/NAME/sections (the oracle for the
add-symbol-file lines given to the QEMU side) and loads crc7 late, when
its domainname becomes LATE_TRIGGER (written here through lkstub --write).
"""

import lzma
import os
import re
import shutil
import subprocess
import time

import harness as h

CONFIGS = ("5level-kaslr", "arm64-kaslr", "6.12-x86", "6.12-arm64", "6.12-arm64-16k")
LATE_TRIGGER = h.LATE_TRIGGER


def applies(ctx):
    return ctx.cfg in CONFIGS


def _module_dir(ctx):
    """--modules DIR for this kernel: the debug objects, two compressed."""
    src = ctx.k["DBGMODDIR"]
    d = os.path.join(ctx.wd, "symbols-modules-" + ctx.kkey)
    if os.path.isdir(d):
        return d
    os.makedirs(d)
    for dp, _, files in os.walk(src):
        for f in files:
            p = os.path.join(dp, f)
            if f == "dummy.ko":
                with open(p, "rb") as i, lzma.open(os.path.join(d, f + ".xz"), "wb") as o:
                    shutil.copyfileobj(i, o)
            elif f == "crc7.ko":
                subprocess.run(["zstd", "-q", "-f", p, "-o", os.path.join(d, f + ".zst")],
                               check=True)
            else:
                shutil.copy(p, d)
    return d


def _sections(serial):
    """{module: {section: address}} from the init's SECTION lines."""
    out = {}
    for m, sec, addr in re.findall(r"^SECTION (\S+) (\S+) (0x[0-9a-f]+)", serial, re.M):
        out.setdefault(m, {})[sec] = addr
    return out


def _manual_lines(ctx, secs, dbg):
    """The add-symbol-file lines a user types for QEMU's stub."""
    lines = ["add-symbol-file %s -o 0x%x%s" % (ctx.k["VMLINUX"], ctx.off,
                                              " -s .data..percpu 0" if ctx.arch == "amd64" else "")]
    for mod in ("dummy", "loop"):
        s = secs.get(mod, {})
        if ".text" not in s:
            raise RuntimeError("no sections of %s in the serial log" % mod)
        rest = " ".join("-s %s %s" % (k, v) for k, v in sorted(s.items())
                        if k != ".text" and not k.startswith(".note") and int(v, 16))
        lines.append("add-symbol-file %s %s %s" % (h.find_module(dbg, mod), s[".text"], rest))
    return lines


# The same expressions through both stubs, on the paused guest.
PROBES = [
    ("release", "print init_uts_ns.name.release"),
    ("init_task", "print/x (unsigned long)&init_task"),
    ("runqueues", "print/x (unsigned long)&runqueues"),
    ("rq1.cpu", "print ((struct rq *)((unsigned long)&runqueues + __per_cpu_offset[1]))->cpu"),
    ("rq0.curr", "print ((struct rq *)((unsigned long)&runqueues + __per_cpu_offset[0]))->curr->comm"),
    ("dummy_dev_init", "print/x (unsigned long)&dummy_dev_init"),
    ("numdummies", "print numdummies"),
    ("&numdummies", "print/x (unsigned long)&numdummies"),
    ("max_loop", "print max_loop"),
    ("&max_loop", "print/x (unsigned long)&max_loop"),
]


def _value(out):
    m = re.search(r"^\$\d+ = (.*)$", out or "", re.M)
    return m.group(1).strip() if m else (out or "").strip()[:200]


def before_gdb(ctx):
    cfg, g, ck = ctx.cfg, ctx.g, ctx.ck
    dbg = ctx.k["DBGMODDIR"]
    mods = _module_dir(ctx)
    cache = os.path.join(ctx.wd, "symbols-cache")
    stub = h.Stub(g, ["--modules", mods, "--cache", cache, "--write"], name="lkstub-symbols",
                  symbols=True)
    ctx.stubs.append(stub)
    ctx.symbols_stub = stub
    gdb = h.GDB[ctx.arch]

    t = time.time()
    rc, auto = h.gdb_quick([("connect", "target remote " + stub.addr)]
                           + list(PROBES)
                           + [("info_symbol", "info symbol dummy_dev_init"),
                              ("monitor", "monitor symbols"),
                              ("libs", "info sharedlibrary")],
                           os.path.join(g.dir, "symbols-auto.log"), timeout=600, gdb=gdb)
    dt = time.time() - t
    ck.check("%s: gdb with only `target remote`: session (%.0fs)" % (cfg, dt), rc == 0,
             open(os.path.join(g.dir, "symbols-auto.log"), errors="replace").read()[-2000:])
    ck.check("%s: auto symbols: init_uts_ns.name.release is %s" % (cfg, ctx.k["KVER"]),
             ctx.k["KVER"] in auto.get("release", ""), auto.get("release"))
    ck.check("%s: auto symbols: per-cpu arithmetic (runqueues of CPU 1 says cpu 1)" % cfg,
             _value(auto.get("rq1.cpu")) == "1", auto.get("rq1.cpu"))
    libs = auto.get("libs", "")
    ck.check("%s: auto symbols: gdb loaded the vmlinux, dummy and loop" % cfg,
             all(re.search(r"Yes\s+\S*%s" % n, libs) for n in ("vmlinux", "dummy", "loop")), libs)
    # The function is named; its offset is not checked: gdb places the
    # minimal (ELF) symbols of a section map's object by the map's section
    # of the same index (docs/design.md, known limits), which is right for
    # dummy.ko on x86_64 and off on arm64. DWARF symbols (the probes
    # below) are right on both.
    info = auto.get("info_symbol", "")
    h.log("%s: info symbol dummy_dev_init: %s" % (cfg, info.strip()))
    ck.check("%s: auto symbols: info symbol of a module function names it" % cfg,
             re.match(r"dummy_dev_init( \+ \d+)? in section \.text of \S*dummy\.ko", info)
             is not None, info)
    mon = auto.get("monitor", "")
    ck.check("%s: monitor symbols names each module's file" % cfg,
             all(re.search(r"%s\s+0x[0-9a-f]+\s+\S+%s\.ko" % (n, n), mon) for n in ("dummy", "loop")),
             mon)

    # QEMU's stub with the lines a user would type (sections from the
    # guest's own /sys/module).
    serial = open(g.serial, errors="replace").read()
    lines = _manual_lines(ctx, _sections(serial), dbg)
    rc, man = h.gdb_quick([("sym%d" % i, l) for i, l in enumerate(lines)]
                          + [("connect", "target remote " + ctx.qemu)] + list(PROBES),
                          os.path.join(g.dir, "symbols-qemu.log"), timeout=600, gdb=gdb)
    g.stop()  # QEMU's stub may resume the guest when gdb leaves
    same = [n for n, _ in PROBES if _value(auto.get(n)) == _value(man.get(n))
            and not _value(auto.get(n)).startswith("ERROR")]
    diff = ["%s: %s | %s" % (n, _value(auto.get(n)), _value(man.get(n)))
            for n, _ in PROBES if n not in same]
    ck.check("%s: auto symbols == QEMU's stub with add-symbol-file (%d probes)" % (cfg, len(PROBES)),
             not diff, "\n".join(diff))


LATE_WAIT = r"""
import time, re
deadline = time.time() + 60
while time.time() < deadline and not re.search(r"^LATE crc7 loaded", open(%r, errors="replace").read(), re.M):
    time.sleep(0.2)
"""


def after_gdb(ctx):
    """The guest runs again: load crc7 in it while gdb is attached."""
    cfg, g, ck = ctx.cfg, ctx.g, ctx.ck
    g.cont()  # the guest runs (a check before may have paused it)
    stub = ctx.symbols_stub
    waiter = os.path.join(g.dir, "late_wait.py")
    with open(waiter, "w") as f:
        f.write(LATE_WAIT % g.serial)
    trigger = LATE_TRIGGER.encode()
    rc, r = h.gdb_quick([
        ("connect", "target remote " + stub.addr),
        ("before", "info symbol crc7_be"),
        ("trigger", "set {char[%d]}&init_uts_ns.name.domainname = \"%s\""
         % (len(trigger) + 1, LATE_TRIGGER)),
        ("wait", "source " + waiter),
        ("rescan", "monitor rescan"),
        ("load", "sharedlibrary"),
        ("after", "info symbol crc7_be"),
        ("value", "print crc7_be_syndrome_table[1]"),
    ], os.path.join(g.dir, "symbols-late.log"), timeout=600, gdb=h.GDB[ctx.arch])
    loaded = re.search(r"^LATE crc7 loaded", open(g.serial, errors="replace").read(), re.M)
    ck.check("%s: crc7 loaded in the guest after gdb attached" % cfg, loaded is not None,
             r.get("trigger", ""))
    ck.check("%s: before: gdb has no crc7" % cfg, "crc7_be in section" not in r.get("before", ""),
             r.get("before"))
    ck.check("%s: after monitor rescan + sharedlibrary: info symbol crc7_be names it" % cfg,
             re.search(r"^crc7_be( \+ \d+)? in section \.text of \S*crc7\.ko", r.get("after", ""),
                       re.M) is not None,
             "%s\n%s" % (r.get("rescan"), r.get("after")))
    # crc7_be_syndrome_table[1] is 0x12 in lib/crc7.c.
    ck.check("%s: a crc7 variable reads through its symbols" % cfg,
             _value(r.get("value")).startswith("18"), r.get("value"))
