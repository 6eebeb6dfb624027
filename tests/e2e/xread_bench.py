#!/usr/bin/env python3
"""Bulk reads through lkstub: x packets (binary) against m packets (hex).

Boots the 5level-kaslr guest (RAM file in /dev/shm), pauses it, starts
lkstub on it and reads 64 MiB of the direct map (page_offset + 16 MiB)
with build/tests/tools/rsp_client, raw packets back to back:

- m, chunk 131072: the most one hex reply carries (PacketSize 0x40000);
- x, chunk 262143: the most one binary reply carries (all of the packet
  but its 'b'); replies heavy in escapes come back short and the client
  asks again from there, as gdb does;
- x, chunk 131072: the same request size as m, so only the encoding
  differs.

The first read touches the RAM file's pages (warm-up); then the runs
alternate between the three, so that other load on the machine falls on
all alike; the median of BENCH_RUNS each. The 64 MiB read with m and with
x must be the same bytes.

    xread_bench.py        (make bench runs it, from tests/e2e/bench.sh)
"""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH_RUNS = 5
MODES = (("m", 131072), ("x", 262143), ("x", 131072))


def client(h, stub, mode, *args):
    cmd = [h.RSP_CLIENT] + (["-x"] if mode == "x" else []) + [stub.addr] + \
        [str(a) for a in args]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=600)
    if p.returncode:
        sys.exit("%s: exit %d\n%s" % (" ".join(cmd), p.returncode, p.stdout))
    return p.stdout


def main():
    sys.path.insert(0, HERE)
    import e2e as h
    k = h.kernel()
    for exe in (h.LKSTUB, h.RSP_CLIENT):
        if not os.access(exe, os.X_OK):
            sys.exit("bench: %s missing; run make all" % exe)
    wd = h.workdir()
    h.log("booting the 5level-kaslr guest for x vs m")
    g = h.Guest("5level-kaslr", k, wd).start(h.build_initramfs(wd, k["MODDIR"]))
    try:
        g.stop()
        stub = h.Stub(g)
        addr = int(h.summary_field(stub.summary, "page_offset"), 16) + (16 << 20)
        total = h.BENCH_TOTAL
        dumps = {}
        for mode in ("m", "x"):   # also the warm-up
            dumps[mode] = os.path.join(wd, "xread-%s.dump" % mode)
            client(h, stub, mode, "dump", "0x%x" % addr, total, dumps[mode])
        data = open(dumps["m"], "rb").read()
        same = len(data) == total and data == open(dumps["x"], "rb").read()
        escaped = sum(data.count(c) for c in b"$#}*")
        got = {mode: [] for mode in MODES}
        packets = {}
        for _ in range(BENCH_RUNS):
            for mode in MODES:
                out = client(h, stub, mode[0], "bench-read", "0x%x" % addr, total, mode[1])
                m = re.search(r"read: (\d+) bytes in ([\d.]+) s = ([\d.]+) MB/s "
                              r"\(chunk (\d+)\)(?: with x: (\d+) packets)?", out)
                if not m or int(m.group(1)) != total or int(m.group(4)) != mode[1]:
                    sys.exit("bench-read %s through lkstub: %s" % (mode[0], out))
                got[mode].append(float(m.group(3)))
                packets[mode] = int(m.group(5)) if m.group(5) else -(-total // mode[1])
        mid = BENCH_RUNS // 2
        for mode in MODES:
            runs = sorted(got[mode])
            h.bench_line("lkstub", "read 64 MiB with %s" % mode[0],
                         "%.1f MB/s (chunk %d, %d packets; median of %s MB/s)"
                         % (runs[mid], mode[1], packets[mode],
                            "/".join("%.1f" % x for x in runs)))
        h.bench_line("lkstub", "bytes x escapes in those 64 MiB",
                     "%d (%.2f%%)" % (escaped, 100.0 * escaped / max(1, len(data))))
        h.bench_line("both", "m and x read the same 64 MiB", "yes" if same else "NO")
        return 0 if same else 1
    finally:
        h._cleanup()


if __name__ == "__main__":
    sys.exit(main())
