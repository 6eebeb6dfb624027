"""Writes: refused by an lkstub without --write; through `lkstub --write`
on the running guest, read back through it and through QEMU's stub."""

import harness as h

DOMAIN = b"lkstub-e2e-write"
DOM = "&init_uts_ns.name.domainname"


def before_gdb(ctx):
    ctx.wstub = h.Stub(ctx.g, ["--write"], "lkstub-write")
    ctx.stubs.append(ctx.wstub)


def gdb_steps(ctx):
    return [["remote", ctx.stub.addr], ["write", "write.readonly", DOM, DOMAIN.hex()],
            ["disconnect"]]


def live_steps(ctx):
    return [["remote", ctx.wstub.addr], ["write", "write.lkstub", DOM, (DOMAIN + b"\0").hex()],
            ["read", "write.readback.lkstub", DOM, len(DOMAIN) + 1], ["disconnect"],
            ["remote", ctx.qemu], ["pick"],
            ["read", "write.readback.qemu", DOM, len(DOMAIN) + 1], ["disconnect"]]


def after_gdb(ctx):
    ck, cfg, r = ctx.ck, ctx.cfg, ctx.r
    ck.check("%s: write refused without --write" % cfg,
             r.get("write.readonly", "").startswith("ERROR"), r.get("write.readonly"))
    want = (DOMAIN + b"\0").hex()
    ck.check("%s: write through lkstub --write" % cfg,
             r.get("write.lkstub") == "ok" and r.get("write.readback.lkstub") == want,
             "write: %s readback: %s" % (r.get("write.lkstub"), r.get("write.readback.lkstub")))
    ck.check("%s: write seen through QEMU's stub" % cfg,
             r.get("write.readback.qemu") == want, r.get("write.readback.qemu"))
