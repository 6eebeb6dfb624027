/* Unit tests for translate/mem_process.c (MEMORY = pid:PID): a child
 * process plays the VMM, a buffer in it the guest's RAM. The buffer is at
 * the same address in the child as in the test (fork), but the test
 * overwrites its own copy: whatever lkstub reads came from the child. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/err.h"
#include "translate/guest_mem.h"

#define PAGE 4096
#define RAM_SIZE (4 * PAGE)
#define GPA 0x100000

/* The "VMM": the test maps RAM, fills it, forks. */
struct vmm {
	pid_t pid;
	int go;      /* write end: closing it lets the child exit */
	uint8_t *ram;
};

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/* What a child does once started: change its RAM, tell the test, wait
 * for the pipe to close. */
static void child_body(uint8_t *ram, uint8_t seed, bool unmap_second,
		       int ready, int go)
{
	fill(ram, RAM_SIZE, seed);
	if (unmap_second)
		munmap(ram + PAGE, PAGE);
	char c = 1;
	if (write(ready, &c, 1) != 1)
		_exit(1);
	while (read(go, &c, 1) > 0)
		;
	_exit(0);
}

static uint8_t *map_ram(void)
{
	uint8_t *ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(ram != MAP_FAILED);
	return ram;
}

/* Start a child with its RAM filled from seed, at pid want (0: any);
 * returns false when the pid cannot be asked for (not root, old kernel,
 * the pid taken). */
static bool start_vmm(struct vmm *v, uint8_t *ram, uint8_t seed,
		      bool unmap_second, pid_t want)
{
	int ready[2], go[2];
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	fflush(stdout);
	fflush(stderr);
	pid_t pid;
	if (want) {
		/* clone3's set_tid: the pid a checkpoint/restore tool asks
		 * for, here the one a VMM that exited had. */
		uint64_t tid = (uint64_t)want;
		uint64_t args[11] = { 0 };
		args[4] = SIGCHLD;             /* exit_signal */
		args[8] = (uintptr_t)&tid;     /* set_tid */
		args[9] = 1;                   /* set_tid_size */
		pid = (pid_t)syscall(SYS_clone3, args, sizeof(args));
	} else {
		pid = fork();
	}
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		child_body(ram, seed, unmap_second, ready[1], go[0]);
	}
	close(ready[1]);
	close(go[0]);
	if (pid < 0) {
		close(ready[0]);
		close(go[1]);
		return false;
	}
	char c = 0;
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	v->pid = pid;
	v->go = go[1];
	v->ram = ram;
	/* Our own copy differs from the child's from now on. */
	fill(ram, RAM_SIZE, (uint8_t)(seed + 100));
	return true;
}

static void stop_vmm(struct vmm *v)
{
	close(v->go);
	assert_int_equal(waitpid(v->pid, NULL, 0), v->pid);
}

static void kill_vmm(struct vmm *v, bool reap)
{
	assert_int_equal(kill(v->pid, SIGKILL), 0);
	siginfo_t si;
	/* Dead but not reaped: the pid still names the zombie. */
	assert_int_equal(waitid(P_PID, (id_t)v->pid, &si, WEXITED | WNOWAIT),
			 0);
	if (reap)
		assert_int_equal(waitpid(v->pid, NULL, 0), v->pid);
	close(v->go);
}

static void open_vmm(struct guest_mem *m, const struct vmm *v, bool writable)
{
	char err[ERR_LEN] = "";
	assert_int_equal(guest_mem_open_process(m, v->pid, writable, err), 0);
	assert_int_equal(guest_mem_add_region(m, GPA, RAM_SIZE,
					      (uintptr_t)v->ram, err), 0);
}

static void assert_exited(const struct guest_mem *m, pid_t pid)
{
	char want[64];
	snprintf(want, sizeof(want), "VMM process %d has exited", (int)pid);
	const char *why = guest_mem_failure(m);
	assert_non_null(why);
	assert_string_equal(why, want);
}

static void test_reads_the_child(void **state)
{
	(void)state;
	struct vmm v;
	uint8_t want[RAM_SIZE], buf[RAM_SIZE];
	assert_true(start_vmm(&v, map_ram(), 1, false, 0));
	fill(want, RAM_SIZE, 1);
	struct guest_mem m;
	open_vmm(&m, &v, false);
	assert_int_equal(guest_mem_read(&m, GPA, buf, RAM_SIZE), RAM_SIZE);
	assert_memory_equal(buf, want, RAM_SIZE);
	uint64_t u;
	assert_true(guest_mem_read_u64(&m, GPA + 0x18, &u));
	assert_memory_equal(&u, want + 0x18, 8);
	assert_null(guest_mem_failure(&m));
	guest_mem_close(&m);
	stop_vmm(&v);
	munmap(v.ram, RAM_SIZE);
}

/* The VMM dies: before it is reaped (a zombie still has the pid) and
 * after, every read fails and failure() says so, with no read needed. */
