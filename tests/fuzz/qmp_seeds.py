#!/usr/bin/env python3
"""Records the seeds of tests/fuzz/corpus/fuzz_qmp/: what real QEMUs send
lkstub over QMP (`lkstub pid:PID --qmp SOCKET`), byte for byte.

For each machine below a QEMU is started paused (-S, no kernel: the memory
map is set up before the guest runs), a proxy sits between its QMP socket
and build/lkstub, and everything QEMU sends is saved, prefixed by the fuzz
target's two bytes (chunk size, failing send: 0 0 = as received). lkstub
then fails to find a kernel, which does not matter here.

    tests/fuzz/qmp_seeds.py [CORPUS_DIR]    (needs QEMU and the e2e kernels)
"""
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
LKSTUB = os.path.join(ROOT, "build", "lkstub")

# name: (QEMU, arguments, kernel.sh architecture for the vmlinux)
MACHINES = {
    "q35-512m": ("qemu-system-x86_64", ["-machine", "q35", "-m", "512M"], "amd64"),
    "q35-3g": ("qemu-system-x86_64", ["-machine", "q35", "-m", "3G"], "amd64"),
    "pc-1g": ("qemu-system-x86_64", ["-machine", "pc", "-m", "1G"], "amd64"),
    "virt-1g": ("qemu-system-aarch64", ["-machine", "virt", "-cpu", "max", "-m", "1G"],
                "arm64"),
}


def vmlinux(arch):
    out = subprocess.run([os.path.join(ROOT, "tests", "e2e", "kernel.sh"), arch],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    return dict(line.split("=", 1) for line in out.split())["VMLINUX"]


def record(name, qemu, args, vml, wd):
    qsock = os.path.join(wd, name + ".qmp")
    psock = os.path.join(wd, name + ".proxy")
    q = subprocess.Popen([qemu, "-S", "-display", "none", "-accel", "tcg",
                          "-qmp", "unix:%s,server=on,wait=off" % qsock] + args,
                         stdin=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if os.path.exists(qsock):
                break
            time.sleep(0.1)
        lsn = socket.socket(socket.AF_UNIX)
        lsn.bind(psock)
        lsn.listen(1)
        got = bytearray()

        def proxy():
            c, _ = lsn.accept()
            s = socket.socket(socket.AF_UNIX)
            s.connect(qsock)

            def pump(a, b, keep):
                while True:
                    d = a.recv(65536)
                    if not d:
                        b.shutdown(socket.SHUT_WR)
                        return
                    if keep:
                        got.extend(d)
                    b.sendall(d)
            t = threading.Thread(target=pump, args=(c, s, False), daemon=True)
            t.start()
            try:
                pump(s, c, True)
            except OSError:
                pass
        t = threading.Thread(target=proxy, daemon=True)
        t.start()
        p = subprocess.run([LKSTUB, "-k", vml, "-l", "127.0.0.1:0", "--qmp", psock,
                            "pid:%d" % q.pid], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                           timeout=60)
        q.terminate()
        t.join(10)
        if b"Host virtual address" not in got:
            print("%s: no gpa2hva answer in what QEMU sent; lkstub said:\n%s"
                  % (name, p.stderr), file=sys.stderr)
            return False
        d = os.path.join(OUT, "fuzz_qmp")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "qemu-" + name), "wb") as f:
            f.write(b"\0\0" + bytes(got))
        print("%s: %d bytes" % (name, len(got)))
        return True
    finally:
        if q.poll() is None:
            q.kill()
        q.wait()


def main():
    ok = True
    with tempfile.TemporaryDirectory(prefix="qmp-seeds.") as wd:
        for name, (qemu, args, arch) in MACHINES.items():
            ok = record(name, qemu, args, vmlinux(arch), wd) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
