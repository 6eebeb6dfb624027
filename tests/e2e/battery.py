# gdb Python: a battery of memory-read probes on a paused Linux guest.
#
# Loaded into gdb with `source tests/e2e/battery.py`; then
#     python run_battery("/path/out.txt")
# writes one line per probe, `name: value` or `name: ERROR <message>`.
# Every probe reads guest memory only (no registers), so the output depends
# only on the guest's memory and must be identical through lkstub and through
# QEMU's own gdbstub while the guest is paused.
#
# The battery is written for the Debian 6.1 cloud kernel, x86-64 and arm64
# (4 KiB pages, 48-bit VAs), and the 6.12 ones (arm64 also with 16 KiB
# pages and 52-bit VAs): where the kernel changed, each probe follows the
# kernel it finds (module.core_layout up to 6.3, module.mem[] from 6.4;
# vmap_area_list up to 6.8, the vmap_nodes' busy lists from 6.9; the page
# size from vmcoreinfo's PAGESIZE).  The architecture is the
# connected target's; x86-only probes (page_offset_base, e820, current_task,
# idt_table, ...) have arm64 counterparts (memstart_addr, kimage_voffset,
# memblock, __entry_task, irq stacks, the linear map at PAGE_OFFSET).

import hashlib

import gdb

MAX_TASKS = 400
MAX_MODULES = 64
MAX_VMAP = 20
STACK_END_MAGIC = 0x57AC6E9D
VM_ALLOC = 0x2

_lines = []
_arch = ["x86_64"]


def _arm64():
    return _arch[0] == "arm64"


def _detect_arch():
    name = gdb.selected_inferior().architecture().name()
    _arch[0] = "arm64" if "aarch64" in name else "x86_64"


def _emit(name, value):
    value = str(value).replace("\n", "\\n")
    _lines.append("%s: %s" % (name, value))


def _err(e):
    return "ERROR " + str(e).replace("\n", " ").strip()


def probe(name, fn):
    """Run fn(); print its result or its error."""
    try:
        v = fn()
    except (gdb.error, gdb.MemoryError, RuntimeError, ValueError, OverflowError) as e:
        _emit(name, _err(e))
        return None
    _emit(name, v)
    return v


def ev(expr):
    return gdb.parse_and_eval(expr)


def evs(expr):
    return str(gdb.parse_and_eval(expr))


def evi(expr):
    return int(gdb.parse_and_eval(expr))


def read(addr, n):
    return bytes(gdb.selected_inferior().read_memory(addr, n))


def hexb(b):
    return b.hex()


def cstr(b):
    return b.split(b"\0", 1)[0].decode("latin-1")


def xcmd(cmd):
    """gdb command output with whitespace runs normalised to one space."""
    out = gdb.execute(cmd, to_string=True)
    return " ".join(out.split())


def offsetof(struct, field):
    return int(ev("(unsigned long)&((%s *)0)->%s" % (struct, field)))


ARM64_VA_BITS = 48   # the Debian arm64 kernel's CONFIG_ARM64_VA_BITS


def arm64_va_bits():
    """NUMBER(VA_BITS) from the kernel's vmcoreinfo text (48 if absent)."""
    try:
        text = cstr(read(evi("(unsigned long)vmcoreinfo_data"), 4096))
        for line in text.splitlines():
            if line.startswith("NUMBER(VA_BITS)="):
                return int(line.split("=", 1)[1])
    except (gdb.error, gdb.MemoryError, ValueError):
        pass
    return ARM64_VA_BITS


def page_shift():
    """log2 of the kernel's page size: vmcoreinfo's PAGESIZE (4 KiB if
    absent). arm64 kernels run 4, 16 or 64 KiB pages."""
    try:
        text = cstr(read(evi("(unsigned long)vmcoreinfo_data"), 4096))
        for line in text.splitlines():
            if line.startswith("PAGESIZE="):
                return int(line.split("=", 1)[1]).bit_length() - 1
    except (gdb.error, gdb.MemoryError, ValueError):
        pass
    return 12


