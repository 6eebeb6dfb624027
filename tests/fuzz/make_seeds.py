#!/usr/bin/env python3
"""Writes the synthetic seed inputs of tests/fuzz/corpus/ (the recorded gdb
sessions there are kept as recorded; see README.md). Deterministic: run it
again after changing an input layout and commit the result.

    tests/fuzz/make_seeds.py [CORPUS_DIR]
"""
import os
import struct
import sys

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def u8(v): return struct.pack("<B", v & 0xff)
def u16(v): return struct.pack("<H", v & 0xffff)
def u32(v): return struct.pack("<I", v & 0xffffffff)
def u64(v): return struct.pack("<Q", v & 0xffffffffffffffff)


# --- RSP: packets as gdb frames them --------------------------------------
def pkt(payload):
    if isinstance(payload, str):
        payload = payload.encode("latin-1")
    return b"$" + payload + b"#%02x" % (sum(payload) & 0xff)


def hexs(s):
    return s.encode().hex()


def rsp_seeds():
    connect = [pkt("qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;"
                   "fork-events+;vfork-events+;exec-events+;vContSupported+;"
                   "QThreadEvents+;no-resumed+;memory-tagging+"),
               b"+", pkt("vMustReplyEmpty"), b"+", pkt("QStartNoAckMode"),
               b"+"]
    body = [pkt("Hg0"), pkt("qXfer:features:read:target.xml:0,ffb"),
            pkt("qXfer:features:read:target.xml:10,5"),
            pkt("qTStatus"), pkt("?"), pkt("qfThreadInfo"),
            pkt("qsThreadInfo"), pkt("qAttached:1"), pkt("Hc-1"), pkt("qC"),
            pkt("qOffsets"), pkt("g"), pkt("p0"), pkt("p2"), pkt("p9"),
            pkt("qXfer:threads:read::0,ffb"),
            pkt("qXfer:threads:read::20,8"), pkt("qThreadExtraInfo,2"),
            pkt("T2"), pkt("T9"), pkt("Hgp1.2"), pkt("m10000,40"),
            pkt("m13ff0,20"), pkt("m14000,10"), pkt("mffffffffffffffff,10"),
            pkt("m10000,0"), pkt("M10000,4:01020304"), pkt("M10000,2:0102"),
            pkt("X10000,0:"), pkt(b"X10010,4:}\x03\x04#\x05"),
            pkt(b"qSearch:memory:10000;ffff;" + bytes([0x07, 0x0f])),
            pkt("x10000,1000"), pkt("x13ff0,20"), pkt("x14000,10"),
            pkt("x10000,0"), pkt("x10000,ffffffffffffffff"),
            pkt("qRcmd," + hexs("help")), pkt("qRcmd," + hexs("nope")),
            pkt("qRcmd,"), pkt("vCont?"), pkt("vCont;c"), pkt("c"),
            pkt("s"), b"\x03", pkt("G00"), pkt("P0=00"), pkt("qSymbol::"),
            pkt("vKill;1"), pkt("D;1"), pkt("qUnknownPacket"),
            pkt("m10000,0*!"), b"$m10000,10#00", b"$qC#zz",
            pkt("m1000}]0,4"), pkt("k")]
    put("fuzz_rsp_session", "synthetic-ack", b"\x00" + b"".join(
        connect[:4] + [b"+".join(body[:20]), b"-"] + body[20:]))
    put("fuzz_rsp_session", "synthetic-noack-chunked",
        b"\x43" + b"".join(connect) + b"".join(body))
    put("fuzz_rsp_session", "monitor-big",
        b"\x00" + pkt("QStartNoAckMode") + pkt("qRcmd," + hexs("big")))
    put("fuzz_rsp_session", "minimal-target",
        b"\x80" + b"".join(body[:30]))
    put("fuzz_rsp_session", "oversize",
        b"\x00" + pkt("a" + "a*~" * 2710) + pkt("a*~" * 4))


