# gdb Python: runs a plan of steps in one gdb process (the vmlinux is
# loaded once) and records what happened, so that a failing step does not
# abort the rest the way an error in a sourced gdb command script would.
#
#   python drive("/path/plan.json")
#
# The plan is {"vmlinux": ..., "offset": N, "results": path, "steps": [...]},
# each step a list: ["remote", target], ["disconnect"], ["pick"],
# ["battery", out], ["cmd", key, gdb command], ["jiffies", key],
# ["write", key, expr, hex bytes], ["read", key, expr, nbytes],
# ["qmp", key, socket, command], ["sleep", seconds], ["detach"],
# ["translate", key, expr, nbytes, ramfile]: `monitor translate` of the
# address, the nbytes gdb reads there, and the nbytes at the walk's final PA
# in the RAM file (read at the same moment), as key.addr/.walk/.bytes/.file.
# Results are written as `key: value` lines (errors as `key: ERROR msg`).

import json
import re
import time

import gdb


def _pick_kernel_thread():
    # QEMU's stub translates with the selected vCPU's CR3 (x86) or
    # translation regime (arm64); pick a vCPU in kernel mode (CPL 0, or EL1
    # in PSTATE bits 3:2) so the kernel half is mapped even with PTI/KPTI.
    arm = "aarch64" in gdb.selected_inferior().architecture().name()
    for th in gdb.selected_inferior().threads():
        th.switch()
        try:
            if arm:
                if (int(gdb.parse_and_eval("$cpsr")) >> 2) & 3 == 1:
                    return "thread %d" % th.num
            elif int(gdb.parse_and_eval("$cs")) & 3 == 0:
                return "thread %d" % th.num
        except gdb.error:
            pass
    return "no kernel-mode vCPU; thread %d" % gdb.selected_thread().num


def _qmp(path, command):
    """One QMP command on a fresh connection (the harness lets go of it)."""
    import socket
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    f = s.makefile("rwb")
    f.readline()  # greeting
    for cmd in ("qmp_capabilities", command):
        f.write(json.dumps({"execute": cmd}).encode() + b"\n")
        f.flush()
        while True:
            r = json.loads(f.readline())
            if "return" in r or "error" in r:
                break
    s.close()
    if "error" in r:
        raise RuntimeError(r["error"])
    return json.dumps(r["return"], sort_keys=True)


def _addr(expr):
    return int(gdb.parse_and_eval("(unsigned long)(%s)" % expr))


def drive(plan_path):
    with open(plan_path) as f:
        plan = json.load(f)
    results = []

    def rec(key, value):
        results.append("%s: %s" % (key, " ".join(str(value).split())))
        gdb.write("STEP %s: %s\n" % (key, value))
        with open(plan["results"], "w") as f:
            f.write("\n".join(results) + "\n")

    for cmd in ("set pagination off", "set confirm off", "set width 0", "set height 0"):
        gdb.execute(cmd)
    t = time.time()
    # x86-64 links per-cpu variables at 0 (hence -s .data..percpu 0);
    # arm64 links them inside the image, relocated like the rest.
    percpu = " -s .data..percpu 0" if plan.get("arch", "amd64") == "amd64" else ""
    gdb.execute("add-symbol-file %s -o 0x%x%s"
                % (plan["vmlinux"], plan["offset"], percpu), to_string=True)
    rec("symbols.load_seconds", "%.1f" % (time.time() - t))

    for i, step in enumerate(plan["steps"]):
        kind = step[0]
        key = "%d.%s" % (i, kind)
        t = time.time()
        try:
            if kind == "remote":
                gdb.execute("target remote " + step[1], to_string=True)
                rec(key, "connected %s" % step[1])
            elif kind == "disconnect":
                gdb.execute("disconnect", to_string=True)
                rec(key, "ok")
            elif kind == "detach":
                gdb.execute("detach", to_string=True)
                rec(key, "ok")
            elif kind == "pick":
                rec(key, _pick_kernel_thread())
            elif kind == "battery":
                gdb.execute('python run_battery("%s")' % step[1], to_string=True)
                rec(key, "ok %.1fs" % (time.time() - t))
            elif kind == "cmd":
                rec(step[1], gdb.execute(step[2], to_string=True))
            elif kind == "jiffies":
                gdb.execute("maint flush dcache", to_string=True)
                rec(step[1], int(gdb.parse_and_eval("jiffies_64")))
            elif kind == "write":
                gdb.selected_inferior().write_memory(_addr(step[2]), bytes.fromhex(step[3]))
                rec(step[1], "ok")
            elif kind == "read":
                gdb.execute("maint flush dcache", to_string=True)
                rec(step[1], bytes(gdb.selected_inferior().read_memory(
                    _addr(step[2]), step[3])).hex())
            elif kind == "translate":
                addr = _addr(step[2])
                rec(step[1] + ".addr", hex(addr))
                walk = gdb.execute("monitor translate 0x%x" % addr, to_string=True)
                rec(step[1] + ".walk", walk)
                gdb.execute("maint flush dcache", to_string=True)
                rec(step[1] + ".bytes", bytes(gdb.selected_inferior().read_memory(
                    addr, step[3])).hex())
                pas = re.findall(r"=> PA (0x[0-9a-fA-F]+)", walk)
                if pas:
                    with open(step[4], "rb") as f:
                        f.seek(int(pas[-1], 16))
                        rec(step[1] + ".file", f.read(step[3]).hex())
            elif kind == "qmp":
                rec(step[1], _qmp(step[2], step[3]))
            elif kind == "sleep":
                time.sleep(step[1])
        except Exception as e:  # noqa: BLE001 - record and go on
            rec(step[1] if kind in ("cmd", "jiffies", "write", "read", "qmp", "translate") else key,
                "ERROR " + str(e))
    rec("done", "ok")
