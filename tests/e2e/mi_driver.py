"""A small gdb/MI client for the IDE checks: one command at a time, its
records collected up to the prompt (and async records it waits for)."""
import os, re, select, subprocess, time

class MI:
    def __init__(self, gdb="gdb", log=None):
        self.p = subprocess.Popen([gdb, "-q", "-nx", "--interpreter=mi3"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        self.buf = b""
        self.log = open(log, "w") if log else None
        self.token = 100
        self.read_until_prompt(30)

    def _line(self, deadline):
        while b"\n" not in self.buf:
            left = deadline - time.time()
            if left <= 0:
                return None
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if not r:
                return None
            d = os.read(self.p.stdout.fileno(), 65536)
            if not d:
                return None
            self.buf += d
        line, _, self.buf = self.buf.partition(b"\n")
        s = line.decode(errors="replace").rstrip("\r")
        if self.log:
            self.log.write(s + "\n")
            self.log.flush()
        return s

    def read_until_prompt(self, timeout, partial=False):
        """Records up to the next prompt; with partial, what came by the
        timeout (async records need not be followed by a prompt)."""
        out, deadline = [], time.time() + timeout
        while True:
            l = self._line(deadline)
            if l is None:
                if partial:
                    return out
                raise TimeoutError("no (gdb) prompt; got %r" % out[-5:])
            if l.strip() == "(gdb)":
                return out
            out.append(l)

    def cmd(self, command, timeout=120, wait_async=None, async_timeout=None):
        """Runs command; returns (result class, result line, all records).
        wait_async: a regexp of an async record (e.g. '^\\*stopped') to wait
        for after the result."""
        self.token += 1
        t = str(self.token)
        if self.log:
            self.log.write("-> %s%s\n" % (t, command))
        self.p.stdin.write(("%s%s\n" % (t, command)).encode())
        self.p.stdin.flush()
        recs, deadline = [], time.time() + timeout
        result = None
        while result is None:
            recs += self.read_until_prompt(max(1, deadline - time.time()))
            for r in recs:
                if r.startswith(t + "^"):
                    result = r
        if wait_async:
            if async_timeout:
                deadline = time.time() + async_timeout
            while not any(re.match(wait_async, r) for r in recs) and time.time() < deadline:
                recs += self.read_until_prompt(max(0.1, deadline - time.time()), partial=True)
        cls = re.match(r"\d+\^(\w+)", result).group(1)
        return cls, result[len(t):], recs

    def close(self):
        try:
            self.p.stdin.write(b"-gdb-exit\n")
            self.p.stdin.flush()
            self.p.wait(10)
        except Exception:
            self.p.kill()
            self.p.wait()