def has_field(struct, field):
    return any(f.name == field for f in gdb.lookup_type(struct).fields())


def linear_base():
    """The virtual address of physical address 0 in the direct (linear) map:
    x86-64 page_offset_base; arm64 PAGE_OFFSET - memstart_addr (modulo 2^64:
    with KASLR memstart_addr may lie below the RAM base)."""
    if not _arm64():
        return evi("page_offset_base")
    page_offset = (-(1 << arm64_va_bits())) & 0xFFFFFFFFFFFFFFFF
    return (page_offset - evi("memstart_addr")) & 0xFFFFFFFFFFFFFFFF


# --------------------------------------------------------------- the probes

def globals_():
    probe("uts.release", lambda: evs("init_uts_ns.name.release"))
    probe("uts.version", lambda: evs("init_uts_ns.name.version"))
    probe("uts.machine", lambda: evs("init_uts_ns.name.machine"))
    probe("uts.sysname", lambda: evs("init_uts_ns.name.sysname"))
    # As a char *: gdb prints `linux_banner` itself differently depending on
    # which CU's symbol it finds first (the extern declarations have no
    # length), which depends on gdb's symtab expansion, not on memory.
    probe("linux_banner", lambda: evs("(const char *)&linux_banner"))
    probe("linux_banner.str", lambda: cstr(read(int(ev("&linux_banner").cast(
        gdb.lookup_type("unsigned long"))), 256)))
    probe("jiffies_64", lambda: evs("jiffies_64"))
    probe("nr_cpu_ids", lambda: evs("nr_cpu_ids"))
    probe("cpu_online_mask", lambda: evs("__cpu_online_mask.bits[0]"))
    probe("init_task.comm", lambda: evs("init_task.comm"))
    probe("init_task.pid", lambda: evs("init_task.pid"))
    probe("init_task.flags", lambda: evs("init_task.flags"))
    probe("init_task.active_mm", lambda: evs("init_task.active_mm"))
    probe("max_pfn", lambda: evs("max_pfn"))
    if not _arm64():
        probe("phys_base", lambda: hex(evi("phys_base")))
        probe("page_offset_base", lambda: hex(evi("page_offset_base")))
        probe("vmalloc_base", lambda: hex(evi("vmalloc_base")))
        probe("vmemmap_base", lambda: hex(evi("vmemmap_base")))
    else:
        probe("memstart_addr", lambda: hex(evi("memstart_addr") & 0xFFFFFFFFFFFFFFFF))
        probe("kimage_voffset", lambda: hex(evi("kimage_voffset")))
        probe("va_bits", arm64_va_bits)
        probe("linear_base", lambda: hex(linear_base()))
    probe("totalram_pages", lambda: evs("_totalram_pages"))
    probe("init_mm.pgd", lambda: evs("init_mm.pgd"))
    probe("init_mm.pgd[0..3]", lambda: hexb(read(evi("(unsigned long)init_mm.pgd"), 32)))
    probe("saved_command_line", lambda: cstr(read(evi("(unsigned long)saved_command_line"), 512)))
    probe("vmcoreinfo_data", lambda: cstr(read(evi("(unsigned long)vmcoreinfo_data"), 64)))
    probe("vmcoreinfo_size", lambda: evs("vmcoreinfo_size"))
    # arm64 leaves the image's first 64 KiB (the Image header, _text up to
    # _stext) unmapped: its text starts at _stext (see unmapped()).
    text = "_stext" if _arm64() else "_text"
    probe("text[0:32]", lambda: hexb(read(evi("(unsigned long)&" + text), 32)))
    probe("text.x", lambda: xcmd("x/8xg &" + text))
    probe("text.sha256[64K]", lambda: hashlib.sha256(
        read(evi("(unsigned long)&_stext"), 65536)).hexdigest())
    probe("rodata.linux_proc_banner", lambda: cstr(read(evi("(unsigned long)&linux_proc_banner"), 64)))
    if not _arm64():
        probe("idt_table[0..1]", lambda: hexb(read(evi("(unsigned long)&idt_table"), 32)))
    else:
        probe("vectors[0:64]", lambda: hexb(read(evi("(unsigned long)&vectors"), 64)))
        probe("vectors.sha256", lambda: hashlib.sha256(
            read(evi("(unsigned long)&vectors"), 2048)).hexdigest())
        probe("swapper_pg_dir", lambda: hex(evi("(unsigned long)&swapper_pg_dir")))
        probe("swapper_pg_dir.sha256", lambda: hashlib.sha256(
            read(evi("(unsigned long)&swapper_pg_dir"), 4096)).hexdigest())
        # The kernel image seen through the linear map: PA = VA - kimage_voffset.
        def text_linear():
            pa = evi("(unsigned long)&_text") - evi("kimage_voffset")
            return hexb(read((linear_base() + pa) & 0xFFFFFFFFFFFFFFFF, 32))
        probe("text.via_linear_map", text_linear)
        probe("rodata.banner.via_linear_map", lambda: cstr(read(
            (linear_base() + evi("(unsigned long)&linux_banner") - evi("kimage_voffset"))
            & 0xFFFFFFFFFFFFFFFF, 64)))
    # .init.text is freed after boot and its kernel-image alias unmapped.
    probe("init_text(freed)", lambda: hexb(read(evi("(unsigned long)&_sinittext"), 16)))


