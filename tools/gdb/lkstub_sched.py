# Scheduler inspection for gdb-python: run queues and tasks of a Linux
# kernel, read with gdb's symbols, types and memory access only, so it works
# through lkstub, through QEMU's gdbstub and on a vmcore alike.
#
#   (gdb) source /usr/local/share/lkstub/gdb/lkstub_sched.py
#   (gdb) lk-runq [CPU...]          each CPU's run queue, class by class
#   (gdb) lk-task PID|COMM          one task's scheduling state and wchan
#   (gdb) lk-sched-json [--cpu N]   the run queues as JSON
#   (gdb) python import lkstub_sched; print(lkstub_sched.runqueues([0]))
#
# Structures are read with one read_memory each (a whole sched_entity, the
# part of a task_struct the scheduler uses, a whole rq) and decoded at the
# offsets gdb's types give, cached once per session (cleared when gdb loads
# new symbols). Fields that moved between kernels (6.1 CFS vruntime,
# 6.6+ EEVDF deadline/vlag/slice, __state/state) are looked up by name; a
# field the kernel lacks reads as None (printed `n/a`). An unreadable item
# is one line `error: ...`, never a traceback.
import json
import os
import struct
import sys

import gdb

# gdb 13's `source` sets no __file__: the code object knows its file.
_HERE = os.path.dirname(os.path.abspath(sys._getframe(0).f_code.co_filename))

MAX_NODES = 100000      # bounds every list and tree walk (a corrupt or moving one)
MAX_FRAMES = 64         # bounds the stack walk of lk-task


class SchedError(Exception):
    """A one-line error about one item."""


_ERRORS = (gdb.error, gdb.MemoryError, SchedError, struct.error, OverflowError, ValueError)


def _msg(e):
    return " ".join(str(e).split()) or type(e).__name__


# ----------------------------------------------------------------- caches

_cache = {}


def _clear(*_):
    _cache.clear()


def _cached(key, fn):
    if key not in _cache:
        _cache[key] = fn()
    return _cache[key]


try:
    gdb.events.new_objfile.connect(_clear)
    gdb.events.clear_objfiles.connect(_clear)
except AttributeError:
    pass


def _inf():
    return gdb.selected_inferior()


def read(addr, n):
    if not addr:
        raise SchedError("NULL pointer")
    try:
        return _inf().read_memory(addr, n).tobytes()
    except gdb.MemoryError as e:
        raise SchedError("cannot read %d bytes at 0x%x: %s" % (n, addr, _msg(e)))


def u64(addr):
    return struct.unpack("<Q", read(addr, 8))[0]


def cstr(buf):
    return buf.split(b"\0", 1)[0].decode("utf-8", "replace")


def sym_addr(name):
    """Address of a kernel symbol, or None when the kernel has none."""
    def look():
        try:
            return int(gdb.parse_and_eval("(unsigned long)&%s" % name))
        except gdb.error:
            return None
    return _cached(("sym", name), look)


# ------------------------------------------------------------------ types

class Layout:
    """Offsets (and bit positions) of a struct's fields, from gdb's type.
    f(path) -> (byte offset, size, bitpos, bitsize, signed) or None."""

    def __init__(self, name):
        self.name = name
        try:
            self.t = gdb.lookup_type(name).strip_typedefs()
        except gdb.error as e:
            raise SchedError("no type %s in the symbols: %s" % (name, _msg(e)))
        self.size = self.t.sizeof
        self.fields = {}

    def f(self, path):
        if path in self.fields:
            return self.fields[path]
        t, bit, ok = self.t, 0, True
        for part in path.split("."):
            fld = _find_field(t, part)
            if fld is None:
                ok = False
                break
            bit += fld[0].bitpos + fld[1]
            t = fld[0].type.strip_typedefs()
            bitsize = fld[0].bitsize
        r = None
        if ok:
            signed = t.code == gdb.TYPE_CODE_INT and not _unsigned(t)
            r = (bit // 8, t.sizeof, bit, bitsize, signed)
        self.fields[path] = r
        return r

    def has(self, path):
        return self.f(path) is not None

    def off(self, path):
        r = self.f(path)
        if r is None:
            raise SchedError("%s has no field %s" % (self.name, path))
        return r[0]

    def get(self, buf, path, base=0):
        """The integer value of a field in buf (the struct at buf[base:]),
        None when the kernel has no such field."""
        r = self.f(path)
        if r is None:
            return None
        off, size, bit, bitsize, signed = r
        if bitsize:
            first = base + bit // 8
            nbytes = (bit % 8 + bitsize + 7) // 8
            v = int.from_bytes(buf[first:first + nbytes], "little")
            return (v >> (bit % 8)) & ((1 << bitsize) - 1)
        if size not in (1, 2, 4, 8):
            raise SchedError("%s.%s is not a scalar" % (self.name, path))
        return int.from_bytes(buf[base + off:base + off + size], "little", signed=signed)


def _unsigned(t):
    try:
        return not t.is_signed
    except AttributeError:        # gdb < 12: guess from the name
        return str(t).startswith(("unsigned", "u", "bool", "_Bool"))


def _find_field(t, name):
    """(field, extra bit offset) of name in t, looking into anonymous
    structs and unions."""
    if t.code not in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION):
        return None
    for f in t.fields():
        if f.name == name:
            return f, 0
    for f in t.fields():
        if f.name is None or f.name == "":
            r = _find_field(f.type.strip_typedefs(), name)
            if r:
                return r[0], r[1] + f.bitpos
    return None


