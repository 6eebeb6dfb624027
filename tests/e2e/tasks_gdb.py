# gdb Python for tests/e2e/tasks_checks.py: one gdb session on a paused
# guest that records, as JSON, what the task threads and the kernel's own
# gdb scripts look like through lkstub (and the scripts through QEMU's stub).
#
#   python tasks_session("/path/plan.json")
#
# plan: {"vmlinux", "offset", "results", "lkstub": addr, "qemu": addr or
# null, "ncpus": N, "bt_comm": comm whose threads get a `bt`, "bt_max": N,
# "taab": bool, "kscripts": vmlinux-gdb.py or null, "commands": [...],
# "arch": "amd64" or "arm64", "unwinder": a gdb script to source or null,
# "lkstub_pid": pid or null (then lkstub's CPU seconds per step are kept)}.
# The results file is rewritten after every step, so a gdb killed by the
# harness's timeout still leaves what it had done.

import json
import os
import time

import gdb

BT_LIMIT = 64   # frames per backtrace: bounds `thread apply all bt`
REF_THREADS = 16   # threads of the reference `thread apply ... bt`


def cpu_seconds(pid):
    """utime + stime of a process, in seconds (None without a pid)."""
    if not pid:
        return None
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tasks_session(plan_path):
    with open(plan_path) as f:
        plan = json.load(f)
    res = {"steps": []}

    def save():
        tmp = plan["results"] + ".tmp"
        with open(tmp, "w") as f:
            json.dump(res, f, indent=1)
        os.rename(tmp, plan["results"])

    def step(name):
        res["steps"].append(name)
        save()

    def run(cmd):
        try:
            return gdb.execute(cmd, to_string=True)
        except gdb.error as e:
            return "ERROR: %s" % e

    for c in ("set pagination off", "set confirm off", "set width 0", "set height 0",
              "set backtrace limit %d" % BT_LIMIT):
        gdb.execute(c)
    t = time.time()
    # x86-64 links per-cpu variables at 0, arm64 inside the image.
    gdb.execute("add-symbol-file %s -o 0x%x%s"
                % (plan["vmlinux"], plan["offset"],
                   " -s .data..percpu 0" if plan.get("arch", "amd64") == "amd64" else ""),
                to_string=True)
    if plan.get("unwinder"):   # arm64: tools/gdb/arm64_pac_unwind.py
        gdb.execute("source " + plan["unwinder"], to_string=True)
    gdb.parse_and_eval("&init_task")   # waits for gdb's DWARF indexing
    res["symbols_s"] = time.time() - t
    step("symbols")

    gdb.execute("target remote " + plan["lkstub"], to_string=True)
    inf = gdb.selected_inferior()
    pid = plan.get("lkstub_pid")
    t, c = time.time(), cpu_seconds(pid)
    out = run("info threads")
    res["info_threads_s"] = time.time() - t
    if pid:
        res["info_threads_lkstub_cpu_s"] = cpu_seconds(pid) - c
    with open(plan["results"] + ".info-threads.txt", "w") as f:
        f.write(out)
    threads = sorted(inf.threads(), key=lambda th: th.num)
    res["threads"] = [[th.num, th.ptid[1], th.name or ""] for th in threads]
    step("info threads")

    bts = {}
    for th in threads:
        if len(bts) >= plan.get("bt_max", 3):
            break
        if th.name == plan.get("bt_comm"):
            th.switch()
            bts[str(th.ptid[1])] = run("bt")
    res["bt"] = bts
    step("bt")

    if plan.get("taab"):
        # The reference the bound of `thread apply all bt` is derived from:
        # `thread apply` with bt on a few threads spread over the list
        # (CPUs, kernel threads, user tasks), its cost per thread.
        nums = [th.num for th in threads]
        k = min(REF_THREADS, len(nums))
        ref = [nums[i * len(nums) // k] for i in range(k)] if k else []
        t = time.time()
        out = run("thread apply %s bt" % " ".join(map(str, ref))) if ref else ""
        res["taab_ref_s"] = time.time() - t
        res["taab_ref_n"] = len(ref)
        with open(plan["results"] + ".taab-ref.txt", "w") as f:
            f.write(out)
        step("thread apply (reference)")
        t, c = time.time(), cpu_seconds(pid)
        out = run("thread apply all bt")
        res["taab_s"] = time.time() - t
        if pid:
            res["taab_lkstub_cpu_s"] = cpu_seconds(pid) - c
        with open(plan["results"] + ".taab.txt", "w") as f:
            f.write(out)
        step("thread apply all bt")

    # What each CPU is running, read from memory (the CPU threads' names).
    # After `thread apply all bt`: once gdb has evaluated these (struct rq,
    # runqueues), its unwinding of 10,000 threads takes 40 times longer.
    curr = []
    for cpu in range(plan["ncpus"]):
        rq = ("((struct rq *)((unsigned long)&runqueues + __per_cpu_offset[%d]))" % cpu)
        try:
            curr.append([int(gdb.parse_and_eval(rq + "->curr->pid")),
                         gdb.parse_and_eval(rq + "->curr->comm").string()])
        except gdb.error as e:
            curr.append([-1, "ERROR: %s" % e])
    res["cpu_curr"] = curr

    if not plan.get("kscripts"):
        res["done"] = True
        save()
        return
    gdb.execute("source " + plan["kscripts"], to_string=True)
    step("kscripts loaded")
    res["kscripts"] = {}
    for who in ("lkstub", "qemu"):
        if who == "qemu":
            if not plan.get("qemu"):
                break
            gdb.execute("disconnect", to_string=True)
            gdb.execute("target remote " + plan["qemu"], to_string=True)
        outs = res["kscripts"][who] = {}
        threads = {th.num: th for th in gdb.selected_inferior().threads()}
        if 1 in threads:
            threads[1].switch()
        try:
            outs["$cs of thread 1"] = str(gdb.parse_and_eval("$cs"))
        except gdb.error as e:
            outs["$cs of thread 1"] = "ERROR: %s" % e
        for cmd in plan["commands"]:
            # "@N cmd": run cmd with gdb thread N selected (CPU N-1)
            num = 1
            if cmd.startswith("@"):
                n, cmd = cmd[1:].split(" ", 1)
                num = int(n)
            if num in threads:
                threads[num].switch()
            t = time.time()
            outs[cmd if num == 1 else "@%d %s" % (num, cmd)] = [run(cmd), time.time() - t]
            save()
        step("kscripts " + who)
    gdb.execute("disconnect", to_string=True)
    res["done"] = True
    save()
