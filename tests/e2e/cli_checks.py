"""Command-line errors, without a guest: bad options, missing files, an
unbooted RAM file; lkstub's exit status and the first line of its message."""

import errno
import os

import harness as h


def suite(ctx):
    zero = os.path.join(ctx.wd, "zero-64M.ram")
    with open(zero, "wb") as f:
        f.truncate(64 << 20)
    vml = ctx.k["VMLINUX"]
    noram = os.path.join(ctx.wd, "no-such-ram")
    novml = os.path.join(ctx.wd, "no-such-vmlinux")
    enoent = os.strerror(errno.ENOENT)
    lst = ["-l", "127.0.0.1:%d" % h.free_port()]
    # (what, args, exit status, strings its first message line must hold)
    cases = [
        ("unknown option", ["-k", vml, "--no-such-option"] + lst + [zero], 2,
         ["--no-such-option"]),
        ("--layout bogus", ["-k", vml, "--layout", "bogus"] + lst + [zero], 2,
         ["--layout", "bogus"]),
        ("--region 12", ["-k", vml, "--region", "12"] + lst + [zero], 2, ["--region", "12"]),
        ("missing -k", lst + [zero], 2, ["--vmlinux"]),
        ("missing RAM file", ["-k", vml] + lst + [noram], 1, [noram, enoent]),
        ("missing vmlinux", ["-k", novml] + lst + [zero], 1, [novml, enoent]),
        ("unbooted 64 MiB zero RAM file", ["-k", vml] + lst + [zero], 1,
         ["kernel not found"]),
    ]
    for what, args, want, needles in cases:
        rc, err = h.lkstub_exit(args)
        first = (err.splitlines() or [""])[0]
        ok = rc == want and first.startswith("lkstub: ") and all(n in first for n in needles)
        ctx.ck.check("cli: %s: exit %s, message names it" % (what, rc), ok,
                     "want exit %d and %s in the first line; got exit %s:\n%s"
                     % (want, needles, rc, err[-1500:]))
    os.unlink(zero)
