# Scheduler inspection for gdb-python: run queues and tasks of a Linux
# kernel, read with gdb's symbols, types and memory access only, so it works
# through lkstub, through QEMU's gdbstub and on a vmcore alike.
#
#   (gdb) source /usr/local/share/lkstub/gdb/lkstub_sched.py
#   (gdb) lk-runq [CPU...]          each CPU's run queue, class by class
#   (gdb) lk-task PID|COMM          one task's scheduling state and wchan
#   (gdb) lk-sched-json [--cpu N]   the run queues as JSON
#   (gdb) lk-scx [--json]           sched_ext: state, ops, dispatch queues
#   (gdb) lk-bpf-maps               every BPF map (map_idr), the programs using it
#   (gdb) lk-bpf-map ID|NAME        a map's entries, typed by its BTF
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
                  state, cpu, "stack", "tasks", "signal", "thread_node", "thread_group",
                  "scx"]
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
    if tl["l"].has("scx"):                       # CONFIG_SCHED_CLASS_EXT
        d["scx"] = scx_fields(b.buf, tl["l"].off("scx") - tl["span"].start,
                              L("struct sched_ext_entity"))
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


def _xa_load(head, index):
    """The entry at index of the xarray whose head is given (0: none), as
    the kernel's xa_load() finds it: down the nodes by the index's bits."""
    nl = L("struct xa_node")
    so = nl.off("slots")
    nslots = nl.f("slots")[1] // 8
    entry, top = head, True
    for _ in range(16):
        if not (entry & 3 == 2 and entry > 4096):       # not a node
            break
        node = entry - 2
        shift = nl.get(read(node, so), "shift")
        if shift is None or shift > 63 or (top and index >> shift >= nslots):
            return 0
        entry = u64(node + so + 8 * ((index >> shift) % nslots))
        top = False
    else:
        return 0
    if top and index:
        return 0            # a lone entry is the one at index 0
    return entry if entry & 3 == 0 else 0


def task_by_pid(pid):
    """The task with this pid in the initial pid namespace, through its
    IDR as the kernel's find_task_by_pid_ns() does: a few reads where the
    task list is a walk of every task. None when the kernel has no such
    IDR or the entry is not that task."""
    ns = sym_addr("init_pid_ns")
    nsl = L("struct pid_namespace")
    if ns is None or not nsl.has("idr.idr_rt.xa_head"):
        return None
    il = L("struct idr")
    buf = read(ns + nsl.off("idr"), il.size)
    base = il.get(buf, "idr_base") or 0
    if pid < base:
        return None
    p = _xa_load(il.get(buf, "idr_rt.xa_head"), pid - base)
    if not p:
        return None
    first = u64(p + L("struct pid").off("tasks"))       # tasks[PIDTYPE_PID]
    if not first:
        return None
    addr = first - task_layout()["l"].off("pid_links")
    return addr if _task(addr, full=False)[0]["pid"] == pid else None


def find_task(spec):
    """The address of the task with pid spec (an int or digits) or, else,
    the first whose comm is spec; idle tasks by `0` (CPU 0's). A pid is
    looked up in the pid IDR; the task list is walked for a comm, or when
    the IDR does not give the task."""
    spec = str(spec)
    if spec.isdigit() and int(spec) == 0:
        return sym_addr("init_task")
    if spec.isdigit():
        try:
            addr = task_by_pid(int(spec))
        except _ERRORS:
            addr = None
        if addr:
            return addr
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
    stack = t.get("stack")
    for _ in range(MAX_FRAMES):
        if orc is None:                            # frame pointers
            if not bp:
                break
            if stack and not stack <= bp < stack + 0x8000:
                # Neither ORC nor a frame pointer into the task's stack (a
                # kernel built with CONFIG_UNWINDER_GUESS): the text
                # addresses on the stack, as that unwinder (and so
                # /proc/PID/wchan) takes them.
                return [out[0]] + _text_words(sp, stack + 0x4000 if sp < stack + 0x4000
                                              else stack + 0x8000)
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


