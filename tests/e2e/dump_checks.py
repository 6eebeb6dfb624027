"""ELF dumps and a VMM's exit under lkstub, on a real guest.

run(ck, g, k, wd, elf, off, cfg) is called by vmm_checks on the
vmm-anon guest (paused, its QMP ELF dump made at elf; off: the KASLR offset
kallsyms gave):

- `makedumpfile -E -d 31` of the dump (pages the kernel does not need
  left out: a PT_LOAD per run of kept pages, zero-filled past what it
  kept; makedumpfile splits only at 256 excluded pages in a row, so the
  small guest gets a dozen or so where a big machine's kdump has
  thousands): lkstub serves every PT_LOAD (its regions are exactly their
  GPAs; no warning), finds the kernel by the VMCOREINFO note (kaslr ==
  kallsyms) and reads linux_banner and init_uts_ns as on the full dump.
  makedumpfile 1.7.2 reads program headers right after the ELF header,
  where QEMU 7.2 puts its section headers: it is given a copy with them
  moved;
- a copy of that dump truncated to 0 bytes under lkstub: the read fails
  (an E reply), lkstub says the dump shrank, keeps serving, exits 0 on
  SIGTERM;
- last, as it kills the guest: lkstub pid:QEMUPID reads linux_banner, QEMU
  is killed and reaped, the same read fails and lkstub says "VMM process N
  has exited", then exits 0 on SIGTERM.
"""

import os
import re
import shutil
import struct
import subprocess
import types

import harness as h


def pt_loads(path):
    """(GPA, memsz) of the ELF core's PT_LOADs (PN_XNUM handled)."""
    with open(path, "rb") as f:
        eh = f.read(64)
        phoff, shoff = struct.unpack_from("<QQ", eh, 32)
        phentsize, phnum = struct.unpack_from("<HH", eh, 54)
        if phnum == 0xffff:
            f.seek(shoff + 44)
            phnum = struct.unpack("<I", f.read(4))[0]
        f.seek(phoff)
        raw = f.read(phentsize * phnum)
    loads = []
    for i in range(phnum):
        p_type, _, _, _, paddr, _, memsz, _ = struct.unpack_from("<IIQQQQQQ", raw, i * phentsize)
        if p_type == 1 and memsz:
            loads.append((paddr, memsz))
    return loads


def phdrs_first(src, dst):
    """A copy of the ELF dump src with its program headers right after the
    ELF header and no section headers (as makedumpfile 1.7.2 expects)."""
    shutil.copyfile(src, dst)
    with open(dst, "r+b") as f:
        eh = bytearray(f.read(64))
        phoff = struct.unpack_from("<Q", eh, 32)[0]
        phentsize, phnum = struct.unpack_from("<HH", eh, 54)
        if phoff == 64 or phnum == 0xffff:
            return
        f.seek(phoff)
        ph = f.read(phentsize * phnum)
        data = min(struct.unpack_from("<Q", ph, i * phentsize + 8)[0] for i in range(phnum))
        if 64 + len(ph) > data:
            return  # no room before the first segment's bytes
        f.seek(64)
        f.write(ph)
        struct.pack_into("<QQ", eh, 32, 64, 0)
        struct.pack_into("<HHH", eh, 58, 0, 0, 0)
        f.seek(0)
        f.write(eh)


def merged(ranges):
    out = []
    for a, n in sorted(ranges):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], a + n)
        else:
            out.append([a, a + n])
    return out


def _stub(g, k, path, name, extra=()):
    return h.Stub(types.SimpleNamespace(dir=g.dir, k=k, ram=path), list(extra), name=name)


