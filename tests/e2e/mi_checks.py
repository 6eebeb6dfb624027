"""IDE sessions through gdb/MI: the command sequences VS Code (cppdbg and
Native Debug) and CLion send when they attach to a remote stub, replayed
with `gdb --interpreter=mi3` against lkstub (nothing set up: no file, no
add-symbol-file) and against QEMU's stub on the same guest (with the usual
add-symbol-file). Every command must get the same result class through
both (^done, ^running, ^connected, *stopped) and none an ^error through
lkstub. docs/ide.md gives the settings these sequences come from."""

import os
import re
import time

import harness as h
from mi_driver import MI

CONFIGS = ("5level-kaslr", "arm64-kaslr")


def applies(ctx):
    return ctx.cfg in CONFIGS


# (name, command, async record to wait for a little). THREAD is a sleeping task's
# thread through lkstub, thread 1 (a vCPU) through QEMU's stub.
COMMON_TAIL = [
    ("thread-info", "-thread-info", None),
    ("frames", "-stack-list-frames --thread THREAD", None),
    ("variables", "-stack-list-variables --thread THREAD --frame 0 --simple-values", None),
    ("read-memory", "-data-read-memory-bytes &init_task 64", None),
    ("var-create", "-var-create - * init_task", None),
    ("var-children", "-var-list-children --simple-values VAR 0 20", None),
    ("jiffies1", "-data-evaluate-expression jiffies_64", None),
    ("jiffies2", "-data-evaluate-expression jiffies_64", None),
    ("interrupt", "-exec-interrupt", None),
    ("continue", "-exec-continue", None),
    # QEMU's stub stops the VM here; lkstub had stopped at once.
    ("interrupt2", "-exec-interrupt", r"^\*stopped"),
    ("detach", "-target-detach", None),
]

SEQUENCES = {
    # VS Code C/C++ (cppdbg, MIEngine): launch.json "miDebuggerServerAddress".
    "vscode-cppdbg": [
        ("features", "-list-features", None),
        ("pagination", '-interpreter-exec console "set pagination off"', None),
        ("pretty", "-enable-pretty-printing", None),
        ("solib-add", "-gdb-set auto-solib-add on", None),
        ("async", "-gdb-set target-async on", None),
        ("program", "-file-exec-and-symbols PLACEHOLDER", None),
        ("connect", "-target-select remote TARGET", None),
    ] + COMMON_TAIL,
    # VS Code Native Debug (webfreak.debug): "gdbtarget" with "remote": true.
    "vscode-native-debug": [
        ("async", "-gdb-set target-async on", None),
        ("features", "-list-features", None),
        ("connect", "-target-select remote TARGET", None),
    ] + COMMON_TAIL,
    # CLion "Remote Debug" configuration ("target remote" args).
    "clion": [
        ("features", "-list-features", None),
        ("async", "-gdb-set mi-async on", None),
        ("print", "-gdb-set print object on", None),
        ("pending", "-gdb-set breakpoint pending on", None),
        ("connect", "-target-select remote TARGET", None),
    ] + COMMON_TAIL,
}


def _replay(gdb, seq, target, setup, sleeping, log, placeholder):
    """[(name, class, result line)] of one sequence, and whether a
    *stopped came between -exec-continue and the end."""
    mi = MI(gdb, log=log)
    out, var, stopped, after_continue = [], "var1", False, False
    try:
        for line in setup:
            mi.cmd('-interpreter-exec console "%s"' % line, timeout=600)
        for name, cmd, wait in seq:
            thread = "1"
            if "THREAD" in cmd and sleeping:
                ti = mi.cmd("-thread-info")[1]
                m = re.search(r'\{id="(\d+)",target-id="[^"]*",(?:details="[^"]*",)?'
                              r'name="sleep"', ti)
                thread = m.group(1) if m else "1"
            cmd = cmd.replace("TARGET", target).replace("THREAD", thread).replace(
                "VAR", var).replace("PLACEHOLDER", placeholder)
            cls, res, recs = mi.cmd(cmd, wait_async=wait, timeout=600,
                                    async_timeout=10)
            if name == "var-create":
                m = re.search(r'name="([^"]+)"', res)
                var = m.group(1) if m else var
            after_continue = after_continue or name == "continue"
            if after_continue and any(r.startswith("*stopped") for r in recs):
                stopped = True
            out.append((name, cls, res))
            if name == "jiffies1":
                time.sleep(1.5)  # an idle guest's tick may stop for a while
    finally:
        mi.close()
    return out, stopped