# --- qXfer -----------------------------------------------------------------
def qxfer_seeds():
    for name, n, reqs, pool in (
            ("two", 2, [(0, 0, 0x10), (1, 5, 3), (1 | 8, 0, 0)], b"kw<&>\"x'"),
            ("many-long", 63, [(1, 0, 0xffff), (1 | 4, 0x1000, 0x40000)],
             bytes(range(1, 256))),
            ("escapes", 8, [(1, 0, 1), (0, 0, 100), (1 | 2, 0x7fffffff, 9)],
             b"<>&\"'\x01\x7f\xff}$#*")):
        d = u8(1) + u8(n - 1)
        for i in range(n):
            d += u32(i * 0x1001 + 1) + u8(i * 37) + u8(i * 11)
        d += u8(len(reqs))
        for k, o, l in reqs:
            d += u8(k) + u32(o) + u32(l)
        put("fuzz_qxfer", name, d + pool)


# --- vmcoreinfo --------------------------------------------------------------
VMCI_X86 = """OSRELEASE=6.1.0-56-cloud-amd64
BUILD-ID=3b43fad5034874490492495d552c0af6a5fab235
PAGESIZE=4096
SYMBOL(init_uts_ns)=ffffffff82bf9b60
OFFSET(uts_namespace.name)=0
SYMBOL(node_online_map)=ffffffff82c6f7d8
SYMBOL(swapper_pg_dir)=ffffffff82a10000
SYMBOL(_stext)=ffffffff81000000
SYMBOL(vmap_area_list)=ffffffff82c5c720
SYMBOL(mem_section)=ffff88801ffd5000
LENGTH(mem_section)=2048
SIZE(mem_section)=16
OFFSET(mem_section.section_mem_map)=0
NUMBER(SECTION_SIZE_BITS)=27
NUMBER(MAX_PHYSMEM_BITS)=46
SIZE(page)=64
NUMBER(PG_head_mask)=65536
NUMBER(phys_base)=0
SYMBOL(init_top_pgt)=ffffffff82a10000
NUMBER(pgtable_l5_enabled)=0
SYMBOL(node_data)=ffffffff82c6a9a0
LENGTH(node_data)=64
KERNELOFFSET=0
NUMBER(KERNEL_IMAGE_SIZE)=1073741824
NUMBER(sme_mask)=0
CRASHTIME=1732550000
"""
VMCI_ARM = """OSRELEASE=6.1.0-56-cloud-arm64
BUILD-ID=0123456789abcdef0123456789abcdef01234567
PAGESIZE=4096
SYMBOL(_stext)=ffff800008010000
NUMBER(VA_BITS)=48
NUMBER(kimage_voffset)=0xffff7fffc7e00000
NUMBER(PHYS_OFFSET)=0x40000000
NUMBER(TCR_EL1_T1SZ)=16
KERNELOFFSET=0
SYMBOL(swapper_pg_dir)=ffff80000a8f6000
"""


def vmcoreinfo_seeds():
    put("fuzz_vmcoreinfo", "x86_64-6.1", VMCI_X86.encode())
    put("fuzz_vmcoreinfo", "arm64-6.1", VMCI_ARM.encode())
    put("fuzz_vmcoreinfo", "odd-values",
        b"OSRELEASE=x\nNUMBER(a)=-9223372036854775808\nNUMBER(b)=0x\n"
        b"SYMBOL(c)= 1\nKERNELOFFSET=-1\n=x\nNUMBER(d)=+5\nSYMBOL(e)=ffffffffffffffff1\n"
        b"noequals\n\n\nNUMBER(f)=0X10\x00hidden=1")


# --- page tables ---------------------------------------------------------------
class Mem:
    def __init__(self, size):
        self.b = bytearray(size)

    def put64(self, off, v):
        self.b[off:off + 8] = u64(v)


