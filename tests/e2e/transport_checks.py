"""How gdb reaches lkstub, on 5level-kaslr: a wrong vmlinux refused with
both build-ids, unix socket (mode 0600) and IPv6 listeners, two RSP
connections at once, `monitor translate` against the RAM file, `target
remote | lkstub -l -` (stdio), and detach then a new gdb."""

import os
import re
import subprocess

import harness as h


def applies(ctx):
    return ctx.base == "5level-kaslr"


def build_tiny(wd):
    """A small ELF with a GNU build-id and a symbol table: (path, build-id)."""
    src, exe = os.path.join(wd, "tiny.c"), os.path.join(wd, "tiny")
    with open(src, "w") as f:
        f.write("int tiny_var = 1;\nint main(void) { return tiny_var - 1; }\n")
    subprocess.run(["gcc", "-g", "-Wl,--build-id", "-o", exe, src], check=True)
    notes = subprocess.run(["readelf", "-n", exe], stdout=subprocess.PIPE, text=True,
                           check=True).stdout
    return exe, re.search(r"Build ID: ([0-9a-f]+)", notes).group(1)


def before_gdb(ctx):
    ck, cfg, g, k, stub = ctx.ck, ctx.cfg, ctx.g, ctx.k, ctx.stub
    exe, tiny_id = build_tiny(ctx.wd)
    guest_id = h.summary_field(stub.summary, "build-id")
    rc, err = h.lkstub_exit(["-k", exe, "-l", "127.0.0.1:%d" % h.free_port(), g.ram])
    ck.check("%s: wrong vmlinux: exit %s, both build-ids named" % (cfg, rc),
             rc == 1 and guest_id and guest_id != tiny_id and guest_id in err and tiny_id in err,
             "guest (summary) %s, tiny (readelf -n) %s, exit %s:\n%s"
             % (guest_id, tiny_id, rc, err[-1500:]))

    banner = ctx.syms["linux_banner"] + ctx.off
    want = ("Linux version %s " % k["KVER"]).encode()
    release = ctx.syms["init_uts_ns"] + ctx.off + h.UTS_RELEASE_OFFSET
    want_rel = k["KVER"].encode() + b"\0"

    path = os.path.join(g.dir, "lkstub.sock")
    us = h.Stub(g, name="lkstub-unix", listen="unix:" + path)
    got = h.rsp_client_read("unix:" + path, banner, len(want))
    ck.check("%s: unix socket: rsp_client reads linux_banner" % cfg, got == want,
             "got %r want %r" % (got, want))
    mode = os.stat(path).st_mode & 0o777
    ck.check("%s: unix socket mode %03o" % (cfg, mode), mode == 0o600, us.summary)
    us.close()

    try:
        v6 = h.Stub(g, name="lkstub-ipv6", listen="[::1]:%d" % h.free_port6())
        got = h.rsp_client_read(v6.addr, banner, len(want))
        detail = "got %r want %r" % (got, want)
        v6.close()
    except (OSError, RuntimeError) as e:
        got, detail = None, str(e)
    ck.check("%s: IPv6 [::1]: rsp_client reads linux_banner" % cfg, got == want, detail)

    # Two connections at once: requests in flight on both, replies taken in
    # either order, and one connection's half-sent packet must not hold up
    # the other.
    bad = []
    c1 = c2 = None
    try:
        c1, c2 = h.RSP(stub.connect(10)), h.RSP(stub.connect(10))
        exp = {banner: want, release: want_rel}
        for i in range(40):
            a, b = (banner, release) if i % 2 == 0 else (release, banner)
            c1.send("m%x,%x" % (a, len(exp[a])))
            c2.send("m%x,%x" % (b, len(exp[b])))
            first, second = (c2, c1) if i % 3 == 0 else (c1, c2)
            r_first = h.RSP.mem(first.recv())
            r_second = h.RSP.mem(second.recv())
            r1, r2 = (r_first, r_second) if first is c1 else (r_second, r_first)
            if r1 != exp[a] or r2 != exp[b]:
                bad.append("round %d: c1 %r c2 %r" % (i, r1, r2))
        frame = h.RSP.frame("m%x,%x" % (banner, len(want)))
        c1.sock.sendall(frame[:5])
        r2 = c2.read(release, len(want_rel))
        c1.sock.sendall(frame[5:])
        r1 = h.RSP.mem(c1.recv())
        if r1 != want or r2 != want_rel:
            bad.append("split packet: c1 %r c2 %r" % (r1, r2))
    except (OSError, RuntimeError, ValueError) as e:
        bad.append("%s: %s" % (type(e).__name__, e))
    finally:
        for c in (c1, c2):
            if c:
                c.close()
    ck.check("%s: two RSP connections at once, 81 interleaved reads" % cfg, not bad,
             "\n".join(bad[:20]))


