/* bench_vmread: the two ways lkstub could read a VMM's memory by pid,
 * measured against a child process holding a buffer.
 *
 *   bench_vmread [MIB [READS]]     (default 64 MiB, 200000 8-byte reads)
 *
 *   mem-fd   pread on a held /proc/PID/mem fd (pins the child's mm: after
 *            the child exits it reads 0 bytes, never another process)
 *   vm-pidfd process_vm_readv by pid, then poll on a pidfd to see whether
 *            the child exited meanwhile (a reused pid's bytes discarded)
 *   vm-bare  process_vm_readv alone (what neither check costs)
 *
 * Prints ns per 8-byte read (median of 5 runs) and MB/s for the bulk read
 * in 128 KiB calls (the largest m packet). Standalone on purpose. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum way { MEM_FD, VM_PIDFD, VM_BARE };
static const char *const names[] = { "mem-fd", "vm-pidfd", "vm-bare" };

static pid_t g_pid;
static int g_memfd = -1, g_pidfd = -1;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static ssize_t rd(enum way w, uint64_t addr, void *buf, size_t len)
{
	if (w == MEM_FD)
		return pread(g_memfd, buf, len, (off_t)addr);
	struct iovec l = { buf, len }, r = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_readv(g_pid, &l, 1, &r, 1, 0);
	if (w == VM_PIDFD) {
		struct pollfd p = { g_pidfd, POLLIN, 0 };
		if (poll(&p, 1, 0) != 0)
			return -1;
	}
	return n;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 64;
	long reads = argc > 2 ? strtol(argv[2], NULL, 0) : 200000;
	size_t size = mib << 20;
	uint8_t *ram = mmap(NULL, size, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED || !size || reads <= 0)
		return perror("mmap"), 1;
	for (size_t i = 0; i < size; i += 4096)
		ram[i] = (uint8_t)(i >> 12);
	int go[2];
	if (pipe(go))
		return 1;
	g_pid = fork();
	if (g_pid == 0) { /* the "VMM": holds the buffer until killed */
		char c;
		close(go[1]);
		while (read(go[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(go[0]);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)g_pid);
	g_memfd = open(path, O_RDONLY | O_CLOEXEC);
	g_pidfd = (int)syscall(SYS_pidfd_open, g_pid, 0);
	if (g_memfd < 0 || g_pidfd < 0)
		return perror("open"), 1;
	uint8_t *buf = malloc(128 << 10);
	uint64_t base = (uintptr_t)ram;
	printf("%-9s %12s %12s\n", "way", "8-byte ns", "bulk MB/s");
	for (int w = 0; w < 3; w++) {
		double lat[5], bw[5];
		for (int run = 0; run < 5; run++) {
			double t = now();
			for (long i = 0; i < reads; i++) {
				uint64_t v;
				uint64_t a = base + ((uint64_t)i * 4096 % size);
				if (rd(w, a, &v, 8) != 8)
					return fprintf(stderr, "read failed\n"), 1;
			}
			lat[run] = (now() - t) / reads * 1e9;
			t = now();
			for (size_t off = 0; off < size; off += 128 << 10)
				if (rd(w, base + off, buf, 128 << 10) != 128 << 10)
					return fprintf(stderr, "bulk failed\n"), 1;
			bw[run] = size / (now() - t) / 1e6;
		}
		qsort(lat, 5, sizeof(double), cmp);
		qsort(bw, 5, sizeof(double), cmp);
		printf("%-9s %12.0f %12.0f   (8-byte runs %.0f..%.0f ns, "
		       "bulk %.0f..%.0f MB/s)\n", names[w], lat[2], bw[2],
		       lat[0], lat[4], bw[0], bw[4]);
	}
	close(go[1]);
	waitpid(g_pid, NULL, 0);
	free(buf);
	return 0;
}
