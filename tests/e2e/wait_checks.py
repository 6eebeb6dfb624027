"""`lkstub --wait` started as soon as QEMU has created the RAM file, before
the kernel runs: it must serve the guest once it is up. Rides along with
one boot: 4level-nokaslr, or the first configuration of the run."""

import os
import time

import harness as h


def applies(ctx):
    return ctx.cfg == ("4level-nokaslr" if "4level-nokaslr" in ctx.cfgs else ctx.cfgs[0])


def launch(ctx):
    g = ctx.g
    mem = h.CONFIGS[g.config][1]
    size = int(mem[:-1]) << {"M": 20, "G": 30}[mem[-1]]
    ctx.wait_stub, ctx.wait_error = None, None
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            if os.path.getsize(g.ram) == size:
                break
        except OSError:
            pass
        time.sleep(0.02)
    else:
        ctx.wait_error = "QEMU did not create %s (%d bytes)" % (g.ram, size)
        return
    ctx.wait_stub = h.Stub(g, ["--wait=60"], "lkstub-wait", ready=False)


def booted(ctx):
    ok, detail, s = False, ctx.wait_error, ctx.wait_stub
    if s:
        try:
            s.wait_ready(30)
            want = ("Linux version %s " % ctx.k["KVER"]).encode()
            got = h.rsp_client_read(s.addr, ctx.syms["linux_banner"] + ctx.off, len(want))
            ok = ("waiting for the kernel" in s.summary.split("\n", 1)[0]
                  and "ready in" in s.summary and s.kaslr_offset() == ctx.off and got == want)
            detail = "read %r want %r; stderr:\n%s" % (got, want, s.summary)
        except RuntimeError as e:
            detail = str(e)
        s.close()
    ctx.ck.check("%s: lkstub --wait=60 started before boot, serves once up" % ctx.cfg, ok,
                 detail)