def L(name):
    return _cached(("layout", name), lambda: Layout(name))


class Span:
    """The part of a struct that holds the given fields: read with one
    read_memory, fields decoded from it."""

    def __init__(self, layout, paths):
        self.l = layout
        offs = []
        for p in paths:
            r = layout.f(p)
            if r:
                offs.append((r[0], r[0] + max(r[1], 1)))
        self.start = min(o[0] for o in offs)
        self.end = max(o[1] for o in offs)

    def read(self, addr):
        return SpanBuf(self, read(addr + self.start, self.end - self.start), addr)


class SpanBuf:
    def __init__(self, span, buf, addr):
        self.span, self.buf, self.addr = span, buf, addr

    def get(self, path):
        r = self.span.l.f(path)
        if r is None:
            return None
        if r[0] < self.span.start or r[0] + r[1] > self.span.end:
            raise SchedError("%s outside the span read" % path)
        return self.span.l.get(self.buf, path, -self.span.start)

    def field_addr(self, path):
        return self.addr + self.span.l.off(path)

    def bytes_of(self, path):
        off, size = self.span.l.f(path)[:2]
        return self.buf[off - self.span.start:off - self.span.start + size]


# Fields of a sched_entity that differ between kernels are all optional.
SE_FIELDS = ("load.weight", "run_node", "on_rq", "vruntime", "deadline", "vlag", "slice",
             "min_vruntime", "sum_exec_runtime", "exec_start", "my_q", "cfs_rq", "depth",
             "parent", "sched_delayed", "custom_slice")


def task_layout():
    def mk():
        t = L("struct task_struct")
        state = "__state" if t.has("__state") else "state"
        cpu = "cpu" if t.has("cpu") else "thread_info.cpu"
        fields = ["pid", "tgid", "comm", "prio", "static_prio", "normal_prio",
                  "rt_priority", "policy", "sched_class", "on_rq", "on_cpu", "se", "rt", "dl",
                  state, cpu, "stack", "tasks", "signal", "thread_node", "thread_group"]
        return {"l": t, "state": state, "cpu": cpu,
                "span": Span(t, fields),
                "list": Span(t, ["pid", "tgid", "comm", "tasks", "signal", "thread_node",
                                 "thread_group", state])}
    return _cached("task", mk)


def sched_classes():
    def mk():
        out = {}
        for cls, sym in (("stop", "stop_sched_class"), ("dl", "dl_sched_class"),
                         ("rt", "rt_sched_class"), ("fair", "fair_sched_class"),
                         ("ext", "ext_sched_class"), ("idle", "idle_sched_class")):
            a = sym_addr(sym)
            if a is not None:
                out[a] = cls
        return out
    return _cached("classes", mk)


POLICIES = {0: "NORMAL", 1: "FIFO", 2: "RR", 3: "BATCH", 5: "IDLE", 6: "DEADLINE", 7: "EXT"}
STATES = [(0x1, "S"), (0x2, "D"), (0x4, "T"), (0x8, "t"), (0x10, "X"), (0x20, "Z"),
          (0x40, "P"), (0x80, "I")]


def state_char(state, exit_state=0):
    if state is None:
        return "?"
    v = (state | (exit_state or 0)) & 0x7F
    if state == 0x402 or state == 0x0402:   # TASK_IDLE = UNINTERRUPTIBLE | NOLOAD
        return "I"
    if v == 0:
        return "R"
    for bit, c in STATES:
        if v & bit:
            return c
    return "?"


# -------------------------------------------------------------- the tasks

def _task(addr, full=True):
    """The scheduler's view of the task_struct at addr, as a dict."""
    tl = task_layout()
    b = (tl["span"] if full else tl["list"]).read(addr)
    d = {"addr": addr, "pid": b.get("pid"), "tgid": b.get("tgid"),
         "comm": cstr(b.bytes_of("comm"))}
    if not full:
        return d, b
    state = b.get(tl["state"])
    cls = b.get("sched_class")
    d.update({
        "state": state, "state_char": state_char(state),
        "cpu": b.get(tl["cpu"]), "on_rq": b.get("on_rq"), "on_cpu": b.get("on_cpu"),
        "prio": b.get("prio"), "static_prio": b.get("static_prio"),
        "normal_prio": b.get("normal_prio"), "rt_priority": b.get("rt_priority"),
        "policy": POLICIES.get(b.get("policy"), b.get("policy")),
        "class": sched_classes().get(cls, "0x%x" % cls if cls else None),
    })
    se = L("struct sched_entity")
    base = tl["l"].off("se") - tl["span"].start
    d["se"] = _se_fields(se, b.buf, base, addr + tl["l"].off("se"))
    rt = L("struct sched_rt_entity")
    rbase = tl["l"].off("rt") - tl["span"].start
    d["rt"] = {"on_rq": rt.get(b.buf, "on_rq", rbase), "time_slice": rt.get(b.buf, "time_slice", rbase)}
    dl = L("struct sched_dl_entity")
    dbase = tl["l"].off("dl") - tl["span"].start
    d["dl"] = {k: dl.get(b.buf, k, dbase) for k in
               ("dl_runtime", "dl_deadline", "dl_period", "runtime", "deadline",
                "dl_throttled")}
    d["stack"] = b.get("stack")
    return d, b


