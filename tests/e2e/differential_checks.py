"""The differential battery (battery.py): the same gdb probes through
lkstub and through QEMU's own gdbstub on the same paused guest must print
the same, errors included. Also lkstub's KASLR offset against kallsyms,
`lkstub --discover=banner` (no vmcoreinfo) on the KASLR configs, `monitor
kaslr`, and jiffies_64 advancing through lkstub on the running guest.

`e2e.py oracle` (oracle() here) runs the battery twice through QEMU's stub
on each paused guest instead: the battery itself must be deterministic."""

import os

import harness as h

BANNER_CONFIGS = ("5level-kaslr", "arm64-kaslr")


def before_gdb(ctx):
    got = ctx.stub.kaslr_offset()
    ctx.ck.check("%s: lkstub starts; kaslr offset 0x%x (kallsyms says 0x%x)"
                 % (ctx.cfg, got or 0, ctx.off), got == ctx.off, ctx.stub.summary)
    ctx.banner = None
    if ctx.base in BANNER_CONFIGS:
        ctx.banner = h.Stub(ctx.g, ["--discover=banner"], "lkstub-banner")
        ctx.stubs.append(ctx.banner)
        got = ctx.banner.kaslr_offset()
        ctx.ck.check("%s: lkstub --discover=banner kaslr offset 0x%x" % (ctx.cfg, got or 0),
                     got == ctx.off, ctx.banner.summary)


def gdb_steps(ctx):
    for n in ("lkstub", "banner"):
        ctx.outs[n] = os.path.join(ctx.g.dir, n + ".txt")
    steps = [["remote", ctx.stub.addr], ["cmd", "monitor.kaslr", "monitor kaslr"],
             ["cmd", "monitor.info", "monitor info"],
             ["battery", ctx.outs["lkstub"]], ["disconnect"]]
    if ctx.banner:
        steps += [["remote", ctx.banner.addr], ["battery", ctx.outs["banner"]], ["disconnect"]]
    return steps


def live_steps(ctx):
    return [["remote", ctx.stub.addr], ["jiffies", "live.jiffies1"], ["sleep", 1.0],
            ["jiffies", "live.jiffies2"], ["disconnect"]]


def after_gdb(ctx):
    ck, cfg, r = ctx.ck, ctx.cfg, ctx.r
    q = h.read_lines(ctx.outs["qemu"])
    sane = h.battery_sanity(q or [])
    ck.check("%s: QEMU battery sane (%d probes)" % (cfg, len(q or [])), not sane, sane)
    lk = h.read_lines(ctx.outs["lkstub"])
    d = h.diff(lk, q)
    ck.check("%s: battery lkstub == QEMU (%d probes)" % (cfg, len(lk or [])), not d, d)
    if ctx.banner:
        b = h.read_lines(ctx.outs["banner"])
        d = h.diff(b, q, "lkstub-banner")
        ck.check("%s: battery lkstub --discover=banner == QEMU" % cfg, not d, d)
    mk = r.get("monitor.kaslr", "")
    ck.check("%s: monitor kaslr mentions 0x%x" % (cfg, ctx.off), ("%x" % ctx.off) in mk.lower(),
             mk)
    try:
        j1, j2 = int(r.get("live.jiffies1")), int(r.get("live.jiffies2"))
    except (TypeError, ValueError):
        j1 = j2 = None
    ck.check("%s: live jiffies_64 advances through lkstub (%s -> %s)" % (cfg, j1, j2),
             j1 is not None and j2 > j1,
             "%s / %s" % (r.get("live.jiffies1"), r.get("live.jiffies2")))


def oracle(argv):
    """Battery twice through QEMU's stub on the same paused guest."""
    ck = h.Checks()
    try:
        wd = h.workdir()
        for cfg in h.configs():
            ck.mark()
            k, initrd, syms = h.inputs(h.kernel_of(cfg), wd)
            arch = h.arch_of(cfg)
            g = h.Guest(cfg, k, wd).start(initrd)
            h.check_boot(ck, cfg, g)
            g.stop()
            off = g.kaslr_text - syms["_text"]
            o1, o2 = os.path.join(g.dir, "qemu1.txt"), os.path.join(g.dir, "qemu2.txt")
            qemu = "127.0.0.1:%d" % g.port
            # Both passes run in one attach: QEMU resumes the guest on detach.
            script, _ = h.gdb_plan(os.path.join(g.dir, "oracle"), k["VMLINUX"], off, [
                ["remote", qemu], ["pick"], ["battery", o1], ["battery", o2], ["disconnect"]],
                arch)
            rc, dt = h.run_gdb(script, os.path.join(g.dir, "oracle.log"), gdb=h.GDB[arch])
            a, b = h.read_lines(o1), h.read_lines(o2)
            ck.check("%s: battery through QEMU (%s probes, gdb %.0fs)"
                     % (cfg, len(a) if a else 0, dt), rc == 0 and a is not None,
                     open(os.path.join(g.dir, "oracle.log")).read()[-3000:])
            ck.check("%s: battery sane" % cfg, not h.battery_sanity(a or []),
                     h.battery_sanity(a or []))
            d = h.diff(a, b, "qemu#1", "qemu#2")
            ck.check("%s: two QEMU passes identical" % cfg, not d, d)
            g.close()
    except Exception as e:  # noqa: BLE001
        ck.harness_failure("oracle", e)
    finally:
        h.cleanup()
    return ck.tally()
