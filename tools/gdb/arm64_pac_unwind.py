# gdb 13 cannot strip pointer-authentication codes from arm64 *kernel*
# return addresses (gdb 14 added the pauth_*_high masks lkstub also sends).
# This unwinder walks the kernel's frame records instead (arm64 kernels
# always keep frame pointers): [x29] is the caller's x29, [x29 + 8] its
# signed return address, which is unsigned here by setting the PAC bits.
#
#   (gdb) source tools/gdb/arm64_pac_unwind.py
#
# It claims only arm64 frames at kernel addresses, and steps aside on
# gdb 14+ (which does this itself) unless LKSTUB_PAC_UNWIND=1.
import os

import gdb
from gdb.unwinder import Unwinder, register_unwinder

KERNEL_BIT = 1 << 55


class _FrameId:
    def __init__(self, sp, pc):
        self.sp = sp
        self.pc = pc


class Arm64KernelPacUnwinder(Unwinder):
    def __init__(self):
        super().__init__("lkstub-arm64-pac")

    def __call__(self, pending):
        arch = pending.architecture().name()
        if not arch.startswith("aarch64"):
            return None
        u64 = gdb.lookup_type("unsigned long")
        try:
            pc = int(pending.read_register("pc").cast(u64))
            fp = int(pending.read_register("x29").cast(u64))
        except gdb.error:
            # A thread whose registers lkstub does not know (a CPU of a
            # live guest): only its PC is given, x29 is unavailable.
            return None
        if not (pc & KERNEL_BIT) or not (fp & KERNEL_BIT) or fp & 7:
            return None
        try:
            mask = int(pending.read_register("pauth_cmask_high").cast(u64))
        except (gdb.error, ValueError):
            mask = 0xFF7F000000000000
        try:
            mem = gdb.selected_inferior().read_memory(fp, 16).tobytes()
        except gdb.MemoryError:
            return None
        caller_fp = int.from_bytes(mem[0:8], "little")
        lr = int.from_bytes(mem[8:16], "little")
        lr = lr | mask if lr & KERNEL_BIT else lr & ~mask
        # The chain ends at a zero record (ret_from_fork, the idle task)
        # or one that does not move up the stack.
        if not lr or (caller_fp and caller_fp <= fp):
            return None
        info = pending.create_unwind_info(
            _FrameId(gdb.Value(fp + 16).cast(u64), gdb.Value(pc).cast(u64)))
        info.add_saved_register("pc", gdb.Value(lr).cast(u64))
        info.add_saved_register("sp", gdb.Value(fp + 16).cast(u64))
        info.add_saved_register("x29", gdb.Value(caller_fp).cast(u64))
        # Just after the return, x30 still holds the return address.
        info.add_saved_register("x30", gdb.Value(lr).cast(u64))
        return info


if int(gdb.VERSION.split(".")[0]) < 14 or os.environ.get("LKSTUB_PAC_UNWIND"):
    register_unwinder(None, Arm64KernelPacUnwinder(), replace=True)