def x86_pcpu_hot():
    """x86 from 6.2: current_task and cpu_number are members of pcpu_hot."""
    try:
        gdb.lookup_type("struct pcpu_hot")
        return gdb.lookup_global_symbol("current_task") is None
    except gdb.error:
        return False


def percpu():
    n = evi("nr_cpu_ids")
    offs = []
    for cpu in range(n):
        off = probe("__per_cpu_offset[%d]" % cpu, lambda: hex(evi("__per_cpu_offset[%d]" % cpu)))
        offs.append(off)
    for cpu in range(n):
        base = "__per_cpu_offset[%d]" % cpu
        rq = "((struct rq *)((unsigned long)&runqueues + %s))" % base
        probe("cpu%d.rq.nr_running" % cpu, lambda: evs(rq + "->nr_running"))
        probe("cpu%d.rq.cpu" % cpu, lambda: evs(rq + "->cpu"))
        probe("cpu%d.rq.clock" % cpu, lambda: evs(rq + "->clock"))
        probe("cpu%d.rq.nr_switches" % cpu, lambda: evs(rq + "->nr_switches"))
        probe("cpu%d.rq.curr" % cpu, lambda: evs(rq + "->curr"))
        probe("cpu%d.rq.curr.comm" % cpu, lambda: evs(rq + "->curr->comm"))
        probe("cpu%d.rq.curr.pid" % cpu, lambda: evs(rq + "->curr->pid"))
        probe("cpu%d.rq.idle.comm" % cpu, lambda: evs(rq + "->idle->comm"))
        if _arm64():
            percpu_arm64(cpu, base)
            continue
        # 6.2+ keeps current_task and cpu_number in the per-cpu pcpu_hot.
        hot = "((struct pcpu_hot *)((unsigned long)&pcpu_hot + %s))" % base
        if x86_pcpu_hot():
            cur = hot + "->current_task"
            num = hot + "->cpu_number"
        else:
            cur = "(*(struct task_struct **)((unsigned long)&current_task + %s))" % base
            num = "*(int *)((unsigned long)&cpu_number + %s)" % base
        probe("cpu%d.current_task" % cpu, lambda: evs(cur))
        probe("cpu%d.current_task.comm" % cpu, lambda: evs(cur + "->comm"))
        probe("cpu%d.current_task.pid" % cpu, lambda: evs(cur + "->pid"))
        probe("cpu%d.cpu_number" % cpu, lambda: evs(num))
        probe("cpu%d.this_cpu_off" % cpu,
              lambda: hex(evi("*(unsigned long *)((unsigned long)&this_cpu_off + %s)" % base)))
        probe("cpu%d.stack_canary" % cpu,
              lambda: hex(evi("((struct fixed_percpu_data *)(%s))->stack_canary" % base)))