def _value(res):
    m = re.search(r'value="(\d+)"', res)
    return int(m.group(1)) if m else None


def after_gdb(ctx):
    cfg, g, ck = ctx.cfg, ctx.g, ctx.ck
    g.cont()  # the guest runs (a check before may have paused it)
    gdb = h.GDB[ctx.arch]
    setup_qemu = ["add-symbol-file %s -o 0x%x%s" % (ctx.k["VMLINUX"], ctx.off,
                  " -s .data..percpu 0" if ctx.arch == "amd64" else "")]
    # arm64: gdb 13 needs lkstub's unwinder to strip the kernel's PACs
    # (docs/ide.md has it among the IDE's set-up commands).
    setup_lkstub = []
    if ctx.arch == "arm64":
        pac = "source " + os.path.join(h.ROOT, "tools", "gdb", "arm64_pac_unwind.py")
        setup_lkstub.append(pac)
        setup_qemu.append(pac)
    cache = os.path.join(ctx.wd, "mi-cache")
    stub = h.Stub(g, ["--cache", cache], name="lkstub-mi", symbols=True)
    ctx.stubs.append(stub)
    # The program cppdbg wants: the placeholder lkstub names to gdb.
    placeholder = os.path.join(cache, "lkstub-kernel-" + {"amd64": "x86_64",
                                                          "arm64": "aarch64"}[ctx.arch])
    for ide, seq in SEQUENCES.items():
        g.cont()  # QEMU's stub stops the VM while attached
        lk, lk_stopped = _replay(gdb, seq, stub.addr, setup_lkstub, True,
                     os.path.join(g.dir, "mi-%s-lkstub.log" % ide), placeholder)
        qm, qm_stopped = _replay(gdb, seq, ctx.qemu, setup_qemu, False,
                     os.path.join(g.dir, "mi-%s-qemu.log" % ide), placeholder)
        errors = ["%s: %s" % (n, r) for n, c, r in lk if c == "error"]
        ck.check("%s: %s through lkstub: %d commands, no ^error" % (cfg, ide, len(lk)),
                 not errors, "\n".join(errors))
        diff = ["%s: lkstub %s, qemu %s" % (a[0], a[1], b[1]) for a, b in zip(lk, qm)
                if a[1] != b[1]]
        ck.check("%s: %s: every result class as through QEMU's stub" % (cfg, ide), not diff,
                 "\n".join(diff))
        d = dict((n, r) for n, _, r in lk)
        names = re.findall(r'name="([^"]+)"', d.get("thread-info", ""))
        ck.check("%s: %s: thread names in -thread-info" % (cfg, ide),
                 any(n.startswith("CPU#0") for n in names) and "sleep" in names, names[:5])
        ck.check("%s: %s: a sleeping task's frames" % (cfg, ide),
                 'func="schedule"' in d.get("frames", "") or 'func="__schedule"' in d.get("frames", ""),
                 d.get("frames", "")[:500])
        ck.check("%s: %s: continue ends in *stopped (lkstub: at once; QEMU: after the "
                 "interrupt)" % (cfg, ide), lk_stopped and qm_stopped,
                 "lkstub %s, qemu %s" % (lk_stopped, qm_stopped))
        j1, j2 = _value(d.get("jiffies1", "")), _value(d.get("jiffies2", ""))
        ck.check("%s: %s: jiffies_64 moves (%s -> %s)" % (cfg, ide, j1, j2),
                 j1 is not None and j2 is not None and j2 > j1)
    g.cont()  # QEMU's stub may leave the guest stopped
