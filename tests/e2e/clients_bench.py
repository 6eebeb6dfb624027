"""lkstub's memory with many clients listing threads at once.

From bench.py tasks10k (`make bench`): listing(stub, n) connects n
raw RSP clients to a fresh lkstub and has each list every thread two ways:
qfThreadInfo/qsThreadInfo to the end, then qXfer:threads:read from offset 0.
All n first take the first slice of the document (so all n listings are in
flight at once), then each reads the rest. lkstub's VmRSS is taken before
the clients connect, while all n are in the middle of the document, and
after; VmHWM at the end; RssAnon apart (lkstub's own memory: VmRSS also
counts the guest RAM pages it has read). Every client must see the same
threads.
"""

import re
import time

import harness as h

XFER_LEN = 0x8000      # bytes asked per qXfer slice (lkstub may send fewer)
ROUNDS_MAX = 100000    # bounds every paging loop


FIELDS = ("VmRSS", "VmHWM", "RssAnon", "RssShmem")


def status(pid):
    """Memory figures of a process, in KiB. RssShmem is the guest RAM file
    pages it touched (the guest's memory, shared with QEMU); RssAnon is
    lkstub's own."""
    st = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            st[k] = v.strip()
    return {k: int(st.get(k, "-1 kB").split()[0]) for k in FIELDS}


def info_list(c):
    """Thread ids from qfThreadInfo/qsThreadInfo."""
    ids, r = [], c.request("qfThreadInfo")
    for _ in range(ROUNDS_MAX):
        if not r.startswith("m"):
            break
        ids += [int(x, 16) for x in r[1:].split(",") if x]
        r = c.request("qsThreadInfo")
    if r != "l":
        raise RuntimeError("qsThreadInfo ended with %r" % r[:40])
    return ids


def xfer_slice(c, off):
    r = c.request("qXfer:threads:read::%x,%x" % (off, XFER_LEN))
    if not r or r[0] not in "ml":
        raise RuntimeError("qXfer:threads at %d: %r" % (off, r[:40]))
    return r[0] == "l", r[1:]


def listing(stub, n=64):
    """(figures dict, problems list) for n clients listing at once."""
    pid = stub.proc.pid
    fig = {"clients": n, "before": status(pid)}
    bad = []
    clients = [h.RSP(stub.connect(10)) for _ in range(n)]
    try:
        for c in clients:
            c.sock.settimeout(120)
        t = time.time()
        ids = [info_list(c) for c in clients]
        fig["info_s"] = time.time() - t
        fig["after_info"] = status(pid)
        docs, done = [""] * n, [False] * n
        t = time.time()
        for i, c in enumerate(clients):       # all n listings in flight
            done[i], docs[i] = xfer_slice(c, 0)
        fig["in_flight"] = status(pid)
        for i, c in enumerate(clients):
            for _ in range(ROUNDS_MAX):
                if done[i]:
                    break
                done[i], more = xfer_slice(c, len(docs[i]))
                docs[i] += more
        fig["xfer_s"] = time.time() - t
        fig["after"] = status(pid)
    finally:
        for c in clients:
            c.close()
    xml_ids = [[int(x, 16) for x in re.findall(r'<thread id="([0-9a-f]+)"', d)] for d in docs]
    fig["threads"] = len(ids[0])
    fig["xml_bytes"] = len(docs[0])
    for i in range(n):
        if not done[i]:
            bad.append("client %d: the document never ended" % i)
        if ids[i] != ids[0]:
            bad.append("client %d: qsThreadInfo lists %d ids, client 0 %d" % (i, len(ids[i]), len(ids[0])))
        if xml_ids[i] != ids[0] and len(bad) < 10:
            bad.append("client %d: qXfer:threads has %d threads, qfThreadInfo %d"
                       % (i, len(xml_ids[i]), len(ids[0])))
    return fig, bad


def line(fig):
    f = lambda s: "VmRSS %d kB (RssAnon %d kB, RssShmem %d kB)" % (  # noqa: E731
        s["VmRSS"], s["RssAnon"], s["RssShmem"])
    return ("%d clients, %d threads each (%d-byte qXfer:threads document): before %s; "
            "after qfThreadInfo %s; all %d in the middle of qXfer:threads %s; after %s, "
            "VmHWM %d kB (listings %.1fs, documents %.1fs)"
            % (fig["clients"], fig["threads"], fig["xml_bytes"], f(fig["before"]),
               f(fig["after_info"]), fig["clients"], f(fig["in_flight"]), f(fig["after"]),
               fig["after"]["VmHWM"], fig["info_s"], fig["xfer_s"]))