def percpu_arm64(cpu, base):
    # current is in sp_el0 on arm64; __entry_task is its copy in memory.
    cur = "(*(struct task_struct **)((unsigned long)&__entry_task + %s))" % base
    probe("cpu%d.entry_task" % cpu, lambda: evs(cur))
    probe("cpu%d.entry_task.comm" % cpu, lambda: evs(cur + "->comm"))
    probe("cpu%d.entry_task.pid" % cpu, lambda: evs(cur + "->pid"))
    # 6.12's arm64 has no per-cpu cpu_number: smp_processor_id() is the
    # current task's thread_info.cpu.
    if gdb.lookup_global_symbol("cpu_number") is not None:
        probe("cpu%d.cpu_number" % cpu,
              lambda: evs("*(int *)((unsigned long)&cpu_number + %s)" % base))
    else:
        probe("cpu%d.entry_task.thread_info.cpu" % cpu, lambda: evs(cur + "->thread_info.cpu"))
    probe("cpu%d.cpu_data.reg_midr" % cpu, lambda: hex(evi(
        "((struct cpuinfo_arm64 *)((unsigned long)&cpu_data + %s))->reg_midr" % base)))
    # IRQ stacks are vmalloc'd (VMAP_STACK), with a guard page below.
    irq = "(*(unsigned long *)((unsigned long)&irq_stack_ptr + %s))" % base
    probe("cpu%d.irq_stack_ptr" % cpu, lambda: hex(evi(irq)))
    probe("cpu%d.irq_stack[0:16]" % cpu, lambda: hexb(read(evi(irq), 16)))
    probe("cpu%d.irq_stack.sha256" % cpu, lambda: hashlib.sha256(
        read(evi(irq), 16384)).hexdigest())
    probe("unmapped.cpu%d.irq_stack-8" % cpu, lambda: hexb(read(evi(irq) - 8, 8)))
    probe("cpu%d.overflow_stack[0:16]" % cpu, lambda: hexb(read(evi(
        "(unsigned long)&overflow_stack + %s" % base), 16)))


def direct_map_arm64():
    lin = linear_base()
    maxpfn = evi("max_pfn")
    shift = page_shift()
    probe("page_shift", lambda: shift)
    va = lambda pa: (lin + pa) & 0xFFFFFFFFFFFFFFFF  # noqa: E731
    ram = 0x40000000   # QEMU virt
    probe("lin.ram_base", lambda: hexb(read(va(ram), 32)))
    probe("lin.ram+0x1000000", lambda: hexb(read(va(ram + 0x1000000), 32)))
    probe("lin.x.ram+0x9f000", lambda: xcmd("x/4xg 0x%x" % va(ram + 0x9f000)))
    probe("lin.last_page", lambda: hexb(read(va((maxpfn << shift) - 0x1000), 32)))
    probe("lin.last_bytes", lambda: hexb(read(va((maxpfn << shift) - 16), 16)))
    probe("lin.cross_2M", lambda: hashlib.sha256(read(va(ram + 0x3ff000), 0x2000)).hexdigest())
    # Every RAM range and every reservation the kernel keeps in memblock
    # (arm64 keeps memblock after boot), through the linear map.
    def memblock():
        for kind in ("memory", "reserved"):
            n = evi("memblock.%s.cnt" % kind)
            _emit("memblock.%s.cnt" % kind, n)
            for i in range(min(n, 16)):
                r = "memblock.%s.regions[%d]" % (kind, i)
                a, size, fl = evi(r + ".base"), evi(r + ".size"), evi("(int)" + r + ".flags")
                _emit("memblock.%s[%d]" % (kind, i), "%#x+%#x flags %d" % (a, size, fl))
                probe("memblock.%s[%d].first" % (kind, i), lambda: hexb(read(va(a), 16)))
                probe("memblock.%s[%d].last" % (kind, i),
                      lambda: hexb(read(va(a + size - 16), 16)))
    memblock()
    def marker():
        data = evi("(unsigned long)prb->text_data_ring.data")
        size = 1 << evi("prb->text_data_ring.size_bits")
        buf = read(data, size)
        return "size=%d offset=%d" % (size, buf.find(b"lkstub-e2e-marker"))
    probe("printk.marker", marker)