static void test_exit_detected(void **state)
{
	(void)state;
	for (int reap = 0; reap < 2; reap++) {
		struct vmm v;
		uint8_t buf[64];
		assert_true(start_vmm(&v, map_ram(), 2, false, 0));
		struct guest_mem m;
		open_vmm(&m, &v, true);
		assert_int_equal(guest_mem_read(&m, GPA, buf, 64), 64);
		kill_vmm(&v, reap);
		assert_exited(&m, v.pid);
		assert_int_equal(guest_mem_read(&m, GPA, buf, 64), 0);
		uint64_t u;
		assert_false(guest_mem_read_u64(&m, GPA, &u));
		char err[ERR_LEN] = "";
		assert_int_equal(guest_mem_write(&m, GPA, "x", 1, err), -1);
		assert_non_null(strstr(err, "has exited"));
		assert_exited(&m, v.pid);
		guest_mem_close(&m);
		if (!reap)
			assert_int_equal(waitpid(v.pid, NULL, 0), v.pid);
		munmap(v.ram, RAM_SIZE);
	}
}

/* The pid of the VMM goes to another process, with other bytes at the
 * same address: lkstub must not read (or write) it. */
static void test_pid_reused(void **state)
{
	(void)state;
	struct vmm a, b;
	uint8_t buf[RAM_SIZE], want_b[RAM_SIZE];
	assert_true(start_vmm(&a, map_ram(), 3, false, 0));
	struct guest_mem m;
	open_vmm(&m, &a, true);
	assert_int_equal(guest_mem_read(&m, GPA, buf, 16), 16);
	kill_vmm(&a, true);
	if (!start_vmm(&b, a.ram, 4, false, a.pid)) {
		int e = errno;
		guest_mem_close(&m);
		munmap(a.ram, RAM_SIZE);
		print_message("cannot start a process at pid %d (%s): "
			      "skipped\n", (int)a.pid, strerror(e));
		skip();
	}
	assert_int_equal(b.pid, a.pid);
	assert_int_equal(guest_mem_read(&m, GPA, buf, RAM_SIZE), 0);
	uint64_t u;
	assert_false(guest_mem_read_u64(&m, GPA + 8, &u));
	char err[ERR_LEN] = "";
	assert_int_equal(guest_mem_write(&m, GPA, "overwritten", 11, err), -1);
	assert_exited(&m, a.pid);
	guest_mem_close(&m);
	/* The new process, opened afresh, was not touched. */
	fill(want_b, RAM_SIZE, 4);
	open_vmm(&m, &b, false);
	assert_int_equal(guest_mem_read(&m, GPA, buf, RAM_SIZE), RAM_SIZE);
	assert_memory_equal(buf, want_b, RAM_SIZE);
	guest_mem_close(&m);
	stop_vmm(&b);
	munmap(a.ram, RAM_SIZE);
}

/* A write across the end of a mapping of the VMM: refused whole, with a
 * message, before a byte is written. */
static void test_write_all_or_nothing(void **state)
{
	(void)state;
	struct vmm v;
	uint8_t want[RAM_SIZE], buf[RAM_SIZE];
	assert_true(start_vmm(&v, map_ram(), 5, true, 0));
	fill(want, RAM_SIZE, 5);
	struct guest_mem m;
	open_vmm(&m, &v, true);
	char err[ERR_LEN] = "";
	static const char data[16] = "0123456789abcdef";
	assert_int_equal(guest_mem_write(&m, GPA + PAGE - 8, data, 16, err),
			 -1);
	char where[64];
	snprintf(where, sizeof(where), "%#llx (8 bytes in) is not mapped",
		 (unsigned long long)((uintptr_t)v.ram + PAGE));
	assert_non_null(strstr(err, where));
	assert_non_null(strstr(err, "nothing written"));
	assert_int_equal(guest_mem_read(&m, GPA, buf, 2 * PAGE), PAGE);
	assert_memory_equal(buf, want, PAGE);
	assert_null(guest_mem_failure(&m));
	/* Inside the first page it goes through, and reads back. */
	assert_int_equal(guest_mem_write(&m, GPA + PAGE - 16, data, 16, err),
			 0);
	assert_int_equal(guest_mem_read(&m, GPA + PAGE - 16, buf, 16), 16);
	assert_memory_equal(buf, data, 16);
	/* Read-only when not opened for writing. */
	guest_mem_close(&m);
	open_vmm(&m, &v, false);
	assert_int_equal(guest_mem_write(&m, GPA, data, 1, err), -1);
	assert_non_null(strstr(err, "--write"));
	guest_mem_close(&m);
	stop_vmm(&v);
	munmap(v.ram, RAM_SIZE);
}

static void test_open_errors(void **state)
{
	(void)state;
	struct vmm v;
	assert_true(start_vmm(&v, map_ram(), 6, false, 0));
	kill_vmm(&v, true);
	struct guest_mem m;
	char err[ERR_LEN] = "";
	assert_int_equal(guest_mem_open_process(&m, v.pid, false, err), -1);
	char want[64];
	snprintf(want, sizeof(want), "%d", (int)v.pid);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, strerror(ESRCH)));
	assert_null(m.ops);
	munmap(v.ram, RAM_SIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_the_child),
		cmocka_unit_test(test_exit_detected),
		cmocka_unit_test(test_pid_reused),
		cmocka_unit_test(test_write_all_or_nothing),
		cmocka_unit_test(test_open_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
