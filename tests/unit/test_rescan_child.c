/* Rescans on attach in a child process (stub/target/rescan_child.c): a
 * tiny x86_64 "kernel" (tests/unit/synth_elf.h) in synthetic guest RAM is
 * moved, a client's attach finds it gone, a child looks for it while the
 * target keeps what it had, and its find is taken when it is done. */
#include <elf.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "stub/target/kernel_target.h"
#include "tests/unit/synth_elf.h"
#include "tests/unit/synth_pt.h"

#define MiB (1ULL << 20)
#define RAM_SIZE (64 * MiB)
#define POOL_START (1 * MiB)
#define POOL_END (2 * MiB)
#define START_KERNEL_MAP 0xffffffff80000000ULL
#define PAGE_OFFSET 0xffff9c8000000000ULL

struct fx {
	struct synth s;
	struct synth_kernel k;
	struct vmlinux vm;
	struct kernel_target kt;
	uint64_t img_pa;
};

static struct discover_opts by_banner = { .how = DISCOVER_BANNER };

static int relocate(void *ctx, struct guest_mem *m, const struct vmlinux *vm,
		    struct kernel_info *ki, struct locate_result *where,
		    char *err)
{
	(void)ctx;
	(void)where;
	return kernel_discover(ki, m, vm, &by_banner, err);
}

static uint64_t at(const struct fx *f, uint64_t link)
{
	return f->img_pa + (link - SK_TEXT);
}

/* The image at img_pa, running at link + koff, with its page tables; the
 * previous image's bytes are wiped. */
static void place(struct fx *f, uint64_t img_pa, uint64_t koff)
{
	if (f->img_pa)
		memset(synth_ptr(&f->s, f->img_pa, SK_END - SK_TEXT), 0,
		       SK_END - SK_TEXT);
	f->img_pa = img_pa;
	memcpy(synth_ptr(&f->s, img_pa, SK_TEXT_SIZE), f->k.text,
	       SK_TEXT_SIZE);
	memcpy(synth_ptr(&f->s, at(f, SK_RODATA), SK_RODATA_SIZE),
	       f->k.rodata, SK_RODATA_SIZE);
	memcpy(synth_ptr(&f->s, at(f, SK_DATA), SK_DATA_SIZE), f->k.data,
	       SK_DATA_SIZE);
	synth_put64(&f->s, at(f, SK_POB), PAGE_OFFSET);
	uint32_t l5 = 0, cpus = 2;
	memcpy(synth_ptr(&f->s, at(f, SK_L5), 4), &l5, 4);
	memcpy(synth_ptr(&f->s, at(f, SK_NR_CPUS), 4), &cpus, 4);
	uint64_t root = at(f, SK_PGT);
	memset(synth_ptr(&f->s, root, SYN_4K), 0, SYN_4K);
	memset(synth_ptr(&f->s, POOL_START, POOL_END - POOL_START), 0,
	       POOL_END - POOL_START);
	synth_table_pool(&f->s, POOL_START, POOL_END);
	for (uint64_t off = 0; off < SK_END - SK_TEXT; off += SYN_2M)
		synth_map(&f->s, root, 4, SK_TEXT + koff + off, img_pa + off,
			  SYN_2M);
	for (uint64_t pa = 0; pa < RAM_SIZE; pa += SYN_2M)
		synth_map(&f->s, root, 4, PAGE_OFFSET + pa, pa, SYN_2M);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	synth_open_flat(&f->s, RAM_SIZE);
	synth_kernel_open(&f->k, &f->vm);
	place(f, 16 * MiB, 0x2e400000);
	char err[ERR_LEN] = "";
	f->kt.mem = &f->s.mem;
	f->kt.vm = &f->vm;
	f->kt.finder = (struct kernel_finder){ relocate, NULL };
	if (kernel_target_locate(&f->kt, err))
		fail_msg("kernel_target_locate: %s", err);
	f->kt.listed = true;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	rescan_child_stop(&f->kt); /* a child a test left running */
	vmlinux_close(&f->vm);
	synth_close(&f->s);
	free(f);
	return 0;
}

/* Waits for the child's result, as the server does (it may come in
 * pieces; a small search: seconds at most). */