def direct_map():
    if _arm64():
        return direct_map_arm64()
    pob = evi("page_offset_base")
    maxpfn = evi("max_pfn")
    probe("dmap+0x100000", lambda: hexb(read(pob + 0x100000, 32)))
    probe("dmap+0x1000000", lambda: hexb(read(pob + 0x1000000, 32)))
    probe("dmap.x+0x9f000", lambda: xcmd("x/4xg 0x%x" % (pob + 0x9f000)))
    probe("dmap.last_page", lambda: hexb(read(pob + (maxpfn << 12) - 0x1000, 32)))
    probe("dmap.last_bytes", lambda: hexb(read(pob + (maxpfn << 12) - 16, 16)))
    # Below the 4 GiB hole (RAM only with more than 2 GiB) and in the hole.
    probe("dmap.2G-4K", lambda: hexb(read(pob + 0x80000000 - 0x1000, 16)))
    probe("dmap.hole", lambda: hexb(read(pob + 0xc0000000, 16)))
    # Every RAM range of the firmware memory map, through the direct map:
    # with 3 GiB on q35 that is RAM below and above the 4 GiB hole.
    def e820():
        n = evi("e820_table->nr_entries")
        _emit("e820.nr_entries", n)
        for i in range(min(n, 32)):
            e = "e820_table->entries[%d]" % i
            a, size, typ = evi(e + ".addr"), evi(e + ".size"), evi("(int)" + e + ".type")
            _emit("e820[%d]" % i, "%#x+%#x type %d" % (a, size, typ))
            if typ == 1:
                probe("e820[%d].first" % i, lambda: hexb(read(pob + a, 16)))
                probe("e820[%d].last" % i, lambda: hexb(read(pob + a + size - 16, 16)))
    e820()
    probe("dmap.cross_2M", lambda: hashlib.sha256(read(pob + 0x3ff000, 0x2000)).hexdigest())
    probe("vmemmap.page0.flags", lambda: hex(evi("((struct page *)vmemmap_base)->flags")))
    probe("vmemmap.page_of_text.flags", lambda: hex(evi(
        "((struct page *)vmemmap_base)[((unsigned long)&_text - 0xffffffff80000000 + phys_base) >> 12].flags")))
    # The printk ring buffer holds the marker the guest's init wrote to /dev/kmsg.
    def marker():
        data = evi("(unsigned long)prb->text_data_ring.data")
        size = 1 << evi("prb->text_data_ring.size_bits")
        buf = read(data, size)
        return "size=%d offset=%d" % (size, buf.find(b"lkstub-e2e-marker"))
    probe("printk.marker", marker)


def tasks():
    off = offsetof("struct task_struct", "tasks")
    head = evi("(unsigned long)&init_task.tasks")
    tt = gdb.lookup_type("struct task_struct").pointer()
    ul = gdb.lookup_type("unsigned long")
    node = head
    count = 0
    for _ in range(MAX_TASKS):
        try:
            node = int(gdb.Value(node).cast(ul.pointer()).dereference())
        except gdb.MemoryError as e:
            _emit("tasks.walk", _err(e))
            break
        if node == head:
            break
        count += 1
        t = gdb.Value(node - off).cast(tt).dereference()
        p = "task[%d]" % count
        probe(p, lambda: "pid=%d tgid=%d comm=%s state=%d" % (
            int(t["pid"]), int(t["tgid"]), t["comm"].string(length=16).split("\0")[0],
            int(t["__state"])))
        probe(p + ".ptr", lambda: hex(node - off))
        stack = int(t["stack"].cast(ul))

        def stackread():
            b = read(stack, 16)
            magic = int.from_bytes(b[:8], "little")
            return "%s %s" % (hexb(b), "magic" if magic == STACK_END_MAGIC else "NOMAGIC")
        probe(p + ".stack", stackread)
        if count <= 3 or count % 10 == 0:
            probe(p + ".stack.guard", lambda: hexb(read(stack - 0x1000, 8)))
        if _arm64():
            probe(p + ".thread.sp", lambda: hexb(read(int(t["thread"]["cpu_context"]["sp"]), 32)))
        else:
            probe(p + ".thread.sp", lambda: hexb(read(int(t["thread"]["sp"]), 32)))
        mm = int(t["mm"].cast(ul))
        if mm:
            probe(p + ".mm.pgd", lambda: hexb(read(int(
                gdb.Value(mm).cast(gdb.lookup_type("struct mm_struct").pointer())["pgd"].cast(ul)), 16)))
    _emit("tasks.count", count)