def walk_header(flags, word, root_page, gpa0, gpa1, split, img, addrs,
                wdata=b""):
    h = u8(flags) + u64(word) + u32(root_page) + u8(gpa0) + u32(gpa1)
    h += u8(split) + u64(img[0]) + u32(img[1]) + u64(img[2])
    h += u8(len(addrs) - 1)
    for base, va, ln in addrs:
        h += u8(base) + u64(va) + u16(ln)
    if flags & 8:
        h += u8(len(wdata) - 1) + wdata
    return h


def x86_seeds():
    # Region 0 at GPA 0: root 0x0000, PUD 0x1000, PMD 0x2000, PT 0x3000,
    # data pages 0x4000.. ; direct map: 1G leaf; vmalloc-ish: 2M and 4K.
    m = Mem(0x4100)
    P, PSE = 1 | 2, 0x80
    dm = 0xffff888000000000
    idx = lambda va, lvl: (va >> (12 + 9 * (lvl - 1))) & 511
    m.put64(8 * idx(dm, 4), 0x1000 | P)
    m.put64(0x1000 + 8 * idx(dm, 3), 0 | P | PSE)          # 1 GiB leaf
    vm = 0xffffc90000000000
    m.put64(8 * idx(vm, 4), 0x1000 | P)
    m.put64(0x1000 + 8 * idx(vm, 3), 0x2000 | P)
    m.put64(0x2000 + 8 * idx(vm, 2), 0x3000 | P)
    for i in range(4):
        m.put64(0x3000 + 8 * (idx(vm, 1) + i), (0x4000 + 0x1000 * (i % 2)) | P | (1 << 63))
    m.put64(0x2000 + 8 * (idx(vm, 2) + 1), 0x200000 | P | PSE | 0x1000)  # 2M, PAT
    addrs = [(0, dm + 0x4ff8, 0x20), (0, vm + 0xff8, 0x2010),
             (0, vm + 0x200000, 8), (2, 0x100, 0x100), (0, 0x0000800000000000, 8)]
    img = (0xffffffff81000000, 0x6000, 0xffffffff81000000)
    put("fuzz_walk_x86_64", "4level-synthetic",
        walk_header(4, 0, 0, 0, 0, 0, img, addrs) + bytes(m.b))
    put("fuzz_walk_x86_64", "4level-two-regions-write",
        walk_header(1 | 4 | 8, 0, 0, 0, 0x100000, 128, img, addrs,
                    b"\xaa" * 16) + bytes(m.b))
    # 5-level: one more level on top (root at 0x5000 -> old root 0).
    m5 = Mem(0x6000)  # root at 0x5000
    m5.b[:len(m.b)] = m.b
    dm5 = 0xff11000000000000
    m5.put64(0x5000 + 8 * ((dm5 >> 48) & 511), 0x0000 | P)
    m5.put64(8 * idx(dm5, 4), 0x1000 | P)
    m5.put64(0x1000 + 8 * idx(dm5, 3), 0 | P | PSE)
    put("fuzz_walk_x86_64", "5level-synthetic",
        walk_header(0, 1, 5, 0, 0, 0, img,
                    [(3, 0x1234, 0x40), (0, dm5 + 0x10, 0x100)]) + bytes(m5.b))