def run(ck, g, k, wd, elf, off, cfg):
    syms = h.kernel_syms(k["VMLINUX"])
    banner, uts = syms["linux_banner"] + off, syms["init_uts_ns"] + off
    full = _stub(g, k, elf, "lkstub-dump-full")
    want = (h.rsp_client_read(full.addr, banner, 128), h.rsp_client_read(full.addr, uts, 390))
    full.close()
    ck.check("%s: full ELF dump: linux_banner and init_uts_ns read" % cfg,
             want[0] and want[0].startswith(b"Linux version") and want[1], repr(want))

    # makedumpfile -E -d 31: thousands of PT_LOADs.
    filt = os.path.join(wd, "vmcore-d31.elf")
    src = os.path.join(wd, "vmcore-for-makedumpfile.elf")
    phdrs_first(elf, src)
    p = subprocess.run(["makedumpfile", "-E", "-d", "31", src, filt], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=600)
    os.unlink(src)
    ck.check("%s: makedumpfile -E -d 31 (exit %d)" % (cfg, p.returncode), p.returncode == 0,
             p.stdout[-1500:])
    if p.returncode != 0:
        return
    loads = pt_loads(filt)
    covered = merged(loads)
    s = _stub(g, k, filt, "lkstub-dump-d31")
    m = re.search(r"(\d+) regions in all", s.summary)
    shown = re.findall(r"^\s+GPA (0x[0-9a-f]+|0)-(0x[0-9a-f]+): ELF dump", s.summary, re.M)
    nreg = int(m.group(1)) if m else len(shown)
    # Warnings come before the summary ("lkstub VERSION: Linux ...").
    head = re.split(r"^lkstub [^:\s]+: ", s.summary, maxsplit=1, flags=re.M)[0]
    warned = [l for l in head.splitlines() if l.startswith("lkstub: ")]
    got = (h.rsp_client_read(s.addr, banner, 128), h.rsp_client_read(s.addr, uts, 390))
    ck.check("%s: lkstub on makedumpfile -E -d 31 (%d MiB, %d PT_LOADs): %d regions, "
             "kaslr 0x%x, no warning, banner and init_uts_ns as the full dump"
             % (cfg, os.path.getsize(filt) >> 20, len(loads), nreg, s.kaslr_offset() or 0),
             len(loads) > len(pt_loads(elf)) and nreg == len(covered)
             and s.kaslr_offset() == off
             and not warned and got == want
             and [(int(a, 16), int(b, 16)) for a, b in shown] == [tuple(c) for c in covered[:len(shown)]],
             "PT_LOADs %d, merged %s, regions %d, shown %s\nkaslr %s; reads %s (full dump %s)"
             "\nwarnings: %s\n%s" % (len(loads), covered, nreg, shown, s.kaslr_offset(), got, want,
                                      "\n".join(warned[:5]), s.summary[-2000:]))
    s.close()

    # The dump truncated under lkstub.
    cut = os.path.join(wd, "vmcore-cut.elf")
    shutil.copyfile(filt, cut)
    os.unlink(filt)
    s = _stub(g, k, cut, "lkstub-dump-cut")
    before = h.rsp_client_read(s.addr, banner, 128)
    size = os.path.getsize(cut)
    os.truncate(cut, 0)
    rc, reply = h.rsp_client(s.addr, "send", "m%x,80" % banner)
    err = s.stderr()
    alive = s.proc.poll() is None
    rc_exit = s.stop(10)
    os.unlink(cut)
    ck.check("%s: dump truncated under lkstub: read %s, then %r; says it shrank; exit %s on SIGTERM"
             % (cfg, "ok" if before == want[0] else "WRONG", reply.strip()[:12], rc_exit),
             before == want[0] and reply.strip().startswith("E") and alive and rc_exit == 0
             and ("shrank from %d to 0 bytes" % size) in err, err[-2000:])

    # Last: the VMM exits under lkstub pid:.
    s = h.Stub(g, name="lkstub-pid-exit")
    before = h.rsp_client_read(s.addr, banner, 128)
    pid = g.proc.pid
    g.proc.kill()
    g.proc.wait()
    rc, reply = h.rsp_client(s.addr, "send", "m%x,80" % banner)
    err = s.stderr()
    alive = s.proc.poll() is None
    rc_exit = s.stop(10)
    ck.check("%s: QEMU killed under lkstub pid:%d: read %s, then %r; \"VMM process %d has "
             "exited\"; exit %s on SIGTERM"
             % (cfg, pid, "ok" if before == want[0] else "WRONG", reply.strip()[:12], pid, rc_exit),
             before == want[0] and reply.strip().startswith("E") and alive and rc_exit == 0
             and ("VMM process %d has exited" % pid) in err, err[-2000:])
