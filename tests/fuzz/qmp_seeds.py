#!/usr/bin/env python3
"""Records the seeds of tests/fuzz/corpus/fuzz_qmp/: what real QEMUs send
lkstub over QMP (`lkstub pid:PID --qmp SOCKET`), byte for byte; and those
of tests/fuzz/corpus/fuzz_qmp_client/: what a QEMU sends answering the
requests fuzz_qmp_client makes (stop and cont among them: STOP and RESUME
events between the replies).

For each machine below a QEMU is started paused (-S, no kernel: the memory
map is set up before the guest runs), a proxy sits between its QMP socket
and build/lkstub, and everything QEMU sends is saved, prefixed by the fuzz
target's two bytes (chunk size, failing send: 0 0 = as received). lkstub
then fails to find a kernel, which does not matter here.

    tests/fuzz/qmp_seeds.py [CORPUS_DIR] [--client-only]
                     (needs QEMU; the fuzz_qmp seeds need the e2e kernels too)
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
OUT = ARGS[0] if ARGS else os.path.join(HERE, "corpus")
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


# fuzz_qmp_client's request codes (run_op in fuzz_qmp_client.c) and what
# each sends; 2 (getfd) passes an fd along.
CLIENT_OPS = {
    0: ("query-status", None),
    1: ("human-monitor-command", {"command-line": "info mtree -f"}),
    2: ("getfd", {"fdname": "fuzz"}),
    3: ("stop", None),
    4: ("cont", None),
    5: ("human-monitor-command", {"command-line": "gpa2hva 0x100000"}),
    6: ("query-cpus-fast", None),
    7: ("human-monitor-command", {"command-line": "info status"}),
}
CLIENT_SEEDS = {
    "q35-512m-requests": [0, 3, 4, 0, 3, 6, 1, 5, 2, 7, 0, 4, 3, 0],
}


def record_client(name, ops, wd):
    """Plays fuzz_qmp_client's part against a QEMU of its own (paused at
    start, no kernel: the vCPUs run the firmware between cont and stop)."""
    qemu, args, _ = MACHINES["q35-512m"]
    qsock = os.path.join(wd, name + ".qmp")
    q = subprocess.Popen([qemu, "-S", "-display", "none", "-accel", "tcg",
                          "-qmp", "unix:%s,server=on,wait=off" % qsock] + args,
                         stdin=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if os.path.exists(qsock):
                break
            time.sleep(0.1)
        s = socket.socket(socket.AF_UNIX)
        s.connect(qsock)
        s.settimeout(30)
        got = bytearray()

        def until(pred):
            while True:
                for line in got.split(b"\n"):
                    if line.strip() and pred(json.loads(line)):
                        return
                d = s.recv(65536)
                if not d:
                    raise RuntimeError("QEMU hung up")
                got.extend(d)
        until(lambda m: "QMP" in m)
        requests = [("qmp_capabilities", None)] + [CLIENT_OPS[op] for op in ops]
        with open(os.devnull, "rb") as devnull:
            for i, (cmd, arguments) in enumerate(requests, 1):
                msg = {"execute": cmd}
                if arguments:
                    msg["arguments"] = arguments
                msg["id"] = i
                line = (json.dumps(msg, separators=(",", ":")) + "\n").encode()
                if cmd == "getfd":
                    socket.send_fds(s, [line], [devnull.fileno()])
                else:
                    s.sendall(line)
                until(lambda m, i=i: m.get("id") == i)
        s.close()
        d = os.path.join(OUT, "fuzz_qmp_client")
        os.makedirs(d, exist_ok=True)
        # Whole reads, and reads of 7 bytes with the 60th timing out (the
        # reply to the 4th request: it is skipped when the 5th reads on).
        for suffix, head in (("", [0, 0, 0]), ("-chunked", [7, 60, 0])):
            with open(os.path.join(d, "qemu-" + name + suffix), "wb") as f:
                f.write(bytes(head + [len(ops)] + ops) + bytes(got))
        print("%s: %d bytes, %d events" % (name, len(got), got.count(b'"event"')))
        return True
    finally:
        if q.poll() is None:
            q.kill()
        q.wait()


def main():
    ok = True
    with tempfile.TemporaryDirectory(prefix="qmp-seeds.") as wd:
        for name, ops in CLIENT_SEEDS.items():
            ok = record_client(name, ops, wd) and ok
        if "--client-only" in sys.argv:
            return 0 if ok else 1
        for name, (qemu, args, arch) in MACHINES.items():
            ok = record(name, qemu, args, vmlinux(arch), wd) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