def modules():
    off = offsetof("struct module", "list")
    head = evi("(unsigned long)&modules")
    mt = gdb.lookup_type("struct module").pointer()
    ul = gdb.lookup_type("unsigned long")
    node = head
    count = 0
    for _ in range(MAX_MODULES):
        try:
            node = int(gdb.Value(node).cast(ul.pointer()).dereference())
        except gdb.MemoryError as e:
            _emit("modules.walk", _err(e))
            break
        if node == head:
            break
        count += 1
        m = gdb.Value(node - off).cast(mt).dereference()
        p = "module[%d]" % count
        probe(p + ".name", lambda: m["name"].string())
        probe(p + ".state", lambda: str(m["state"]))
        if has_field("struct module", "core_layout"):     # up to 6.3
            probe(p + ".core", lambda: "base=%s size=%d text=%d ro=%d" % (
                hex(int(m["core_layout"]["base"].cast(ul))), int(m["core_layout"]["size"]),
                int(m["core_layout"]["text_size"]), int(m["core_layout"]["ro_size"])))
            base = int(m["core_layout"]["base"].cast(ul))
            size = int(m["core_layout"]["size"])
            probe(p + ".text[0:32]", lambda: hexb(read(base, 32)))
            probe(p + ".core.sha256", lambda: hashlib.sha256(read(base, size)).hexdigest())
            probe(p + ".init", lambda: hex(int(m["init_layout"]["base"].cast(ul))))
            continue
        # 6.4+: one module_memory per type (enum mod_mem_type): text, data,
        # rodata, ro_after_init, then the init types (freed after init).
        names = {int(f.enumval): f.name for f in gdb.lookup_type("enum mod_mem_type").fields()}
        lo, hi = m["mem"].type.range()
        for i in range(lo, hi + 1):
            mem = m["mem"][i]
            name = names.get(i, str(i))
            base, size = int(mem["base"].cast(ul)), int(mem["size"])
            probe("%s.%s" % (p, name), lambda: "base=%s size=%d" % (hex(base), size))
            if name.startswith("MOD_INIT") or not size:
                continue
            probe("%s.%s[0:32]" % (p, name), lambda: hexb(read(base, 32)))
            probe("%s.%s.sha256" % (p, name), lambda: hashlib.sha256(
                read(base, size)).hexdigest())
    _emit("modules.count", count)


def vmap_lists():
    """The heads of the lists of busy vmap areas: vmap_area_list up to 6.8;
    from 6.9 each vmap node's busy.head (vmap_nodes[0..nr_vmap_nodes))."""
    try:
        return [evi("(unsigned long)&vmap_area_list")]
    except gdb.error:
        pass
    n = evi("nr_vmap_nodes")
    _emit("vmap.nodes", n)
    return [evi("(unsigned long)&vmap_nodes[%d].busy.head" % i) for i in range(n)]


