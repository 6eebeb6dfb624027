"""`make demo` (tests/e2e/demo.sh, `e2e.py demo`): boot the 5level-kaslr
guest, attach lkstub, show gdb reading the live kernel, and print how to
attach interactively. With a terminal on stdin the guest keeps running
until Enter; otherwise everything is cleaned up."""

import os
import subprocess
import sys

import harness as h

DEMO_GDB = r"""
import gdb
def show(title, expr):
    try:
        v = gdb.parse_and_eval(expr)
        gdb.write("%-28s %s\n" % (title, v))
    except gdb.error as e:
        gdb.write("%-28s ERROR %s\n" % (title, e))
gdb.write("\n== lkstub demo ==\n")
show("kernel release", "init_uts_ns.name.release")
gdb.write(gdb.execute("monitor kaslr", to_string=True))
show("jiffies_64", "jiffies_64")
# The first threads are the CPUs (named "CPU#n ..."); tasks follow.
for th in sorted(gdb.selected_inferior().threads(), key=lambda t: t.num):
    if not (th.name or "").startswith("CPU#"):
        continue
    cpu = th.num - 1
    t = "(*(struct task_struct **)((unsigned long)&current_task + __per_cpu_offset[%d]))" % cpu
    try:
        gdb.write("thread %d = CPU %d: current %s pid %d\n" % (
            th.num, cpu, gdb.parse_and_eval(t + "->comm").string(), int(gdb.parse_and_eval(t + "->pid"))))
    except gdb.error as e:
        gdb.write("thread %d = CPU %d: ERROR %s\n" % (th.num, cpu, e))
gdb.write("threads: %d (CPUs, then every task)\n" % len(gdb.selected_inferior().threads()))
for th in gdb.selected_inferior().threads():
    if th.name == "sleep":
        th.switch()
        gdb.write("backtrace of a sleeping task (%s):\n" % th.name)
        gdb.execute("bt 8")
        break
gdb.write("modules, with symbols from their debug files:\n")
gdb.write(gdb.execute("monitor symbols", to_string=True))
gdb.write(gdb.execute("info symbol dummy_dev_init", to_string=True))
gdb.write("first 10 tasks:\n")
off = int(gdb.parse_and_eval("(unsigned long)&((struct task_struct *)0)->tasks"))
head = int(gdb.parse_and_eval("(unsigned long)&init_task.tasks"))
node = head
for i in range(10):
    node = int(gdb.parse_and_eval("*(unsigned long *)%d" % node))
    if node == head:
        break
    t = gdb.parse_and_eval("(struct task_struct *)%d" % (node - off))
    gdb.write("  pid %-5d %s\n" % (int(t["pid"]), t["comm"].string()))
"""


def demo(argv):
    k = h.kernel()
    if not os.access(h.LKSTUB, os.X_OK):
        sys.exit("demo: %s missing; run make all" % h.LKSTUB)
    wd = h.workdir()
    h.log("booting the 5level-kaslr guest (TCG)")
    g = h.Guest("5level-kaslr", k, wd).start(h.build_initramfs(wd, k["MODDIR"]))
    h.log("guest READY; RAM file %s; starting lkstub" % g.ram)
    stub = h.Stub(g, ["--modules", k["DBGMODDIR"]], symbols=True)
    sys.stderr.write(stub.summary)
    py = os.path.join(g.dir, "demo.py")
    with open(py, "w") as f:
        f.write(DEMO_GDB)
    h.log("running gdb: target remote and nothing else (gdb loads the vmlinux, ~20s)")
    subprocess.run(["gdb", "-q", "-nx", "-batch", "-ex", "set pagination off",
                    "-ex", "target remote " + stub.addr, "-x", py, "-ex", "disconnect"],
                   stdin=subprocess.DEVNULL)
    print("""
To attach interactively (the guest keeps running; lkstub never pauses it):

    gdb -q -ex 'target remote %s'

gdb gets the vmlinux's and the modules' symbols at their runtime addresses
from lkstub (monitor symbols says from where).  QEMU's own stub, for
comparison, is at 127.0.0.1:%d (it pauses the guest while attached).
""" % (stub.addr, g.port))
    if sys.stdin.isatty():
        input("Press Enter to stop the guest and lkstub... ")
    h.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(demo(sys.argv[1:]))
