/* Guest RAM inside a running VMM process (MEMORY = pid:PID): the source's
 * offsets are the VMM's virtual addresses, read with process_vm_readv, or
 * through /proc/PID/mem where that is refused. No mapping, no restart of
 * the VM: the regions say where in the VMM each guest range lives. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/err.h"
#include "translate/guest_mem.h"

struct mem_process {
	pid_t pid;
	int mem_fd;        /* /proc/PID/mem, -1 until needed */
	bool use_mem_file; /* process_vm_readv refused: use mem_fd */
	char failure[ERR_LEN];
};

static void mark_failed(struct mem_process *p, int e)
{
	if (e == ESRCH)
		snprintf(p->failure, sizeof(p->failure),
			 "VMM process %d has exited", (int)p->pid);
}

static ssize_t vm_read(struct mem_process *p, uint64_t addr, void *buf,
		       size_t len)
{
	if (!p->use_mem_file) {
		struct iovec local = { buf, len };
		struct iovec remote = { (void *)(uintptr_t)addr, len };
		ssize_t n = process_vm_readv(p->pid, &local, 1, &remote, 1, 0);
		if (n >= 0 || (errno != EPERM && errno != ENOSYS))
			return n;
		p->use_mem_file = true;
	}
	return pread(p->mem_fd, buf, len, (off_t)addr);
}

static size_t mem_process_read(void *src, uint64_t off, void *buf,
			       size_t len)
{
	struct mem_process *p = src;
	size_t done = 0;
	/* One syscall reads at most a little under 2 GiB. */
	while (done < len && !p->failure[0]) {
		size_t want = len - done < (1u << 30) ? len - done : (1u << 30);
		ssize_t n = vm_read(p, off + done, (char *)buf + done, want);
		if (n <= 0) {
			if (n < 0)
				mark_failed(p, errno);
			break;
		}
		done += (size_t)n;
	}
	return done;
}

static int mem_process_write(void *src, uint64_t off, const void *buf,
			     size_t len)
{
	struct mem_process *p = src;
	struct iovec local = { (void *)buf, len };
	struct iovec remote = { (void *)(uintptr_t)off, len };
	ssize_t n = process_vm_writev(p->pid, &local, 1, &remote, 1, 0);
	if (n < 0 && (errno == EPERM || errno == ENOSYS))
		n = pwrite(p->mem_fd, buf, len, (off_t)off);
	return n == (ssize_t)len ? 0 : -1;
}

static const char *mem_process_failure(void *src)
{
	struct mem_process *p = src;
	return p->failure[0] ? p->failure : NULL;
}

static void mem_process_close(void *src)
{
	struct mem_process *p = src;
	if (p->mem_fd >= 0)
		close(p->mem_fd);
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
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	int fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
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
		return set_err(err, "out of memory");
	}
	p->pid = pid;
	p->mem_fd = fd;
	/* Probe once so permission problems show now, with advice. */
	uint8_t probe;
	struct iovec local = { &probe, 1 }, remote = { NULL, 1 };
	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) < 0 &&
	    errno == EPERM)
		p->use_mem_file = true;
	m->ops = &mem_process_ops;
	m->src = p;
	m->src_size = UINT64_MAX; /* the VMM's whole address space */
	m->writable = writable;
	return 0;
}