# pid 1's stack is vmalloc'd (init_task's is in the kernel image); its top
# page holds the frames.
PID1 = ("((struct task_struct *)((unsigned long)init_task.tasks.next"
        " - (unsigned long)&((struct task_struct *)0)->tasks))")
REL = "init_uts_ns.name.release"


def gdb_steps(ctx):
    return [["remote", ctx.stub.addr],
            ["translate", "translate", "(unsigned long)%s->stack + 0x3000" % PID1, 4096,
             ctx.g.ram],
            ["read", "tcp.release", REL, 65], ["detach"],
            ["remote", "| %s -k %s -l - %s" % (h.LKSTUB, ctx.k["VMLINUX"], ctx.g.ram)],
            ["read", "stdio.release", REL, 65], ["disconnect"]]


def after_gdb(ctx):
    """The session's translate/stdio/detach results, then a new gdb on the
    lkstub the first one detached from."""
    ck, cfg, g, k, r = ctx.ck, ctx.cfg, ctx.g, ctx.k, ctx.r
    walk = r.get("translate.walk", "")
    pas = re.findall(r"=> PA (0x[0-9a-fA-F]+)", walk)
    gdb_bytes, file_bytes = r.get("translate.bytes", ""), r.get("translate.file")
    ok = (len(pas) == 1 and "page-table walk" in walk
          and walk.index("page-table walk") < walk.index("=> PA") and gdb_bytes == file_bytes
          and gdb_bytes.strip("0") != "")
    ck.check("%s: monitor translate pid 1 stack %s => PA %s: RAM file bytes == gdb's"
             % (cfg, r.get("translate.addr"), pas[-1] if pas else "?"), ok,
             "walk: %s\ngdb:  %s...\nfile: %s..." % (walk, gdb_bytes[:64], (file_bytes or "")[:64]))

    want_rel = (k["KVER"].encode() + b"\0").hex()
    a, b = r.get("stdio.release"), r.get("tcp.release")
    ck.check("%s: gdb target remote | lkstub -l -: release == over TCP" % cfg,
             a == b and a and a.startswith(want_rel), "stdio %s\ntcp   %s" % (a, b))

    # The shared session's only detach is this module's.
    detached = [v for key, v in r.items() if key.endswith(".detach")]
    banner = ctx.syms["linux_banner"] + ctx.off
    log_path = os.path.join(g.dir, "gdb-after-detach.log")
    with open(log_path, "w") as f:
        p = subprocess.run(["gdb", "-q", "-nx", "-batch", "-ex", "target remote " + ctx.stub.addr,
                            "-ex", "x/s 0x%x" % banner, "-ex", "detach"],
                           stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                           timeout=60)
    out = open(log_path, errors="replace").read()
    ck.check("%s: gdb detach, then a new gdb reads linux_banner" % cfg,
             detached == ["ok"] and p.returncode == 0 and ("Linux version %s " % k["KVER"]) in out,
             "first gdb's detach: %s\nnew gdb (exit %d):\n%s" % (detached, p.returncode, out[-1500:]))