def vmap():
    off = offsetof("struct vmap_area", "list")
    vt = gdb.lookup_type("struct vmap_area").pointer()
    ul = gdb.lookup_type("unsigned long")
    count = 0
    reads = 0
    for head in vmap_lists():
        node = head
        while count < MAX_VMAP:
            try:
                node = int(gdb.Value(node).cast(ul.pointer()).dereference())
            except gdb.MemoryError as e:
                _emit("vmap.walk", _err(e))
                break
            if node == head:
                break
            count += 1
            va = gdb.Value(node - off).cast(vt).dereference()
            p = "vmap[%d]" % count
            start = int(va["va_start"])
            probe(p, lambda: "%s-%s" % (hex(start), hex(int(va["va_end"]))))
            vm = int(va["vm"].cast(ul))
            flags = 0
            if vm:
                flags = probe(p + ".vm", lambda: int(gdb.Value(vm).cast(
                    gdb.lookup_type("struct vm_struct").pointer())["flags"])) or 0
            # Only VM_ALLOC areas are backed by RAM; ioremap areas map devices.
            if flags & VM_ALLOC and reads < 10:
                reads += 1
                probe(p + ".bytes", lambda: hexb(read(start, 8)))
                if _arm64():
                    # Its first page's struct page, in the vmemmap.
                    probe(p + ".page0.flags", lambda: hex(int(gdb.Value(vm).cast(
                        gdb.lookup_type("struct vm_struct").pointer())["pages"][0]["flags"])))
    _emit("vmap.count", count)


def unmapped():
    pob = linear_base()
    maxpfn = evi("max_pfn")
    shift = page_shift()
    stack = evi("(unsigned long)init_task.stack")
    for addr, name in ((0, "null"), (0x1000, "0x1000"),
                       (0x8000000000000000, "noncanonical"),
                       (0x0000800000000000, "noncanonical.low"),
                       ((pob + (maxpfn << shift)) & 0xFFFFFFFFFFFFFFFF, "dmap.end"),
                       ((pob + (maxpfn << shift) + 0x200000) & 0xFFFFFFFFFFFFFFFF, "dmap.end+2M")):
        probe("unmapped." + name, lambda: hexb(read(addr, 8)))
        probe("unmapped.x." + name, lambda: xcmd("x/1xg 0x%x" % addr))
    # init_task's stack is in the kernel image; pid 1's is vmalloc'd with a
    # guard page below it.
    def pid1_guard():
        t = evi("(unsigned long)init_task.tasks.next") - offsetof("struct task_struct", "tasks")
        st = evi("(unsigned long)((struct task_struct *)%d)->stack" % t)
        return hexb(read(st - 8, 8))
    probe("unmapped.pid1.stack-8", pid1_guard)
    probe("unmapped.pid1.stack-4096", lambda: hexb(read(
        evi("(unsigned long)((struct task_struct *)((unsigned long)init_task.tasks.next - %d))->stack"
            % offsetof("struct task_struct", "tasks")) - 4096, 1)))
    probe("init_task.stack", lambda: hexb(read(stack, 16)))
    if _arm64():
        # The image head [_text, _stext) is left out of the kernel mapping
        # and out of vmalloc's reserved ranges: unmapped, or (nokaslr: the
        # image sits at VMALLOC_START) reused by vmalloc.
        probe("image_head", lambda: hexb(read(evi("(unsigned long)&_text"), 8)))
        probe("image_head.x", lambda: xcmd("x/1xg &_text"))
        probe("image_head.last", lambda: hexb(read(evi("(unsigned long)&_stext") - 8, 8)))


def run_battery(path):
    del _lines[:]
    _detect_arch()
    gdb.execute("set print pretty off", to_string=True)
    gdb.execute("set print elements 4096", to_string=True)
    gdb.execute("set print repeats 10", to_string=True)
    for section in (globals_, percpu, direct_map, tasks, modules, vmap, unmapped):
        try:
            section()
        except Exception as e:  # a bug in the battery itself; keep going
            _emit("section." + section.__name__, "BATTERY-EXCEPTION " + _err(e))
    with open(path, "w") as f:
        f.write("\n".join(_lines) + "\n")
    gdb.write("battery: %d probes -> %s\n" % (len(_lines), path))