def a64_seeds():
    # 4K granule, 48-bit VA: L0..L3, tables at 0x0 (root), 0x1000, 0x2000,
    # 0x3000; data 0x4000. Table/page descriptors: bits 1:0 = 3.
    m = Mem(0x4100)
    va = 0xffff800008000000
    ix = lambda lvl: (va >> (12 + 9 * (3 - lvl))) & 511
    m.put64(8 * ix(0), 0x1000 | 3)
    m.put64(0x1000 + 8 * ix(1), 0x2000 | 3)
    m.put64(0x2000 + 8 * ix(2), 0x3000 | 3)
    m.put64(0x3000 + 8 * ix(3), 0x4000 | 3 | (1 << 10))
    m.put64(0x3000 + 8 * (ix(3) + 1), 0x5000 | 3)
    m.put64(0x2000 + 8 * (ix(2) + 1), 0x200000 | 1)     # 2M block
    word = (48 - 25) | (0 << 8)                          # 48-bit, 4K
    addrs = [(3, va + 0xff0, 0x20), (3, va + 0x200000, 8), (0, 0x8000, 8)]
    put("fuzz_walk_aarch64", "4k-48bit-synthetic",
        walk_header(0, word, 0, 0, 0, 0, (0, 0, 0), addrs) + bytes(m.b))
    tcr = (16 << 16) | (2 << 30) | (5 << 32)             # T1SZ 16, TG1 4K
    put("fuzz_walk_aarch64", "tcr-4k-48bit-write",
        walk_header(16 | 8, tcr, 0, 0, 0, 0, (0, 0, 0), addrs, b"\x55" * 8)
        + bytes(m.b))
    # 64K granule, 52-bit (LPA): 3 levels, root at 0 (needs 64K tables:
    # one page is enough to seed).
    m64 = Mem(0x800)
    put("fuzz_walk_aarch64", "64k-52bit",
        walk_header(0, (52 - 25) | (2 << 8) | (1 << 16), 0, 0, 0, 0,
                    (0, 0, 0), [(1, 0x123456, 0x40)]) + bytes(m64.b))


# --- tasks -----------------------------------------------------------------
def tasks_seeds():
    TEXT = 0xffffffff81000000
    # task_struct layout (small): tasks@0x10 pid@0x20 tgid@0x24 comm@0x30
    # __state@0x08 exit_state@0x40 on_cpu@0x44 cpu@0x48 signal@0x50
    # thread_node@0x60; signal_struct.thread_head@0x10; rq.curr@0x8
    # rq.nr_running@0x4.
    lay = dict(tasks=0x10, pid=0x20, tgid=0x24, comm=0x30, state=0x08,
               exit_state=0x40, on_cpu=0x44, cpu=0x48, signal=0x50,
               signal_thread_head=0x10, thread_node=0x60, rq_curr=0x8,
               rq_nr_running=0x4)
    order = ["tasks", "pid", "tgid", "comm", "state", "exit_state", "on_cpu",
             "cpu", "signal", "signal_thread_head", "thread_node", "rq_curr",
             "rq_nr_running"]

    def build(loop=False, threads=True):
        m = Mem(0x1000)
        T = [0x000, 0x100, 0x200, 0x300]   # init_task and three tasks
        SIG = 0x400                        # a signal_struct
        va = lambda off: TEXT + off
        # group list: init -> 1 -> 2 -> init
        nxt = {0: 0x100, 0x100: 0x200, 0x200: 0x000}
        for t, n in nxt.items():
            m.put64(t + lay["tasks"], va(n + lay["tasks"]))
        if loop:
            m.put64(0x200 + lay["tasks"], va(0x200 + lay["tasks"]))
        for i, t in enumerate(T):
            m.b[t + lay["pid"]:t + lay["pid"] + 4] = u32(i)
            m.b[t + lay["tgid"]:t + lay["tgid"] + 4] = u32(i if i < 3 else 2)
            m.b[t + lay["comm"]:t + lay["comm"] + 16] = (
                b"task%d" % i).ljust(16, b"\0")
            m.b[t + lay["state"]:t + lay["state"] + 4] = u32([0, 1, 0x402, 0x80][i])
            m.b[t + lay["cpu"]:t + lay["cpu"] + 4] = u32(i & 1)
        if threads:
            # task 2's group: threads 2 and 3 on SIG's thread_head.
            m.put64(0x200 + lay["signal"], va(SIG))
            head = SIG + lay["signal_thread_head"]
            m.put64(head, va(0x200 + lay["thread_node"]))
            m.put64(0x200 + lay["thread_node"], va(0x300 + lay["thread_node"]))
            m.put64(0x300 + lay["thread_node"], va(head))
        # __per_cpu_offset at 0x800 (two CPUs), runqueues at link 0x80
        m.put64(0x800, TEXT + 0x900 - 0x80)
        m.put64(0x808, TEXT + 0xa00 - 0x80)
        m.put64(0x900 + 8, va(0x100))
        m.put64(0xa00 + 8, va(0x200))
        return bytes(m.b)

    def hdr(flags=2, extra=TEXT + 0x100):
        h = u8(flags) + b"".join(u16(lay[k]) for k in order) + u8(4)
        h += u16(0) + u16(0x800) + u16(0x80) + u8(0) + u32(0) + u64(extra)
        return h

    put("fuzz_tasks", "groups-and-threads", hdr() + build())
    put("fuzz_tasks", "leaders-only", hdr() + build(threads=False))
    put("fuzz_tasks", "self-loop", hdr() + build(loop=True))


