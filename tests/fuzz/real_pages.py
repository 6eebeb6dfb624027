#!/usr/bin/env python3
"""Seeds for the walker fuzzers from a real guest's page tables.

Follows the kernel's own tables in a guest RAM file for a few addresses
and writes the pages met on the way, compacted: each table page is copied
byte for byte (real flags, real neighbouring entries), only the entries on
the followed path are re-pointed at the copies. Large leaves keep their
real target (outside the seed: the fuzzer still sees real entry bits).

  real_pages.py x86_64 RAMFILE GPA_BASE ROOT_PA LEVELS NAME VA...
  real_pages.py aarch64 RAMFILE GPA_BASE ROOT_PA VA_BITS NAME VA...

GPA_BASE is the guest-physical address of the file's first byte (0 for an
x86 guest below 2.75 GiB, 0x40000000 for arm64 virt).
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def u8(v): return struct.pack("<B", v & 0xff)
def u16(v): return struct.pack("<H", v & 0xffff)
def u32(v): return struct.pack("<I", v & 0xffffffff)
def u64(v): return struct.pack("<Q", v & 0xffffffffffffffff)


def header(word, addrs):
    # fuzz_walk.h: flags, arch word, root page, gpa0, gpa1, split, image
    # (start, size, delta), n, then (selector, va, len) per address.
    h = u8(0) + u64(word) + u32(0) + u8(0) + u32(0) + u8(0)
    h += u64(0) + u32(0) + u64(0) + u8(len(addrs) - 1)
    for va in addrs:
        h += u8(0) + u64(va) + u16(0x40)
    return h


def main():
    arch, ram, base, root, param, name = sys.argv[1:7]
    vas = [int(v, 0) for v in sys.argv[7:]]
    base, root, param = int(base, 0), int(root, 0), int(param, 0)
    f = open(ram, "rb")

    def page(pa):
        f.seek(pa - base)
        return bytearray(f.read(4096))

    if arch == "x86_64":
        levels, shifts = param, [12 + 9 * (l - 1) for l in range(param, 0, -1)]
        addr_mask, valid = 0x000ffffffffff000, lambda e: e & 1
        is_table = lambda e, i: i < len(shifts) - 1 and not (e & 0x80)
        word = 1 if levels == 5 else 0
    else:
        # 4 KiB granule: levels from the VA width.
        nlev = (param - 12 + 8) // 9
        shifts = [12 + 9 * (nlev - 1 - i) for i in range(nlev)]
        addr_mask, valid = 0x0000fffffffff000, lambda e: e & 1
        is_table = lambda e, i: i < len(shifts) - 1 and (e & 2)
        word = param - 25
    pages = {root: 0}          # real PA -> compact page number
    mem = [page(root)]
    moved = {}                 # (page, index) -> the entry's real target
    for va in vas:
        pa = root
        for i, sh in enumerate(shifts):
            idx = (va >> sh) & ((1 << (param - sh)) - 1 if (
                arch != "x86_64" and i == 0) else 511)
            slot = pages[pa]
            e = struct.unpack_from("<Q", mem[slot], 8 * idx)[0]
            if not valid(e):
                break
            target = moved.get((slot, idx), e & addr_mask)
            leaf4k = i == len(shifts) - 1
            if not (is_table(e, i) or leaf4k):
                break              # a large leaf: keep its real target
            if target not in pages:
                pages[target] = len(mem)
                mem.append(page(target))
            e = (e & ~addr_mask) | (pages[target] << 12)
            struct.pack_into("<Q", mem[slot], 8 * idx, e)
            moved[(slot, idx)] = target
            pa = target
            if leaf4k:
                break
    path = os.path.join(out, "fuzz_walk_" + arch)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, name), "wb") as o:
        o.write(header(word, vas) + b"".join(bytes(p) for p in mem))
    print("%s: %d pages" % (name, len(mem)))


main()