def _se_fields(se, buf, base, addr):
    d = {"addr": addr}
    for k, path in (("weight", "load.weight"), ("on_rq", "on_rq"), ("vruntime", "vruntime"),
                    ("deadline", "deadline"), ("vlag", "vlag"), ("slice", "slice"),
                    ("sum_exec_runtime", "sum_exec_runtime"), ("depth", "depth"),
                    ("sched_delayed", "sched_delayed")):
        d[k] = se.get(buf, path, base)
    if d["weight"] is not None and gdb.lookup_type("long").sizeof == 8 and d["weight"] >= 1024:
        d["weight"] = max(2, d["weight"] >> 10)    # scale_load_down: nice 0 is 1024
    d["my_q"] = se.get(buf, "my_q", base)
    return d


def _brief(t):
    return {"pid": t["pid"], "comm": t["comm"]}


def all_tasks():
    """Every task (thread) of the kernel: [(addr, pid, tgid, comm, state)]."""
    tl = task_layout()
    t = tl["l"]
    init = sym_addr("init_task")
    if init is None:
        raise SchedError("no init_task symbol")
    out = []
    tasks_off = t.off("tasks")
    threads = t.has("thread_node")
    sig = L("struct signal_struct")
    seen = set()
    p = init
    for _ in range(MAX_NODES):
        d, b = _task(p, full=False)
        out.append((p, d["pid"], d["tgid"], d["comm"], b.get(tl["state"])))
        if threads and p != init:
            head = b.get("signal") + sig.off("thread_head")
            node = u64(head)
            tn = t.off("thread_node")
            for _ in range(MAX_NODES):
                if node == head or not node:
                    break
                th = node - tn
                if th != p:
                    td, tb = _task(th, full=False)
                    out.append((th, td["pid"], td["tgid"], td["comm"], tb.get(tl["state"])))
                node = u64(node)
        elif not threads and t.has("thread_group") and p != init:
            head = b.field_addr("thread_group")
            node = u64(head)
            tg = t.off("thread_group")
            for _ in range(MAX_NODES):
                if node == head or not node:
                    break
                td, tb = _task(node - tg, full=False)
                out.append((node - tg, td["pid"], td["tgid"], td["comm"], tb.get(tl["state"])))
                node = u64(node)
        nxt = u64(b.field_addr("tasks")) - tasks_off
        if nxt == init or nxt in seen:
            break
        seen.add(nxt)
        p = nxt
    return out


def find_task(spec):
    """The address of the task with pid spec (an int or digits) or, else,
    the first whose comm is spec; idle tasks by `0` (CPU 0's)."""
    spec = str(spec)
    if spec.isdigit() and int(spec) == 0:
        return sym_addr("init_task")
    for addr, pid, tgid, comm, _ in all_tasks():
        if spec.isdigit() and pid == int(spec):
            return addr
        if not spec.isdigit() and comm == spec:
            return addr
    raise SchedError("no task %s" % ("with pid " + spec if spec.isdigit() else "named " + spec))


# ------------------------------------------------------------- per-cpu