static void wait_child(struct fx *f)
{
	int fd = rescan_child_fd(&f->kt);
	assert_true(fd >= 0);
	for (int i = 0; i < 1000 && rescan_child_fd(&f->kt) >= 0; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		assert_int_equal(poll(&p, 1, 20000), 1);
		rescan_child_finish(&f->kt);
	}
	assert_int_equal(rescan_child_fd(&f->kt), -1);
}

/* The kernel moved (a reboot): the child finds it; the target serves the
 * old find until the child's is taken. */
static void child_finds_moved_kernel(void **state)
{
	struct fx *f = *state;
	assert_true(f->kt.ki.kaslr_offset == 0x2e400000);
	assert_true(kernel_still_there(&f->kt.ki, &f->vm));
	place(f, 40 * MiB, 0x12000000);
	assert_false(kernel_still_there(&f->kt.ki, &f->vm));
	rescan_on_attach(&f->kt);
	assert_true(rescan_child_fd(&f->kt) >= 0);
	/* Meanwhile: what it had. */
	assert_true(f->kt.ki.kaslr_offset == 0x2e400000);
	assert_true(f->kt.listed);
	wait_child(f);
	assert_true(f->kt.ki.kaslr_offset == 0x12000000);
	assert_ptr_equal(f->kt.ki.as.mem, &f->s.mem);
	assert_true(kernel_still_there(&f->kt.ki, &f->vm));
	assert_false(f->kt.listed); /* the next listing is taken afresh */
	uint32_t cpus = 0;
	assert_true(kernel_read_sym(&f->kt.ki, &f->vm, "nr_cpu_ids", &cpus,
				    4));
	assert_int_equal(cpus, 2);
}

/* A child at a time, and no more than the rate limit allows. */
static void one_child_rate_limited(void **state)
{
	struct fx *f = *state;
	place(f, 40 * MiB, 0x12000000);
	rescan_on_attach(&f->kt);
	int fd = rescan_child_fd(&f->kt);
	assert_true(fd >= 0);
	rescan_on_attach(&f->kt); /* another attach meanwhile */
	assert_int_equal(rescan_child_fd(&f->kt), fd);
	wait_child(f);
	/* Found: the next look waits RESCAN_MIN_NS however it moves. */
	place(f, 24 * MiB, 0x4000000);
	rescan_on_attach(&f->kt);
	assert_int_equal(rescan_child_fd(&f->kt), -1);
	assert_true(f->kt.ki.kaslr_offset == 0x12000000);
}

/* Not found: the target keeps what it had, and the next look waits. */
static void child_finds_nothing(void **state)
{
	struct fx *f = *state;
	memset(synth_ptr(&f->s, f->img_pa, SK_END - SK_TEXT), 0,
	       SK_END - SK_TEXT);
	struct kernel_info before = f->kt.ki;
	rescan_on_attach(&f->kt);
	wait_child(f);
	assert_memory_equal(&f->kt.ki, &before, sizeof(before));
	assert_false(rescan_limit_allow(&f->kt.rescan_limit, clock_now_ns()));
}

/* monitor rescan looks in place while a child runs: its find stands. */
static void rescan_in_place_wins(void **state)
{
	struct fx *f = *state;
	place(f, 40 * MiB, 0x12000000);
	rescan_on_attach(&f->kt); /* the child sees it at 0x12000000 */
	assert_true(rescan_child_fd(&f->kt) >= 0);
	place(f, 24 * MiB, 0x4000000); /* the child's copy does not see it */
	char err[ERR_LEN];
	assert_int_equal(kernel_target_rescan(&f->kt, err), 0);
	assert_true(f->kt.ki.kaslr_offset == 0x4000000);
	wait_child(f);
	assert_true(f->kt.ki.kaslr_offset == 0x4000000);
}

/* A child still running at the end is ended and reaped. */
static void stop_ends_child(void **state)
{
	struct fx *f = *state;
	place(f, 40 * MiB, 0x12000000);
	rescan_on_attach(&f->kt);
	pid_t pid = f->kt.rescan_child.pid;
	assert_true(pid > 0);
	rescan_child_stop(&f->kt);
	assert_int_equal(rescan_child_fd(&f->kt), -1);
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1); /* reaped */
	assert_true(f->kt.ki.kaslr_offset == 0x2e400000);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(child_finds_moved_kernel),
		T(one_child_rate_limited),
		T(child_finds_nothing),
		T(rescan_in_place_wins),
		T(stop_ends_child),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
