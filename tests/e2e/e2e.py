#!/usr/bin/env python3
"""End-to-end tests for lkstub on real QEMU guests (stdlib only).

    e2e.py run        the differential suite (lkstub vs QEMU's gdbstub)
    e2e.py oracle     the battery twice through QEMU's stub (battery self-check)
    e2e.py demo       boot a guest, attach lkstub, show gdb at work
    e2e.py bench      lkstub vs QEMU's gdbstub: throughput, latency, gdb dump
    e2e.py boot CFG   boot one guest and wait (debugging aid)
    e2e.py kernels    the kernels (kernel.sh arguments) the configs need

Environment: LKSTUB_E2E_CONFIGS (comma list, `fast` for make check's
subset or `all`; default all), LKSTUB_CACHE,
LKSTUB (binary, default build/lkstub), RSP_CLIENT (default
build/tests/tools/rsp_client), LKSTUB_E2E_KEEP=1 keeps the work dir.

The harness is harness.py; the checks live in the modules below, run in
this order on each configuration's guest (see harness.py for the hooks a
module may have, docs/testing.md for adding one).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness as h  # noqa: E402

CHECKS = [
    "cli_checks",            # command-line errors (no guest)
    "wait_checks",           # lkstub --wait started before the guest boots
    "differential_checks",   # the battery: lkstub == QEMU's stub; KASLR; live jiffies
    "write_checks",          # writes refused, then through --write
    "transport_checks",      # build-ids, unix/IPv6, two clients, translate, stdio, detach
    "tasks_checks",          # tasks as threads, backtraces, the kernel's gdb scripts
    "symbols_checks",        # target remote alone: kernel and module symbols; a late module
    "mi_checks",             # IDE sessions through gdb/MI: VS Code, CLion; lkstub == QEMU
    "fault_checks",          # hostile clients, the VM exiting, sanitizers, reboots
    "stall_checks",          # long requests and rescans do not stall other clients
    "vmm_checks",            # pid:, --qmp, ELF and kdump vmcores, dumps (a guest of its own)
    "sched_checks",          # busy-* only: lk-runq/lk-task/lk-sched-json vs the guest's own view
    "scx_checks",            # scx-x86 only: lk-scx, lk-bpf-maps on a sched_ext scheduler
    "vcpu_checks",           # running CPUs over QMP: registers, bt, argv, --control, --mmio;
                             # last: it kills QEMU at the end
]


def boot(argv):
    cfg = argv[0]
    wd = h.workdir()
    k, initrd, _ = h.inputs(h.kernel_of(cfg), wd)
    g = h.Guest(cfg, k, wd).start(initrd)
    print("READY; ram=%s gdb port=%d qmp=%s _text=%x; Enter to quit"
          % (g.ram, g.port, g.qmp_path, g.kaslr_text))
    sys.stdin.readline()
    return 0


def main():
    cmd, argv = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if cmd == "run":
        return h.run_suite(h.import_checks(CHECKS))
    if cmd == "oracle":
        return __import__("differential_checks").oracle(argv)
    if cmd == "demo":
        return __import__("demo").demo(argv)
    if cmd == "bench":
        return __import__("bench").rsp(argv)
    if cmd == "kernels":
        print(" ".join(sorted(set(h.kernel_of(c) for c in h.configs()))))
        return 0
    if cmd == "boot" and argv:
        return boot(argv)
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