def _text_words(sp, end):
    """The words between sp and end (a stack) that are kernel text
    addresses, innermost first."""
    lo, hi = sym_addr("_stext"), sym_addr("_etext")
    if lo is None or hi is None or not sp < end or end - sp > 0x8000:
        return []
    buf = read(sp, end - sp)
    out = [w for w in struct.unpack("<%dQ" % (len(buf) // 8), buf) if lo <= w < hi]
    return out[:MAX_FRAMES]


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
    x = t.get("scx")
    if x is not None:
        try:
            x["dsq_id"] = _dsq_id(x["dsq"])
        except _ERRORS as e:
            x["dsq_id"] = None
            x["dsq_error"] = _msg(e)
    try:
        w = wchan(t)
        t["wchan_addr"] = w
        t["wchan"] = symbol_name(w) if w else None
    except _ERRORS as e:
        t["wchan_addr"] = None
        t["wchan"] = None
        t["wchan_error"] = _msg(e)
    t.pop("stack", None)
    return t


# ------------------------------------------------------------- sched_ext

SCX_STATES = {0: "enabling", 1: "enabled", 2: "disabling", 3: "disabled"}
SCX_TASK_STATES = {0: "none", 1: "init", 2: "ready", 3: "enabled"}
SCX_OPSS = {0: "none", 1: "queueing", 2: "queued", 3: "dispatching"}
SCX_TASK_QUEUED = 1
SCX_TASK_CURSOR = 1 << 31
SCX_DSQ_LNODE_ITER_CURSOR = 1
SCX_DSQ_GLOBAL = (1 << 63) | 1


def _atomic(sym, size=4, signed=True):
    """The value of an int/atomic_t (size 4) or long/atomic_long_t (8)
    variable, None when the kernel has no such symbol."""
    a = sym_addr(sym)
    if a is None:
        return None
    return int.from_bytes(read(a, size), "little", signed=signed)


def scx_task_layout():
    def mk():
        tl = task_layout()
        t = tl["l"]
        if not t.has("scx"):
            raise SchedError("task_struct has no scx (no CONFIG_SCHED_CLASS_EXT)")
        return {"l": t, "span": Span(t, ["pid", "comm", "scx", "sched_class", "policy",
                                         tl["state"], tl["cpu"]]),
                "state": tl["state"], "cpu": tl["cpu"],
                "se": L("struct sched_ext_entity")}
    return _cached("scx_task", mk)


def _dsq_id(dsq):
    if not dsq:
        return None
    return u64(dsq + L("struct scx_dispatch_q").off("id"))


def scx_fields(buf, base, xl):
    """A task's sched_ext_entity (p->scx) decoded from buf at base."""
    g = lambda k: xl.get(buf, k, base)
    flags = g("flags")
    ops = g("ops_state")
    d = {"dsq": g("dsq"), "flags": flags, "dsq_flags": g("dsq_flags"),
         "slice": g("slice"), "dsq_vtime": g("dsq_vtime"), "sticky_cpu": g("sticky_cpu"),
         "holding_cpu": g("holding_cpu"), "weight": g("weight"),
         "ops_state": None if ops is None else SCX_OPSS.get(ops & 3, ops & 3),
         "ops_qseq": None if ops is None else ops >> 2,
         "runnable_at": g("runnable_at"), "ddsp_dsq_id": g("ddsp_dsq_id"),
         "disallow": g("disallow")}
    if flags is not None:
        d["task_state"] = SCX_TASK_STATES.get(flags >> 8 & 3)
        d["queued"] = bool(flags & SCX_TASK_QUEUED)
    return d


def scx_task(addr):
    """pid, comm, cpu, class and p->scx of the task at addr (one read)."""
    sl = scx_task_layout()
    b = sl["span"].read(addr)
    cls = b.get("sched_class")
    d = {"addr": addr, "pid": b.get("pid"), "comm": cstr(b.bytes_of("comm")),
         "cpu": b.get(sl["cpu"]), "state_char": state_char(b.get(sl["state"])),
         "class": sched_classes().get(cls, "0x%x" % cls if cls else None),
         "policy": POLICIES.get(b.get("policy"), b.get("policy"))}
    d["scx"] = scx_fields(b.buf, sl["l"].off("scx") - sl["span"].start, sl["se"])
    return d


def _dsq(addr, kind, cpu=None):
    """A dispatch queue: id, nr, seq, and its tasks in dispatch order (the
    list; a vtime-ordered queue keeps its list in vtime order too)."""
    ql = L("struct scx_dispatch_q")
    buf = read(addr, ql.size)
    d = {"addr": addr, "kind": kind, "id": ql.get(buf, "id"), "nr": ql.get(buf, "nr"),
         "seq": ql.get(buf, "seq"), "priq": bool(ql.get(buf, "priq.rb_node")), "tasks": []}
    if cpu is not None:
        d["cpu"] = cpu
    sl = scx_task_layout()
    node_off = sl["l"].off("scx") + sl["se"].off("dsq_list.node")
    lnl = L("struct scx_dsq_list_node")
    head = addr + ql.off("list")
    for node in _list(head):
        try:
            if lnl.get(read(node, lnl.size), "flags") & SCX_DSQ_LNODE_ITER_CURSOR:
                continue                                   # a BPF iterator's cursor
            d["tasks"].append(scx_task(node - node_off))
        except _ERRORS as e:
            d["tasks"].append({"addr": node - node_off, "error": _msg(e)})
    return d


def _rhashtable_objs(ht, head_off):
    """Objects of an rhashtable (struct rhashtable at ht) whose rhash_head
    is at head_off: every bucket chain of its table and of a table it is
    being resized into."""
    rl = L("struct rhashtable")
    bl = L("struct bucket_table")
    tbl = u64(ht + rl.off("tbl"))
    out, seen = [], set()
    for _ in range(4):
        if not tbl or tbl in seen:
            break
        seen.add(tbl)
        tb = read(tbl, bl.size)
        size, nest = bl.get(tb, "size"), bl.get(tb, "nest")
        if nest:
            raise SchedError("nested bucket table (%d buckets) not walked" % size)
        if size > MAX_NODES:
            raise SchedError("bucket table of %d buckets" % size)
        buckets = read(tbl + bl.off("buckets"), 8 * size)
        for i in range(size):
            p = struct.unpack_from("<Q", buckets, 8 * i)[0] & ~1   # bit 0: the bucket lock
            for _ in range(MAX_NODES):
                if not p or p & 1:                                 # a nulls marker ends it
                    break
                obj = p - head_off
                if obj not in out:
                    out.append(obj)
                p = u64(p)
        tbl = bl.get(tb, "future_tbl")
    return out


def scx_state():
    """lk-scx's data: the scheduler's state, counters, every dispatch
    queue with its tasks, the tasks sched_ext owns."""
    if sym_addr("scx_ops_enable_state_var") is None:
        if sym_addr("ext_sched_class") is None:
            raise SchedError("this kernel has no sched_ext (CONFIG_SCHED_CLASS_EXT)")
        raise SchedError("no scx_ops_enable_state_var: a sched_ext other than 6.12's")
    st = _atomic("scx_ops_enable_state_var")
    d = {"state": SCX_STATES.get(st, st), "enabled": st == 1, "errors": []}
    ol = L("struct sched_ext_ops")
    ops = read(sym_addr("scx_ops"), ol.size)
    d["ops"] = {"name": cstr(ops[ol.off("name"):ol.off("name") + 128]),
                "flags": ol.get(ops, "flags"), "timeout_ms": ol.get(ops, "timeout_ms"),
                "dispatch_max_batch": ol.get(ops, "dispatch_max_batch")}
    d["bypass_depth"] = _atomic("scx_ops_bypass_depth")
    d["switching_all"] = _atomic("scx_switching_all", 1, False)
    d["exit_kind"] = _atomic("scx_exit_kind")
    d["nr_rejected"] = _atomic("scx_nr_rejected", 8)
    d["enable_seq"] = _atomic("scx_enable_seq", 8)
    d["hotplug_seq"] = _atomic("scx_hotplug_seq", 8)
    # the dispatch queues
    dsqs = []
    g = sym_addr("global_dsqs")
    if g is not None:
        nn = (int(gdb.parse_and_eval("nr_node_ids")) if sym_addr("nr_node_ids") is not None
              else 1)
        arr = u64(g)
        if arr:
            for node, p in enumerate(struct.unpack("<%dQ" % nn, read(arr, 8 * nn))):
                try:
                    dsqs.append(_dsq(p, "global", None) if p else
                                {"kind": "global", "error": "node %d: NULL" % node})
                except _ERRORS as e:
                    dsqs.append({"kind": "global", "addr": p, "error": _msg(e)})
    rql = L("struct rq")
    for cpu in cpus_online()[1]:
        try:
            dsqs.append(_dsq(per_cpu("runqueues", cpu) + rql.off("scx.local_dsq"), "local", cpu))
        except _ERRORS as e:
            dsqs.append({"kind": "local", "cpu": cpu, "error": _msg(e)})
    try:
        ql = L("struct scx_dispatch_q")
        user = []
        for q in _rhashtable_objs(sym_addr("dsq_hash"), ql.off("hash_node")):
            try:
                user.append(_dsq(q, "user"))
            except _ERRORS as e:
                user.append({"kind": "user", "addr": q, "error": _msg(e)})
        dsqs += sorted(user, key=lambda q: (q.get("id") is None, q.get("id") or 0))
    except _ERRORS as e:
        d["errors"].append("dsq_hash: " + _msg(e))
    d["dsqs"] = dsqs
    # each CPU's current task and nr_running of sched_ext
    d["cpus"] = []
    for cpu in cpus_online()[1]:
        try:
            rq = per_cpu("runqueues", cpu)
            b = Span(rql, ["curr", "scx.nr_running", "scx.flags"]).read(rq)
            cur = scx_task(b.get("curr"))
            d["cpus"].append({"cpu": cpu, "nr_running": b.get("scx.nr_running"),
                              "flags": b.get("scx.flags"),
                              "curr": {"pid": cur["pid"], "comm": cur["comm"],
                                       "class": cur["class"]}})
        except _ERRORS as e:
            d["cpus"].append({"cpu": cpu, "error": _msg(e)})
    # the tasks sched_ext knows (scx_tasks, cursors left out)
    sl = scx_task_layout()
    tn = sl["l"].off("scx") + sl["se"].off("tasks_node")
    fl = sl["se"].off("flags") - sl["se"].off("tasks_node")
    tot = {"tasks": 0, "enabled": 0, "queued": 0, "on_dsq": 0, "bpf_owned": 0}
    owned = []
    try:
        for node in _list(sym_addr("scx_tasks")):
            if struct.unpack("<I", read(node + fl, 4))[0] & SCX_TASK_CURSOR:
                continue
            t = scx_task(node - tn)
            x = t["scx"]
            tot["tasks"] += 1
            tot["enabled"] += x.get("task_state") == "enabled"
            tot["queued"] += bool(x.get("queued"))
            tot["on_dsq"] += bool(x["dsq"])
            if x["ops_state"] == "queued":
                tot["bpf_owned"] += 1
                owned.append(t)
    except _ERRORS as e:
        d["errors"].append("scx_tasks: " + _msg(e))
    d["totals"] = tot
    d["bpf_owned"] = owned
    return d


def _scx_task_line(t):
    if "error" in t:
        return "error: task 0x%x: %s" % (t["addr"], t["error"])
    x = t["scx"]
    return ("%d %s cpu=%s dsq_vtime=%s slice=%s flags=0x%x ops_state=%s"
            % (t["pid"], t["comm"], _v(t["cpu"]), _v(x["dsq_vtime"]), _v(x["slice"]),
               x["flags"] or 0, _v(x["ops_state"])))


def _dsq_name(q):
    if q["kind"] == "local":
        return "local (CPU %d)" % q["cpu"]
    if q["kind"] == "global":
        return "global"
    return "user 0x%x" % q["id"] if q.get("id") is not None else "user"


def format_scx(d):
    o = d["ops"]
    out = ["sched_ext: state=%s ops=%s flags=0x%x bypass_depth=%s switching_all=%s exit_kind=%s"
           % (d["state"], o["name"] or "-", o["flags"] or 0, _v(d["bypass_depth"]),
              _v(d["switching_all"]), _v(d["exit_kind"])),
           "  nr_rejected=%s enable_seq=%s hotplug_seq=%s"
           % (_v(d["nr_rejected"]), _v(d["enable_seq"]), _v(d["hotplug_seq"])),
           "  tasks: %(tasks)d known to sched_ext, %(enabled)d on it (state enabled), "
           "%(queued)d queued, %(on_dsq)d on a DSQ, %(bpf_owned)d held by the BPF scheduler"
           % d["totals"]]
    for c in d["cpus"]:
        if "error" in c:
            out.append("  CPU %d: error: %s" % (c["cpu"], c["error"]))
        else:
            out.append("  CPU %d: curr %d %s (%s) scx.nr_running=%s flags=0x%x"
                       % (c["cpu"], c["curr"]["pid"], c["curr"]["comm"], c["curr"]["class"],
                          _v(c["nr_running"]), c["flags"] or 0))
    for q in d["dsqs"]:
        if "error" in q:
            out.append("  dsq %s: error: %s" % (q["kind"] if "cpu" not in q
                                                 else "local (CPU %d)" % q["cpu"], q["error"]))
            continue
        out.append("  dsq %s id=0x%x nr=%s seq=%s%s"
                   % (_dsq_name(q), q["id"], _v(q["nr"]), _v(q["seq"]),
                      " vtime" if q["priq"] else ""))
        for t in q["tasks"]:
            out.append("    " + _scx_task_line(t))
    if d["bpf_owned"]:
        out.append("  held by the BPF scheduler (ops_state queued):")
        for t in d["bpf_owned"]:
            out.append("    " + _scx_task_line(t))
    for e in d["errors"]:
        out.append("  error: " + e)
    return out


# -------------------------------------------------------------- BPF maps

BPF_KINDS = {1: "int", 2: "ptr", 3: "array", 4: "struct", 5: "union", 6: "enum", 7: "fwd",
             8: "typedef", 9: "volatile", 10: "const", 11: "restrict", 12: "func",
             13: "func_proto", 14: "var", 15: "datasec", 16: "float", 17: "decl_tag",
             18: "type_tag", 19: "enum64"}


def _enum_names(tname, prefix):
    def mk():
        try:
            t = gdb.lookup_type(tname).strip_typedefs()
            return {int(f.enumval): f.name[len(prefix):].lower() if f.name.startswith(prefix)
                    else f.name for f in t.fields()}
        except gdb.error:
            return {}
    return _cached(("enum", tname), mk)


def _xa_entries(head, limit=MAX_NODES):
    """(index, entry) of an xarray (an IDR's idr_rt) whose head is given,
    in index order; internal entries other than nodes are left out."""
    nl = L("struct xa_node")
    so = nl.off("slots")
    nslots = nl.f("slots")[1] // 8
    out = []

    def walk(entry, index, depth):
        if len(out) >= limit or depth > 16:
            return
        if entry & 3 == 2 and entry > 4096:              # a node
            node = entry - 2
            buf = read(node, nl.size)
            shift = nl.get(buf, "shift")
            slots = struct.unpack_from("<%dQ" % nslots, buf, so)
            for i, s in enumerate(slots):
                if s:
                    walk(s, index + (i << shift), depth + 1)
        elif entry and entry & 3 == 0:
            out.append((index, entry))

    walk(head, 0, 0)
    return out


def bpf_map_info(addr):
    ml = L("struct bpf_map")
    b = read(addr, ml.size)
    types = _enum_names("enum bpf_map_type", "BPF_MAP_TYPE_")
    mt = ml.get(b, "map_type")
    return {"addr": addr, "id": ml.get(b, "id"), "name": cstr(b[ml.off("name"):ml.off("name") + 16]),
            "type": types.get(mt, mt), "type_id": mt, "key_size": ml.get(b, "key_size"),
            "value_size": ml.get(b, "value_size"), "max_entries": ml.get(b, "max_entries"),
            "map_flags": ml.get(b, "map_flags"), "btf": ml.get(b, "btf"),
            "btf_key_type_id": ml.get(b, "btf_key_type_id"),
            "btf_value_type_id": ml.get(b, "btf_value_type_id")}


def _idr_entries(sym):
    """(id, entry) of a kernel IDR (map_idr, prog_idr), in id order."""
    idr = sym_addr(sym)
    if idr is None:
        raise SchedError("no %s symbol (no CONFIG_BPF_SYSCALL)" % sym)
    il = L("struct idr")
    ib = read(idr, il.size)
    base = il.get(ib, "idr_base") or 0
    return [(index + base, entry) for index, entry in _xa_entries(il.get(ib, "idr_rt.xa_head"))]


def bpf_maps(progs=False):
    """Every BPF map of the kernel's map_idr: [info dict]; with progs, each
    map's "progs": the names of the programs that use it (prog_idr), as
    bpftool's prog show map_ids give them."""
    out = []
    for mid, entry in _idr_entries("map_idr"):
        try:
            m = bpf_map_info(entry)
        except _ERRORS as e:
            m = {"addr": entry, "id": mid, "error": _msg(e)}
        out.append(m)
    if progs:
        users = {}
        try:
            for p in bpf_progs():
                for a in p.get("maps", ()):
                    users.setdefault(a, []).append(p["name"] or "-")
        except _ERRORS as e:
            for m in out:
                m["progs_error"] = _msg(e)
        for m in out:
            m["progs"] = sorted(users.get(m["addr"], []))
    return out


MAX_USED_MAPS = 1024       # a program's used_maps: the kernel's own bound is 64


def bpf_progs():
    """Every BPF program of the kernel's prog_idr: [{"addr", "id", "name",
    "maps": the addresses of its used_maps}]; a program that cannot be
    read has "error" instead."""
    pl, al = L("struct bpf_prog"), L("struct bpf_prog_aux")
    out = []
    for prog_id, entry in _idr_entries("prog_idr"):
        try:
            aux = u64(entry + pl.off("aux"))
            ab = read(aux, al.size)
            n = al.get(ab, "used_map_cnt") or 0
            if n > MAX_USED_MAPS:
                raise SchedError("used_map_cnt %d" % n)
            used = al.get(ab, "used_maps")
            maps = struct.unpack("<%dQ" % n, read(used, 8 * n)) if n else ()
            out.append({"addr": entry, "id": al.get(ab, "id"),
                        "name": cstr(ab[al.off("name"):al.off("name") + 16]),
                        "maps": list(maps)})
        except _ERRORS as e:
            out.append({"addr": entry, "id": prog_id, "name": None, "error": _msg(e)})
    return out


class _Btf:
    """A BPF object's BTF (struct btf: its raw data blob), parsed."""

    def __init__(self, addr):
        bl = L("struct btf")
        b = read(addr, bl.size)
        data, size = bl.get(b, "data"), bl.get(b, "data_size")
        if not data or not size or size > 1 << 24:
            raise SchedError("BTF without data")
        blob = read(data, size)
        magic, _, _, hlen, toff, tlen, soff, slen = struct.unpack_from("<HBBIIIII", blob)
        if magic != 0xEB9F:
            raise SchedError("BTF magic 0x%x" % magic)
        self.strs = blob[hlen + soff:hlen + soff + slen]
        self.types = [None]
        p, end = hlen + toff, hlen + toff + tlen
        while p < end:
            name_off, info, st = struct.unpack_from("<III", blob, p)
            kind, vlen = info >> 24 & 0x1F, info & 0xFFFF
            p += 12
            t = {"name": self.str(name_off), "kind": BPF_KINDS.get(kind, kind), "size": st,
                 "type": st, "kflag": info >> 31}
            if kind == 1:
                enc = struct.unpack_from("<I", blob, p)[0]
                t.update(signed=bool(enc >> 24 & 1), bits=enc & 0xFF, offset=enc >> 16 & 0xFF)
                p += 4
            elif kind == 3:
                t["elem"], _, t["nelems"] = struct.unpack_from("<III", blob, p)
                p += 12
            elif kind in (4, 5):
                t["members"] = []
                for _ in range(vlen):
                    n, ty, off = struct.unpack_from("<III", blob, p)
                    t["members"].append((self.str(n), ty, off))
                    p += 12
            elif kind == 6:
                p += 8 * vlen
            elif kind == 13:
                p += 8 * vlen
            elif kind == 14:
                p += 4
            elif kind == 15:
                t["vars"] = [struct.unpack_from("<III", blob, p + 12 * i) for i in range(vlen)]
                p += 12 * vlen
            elif kind == 17:
                p += 4
            elif kind == 19:
                p += 12 * vlen
            self.types.append(t)

    def str(self, off):
        return cstr(self.strs[off:off + 256])

    def resolve(self, tid):
        for _ in range(32):
            t = self.types[tid] if 0 < tid < len(self.types) else None
            if not t or t["kind"] not in ("typedef", "volatile", "const", "restrict",
                                          "type_tag", "var"):
                return t
            tid = t["type"]
        return None

    def fmt(self, tid, buf):
        """buf as type tid, or None when the type is not simple."""
        t = self.resolve(tid)
        if t is None:
            return None
        k = t["kind"]
        if k in ("int", "enum", "enum64", "ptr"):
            n = 8 if k == "ptr" else t["size"]
            if n not in (1, 2, 4, 8) or len(buf) < n:
                return None
            v = int.from_bytes(buf[:n], "little", signed=bool(t.get("signed")))
            return ("0x%x" % v) if k == "ptr" else str(v)
        if k == "array":
            e = self.resolve(t["elem"])
            es = self.sizeof(t["elem"])
            if e is not None and e["kind"] == "int" and es == 1:     # char[]: a string
                return json.dumps(cstr(buf[:t["nelems"]]))
            if e is None or not es or t["nelems"] > 64:
                return None
            items = [self.fmt(t["elem"], buf[i * es:(i + 1) * es]) for i in range(t["nelems"])]
            if None in items:
                return None
            return "[" + ", ".join(items) + "]"
        if k in ("struct", "union"):
            parts = []
            for name, ty, off in t["members"]:
                if t["kflag"] and off >> 24:                   # a bitfield
                    return None
                sz = self.sizeof(ty)
                v = self.fmt(ty, buf[off // 8:off // 8 + (sz or 0)]) if sz else None
                parts.append("%s=%s" % (name or "?", v if v is not None else "?"))
            return "{" + ", ".join(parts) + "}"
        if k == "datasec":
            parts = []
            for vt, off, sz in t["vars"]:
                var = self.types[vt] if 0 < vt < len(self.types) else None
                v = self.fmt(vt, buf[off:off + sz])
                parts.append("%s=%s" % (var["name"] if var else "?", v if v is not None else "?"))
            return "\n".join(parts)
        return None

    def sizeof(self, tid):
        t = self.resolve(tid)
        if t is None:
            return None
        if t["kind"] == "ptr":
            return 8
        if t["kind"] == "array":
            es = self.sizeof(t["elem"])
            return es * t["nelems"] if es else None
        return t["size"]


def _percpu(ptr, cpu):
    n = _cached("nr_cpu_ids", lambda: int(gdb.parse_and_eval("nr_cpu_ids")))
    offs = _cached("per_cpu_offset", lambda: struct.unpack(
        "<%dQ" % n, read(sym_addr("__per_cpu_offset"), 8 * n)))
    return (ptr + offs[cpu]) & 0xFFFFFFFFFFFFFFFF


def bpf_map_entries(m, limit=256):
    """(key bytes, value bytes or [per-CPU value bytes]) of a map's
    entries: arrays (per-CPU too), hashes (LRU and per-CPU too), queues
    and stacks (key None; oldest first)."""
    t, ks, vs, n = m["type"], m["key_size"], m["value_size"], m["max_entries"]
    addr = m["addr"]
    out = []
    if t in ("array", "percpu_array"):
        al = L("struct bpf_array")
        es = al.get(read(addr, al.size), "elem_size")
        base = addr + al.off("value")
        for i in range(min(n, limit)):
            if t == "array":
                out.append((struct.pack("<I", i), read(base + i * es, vs)))
            else:
                p = u64(base + 8 * i)
                out.append((struct.pack("<I", i), [read(_percpu(p, c), vs)
                                                   for c in cpus_online()[1]]))
    elif t in ("hash", "lru_hash", "percpu_hash", "lru_percpu_hash"):
        hl = L("struct bpf_htab")
        hb = read(addr, hl.size)
        buckets, nb = hl.get(hb, "buckets"), hl.get(hb, "n_buckets")
        bsz = L("struct bucket").size
        el = L("struct htab_elem")
        koff = el.off("key")
        kround = (ks + 7) & ~7
        if nb > MAX_NODES:
            raise SchedError("%d buckets" % nb)
        raw = read(buckets, bsz * nb)
        for i in range(nb):
            p = struct.unpack_from("<Q", raw, i * bsz)[0]
            while p and not p & 1 and len(out) < limit:
                e = read(p, koff + kround + (8 if "percpu" in t else vs))
                key = e[koff:koff + ks]
                if "percpu" in t:
                    pp = struct.unpack_from("<Q", e, koff + kround)[0]
                    val = [read(_percpu(pp, c), vs) for c in cpus_online()[1]]
                else:
                    val = e[koff + kround:koff + kround + vs]
                out.append((key, val))
                p = struct.unpack_from("<Q", e, el.off("hash_node.next"))[0]
    elif t in ("queue", "stack"):
        ql = L("struct bpf_queue_stack")
        qb = read(addr, ql.size)
        head, tail, size = ql.get(qb, "head"), ql.get(qb, "tail"), ql.get(qb, "size")
        if not size or size > 1 << 20:
            raise SchedError("queue of size %s" % size)
        cnt = (head - tail) % size
        first = addr + ql.off("elements")
        data = read(first, size * vs) if cnt else b""
        idx = [(tail + i) % size for i in range(min(cnt, limit))]
        for i in idx:
            out.append((None, data[i * vs:(i + 1) * vs]))
    else:
        raise SchedError("contents of %s maps are not read" % t)
    return out


def bpf_map(map_id):
    for m in bpf_maps():
        if m.get("id") == map_id and "error" not in m:
            return m
    raise SchedError("no BPF map with id %d" % map_id)


def format_bpf_map(m, entries):
    out = ["map %d %s type=%s key_size=%d value_size=%d max_entries=%d flags=0x%x entries=%d"
           % (m["id"], m["name"] or "-", m["type"], m["key_size"], m["value_size"],
              m["max_entries"], m["map_flags"] or 0, len(entries))]
    btf = None
    if m["btf"] and m["btf_value_type_id"]:
        try:
            btf = _Btf(m["btf"])
        except _ERRORS as e:
            out.append("  btf: error: " + _msg(e))
    for key, val in entries:
        vals = val if isinstance(val, list) else [val]
        k = "" if key is None else "key %s " % (
            (btf.fmt(m["btf_key_type_id"], key) if btf and m["btf_key_type_id"] else None)
            or key.hex())
        for c, v in enumerate(vals):
            tag = "cpu%d " % cpus_online()[1][c] if isinstance(val, list) else ""
            out.append("  %s%svalue %s" % (k, tag, v.hex()))
            typed = btf.fmt(m["btf_value_type_id"], v) if btf else None
            if typed is not None:
                for line in typed.split("\n"):
                    out.append("    " + line)
    return out


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
    x = t.get("scx")
    if x is not None and (t["class"] == "ext" or t["policy"] == "EXT"
                          or x.get("task_state") not in (None, "none")):
        dsq = "none" if not x["dsq"] else (
            "0x%x (id 0x%x)" % (x["dsq"], x["dsq_id"]) if x.get("dsq_id") is not None
            else "0x%x (id: error: %s)" % (x["dsq"], x.get("dsq_error", "?")))
        lines.append("  scx: state=%s flags=0x%x dsq=%s dsq_vtime=%s slice=%s weight=%s"
                     % (_v(x.get("task_state")), x["flags"] or 0, dsq, _v(x["dsq_vtime"]),
                        _v(x["slice"]), _v(x["weight"])))
        lines.append("  scx: sticky_cpu=%s holding_cpu=%s ops_state=%s ops_qseq=%s "
                     "runnable_at=%s disallow=%s"
                     % (_v(x["sticky_cpu"]), _v(x["holding_cpu"]), _v(x["ops_state"]),
                        _v(x["ops_qseq"]), _v(x["runnable_at"]), _v(x["disallow"])))
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


class LkScx(_Cmd):
    """lk-scx [--json]: sched_ext: the enable state, the BPF scheduler's ops
name and flags, bypass depth, counters; each CPU's current task; every
dispatch queue (the global one, each CPU's local one, the BPF scheduler's
own by id) with its depth and its tasks in order (pid, comm, cpu,
dsq_vtime, slice, flags); the tasks the BPF scheduler holds (queued in
BPF, on no DSQ); totals over the tasks sched_ext knows."""
    name = "lk-scx"

    def __init__(self):
        super().__init__(self.name)

    def run(self, argv):
        d = scx_state()
        if argv == ["--json"]:
            gdb.write(_jsonable(d) + "\n")
        elif argv:
            raise SchedError("usage: lk-scx [--json]")
        else:
            gdb.write("\n".join(format_scx(d)) + "\n")


class LkBpfMaps(_Cmd):
    """lk-bpf-maps: every BPF map (the kernel's map_idr): id, name, type,
key and value size, max_entries, flags, and the programs that use it
(prog_idr: each program's used_maps)."""
    name = "lk-bpf-maps"

    def __init__(self):
        super().__init__(self.name)

    def run(self, argv):
        for m in bpf_maps(progs=True):
            if "error" in m:
                gdb.write("%4d error: map 0x%x: %s\n" % (m["id"], m["addr"], m["error"]))
                continue
            users = ("progs=" + ",".join(m["progs"])) if m["progs"] else ""
            if "progs_error" in m:
                users = "progs: error: " + m["progs_error"]
            gdb.write(("%4d %-16s %-16s key=%-3d value=%-5d max_entries=%-6d flags=0x%-5x %s"
                       % (m["id"], m["name"] or "-", m["type"], m["key_size"],
                          m["value_size"], m["max_entries"], m["map_flags"] or 0,
                          users)).rstrip() + "\n")


class LkBpfMap(_Cmd):
    """lk-bpf-map ID|NAME: a BPF map's entries (arrays, per-CPU arrays,
hashes, queues and stacks; at most 256): key and value in hex, the value
typed by the map's BTF when it is made of integers (a .bss/.data section:
one line per variable)."""
    name = "lk-bpf-map"

    def __init__(self):
        super().__init__(self.name)

    def run(self, argv):
        if len(argv) != 1:
            raise SchedError("usage: lk-bpf-map ID|NAME")
        if argv[0].isdigit():
            m = bpf_map(int(argv[0]))
        else:
            ms = [m for m in bpf_maps() if m.get("name") == argv[0]]
            if not ms:
                raise SchedError("no BPF map named %s" % argv[0])
            m = ms[0]
        gdb.write("\n".join(format_bpf_map(m, bpf_map_entries(m))) + "\n")


def _register():
    LkRunq()
    LkTask()
    LkSchedJson()
    LkScx()
    LkBpfMaps()
    LkBpfMap()


if __name__ == "__main__":
    # `source lkstub_sched.py`: import it as a module (so that `import
    # lkstub_sched` in gdb's python gives the same one) and register there.
    if _HERE not in sys.path:
        sys.path.insert(0, _HERE)
    import lkstub_sched  # noqa: F401,E402
else:
    _register()