def cpus_online():
    # the online mask changes: read it every time, nr_cpu_ids once
    n = _cached("nr_cpu_ids", lambda: int(gdb.parse_and_eval("nr_cpu_ids")))
    words = read(sym_addr("__cpu_online_mask"), 8 * ((n + 63) // 64))
    bits = int.from_bytes(words, "little")
    return n, [c for c in range(n) if bits >> c & 1]


def per_cpu(sym, cpu):
    n = _cached("nr_cpu_ids", lambda: int(gdb.parse_and_eval("nr_cpu_ids")))
    offs = _cached("per_cpu_offset", lambda: struct.unpack(
        "<%dQ" % n, read(sym_addr("__per_cpu_offset"), 8 * n)))
    if cpu < 0 or cpu >= n:
        raise SchedError("no CPU %d (nr_cpu_ids %d)" % (cpu, n))
    a = sym_addr(sym)
    if a is None:
        raise SchedError("no %s symbol" % sym)
    return (a + offs[cpu]) & 0xFFFFFFFFFFFFFFFF


# ------------------------------------------------------------ run queues

def _rb_inorder(root_node, node_off_to_obj=0):
    """Addresses of the nodes of an rb-tree, in order (leftmost first)."""
    rb = L("struct rb_node")
    lo, ro = rb.off("rb_left"), rb.off("rb_right")
    out, stack, seen = [], [], set()
    node = root_node
    while (stack or node) and len(out) < MAX_NODES:
        while node:
            if node in seen:
                raise SchedError("rb-tree loops at 0x%x" % node)
            seen.add(node)
            buf = read(node, rb.size)
            stack.append((node, struct.unpack_from("<Q", buf, ro)[0]))
            node = struct.unpack_from("<Q", buf, lo)[0]
        node, right = stack.pop()
        out.append(node)
        node = right
    return out


def _list(head):
    """Node addresses of a list_head list."""
    out = []
    node = u64(head)
    while node and node != head and len(out) < MAX_NODES:
        out.append(node)
        node = u64(node)
    return out


def _cgroup_path(tg):
    """The path of a task_group, as the kernel's task_group_path() gives it."""
    if not tg:
        return None
    tgl = L("struct task_group")
    if tg == sym_addr("root_task_group"):
        return "/"
    buf = read(tg, tgl.size)
    ag = tgl.get(buf, "autogroup")
    if ag:
        agl = L("struct autogroup")
        return "/autogroup-%d" % agl.get(read(ag, agl.size), "id")
    cg = tgl.get(buf, "css.cgroup")
    kn = u64(cg + L("struct cgroup").off("kn")) if cg else 0
    knl = L("struct kernfs_node")
    parts = []
    for _ in range(64):
        if not kn:
            break
        kb = read(kn, knl.size)
        parent = knl.get(kb, "parent") if knl.has("parent") else knl.get(kb, "__parent")
        if parent:
            parts.append(cstr(read(knl.get(kb, "name"), 256)))
        kn = parent
    return "/" + "/".join(reversed(parts))


def _cfs_rq(addr, curr_task, depth=0):
    """A cfs_rq: its counters and its entities in tree order; the current
    entity (cfs_rq->curr, out of the tree on CFS) is listed first."""
    cl = L("struct cfs_rq")
    buf = read(addr, cl.size)
    d = {"addr": addr, "nr_running": cl.get(buf, "nr_running"),
         "h_nr_running": cl.get(buf, "h_nr_running"),
         "min_vruntime": cl.get(buf, "min_vruntime"),
         "avg_vruntime": cl.get(buf, "avg_vruntime"),
         "entities": []}
    se = L("struct sched_entity")
    run_node = se.off("run_node")
    curr = cl.get(buf, "curr")
    nodes = _rb_inorder(cl.get(buf, "tasks_timeline.rb_root.rb_node"))
    ses = [n - run_node for n in nodes]
    order = ([curr] if curr and curr not in ses else []) + ses
    for s in order:
        try:
            d["entities"].append(_entity(s, curr, curr_task, depth))
        except _ERRORS as e:
            d["entities"].append({"addr": s, "error": _msg(e)})
    return d


def _entity(s, curr, curr_task, depth):
    se = L("struct sched_entity")
    sbuf = read(s, se.size)
    e = _se_fields(se, sbuf, 0, s)
    e["current"] = s == curr
    my_q = e.pop("my_q")
    if my_q:                                   # a group's entity
        cl = L("struct cfs_rq")
        tg = u64(my_q + cl.off("tg"))
        e["group"] = _cgroup_path(tg)
        e["cfs_rq"] = _cfs_rq(my_q, curr_task, depth + 1) if depth < 16 else None
        return e
    tl = task_layout()
    t, _ = _task(s - tl["l"].off("se"))
    e.update({"pid": t["pid"], "comm": t["comm"], "class": t["class"]})
    return e


def _rt_rq(addr, rq_curr):
    rl = L("struct rt_rq")
    buf = read(addr, rl.size)
    d = {"addr": addr, "rt_nr_running": rl.get(buf, "rt_nr_running"),
         "rt_throttled": rl.get(buf, "rt_throttled"), "tasks": []}
    q0 = rl.off("active.queue")
    lh = L("struct list_head").size
    bm = buf[rl.off("active.bitmap"):q0] if rl.has("active.bitmap") else b"\xff" * 16
    bits = int.from_bytes(bm, "little")
    nq = rl.f("active.queue")[1] // lh
    rte = L("struct sched_rt_entity")
    tl = task_layout()
    for prio in range(nq):
        if not bits >> prio & 1:
            continue
        head = addr + q0 + prio * lh
        for node in _list(head):
            rt_se = node - rte.off("run_list")
            try:
                if rte.has("my_q") and u64(rt_se + rte.off("my_q")):
                    d["tasks"].append({"prio": prio, "group": True, "addr": rt_se})
                    continue
                t, _ = _task(rt_se - tl["l"].off("rt"))
                d["tasks"].append({"prio": prio, "pid": t["pid"], "comm": t["comm"],
                                   "policy": t["policy"], "rt_priority": t["rt_priority"],
                                   "time_slice": t["rt"]["time_slice"],
                                   "current": t["addr"] == rq_curr})
            except _ERRORS as e:
                d["tasks"].append({"prio": prio, "addr": rt_se, "error": _msg(e)})
    return d


def _dl_rq(addr, rq_curr):
    dl = L("struct dl_rq")
    buf = read(addr, dl.size)
    d = {"addr": addr, "dl_nr_running": dl.get(buf, "dl_nr_running"), "tasks": []}
    dle = L("struct sched_dl_entity")
    tl = task_layout()
    for node in _rb_inorder(dl.get(buf, "root.rb_root.rb_node")):
        dse = node - dle.off("rb_node")
        try:
            dbuf = read(dse, dle.size)
            if dle.get(dbuf, "dl_server"):
                d["tasks"].append({"server": True, "addr": dse,
                                   "deadline": dle.get(dbuf, "deadline"),
                                   "runtime": dle.get(dbuf, "runtime")})
                continue
            t, _ = _task(dse - tl["l"].off("dl"))
            d["tasks"].append({"pid": t["pid"], "comm": t["comm"],
                               "deadline": dle.get(dbuf, "deadline"),
                               "runtime": dle.get(dbuf, "runtime"),
                               "dl_runtime": dle.get(dbuf, "dl_runtime"),
                               "dl_deadline": dle.get(dbuf, "dl_deadline"),
                               "dl_period": dle.get(dbuf, "dl_period"),
                               "current": t["addr"] == rq_curr})
        except _ERRORS as e:
            d["tasks"].append({"addr": dse, "error": _msg(e)})
    return d


def _ext(rqbuf, rql):
    """sched_ext (CONFIG_SCHED_CLASS_EXT): whether it is enabled and how
    many tasks of this CPU it owns. A stub: None on kernels without it."""
    if sym_addr("ext_sched_class") is None:
        return None
    d = {"nr_running": rql.get(rqbuf, "scx.nr_running")}
    root = sym_addr("scx_root")
    try:
        if root is not None:                       # 6.16+: the scheduler instance
            d["enabled"] = u64(root) != 0
        elif sym_addr("scx_ops_enable_state_var") is not None:   # 6.12..6.15
            d["enabled"] = int(gdb.parse_and_eval("(int)scx_ops_enable_state_var")) == 1
        else:
            d["enabled"] = None
    except _ERRORS as e:
        d["error"] = _msg(e)
    return d


def runqueue(cpu):
    """One CPU's run queue as a dict (see docs/gdb.md)."""
    rq = per_cpu("runqueues", cpu)
    rql = L("struct rq")
    buf = read(rq, rql.size)
    d = {"cpu": cpu, "addr": rq, "nr_running": rql.get(buf, "nr_running"),
         "clock": rql.get(buf, "clock"), "clock_task": rql.get(buf, "clock_task"),
         "errors": []}
    curr = rql.get(buf, "curr")
    idle = rql.get(buf, "idle")
    try:
        ct, _ = _task(curr)
        d["curr"] = {"pid": ct["pid"], "comm": ct["comm"], "class": ct["class"],
                     "policy": ct["policy"], "prio": ct["prio"], "addr": curr}
    except _ERRORS as e:
        d["curr"] = None
        d["errors"].append("current task: " + _msg(e))
    for key, fn, field in (("fair", _cfs_rq, "cfs"), ("rt", _rt_rq, "rt"), ("dl", _dl_rq, "dl")):
        try:
            d[key] = fn(rq + rql.off(field), curr)
        except _ERRORS as e:
            d[key] = None
            d["errors"].append("%s: %s" % (key, _msg(e)))
    try:
        it, _ = _task(idle)
        d["idle"] = {"pid": it["pid"], "comm": it["comm"], "current": idle == curr}
    except _ERRORS as e:
        d["idle"] = None
        d["errors"].append("idle task: " + _msg(e))
    d["ext"] = _ext(buf, rql)
    return d


def runqueues(cpus=None):
    """The run queues of cpus (default: every online CPU), a list of dicts;
    a CPU that cannot be read is {"cpu": N, "error": "..."}."""
    if cpus is None:
        cpus = cpus_online()[1]
    out = []
    for c in cpus:
        try:
            out.append(runqueue(int(c)))
        except _ERRORS as e:
            out.append({"cpu": c, "error": _msg(e)})
    return out


def runnable(rqs):
    """The set of (cpu, class, pid) a list of run queues holds: the tasks
    in the fair trees (groups' included), the RT lists, the deadline tree,
    and each CPU's current task (but the idle task)."""
    out = set()

    def fair(cpu, cfs):
        for e in (cfs or {}).get("entities", []):
            if "pid" in e:
                out.add((cpu, "fair", e["pid"]))
            elif e.get("cfs_rq"):
                fair(cpu, e["cfs_rq"])

    for r in rqs:
        if "error" in r:
            continue
        c = r["cpu"]
        fair(c, r.get("fair"))
        for k in ("rt", "dl"):
            for t in (r.get(k) or {}).get("tasks", []):
                if "pid" in t:
                    out.add((c, k, t["pid"]))
        cur = r.get("curr")
        if cur and cur["pid"] and cur["class"] != "idle":
            out.add((c, cur["class"], cur["pid"]))
    return out


# --------------------------------------------------------------- wchan

def _in_sched(addr):
    def mk():
        r = []
        for a, b in (("__sched_text_start", "__sched_text_end"),
                     ("__lock_text_start", "__lock_text_end")):
            if sym_addr(a) is not None and sym_addr(b) is not None:
                r.append((sym_addr(a), sym_addr(b)))
        return r
    return any(a <= addr < b for a, b in _cached("sched_ranges", mk))


def _arch():
    return _cached("arch", lambda: "arm64" if "aarch64" in _inf().architecture().name()
                   else "x86_64")


class _Orc:
    """The vmlinux's ORC tables (x86_64, CONFIG_UNWINDER_ORC), searched
    with reads of 4 KiB pieces of the ip table cached for the session."""

    def __init__(self):
        self.ip0 = sym_addr("__start_orc_unwind_ip")
        self.u0 = sym_addr("__start_orc_unwind")
        stop = sym_addr("__stop_orc_unwind_ip")
        if None in (self.ip0, self.u0, stop):
            raise SchedError("no ORC tables")
        self.n = (stop - self.ip0) // 4
        self.l = L("struct orc_entry")
        self.old = self.l.has("end")      # before 6.4: type CALL 0, REGS 1, REGS_PARTIAL 2
        self.pages = {}

    def ip(self, i):
        a = self.ip0 + 4 * i
        page = a & ~0xFFF
        if page not in self.pages:
            self.pages[page] = read(page, 0x1000)
        v = struct.unpack_from("<i", self.pages[page], a - page)[0]
        return (a + v) & 0xFFFFFFFFFFFFFFFF

    def find(self, ip):
        lo, hi, found = 0, self.n - 1, None
        while lo <= hi:
            mid = (lo + hi) // 2
            if self.ip(mid) <= ip:
                found, lo = mid, mid + 1
            else:
                hi = mid - 1
        if found is None:
            return None
        buf = read(self.u0 + found * self.l.size, self.l.size)
        g = lambda k: self.l.get(buf, k)
        return {"sp_offset": g("sp_offset"), "bp_offset": g("bp_offset"), "sp_reg": g("sp_reg"),
                "bp_reg": g("bp_reg"), "type": g("type"), "end": g("end") or 0}


def _orc():
    return _cached("orc", _Orc)


def _return_addresses_x86(t):
    """The return addresses of a switched-out task's kernel stack, innermost
    first, from its inactive_task_frame on: ORC, or frame pointers on a
    kernel without ORC."""
    tl = task_layout()["l"]
    sp = u64(t["addr"] + tl.off("thread.sp"))
    fl = L("struct inactive_task_frame")
    fb = read(sp, fl.size)
    ip, bp = fl.get(fb, "ret_addr"), fl.get(fb, "bp")
    sp += fl.size
    out = [ip]
    try:
        orc = _orc()
    except SchedError:
        orc = None
    for _ in range(MAX_FRAMES):
        if orc is None:                            # frame pointers
            if not bp:
                break
            bp, ip = struct.unpack("<QQ", read(bp, 16))
        else:
            o = orc.find(ip - 1)
            if o is None or o["end"]:
                break
            if o["type"] != (0 if orc.old else 2):  # not a call frame: pt_regs, the end
                break
            if o["sp_reg"] == 5:                    # ORC_REG_SP
                nsp = sp + o["sp_offset"]
            elif o["sp_reg"] == 4:                  # ORC_REG_BP
                nsp = bp + o["sp_offset"]
            elif o["sp_reg"] == 8:                  # ORC_REG_BP_INDIRECT
                nsp = u64(bp + o["sp_offset"])
            elif o["sp_reg"] == 9:                  # ORC_REG_SP_INDIRECT
                nsp = u64(sp) + o["sp_offset"]
            else:
                break
            ip = u64(nsp - 8)
            if o["bp_reg"] == 1:                    # ORC_REG_PREV_SP
                bp = u64(nsp + o["bp_offset"])
            elif o["bp_reg"] == 4:                  # ORC_REG_BP
                bp = u64(bp + o["bp_offset"])
            sp = nsp
        if not ip:
            break
        out.append(ip)
    return out


def _return_addresses_arm64(t):
    tl = task_layout()["l"]
    base = t["addr"] + tl.off("thread.cpu_context")
    cl = L("struct cpu_context")
    cb = read(base, cl.size)
    fp, pc = cl.get(cb, "fp"), cl.get(cb, "pc")
    va = _cached("va_bits", lambda: int(gdb.parse_and_eval("vabits_actual"))
                 if sym_addr("vabits_actual") else 48)
    mask = ~((1 << va) - 1) & 0xFFFFFFFFFFFFFFFF

    def strip(a):
        return a | mask if a >> 55 & 1 else a & ~mask

    out = [strip(pc)]
    for _ in range(MAX_FRAMES):
        if not fp or fp & 7:
            break
        nfp, lr = struct.unpack("<QQ", read(fp, 16))
        if not lr:
            break
        out.append(strip(lr))
        if nfp and nfp <= fp:
            break
        fp = nfp
    return out


def symbol_name(addr):
    try:
        out = gdb.execute("info symbol 0x%x" % addr, to_string=True)
    except gdb.error:
        return None
    if out.startswith("No symbol"):
        return None
    return out.split()[0]


def wchan(t):
    """Where a sleeping task waits, as /proc/PID/wchan gives it: the first
    return address of its kernel stack outside the scheduler and locking
    functions; None for a task that is running or runnable."""
    if t["state"] == 0 or t["on_rq"] or (t.get("on_cpu") or 0):
        return None
    addrs = (_return_addresses_arm64 if _arch() == "arm64" else _return_addresses_x86)(t)
    pick = None
    for a in addrs:
        pick = a
        if not _in_sched(a):
            break
    return pick


def task(spec):
    """lk-task's data for a pid (int) or comm: a dict."""
    addr = find_task(spec)
    t, _ = _task(addr)
    t.pop("stack", None)
    try:
        w = wchan(t)
        t["wchan_addr"] = w
        t["wchan"] = symbol_name(w) if w else None
    except _ERRORS as e:
        t["wchan_addr"] = None
        t["wchan"] = None
        t["wchan_error"] = _msg(e)
    return t


# ------------------------------------------------------------ printing

def _v(x):
    if x is None:
        return "n/a"
    if isinstance(x, bool):
        return "1" if x else "0"
    return str(x)


def _entity_lines(e, indent, out):
    pad = " " * indent
    mark = ">" if e.get("current") else " "
    if "error" in e:
        out.append("%s%s error: entity 0x%x: %s" % (pad, mark, e["addr"], e["error"]))
        return
    common = ("vruntime=%s deadline=%s vlag=%s slice=%s weight=%s on_rq=%s"
              % tuple(_v(e.get(k)) for k in ("vruntime", "deadline", "vlag", "slice",
                                              "weight", "on_rq")))
    if e.get("sched_delayed"):
        common += " delayed"
    if "group" in e:
        out.append("%s%s group %s %s" % (pad, mark, e["group"], common))
        q = e.get("cfs_rq")
        if q:
            out.append("%s    cfs_rq nr_running=%s min_vruntime=%s"
                       % (pad, _v(q["nr_running"]), _v(q["min_vruntime"])))
            for sub in q["entities"]:
                _entity_lines(sub, indent + 4, out)
        return
    out.append("%s%s %d %s %s%s" % (pad, mark, e["pid"], e["comm"], common,
                                    " [current]" if e.get("current") else ""))


def format_rq(r):
    out = []
    if "error" in r:
        return ["CPU %s: error: %s" % (r["cpu"], r["error"])]
    cur = r.get("curr")
    out.append("CPU %d: curr %s  nr_running=%s clock=%s"
               % (r["cpu"], "%d %s (%s)" % (cur["pid"], cur["comm"], cur["class"]) if cur
                  else "n/a", _v(r["nr_running"]), _v(r["clock"])))
    f = r.get("fair")
    if f:
        out.append("  fair: nr_running=%s h_nr_running=%s min_vruntime=%s"
                   % (_v(f["nr_running"]), _v(f["h_nr_running"]), _v(f["min_vruntime"])))
        for e in f["entities"]:
            _entity_lines(e, 4, out)
    rt = r.get("rt")
    if rt:
        out.append("  rt: rt_nr_running=%s%s" % (_v(rt["rt_nr_running"]),
                                                 " throttled" if rt.get("rt_throttled") else ""))
        for t in rt["tasks"]:
            mark = ">" if t.get("current") else " "
            if "error" in t:
                out.append("    %s error: prio %d entity 0x%x: %s"
                           % (mark, t["prio"], t["addr"], t["error"]))
            elif t.get("group"):
                out.append("    %s prio=%d group entity 0x%x" % (mark, t["prio"], t["addr"]))
            else:
                out.append("    %s %d %s prio=%d policy=%s rt_priority=%s time_slice=%s%s"
                           % (mark, t["pid"], t["comm"], t["prio"], t["policy"],
                              _v(t["rt_priority"]), _v(t["time_slice"]),
                              " [current]" if t.get("current") else ""))
    dl = r.get("dl")
    if dl:
        out.append("  dl: dl_nr_running=%s" % _v(dl["dl_nr_running"]))
        for t in dl["tasks"]:
            mark = ">" if t.get("current") else " "
            if "error" in t:
                out.append("    %s error: entity 0x%x: %s" % (mark, t["addr"], t["error"]))
            elif t.get("server"):
                out.append("    %s server deadline=%s runtime=%s"
                           % (mark, _v(t["deadline"]), _v(t["runtime"])))
            else:
                out.append("    %s %d %s deadline=%s runtime=%s dl_runtime=%s dl_deadline=%s"
                           " dl_period=%s%s"
                           % (mark, t["pid"], t["comm"], _v(t["deadline"]), _v(t["runtime"]),
                              _v(t["dl_runtime"]), _v(t["dl_deadline"]), _v(t["dl_period"]),
                              " [current]" if t.get("current") else ""))
    i = r.get("idle")
    if i:
        out.append("  idle: %d %s%s" % (i["pid"], i["comm"], " [current]" if i["current"] else ""))
    x = r.get("ext")
    if x is not None:
        out.append("  sched_ext: enabled=%s nr_running=%s%s"
                   % (_v(x.get("enabled")), _v(x.get("nr_running")),
                      " error: " + x["error"] if "error" in x else ""))
    for e in r.get("errors", []):
        out.append("  error: " + e)
    return out


def format_task(t):
    se = t["se"]
    lines = [
        "pid %d tgid %d comm %s" % (t["pid"], t["tgid"], t["comm"]),
        "  policy=%s prio=%s static_prio=%s normal_prio=%s rt_priority=%s"
        % (t["policy"], _v(t["prio"]), _v(t["static_prio"]), _v(t["normal_prio"]),
           _v(t["rt_priority"])),
        "  class=%s cpu=%s on_rq=%s on_cpu=%s state=%s (%s)"
        % (t["class"], _v(t["cpu"]), _v(t["on_rq"]), _v(t["on_cpu"]),
           "n/a" if t["state"] is None else "0x%x" % t["state"], t["state_char"]),
        "  se: vruntime=%s deadline=%s vlag=%s slice=%s weight=%s on_rq=%s sum_exec_runtime=%s"
        % tuple(_v(se.get(k)) for k in ("vruntime", "deadline", "vlag", "slice", "weight",
                                        "on_rq", "sum_exec_runtime")),
    ]
    if t["class"] == "dl" or t["policy"] == "DEADLINE":
        lines.append("  dl: runtime=%s deadline=%s dl_runtime=%s dl_deadline=%s dl_period=%s"
                     % tuple(_v(t["dl"].get(k)) for k in ("runtime", "deadline", "dl_runtime",
                                                          "dl_deadline", "dl_period")))
    if t["class"] == "rt":
        lines.append("  rt: on_rq=%s time_slice=%s" % (_v(t["rt"]["on_rq"]),
                                                       _v(t["rt"]["time_slice"])))
    if t.get("wchan_error"):
        lines.append("  wchan: error: " + t["wchan_error"])
    elif t.get("wchan_addr"):
        lines.append("  wchan: %s (0x%x)" % (t["wchan"] or "??", t["wchan_addr"]))
    else:
        lines.append("  wchan: 0 (running or runnable)")
    return lines


def _jsonable(x):
    return json.dumps(x, sort_keys=True)


# ------------------------------------------------------------ commands

class _Cmd(gdb.Command):
    def __init__(self, name):
        super().__init__(name, gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        try:
            self.run(gdb.string_to_argv(arg))
        except _ERRORS as e:
            gdb.write("%s: error: %s\n" % (self.name, _msg(e)))
        except Exception as e:  # noqa: BLE001 - one line, never a traceback
            gdb.write("%s: error: %s: %s\n" % (self.name, type(e).__name__, _msg(e)))


class LkRunq(_Cmd):
    """lk-runq [CPU...]: each CPU's run queue: current task, nr_running, clock;
the fair class in tree order (groups with their cgroup path and nested
cfs_rq), the RT class by priority, the deadline class by deadline, the idle
task, sched_ext where the kernel has it. '>' marks the current entity."""
    name = "lk-runq"

    def __init__(self):
        super().__init__(self.name)

    def run(self, argv):
        cpus = [int(a) for a in argv] if argv else None
        for r in runqueues(cpus):
            gdb.write("\n".join(format_rq(r)) + "\n")


class LkTask(_Cmd):
    """lk-task PID|COMM: a task's policy, priorities, class, CPU, on_rq,
on_cpu, state, its fair entity, and where it sleeps (as /proc/PID/wchan)."""
    name = "lk-task"

    def __init__(self):
        super().__init__(self.name)

    def run(self, argv):
        if len(argv) != 1:
            raise SchedError("usage: lk-task PID|COMM")
        gdb.write("\n".join(format_task(task(argv[0]))) + "\n")


class LkSchedJson(_Cmd):
    """lk-sched-json [--cpu N]...: the run queues (lk-runq's data) as JSON."""
    name = "lk-sched-json"

    def __init__(self):
        super().__init__(self.name)

    def run(self, argv):
        cpus = []
        i = 0
        while i < len(argv):
            if argv[i] == "--cpu" and i + 1 < len(argv):
                cpus.append(int(argv[i + 1]))
                i += 2
            else:
                raise SchedError("usage: lk-sched-json [--cpu N]...")
        gdb.write(_jsonable({"runqueues": runqueues(cpus or None)}) + "\n")


def _register():
    LkRunq()
    LkTask()
    LkSchedJson()


if __name__ == "__main__":
    # `source lkstub_sched.py`: import it as a module (so that `import
    # lkstub_sched` in gdb's python gives the same one) and register there.
    if _HERE not in sys.path:
        sys.path.insert(0, _HERE)
    import lkstub_sched  # noqa: F401,E402
else:
    _register()
