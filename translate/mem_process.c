/* Guest RAM inside a running VMM process (MEMORY = pid:PID): the source's
 * offsets are the VMM's virtual addresses. No mapping, no restart of the
 * VM: the regions say where in the VMM each guest range lives.
 *
 * Every access goes through the /proc/PID/mem fd opened at start. The fd
 * holds the VMM's address space itself, not its pid: once the VMM exits a
 * read returns 0 bytes, and whatever process gets the pid next is never
 * read or written (process_vm_readv/writev name a pid at every call; see
 * docs/design.md for the measurements behind the choice). A pidfd tells
 * an exit from an exec when that happens; without one (Linux < 5.3) a
 * byte read again where a read last worked does. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/err.h"
#include "translate/guest_mem.h"

#define PAGE 4096ULL /* the smallest page: checks probe one byte per page */

struct mem_process {
	pid_t pid;
	int mem_fd; /* /proc/PID/mem: pins the VMM's address space */
	int pidfd;  /* -1 where pidfd_open is missing (Linux < 5.3) */
	uint64_t probe;  /* where a read last worked */
	bool have_probe;
	char failure[ERR_LEN];
};

static bool exited(const struct mem_process *p)
{
	struct pollfd pf = { p->pidfd, POLLIN, 0 };
	return p->pidfd >= 0 && poll(&pf, 1, 0) == 1;
}

/* Is the address space the fd holds gone, asked without a read? */
static bool gone(const struct mem_process *p)
{
	char c;
	if (p->pidfd >= 0)
		return exited(p);
	return p->have_probe && pread(p->mem_fd, &c, 1, (off_t)p->probe) == 0;
}

/* The address space the fd holds is gone (a read at any address returns
 * 0 bytes): the VMM exited, or exec'd another program. */
static void mark_gone(struct mem_process *p)
{
	if (p->failure[0])
		return;
	if (p->pidfd < 0 || exited(p))
		snprintf(p->failure, sizeof(p->failure),
			 "VMM process %d has exited", (int)p->pid);
	else
		snprintf(p->failure, sizeof(p->failure),
			 "VMM process %d no longer has the address space "
			 "lkstub opened (it ran exec?)", (int)p->pid);
	fprintf(stderr, "lkstub: %s\n", p->failure);
}

static size_t mem_process_read(void *src, uint64_t off, void *buf,
			       size_t len)
{
	struct mem_process *p = src;
	size_t done = 0;
	/* One syscall reads at most a little under 2 GiB. */
	while (done < len && !p->failure[0]) {
		size_t want = len - done < (1u << 30) ? len - done : (1u << 30);
		ssize_t n = pread(p->mem_fd, (char *)buf + done, want,
				  (off_t)(off + done));
		if (n == 0)
			mark_gone(p);
		if (n <= 0)
			break; /* -1 (EIO): not mapped in the VMM */
		p->probe = off + done;
		p->have_probe = true;
		done += (size_t)n;
	}
	return done;
}

/* All or nothing: /proc/PID/mem writes page by page and stops at the first
 * page it cannot reach, so every page of the range is probed first. */
static int mem_process_write(void *src, uint64_t off, const void *buf,
			     size_t len, char *err)
{
	struct mem_process *p = src;
	if (p->failure[0])
		return set_err(err, "%s", p->failure);
	if (off + len < off)
		return set_err(err, "VMM address %#llx+%zu wraps",
			       (unsigned long long)off, len);
	for (uint64_t a = off; a < off + len; a = (a | (PAGE - 1)) + 1) {
		char c;
		ssize_t n = pread(p->mem_fd, &c, 1, (off_t)a);
		if (n == 0)
			mark_gone(p);
		if (n != 1)
			return set_err(err, "VMM address %#llx (%zu bytes in) "
				       "is not mapped in process %d: nothing "
				       "written", (unsigned long long)a,
				       (size_t)(a - off), (int)p->pid);
		if (a + PAGE < a)
			break;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t n = pwrite(p->mem_fd, (const char *)buf + done,
				   len - done, (off_t)(off + done));
		if (n <= 0) {
			int e = errno;
			if (n == 0)
				mark_gone(p);
			return set_err(err, "VMM process %d: %zu of %zu bytes "
				       "written at %#llx, then: %s", (int)p->pid,
				       done, len, (unsigned long long)off,
				       n == 0 ? p->failure : strerror(e));
		}
		done += (size_t)n;
	}
	return 0;
}

/* Also asked without a read (the summary, monitor commands): an exit
 * shows as soon as it happens. */
static const char *mem_process_failure(void *src)
{
	struct mem_process *p = src;
	if (!p->failure[0] && gone(p))
		mark_gone(p);
	return p->failure[0] ? p->failure : NULL;
}

static void mem_process_close(void *src)
{
	struct mem_process *p = src;
	close(p->mem_fd);
	if (p->pidfd >= 0)
		close(p->pidfd);
	free(p);
}

static const struct mem_source_ops mem_process_ops = {
	.name = "VMM address space",
	.read = mem_process_read,
	.write = mem_process_write,
	.failure = mem_process_failure,
	.close = mem_process_close,
};

int guest_mem_open_process(struct guest_mem *m, int pid, bool writable,
			   char *err)
{
	memset(m, 0, sizeof(*m));
	/* The pidfd first: opened after the mem fd, it could name a process
	 * that took the pid in between. */
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0 && errno == ESRCH)
		return set_err(err, "pid %d: %s", pid, strerror(ESRCH));
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	int fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0) {
		int e = errno == ENOENT ? ESRCH : errno;
		if (pidfd >= 0)
			close(pidfd);
		if (e == ESRCH)
			return set_err(err, "pid %d: %s", pid, strerror(e));
		if (e == EACCES || e == EPERM)
			return set_err(err, "%s: %s: reading another process's "
				       "memory needs root (or CAP_SYS_PTRACE), "
				       "or kernel.yama.ptrace_scope=0 and the "
				       "same user", path, strerror(e));
		return set_err(err, "%s: %s", path, strerror(e));
	}
	struct mem_process *p = calloc(1, sizeof(*p));
	if (!p) {
		close(fd);
		if (pidfd >= 0)
			close(pidfd);
		return set_err(err, "out of memory");
	}
	p->pid = pid;
	p->mem_fd = fd;
	p->pidfd = pidfd;
	/* Between the two opens the process may have exited and the pid
	 * gone to another: then the mem fd is not the VMM's. */
	if (exited(p)) {
		mem_process_close(p);
		return set_err(err, "VMM process %d exited while lkstub "
			       "opened it", pid);
	}
	m->ops = &mem_process_ops;
	m->src = p;
	m->src_size = UINT64_MAX; /* the VMM's whole address space */
	m->writable = writable;
	return 0;
}