# --- discovery -----------------------------------------------------------------
# The link addresses of fuzz_discover.c's tiny vmlinux.
D_BANNER = b"Linux version 6.1.0-fuzz (lkstub@fuzz) #1 SMP PREEMPT\n"
D_BUILD_ID = "4b1b0a5c1e0e6d2f9e8f3c4a7b6d5e4f3a2b1c0d"
X_TEXT = 0xffffffff81000000
A_TEXT = 0xffff800008000000


def discover_input(flags, ram_size, gpa, patches, kaslr=0, phys_base=0):
    d = u8(flags) + u8(ram_size // (512 << 10) - 1) + u32(gpa >> 16)
    d += u64(kaslr) + u64(phys_base) + u8(len(patches))
    for off, data in patches:
        d += u32(off) + u16(len(data)) + data
    return d


def x86_kernel(img_pa, koff, levels=4, ram=8 << 20, vmci_pa=None, note=False):
    """Patches placing an x86_64 kernel: the image, page tables mapping it
    and the direct map, vmcoreinfo at vmci_pa (as the kernel's ELF note
    when note). Returns (patches, vmcoreinfo text, phys_base)."""
    P, PSE = 1 | 2, 0x80
    start_map = 0xffffffff80000000
    phys_base = (img_pa - (X_TEXT + koff - start_map)) & (2 ** 64 - 1)
    po = 0xff11000000000000 if levels == 5 else 0xffff888000000000
    m = Mem(ram)
    m.b[img_pa:img_pa + 0x2000] = b"\xcc" * 0x2000              # .text
    m.b[img_pa + 0x10100:img_pa + 0x10100 + len(D_BANNER) + 1] = D_BANNER + b"\0"
    data = img_pa + 0x20000
    m.put64(data, po)                                            # page_offset_base
    m.b[data + 8:data + 12] = u32(levels == 5)                   # __pgtable_l5_enabled
    root = data + 0x1000                                         # init_top_pgt
    pool = [0x100000 + 0x1000 * i for i in range(8)]

    def idx(va, lvl):
        return (va >> (12 + 9 * (lvl - 1))) & 511

    def map_va(va, pa, leaf_lvl):
        t = root
        for lvl in range(levels, leaf_lvl, -1):
            e = t + 8 * idx(va, lvl)
            cur = int.from_bytes(m.b[e:e + 8], "little")
            if not cur:
                cur = pool.pop(0) | P
                m.put64(e, cur)
            t = cur & 0x000ffffffffff000
        m.put64(t + 8 * idx(va, leaf_lvl), pa | P | PSE)

    map_va(X_TEXT + koff, img_pa, 2)         # the image, one 2 MiB page
    map_va(po, 0, 3)                         # the direct map, 1 GiB
    text = ("OSRELEASE=6.1.0-fuzz\nBUILD-ID=%s\nPAGESIZE=4096\n"
            "SYMBOL(_stext)=%x\nNUMBER(phys_base)=%d\n"
            "NUMBER(pgtable_l5_enabled)=%d\nKERNELOFFSET=%x\n"
            "CRASHTIME=1700000000\n"
            % (D_BUILD_ID, X_TEXT + 0x1000 + koff,
               phys_base - 2 ** 64 if phys_base >> 63 else phys_base,
               levels == 5, koff)).encode()
    if vmci_pa is not None:
        body = text
        if note:
            body = u32(11) + u32(len(text)) + u32(0) + b"VMCOREINFO\0\0" + text
        m.b[vmci_pa:vmci_pa + len(body)] = body
        bss = img_pa + 0x30000
        m.put64(bss + (8 if note else 0), po + vmci_pa)   # vmcoreinfo_data/_note
    return m, text, phys_base


def a64_kernel(img_pa, koff, ram_gpa=0x40000000, ram=8 << 20, vmci_pa=None):
    """An aarch64 kernel (4 KiB pages, 48-bit VAs) at GPA img_pa of RAM
    starting at ram_gpa: (Mem of RAM, vmcoreinfo text)."""
    m = Mem(ram)
    o = lambda pa: pa - ram_gpa
    runtime = A_TEXT + koff
    voff = (runtime - img_pa) & (2 ** 64 - 1)
    page_offset = (-(1 << 48)) & (2 ** 64 - 1)
    i = o(img_pa)
    m.b[i:i + 0x2000] = b"\xd5" * 0x2000
    m.b[i + 0x20100:i + 0x20100 + len(D_BANNER) + 1] = D_BANNER + b"\0"
    data = i + 0x30000
    m.put64(data, voff)                       # kimage_voffset
    m.put64(data + 8, ram_gpa)                # memstart_addr
    m.put64(data + 0x10, 48)                  # vabits_actual
    root = img_pa + 0x31000                   # swapper_pg_dir
    pool = [ram_gpa + 0x100000 + 0x1000 * k for k in range(8)]
    AF = 1 << 10

    def ix(va, lvl):
        return (va >> (12 + 9 * (3 - lvl))) & 511

    def map_va(va, pa, leaf_lvl):
        t = root
        for lvl in range(0, leaf_lvl):
            e = o(t) + 8 * ix(va, lvl)
            cur = int.from_bytes(m.b[e:e + 8], "little")
            if not cur:
                cur = pool.pop(0) | 3
                m.put64(e, cur)
            t = cur & 0x0000fffffffff000
        m.put64(o(t) + 8 * ix(va, leaf_lvl), pa | 1 | AF)

    map_va(runtime, img_pa, 2)                # the image, a 2 MiB block
    map_va(page_offset, ram_gpa, 1)           # the linear map, 1 GiB
    text = ("OSRELEASE=6.1.0-fuzz\nBUILD-ID=%s\nPAGESIZE=4096\n"
            "SYMBOL(_stext)=%x\nNUMBER(VA_BITS)=48\nNUMBER(kimage_voffset)=%#x\n"
            "NUMBER(PHYS_OFFSET)=%#x\nNUMBER(TCR_EL1_T1SZ)=16\nKERNELOFFSET=%x\n"
            % (D_BUILD_ID, A_TEXT + 0x10000 + koff, voff, ram_gpa, koff)).encode()
    if vmci_pa is not None:
        m.b[o(vmci_pa):o(vmci_pa) + len(text)] = text
        m.put64(i + 0x40000, page_offset + (vmci_pa - ram_gpa))   # vmcoreinfo_data
    return m, text


def nonzero_patches(m):
    """The non-zero runs of RAM as patches (4 KiB granules)."""
    out = []
    for off in range(0, len(m.b), 4096):
        page = bytes(m.b[off:off + 4096])
        if page.strip(b"\0"):
            if out and out[-1][0] + len(out[-1][1]) == off and len(out[-1][1]) < 0xf000:
                out[-1] = (out[-1][0], out[-1][1] + page)
            else:
                out.append((off, page))
    return [(o, d.rstrip(b"\0") or b"\0") for o, d in out]


def discover_seeds():
    ram = 8 << 20
    koff = 0x2e400000
    m, text, pb = x86_kernel(4 << 20, koff, vmci_pa=0x200000)
    put("fuzz_discover", "x86-vmcoreinfo", discover_input(0, ram, 0, nonzero_patches(m)))
    put("fuzz_discover", "x86-vmcoreinfo-only",
        discover_input(1 << 2, ram, 0, nonzero_patches(m)))
    put("fuzz_discover", "x86-offsets-given",
        discover_input(0x20 | 0x40, ram, 0, nonzero_patches(m), koff, pb))
    put("fuzz_discover", "x86-offset-given",
        discover_input(0x20, ram, 0, nonzero_patches(m), koff))
    m, text, pb = x86_kernel(2 << 20, 0x1e00000, levels=5, vmci_pa=0x1ff000, note=True)
    put("fuzz_discover", "x86-5level-note-copy", discover_input(0, ram, 0, nonzero_patches(m)))
    put("fuzz_discover", "x86-5level-banner",
        discover_input(2 << 2, ram, 0, nonzero_patches(m)))
    # A dump's note (patch 0) and no copy in RAM.
    m, text, pb = x86_kernel(6 << 20, 0x400000)
    put("fuzz_discover", "x86-dump-note",
        discover_input(0x10, ram, 0, [(0, text)] + nonzero_patches(m)))
    # A foreign and a stale copy before the live one.
    m, text, pb = x86_kernel(4 << 20, koff, vmci_pa=0x200000)
    foreign = text.replace(D_BUILD_ID.encode(), b"00" * 20)
    stale = text.replace(b"KERNELOFFSET=%x" % koff, b"KERNELOFFSET=%x" % (koff + (2 << 20)))
    patches = nonzero_patches(m) + [(0x30000, foreign), (0x31000, stale)]
    put("fuzz_discover", "x86-stale-foreign", discover_input(0, ram, 0, patches))
    # RAM in two halves with a hole; the kernel in the first.
    m, text, pb = x86_kernel(2 << 20, koff, vmci_pa=0x1f0000)
    put("fuzz_discover", "x86-halves", discover_input(0x80, ram, 0, nonzero_patches(m)))
    # aarch64: RAM at 1 GiB, the image at 2 MiB into it.
    m, text = a64_kernel(0x40200000, 0x1200000, vmci_pa=0x40180000)
    put("fuzz_discover", "arm64-vmcoreinfo",
        discover_input(1, ram, 0x40000000, nonzero_patches(m)))
    put("fuzz_discover", "arm64-banner",
        discover_input(1 | 2 << 2, ram, 0x40000000, nonzero_patches(m)))
    put("fuzz_discover", "arm64-dump-note-no-build-id",
        discover_input(1 | 2 | 0x10, ram, 0x40000000, [(0, text)] + nonzero_patches(m)))


# --- ELF dumps: built by the unit tests' synth_core.h (core_seeds.c) -------
def elfcore_seeds():
    import subprocess
    import tempfile
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    d = os.path.join(out, "fuzz_elfcore")
    os.makedirs(d, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        exe = os.path.join(tmp, "core_seeds")
        subprocess.run([os.environ.get("CC", "cc"), "-std=c17", "-D_GNU_SOURCE",
                        "-I", root, "-o", exe,
                        os.path.join(root, "tests/fuzz/core_seeds.c")], check=True)
        subprocess.run([exe, d], check=True)


rsp_seeds()
qxfer_seeds()
vmcoreinfo_seeds()
x86_seeds()
a64_seeds()
tasks_seeds()
discover_seeds()
elfcore_seeds()
