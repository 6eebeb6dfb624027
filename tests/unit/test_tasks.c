/* Unit tests for symbols/tasks.c: the task list walker on synthetic guest
 * RAM (tests/unit/synth_pt.h) with task_structs laid out by a hand-made
 * struct task_layout, and a vmlinux whose symbol table is built directly.
 *
 * The image window maps [IMG, IMG + 16 MiB) to PA [8 MiB, 24 MiB) by the
 * image formula, of which only [8 MiB, 16 MiB) is RAM; a 2 MiB page of the
 * direct map (walked through synthetic page tables) holds more tasks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "symbols/kernel.h"
#include "symbols/symtab.h"
#include "symbols/tasks.h"
#include "symbols/vmlinux.h"
#include "common/err.h"
#include "translate/guest_mem.h"
#include "translate/paging.h"
#include "tests/unit/synth_pt.h"

#define MiB (1ULL << 20)
#define RAM_SIZE (16 * MiB)
#define POOL_START (1 * MiB)
#define POOL_END (2 * MiB)
#define IMG_PA (8 * MiB)
#define LINK 0xffffffff81000000ULL /* link address of the image */
#define KOFF 0x200000ULL           /* KASLR offset */
#define IMG (LINK + KOFF)          /* runtime address of the image */
#define IMG_WINDOW (16 * MiB)      /* the upper half is not RAM */
#define PO 0xffff888000000000ULL   /* direct map */
#define DM_PA (4 * MiB)            /* mapped by one 2 MiB page */
#define DM (PO + DM_PA)

/* Link addresses of the symbols. */
#define SYM_INIT_TASK (LINK + 0x10000)
#define SYM_PCPU_OFF (LINK + 0x20000) /* __per_cpu_offset[8] */
#define SYM_RQ_IMAGE (LINK + 0x30000) /* runqueues, image-based */
#define SYM_RQ_ZERO 0x2c000ULL        /* runqueues, zero-based */
#define NR_CPUS 4

/* Where things live at run time. */
#define TASK_AREA (IMG + 0x100000) /* tasks, 0x400 apart */
#define SIG_AREA (IMG + 0x80000)   /* signal_structs, 0x40 apart */
#define NOT_RAM (IMG + 12 * MiB)   /* in the image window, past RAM */
#define TASK_SIZE 0x400

/* The synthetic task_struct. */
#define O_STATE 0x00
#define O_TASKS 0x10
#define O_PID 0x20
#define O_TGID 0x24
#define O_COMM 0x30
#define O_EXIT 0x40
#define O_ONCPU 0x44
#define O_CPU 0x48
#define O_SIGNAL 0x50
#define O_TNODE 0x60
#define O_SIG_HEAD 0x10 /* signal_struct.thread_head */
#define O_RQ_NR 0x08
#define O_RQ_CURR 0x20

struct tfx {
	struct synth s;
	uint64_t root;
	struct kernel_info ki;
	struct vmlinux *vm;
	struct task_layout l;
	struct task_reader r;
	struct task_list list;
	unsigned nr_sigs;
};

static const struct task_layout default_layout = {
	.tasks = O_TASKS, .pid = O_PID, .tgid = O_TGID, .comm = O_COMM,
	.state = O_STATE, .exit_state = O_EXIT, .on_cpu = O_ONCPU,
	.cpu = O_CPU, .stack = -1, .signal = O_SIGNAL,
	.signal_thread_head = O_SIG_HEAD, .thread_node = O_TNODE,
	.thread_group = -1, .state_size = 4, .rq_curr = O_RQ_CURR,
	.rq_nr_running = O_RQ_NR, .usable = true,
};

/* A vmlinux with just a symbol table (no file behind it). */
static struct vmlinux *vm_new(uint64_t init_task, uint64_t rq,
			      bool zero_based)
{
	struct vmlinux *vm = calloc(1, sizeof(*vm));
	assert_non_null(vm);
	vm->fd = -1;
	vm->percpu_zero_based = zero_based;
	struct sym *s = calloc(3, sizeof(*s));
	assert_non_null(s);
	size_t n = 0;
	if (init_task)
		s[n++] = (struct sym){ "init_task", init_task, TASK_SIZE, true };
	s[n++] = (struct sym){ "runqueues", rq, 0x40, true };
	s[n++] = (struct sym){ "__per_cpu_offset", SYM_PCPU_OFF, 64, true };
	assert_int_equal(symtab_build(&vm->syms, s, n), 0);
	return vm;
}

static void vm_free(struct vmlinux *vm)
{
	symtab_free(&vm->syms);
	free(vm);
}

static int setup(void **state)
{
	struct tfx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	synth_open_flat(&f->s, RAM_SIZE);
	synth_table_pool(&f->s, POOL_START, POOL_END);
	f->root = synth_new_table(&f->s);
	synth_map(&f->s, f->root, 4, DM, DM_PA, SYN_2M);
	synth_as(&f->ki.as, &f->s, f->root, 4);
	f->ki.arch = &kernel_x86_64;
	f->ki.kaslr_offset = KOFF;
	f->ki.as.image_start = IMG;
	f->ki.as.image_end = IMG + IMG_WINDOW;
	f->ki.as.image_pa_delta = IMG - IMG_PA;
	f->ki.as.page_offset = PO;
	f->ki.as.direct_size = RAM_SIZE;
	f->vm = vm_new(SYM_INIT_TASK, SYM_RQ_ZERO, true);
	f->l = default_layout;
	f->r = (struct task_reader){ &f->ki, f->vm, &f->l };
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct tfx *f = *state;
	task_list_free(&f->list);
	vm_free(f->vm);
	synth_close(&f->s);
	free(f);
	return 0;
}

/* Host bytes of a kernel VA (image window or the mapped direct map). */
static void *hva(struct tfx *f, uint64_t va, uint64_t len)
{
	if (va >= IMG && va - IMG < IMG_WINDOW)
		return synth_ptr(&f->s, va - f->ki.as.image_pa_delta, len);
	if (va >= DM && va - DM < SYN_2M)
		return synth_ptr(&f->s, va - PO, len);
	fail_msg("VA %#llx is not synthetic RAM", (unsigned long long)va);
	return NULL;
}

static void put64(struct tfx *f, uint64_t va, uint64_t v)
{
	memcpy(hva(f, va, 8), &v, 8);
}

static void put32(struct tfx *f, uint64_t va, uint32_t v)
{
	memcpy(hva(f, va, 4), &v, 4);
}

static uint64_t init_task(void)
{
	return SYM_INIT_TASK + KOFF;
}

static uint64_t img_task(unsigned i)
{
	return TASK_AREA + (uint64_t)i * TASK_SIZE;
}

static uint64_t dm_task(unsigned i)
{
	return DM + 0x1000 + (uint64_t)i * TASK_SIZE;
}

/* A task; comm is copied without its NUL when it has 16 characters. */
static void mk_task(struct tfx *f, uint64_t t, int32_t pid, int32_t tgid,
		    const char *comm)
{
	memset(hva(f, t, TASK_SIZE), 0, TASK_SIZE);
	put32(f, t + O_PID, (uint32_t)pid);
	put32(f, t + O_TGID, (uint32_t)tgid);
	size_t n = strlen(comm);
	memcpy(hva(f, t + O_COMM, 16), comm, n < 16 ? n + 1 : 16);
	put32(f, t + O_CPU, 0);
}

/* A circular list: head -> nodes[0] -> ... -> nodes[n-1] -> head. */
static void ring(struct tfx *f, uint64_t head, const uint64_t *nodes,
		 unsigned n)
{
	uint64_t prev = head;
	for (unsigned i = 0; i < n; i++) {
		put64(f, prev, nodes[i]);
		put64(f, nodes[i] + 8, prev);
		prev = nodes[i];
	}
	put64(f, prev, head);
	put64(f, head + 8, prev);
}

/* The tasks list through init_task: each of leaders[]. */
static void task_ring(struct tfx *f, const uint64_t *leaders, unsigned n)
{
	uint64_t nodes[16];
	assert_true(n <= 16);
	for (unsigned i = 0; i < n; i++)
		nodes[i] = leaders[i] + O_TASKS;
	ring(f, init_task() + O_TASKS, nodes, n);
}

/* A thread group: a signal_struct whose thread_head lists threads[]
 * (the leader first), each pointing to it. */
static void group(struct tfx *f, const uint64_t *threads, unsigned n)
{
	uint64_t sig = SIG_AREA + 0x40ULL * f->nr_sigs++, nodes[16];
	assert_true(n <= 16);
	memset(hva(f, sig, 0x40), 0, 0x40);
	for (unsigned i = 0; i < n; i++) {
		put64(f, threads[i] + O_SIGNAL, sig);
		nodes[i] = threads[i] + O_TNODE;
	}
	ring(f, sig + O_SIG_HEAD, nodes, n);
}

/* init_task (pid 0, not listed) and three thread groups:
 *   1 "systemd"          alone
 *   100 "kworker/u8:3"   threads 101 and 102; 100 and 101 in the direct
 *                        map, 102 on CPU 2
 *   200 "0123456789abcdef" (comm full: no NUL in the task) alone */
static void std_tasks(struct tfx *f)
{
	mk_task(f, init_task(), 0, 0, "swapper/0");
	uint64_t a = img_task(0), b = dm_task(0), b1 = dm_task(1),
		 b2 = img_task(1), c = img_task(2);
	mk_task(f, a, 1, 1, "systemd");
	mk_task(f, b, 100, 100, "kworker/u8:3");
	mk_task(f, b1, 101, 100, "kworker/u8:3-t1");
	mk_task(f, b2, 102, 100, "t2");
	mk_task(f, c, 200, 200, "0123456789abcdef");
	put32(f, a + O_STATE, 0x1);
	put32(f, b2 + O_ONCPU, 1);
	put32(f, b2 + O_CPU, 2);
	put32(f, c + O_EXIT, 0x20);
	uint64_t leaders[] = { a, b, c };
	task_ring(f, leaders, 3);
	group(f, &a, 1);
	uint64_t g[] = { b, b1, b2 };
	group(f, g, 3);
	group(f, &c, 1);
}

static void assert_pids(const struct task_list *list, const int32_t *pids,
			const int32_t *tgids, size_t n)
{
	if (list->n != n)
		fail_msg("%zu tasks, want %zu (note: %s)", list->n, n,
			 list->note);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(list->v[i].pid, pids[i]);
		if (tgids)
			assert_int_equal(list->v[i].tgid, tgids[i]);
	}
}

static void assert_note(const struct task_list *list, const char *want)
{
	if (!strstr(list->note, want))
		fail_msg("note \"%s\" lacks \"%s\"", list->note, want);
}

/* --- tasks_read -------------------------------------------------------- */

static void groups_and_threads(void **state)
{
	struct tfx *f = *state;
	std_tasks(f);
	assert_int_equal(tasks_read(&f->r, &f->list), 0);
	assert_string_equal(f->list.note, "");
	static const int32_t pids[] = { 1, 100, 101, 102, 200 };
	static const int32_t tgids[] = { 1, 100, 100, 100, 200 };
	assert_pids(&f->list, pids, tgids, 5);
	const struct ktask *v = f->list.v;
	assert_string_equal(v[0].comm, "systemd");
	assert_string_equal(v[1].comm, "kworker/u8:3");
	assert_string_equal(v[2].comm, "kworker/u8:3-t1");
	assert_string_equal(v[3].comm, "t2");
	/* All 16 bytes used: still a C string of 16 characters. */
	assert_int_equal(strlen(v[4].comm), 16);
	assert_string_equal(v[4].comm, "0123456789abcdef");
	assert_int_equal(v[0].addr, img_task(0));
	assert_int_equal(v[1].addr, dm_task(0));
	assert_int_equal(v[2].addr, dm_task(1));
	assert_int_equal(v[3].addr, img_task(1));
	assert_int_equal(v[0].state, 1);
	assert_int_equal(v[4].exit_state, 0x20);
	assert_true(v[3].on_cpu);
	assert_int_equal(v[3].cpu, 2);
	assert_false(v[2].on_cpu);
	assert_int_equal(v[2].cpu, 0);
	/* The list is reused: a second read gives the same, not twice. */
	assert_int_equal(tasks_read(&f->r, &f->list), 0);
	assert_pids(&f->list, pids, tgids, 5);
}

static void optional_fields_absent(void **state)
{
	struct tfx *f = *state;
	std_tasks(f);
	f->l.state = f->l.exit_state = f->l.on_cpu = f->l.cpu = -1;
	assert_int_equal(tasks_read(&f->r, &f->list), 0);
	assert_int_equal(f->list.n, 5);
	const struct ktask *t = &f->list.v[3];
	assert_int_equal(t->state, 0);
	assert_int_equal(t->exit_state, 0);
	assert_false(t->on_cpu);
	assert_int_equal(t->cpu, -1);
	/* A state field narrower than 4 bytes is not read. */
	f->l = default_layout;
	f->l.state_size = 2;
	assert_int_equal(tasks_read(&f->r, &f->list), 0);
	assert_int_equal(f->list.v[0].state, 0);
}

static void leaders_only_without_signal(void **state)
{
	struct tfx *f = *state;
	std_tasks(f);
	static const int32_t pids[] = { 1, 100, 200 };
	/* BTF without task_struct.signal, thread_node or
	 * signal_struct.thread_head: each leader alone. */
	long *absent[] = { &f->l.signal, &f->l.thread_node,
			   &f->l.signal_thread_head };
	for (size_t i = 0; i < 3; i++) {
		f->l = default_layout;
		*absent[i] = -1;
		assert_int_equal(tasks_read(&f->r, &f->list), 0);
		assert_string_equal(f->list.note, "");
		assert_pids(&f->list, pids, pids, 3);
	}
	/* A NULL signal pointer: that leader alone, the others with their
	 * threads. */
	f->l = default_layout;
	put64(f, dm_task(0) + O_SIGNAL, 0);
	assert_int_equal(tasks_read(&f->r, &f->list), 0);
	assert_pids(&f->list, pids, pids, 3);
}

static void empty_list(void **state)
{
	struct tfx *f = *state;
	mk_task(f, init_task(), 0, 0, "swapper/0");
	ring(f, init_task() + O_TASKS, NULL, 0);
	assert_int_equal(tasks_read(&f->r, &f->list), 0);
	assert_int_equal(f->list.n, 0);
	assert_string_equal(f->list.note, "");
}

static void cycle_not_through_head(void **state)
{
	struct tfx *f = *state;
	mk_task(f, init_task(), 0, 0, "swapper/0");
	uint64_t t[3];
	for (unsigned i = 0; i < 3; i++) {
		t[i] = img_task(i);
		mk_task(f, t[i], (int32_t)i + 1, (int32_t)i + 1, "loop");
	}
	f->l.signal = -1;
	/* head -> 1 -> 2 -> 3 -> 2 -> ... */
	task_ring(f, t, 3);
	put64(f, t[2] + O_TASKS, t[1] + O_TASKS);
	assert_int_equal(tasks_read(&f->r, &f->list), 0);
	static const int32_t pids[] = { 1, 2, 3 };
	assert_pids(&f->list, pids, NULL, 3);
	assert_note(&f->list, "loops");

	/* A node that links to itself. */
	put64(f, t[0] + O_TASKS, t[0] + O_TASKS);
	assert_int_equal(tasks_read(&f->r, &f->list), 0);
	assert_pids(&f->list, pids, NULL, 1);
	assert_note(&f->list, "loops");
}

static void long_cycle_ends_early(void **state)
{
	struct tfx *f = *state;
	enum { N = 600, BACK = 300 }; /* a tail of 300, a loop of 300 */
	mk_task(f, init_task(), 0, 0, "swapper/0");
	f->l.signal = -1;
	uint64_t prev = init_task() + O_TASKS;
	for (unsigned i = 0; i < N; i++) {
		uint64_t t = img_task(i);
		mk_task(f, t, (int32_t)i + 1, (int32_t)i + 1, "loop");
		put64(f, prev, t + O_TASKS);
		prev = t + O_TASKS;
	}
	put64(f, prev, img_task(BACK) + O_TASKS);
	assert_int_equal(tasks_read(&f->r, &f->list), 0);
	assert_note(&f->list, "loops");
	/* Every task once, then at most about twice the loop again: far
	 * from TASKS_MAX. */
	assert_true(f->list.n >= N);
	assert_true(f->list.n <= N + 2 * (N - BACK));
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(f->list.v[i].pid, (int32_t)i + 1);
}

static void cycle_in_thread_list(void **state)
{
	struct tfx *f = *state;
	std_tasks(f);
	/* 100 -> 101 -> 101 -> ...: the group's walk stops, the task list
	 * goes on to the next group. */
	put64(f, dm_task(1) + O_TNODE, dm_task(1) + O_TNODE);
	assert_int_equal(tasks_read(&f->r, &f->list), 0);
	static const int32_t pids[] = { 1, 100, 101, 200 };
	assert_pids(&f->list, pids, NULL, 4);
	assert_note(&f->list, "loops");
}

static void link_outside_ram(void **state)
{
	struct tfx *f = *state;
	std_tasks(f);
	/* 1 -> 100 -> (past the end of RAM) */
	put64(f, dm_task(0) + O_TASKS, NOT_RAM + O_TASKS);
	assert_int_equal(tasks_read(&f->r, &f->list), 0);
	static const int32_t pids[] = { 1, 100, 101, 102 };
	assert_pids(&f->list, pids, NULL, 4);
	assert_note(&f->list, "stopped after 4 tasks");
	assert_note(&f->list, "could not be read");

	/* A link to an address no page table maps. */
	put64(f, dm_task(0) + O_TASKS, PO + 8 * MiB + O_TASKS);
	assert_int_equal(tasks_read(&f->r, &f->list), 0);
	assert_pids(&f->list, pids, NULL, 4);
	assert_note(&f->list, "could not be read");
}

static void link_itself_unreadable(void **state)
{
	struct tfx *f = *state;
	/* list_head after the fields read: a task at the very end of RAM
	 * whose pid, tgid and comm are readable but not its link. */
	f->l.tasks = 0x80;
	f->l.signal = -1;
	mk_task(f, init_task(), 0, 0, "swapper/0");
	uint64_t a = img_task(0);
	uint64_t last = IMG + (RAM_SIZE - IMG_PA) - 0x80;
	mk_task(f, a, 1, 1, "first");
	memset(hva(f, last, 0x80), 0, 0x80);
	put32(f, last + O_PID, 2);
	put32(f, last + O_TGID, 2);
	memcpy(hva(f, last + O_COMM, 5), "last", 5);
	put64(f, init_task() + 0x80, a + 0x80);
	put64(f, a + 0x80, last + 0x80);
	assert_int_equal(tasks_read(&f->r, &f->list), 0);
	static const int32_t pids[] = { 1, 2 };
	assert_pids(&f->list, pids, NULL, 2);
	assert_note(&f->list, "unreadable or misaligned");
}

static void misaligned_link(void **state)
{
	struct tfx *f = *state;
	std_tasks(f);
	put64(f, dm_task(0) + O_TASKS, img_task(2) + O_TASKS + 4);
	assert_int_equal(tasks_read(&f->r, &f->list), 0);
	static const int32_t pids[] = { 1, 100, 101, 102 };
	assert_pids(&f->list, pids, NULL, 4);
	assert_note(&f->list, "misaligned");
	/* The first link: nothing read. */
	put64(f, init_task() + O_TASKS, img_task(0) + O_TASKS + 1);
	assert_int_equal(tasks_read(&f->r, &f->list), -1);
	assert_int_equal(f->list.n, 0);
	assert_note(&f->list, "head unreadable");
}

static void first_task_unreadable(void **state)
{
	struct tfx *f = *state;
	std_tasks(f);
	put64(f, init_task() + O_TASKS, NOT_RAM + O_TASKS);
	assert_int_equal(tasks_read(&f->r, &f->list), -1);
	assert_int_equal(f->list.n, 0);
	assert_note(&f->list, "could not be read");
}

static void head_unreadable(void **state)
{
	struct tfx *f = *state;
	/* init_task past the end of RAM. */
	vm_free(f->vm);
	f->vm = vm_new(NOT_RAM - KOFF, SYM_RQ_ZERO, true);
	f->r.vm = f->vm;
	assert_int_equal(tasks_read(&f->r, &f->list), -1);
	assert_int_equal(f->list.n, 0);
	assert_note(&f->list, "list head unreadable");
}

static void no_init_task(void **state)
{
	struct tfx *f = *state;
	vm_free(f->vm);
	f->vm = vm_new(0, SYM_RQ_ZERO, true);
	f->r.vm = f->vm;
	assert_int_equal(tasks_read(&f->r, &f->list), -1);
	assert_note(&f->list, "no init_task");
}

static void layout_unusable(void **state)
{
	struct tfx *f = *state;
	std_tasks(f);
	f->l.usable = false;
	strcpy(f->l.missing, "task_struct.tasks");
	assert_int_equal(tasks_read(&f->r, &f->list), -1);
	assert_int_equal(f->list.n, 0);
	assert_note(&f->list, "BTF lacks task_struct.tasks");
}

static void stale_list_reset(void **state)
{
	struct tfx *f = *state;
	std_tasks(f);
	assert_int_equal(tasks_read(&f->r, &f->list), 0);
	assert_int_equal(f->list.n, 5);
	put64(f, init_task() + O_TASKS, NOT_RAM);
	assert_int_equal(tasks_read(&f->r, &f->list), -1);
	assert_int_equal(f->list.n, 0);
}

/* More than TASKS_MAX distinct tasks, cheaply: the task_structs overlap,
 * 8 bytes apart, each one's list link (at offset 0) pointing to the next;
 * pid, tgid and comm read whatever links follow. */
static void longer_than_bound(void **state)
{
	struct tfx *f = *state;
	const uint64_t base = IMG + 2 * MiB;
	const size_t nodes = TASKS_MAX + 16;
	assert_true(base + 8 * nodes + 0x40 < IMG + (RAM_SIZE - IMG_PA));
	f->l = (struct task_layout){
		.tasks = 0, .pid = 8, .tgid = 12, .comm = 16, .state = -1,
		.exit_state = -1, .on_cpu = -1, .cpu = -1, .stack = -1,
		.signal = -1, .signal_thread_head = -1, .thread_node = -1,
		.thread_group = -1, .rq_curr = -1, .rq_nr_running = -1,
		.usable = true,
	};
	uint64_t *p = hva(f, base, 8 * nodes);
	for (size_t i = 0; i + 1 < nodes; i++)
		p[i] = base + 8 * (i + 1);
	p[nodes - 1] = init_task(); /* never reached */
	put64(f, init_task(), base);
	assert_int_equal(tasks_read(&f->r, &f->list), 0);
	assert_int_equal(f->list.n, TASKS_MAX);
	assert_note(&f->list, "longer than the bound");
	assert_int_equal(f->list.v[0].addr, base);
	assert_int_equal(f->list.v[TASKS_MAX - 1].addr,
			 base + 8ULL * (TASKS_MAX - 1));
}

/* --- task_read_one ----------------------------------------------------- */

static void read_one(void **state)
{
	struct tfx *f = *state;
	std_tasks(f);
	struct ktask t;
	assert_true(task_read_one(&f->r, dm_task(1), &t));
	assert_int_equal(t.pid, 101);
	assert_int_equal(t.tgid, 100);
	assert_string_equal(t.comm, "kworker/u8:3-t1");
	assert_false(task_read_one(&f->r, NOT_RAM, &t));
	assert_false(task_read_one(&f->r, 0, &t));
}

/* --- task_state_char --------------------------------------------------- */

static char state_of(uint32_t state, uint32_t exit_state)
{
	struct ktask t;
	memset(&t, 0, sizeof(t));
	t.state = state;
	t.exit_state = exit_state;
	return task_state_char(&t);
}

static void state_letters(void **state)
{
	(void)state;
	assert_int_equal(state_of(0x0, 0), 'R');
	assert_int_equal(state_of(0x1, 0), 'S');
	assert_int_equal(state_of(0x2, 0), 'D');
	assert_int_equal(state_of(0x4, 0), 'T');
	assert_int_equal(state_of(0x8, 0), 't');
	assert_int_equal(state_of(0x10, 0), 'X');
	assert_int_equal(state_of(0x20, 0), 'Z');
	assert_int_equal(state_of(0x40, 0), 'P');
	/* TASK_IDLE = TASK_UNINTERRUPTIBLE | TASK_NOLOAD */
	assert_int_equal(state_of(0x402, 0), 'I');
	assert_int_equal(state_of(0x400, 0), 'R'); /* NOLOAD alone */
	/* TASK_KILLABLE = TASK_WAKEKILL | TASK_UNINTERRUPTIBLE */
	assert_int_equal(state_of(0x102, 0), 'D');
	/* TASK_STOPPED, TASK_TRACED with TASK_WAKEKILL */
	assert_int_equal(state_of(0x104, 0), 'T');
	assert_int_equal(state_of(0x108, 0), 't');
	/* exit_state: EXIT_ZOMBIE, EXIT_DEAD; __state is TASK_DEAD then. */
	assert_int_equal(state_of(0x0, 0x20), 'Z');
	assert_int_equal(state_of(0x80, 0x20), 'Z');
	assert_int_equal(state_of(0x80, 0x10), 'X');
	/* The highest reported bit wins, as in the kernel's fls(). */
	assert_int_equal(state_of(0x1, 0x20), 'Z');
	assert_int_equal(state_of(0x3, 0), 'D');
}

static void state_junk(void **state)
{
	(void)state;
	static const char letters[] = "RSDTtXZPI";
	uint64_t seed = 42;
	for (unsigned i = 0; i < 100000; i++) {
		uint32_t s = (uint32_t)synth_rand(&seed);
		uint32_t e = i & 1 ? (uint32_t)synth_rand(&seed) : 0;
		char c = state_of(s, e);
		if (!c || !strchr(letters, c))
			fail_msg("state %#x exit %#x -> %#x", s, e,
				 (unsigned char)c);
	}
	/* Junk exit_state: its highest reported bit. */
	assert_int_equal(state_of(0, 0xffffffffu), 'P');
	assert_int_equal(state_of(0, 0xffffff00u), 'R');
}

/* --- percpu_addr, cpu_rq ----------------------------------------------- */

/* __per_cpu_offset[cpu] = off[cpu] */
static void set_pcpu_offsets(struct tfx *f, const uint64_t *off)
{
	for (unsigned c = 0; c < NR_CPUS; c++)
		put64(f, SYM_PCPU_OFF + KOFF + 8ULL * c, off[c]);
}

static void percpu_zero_based(void **state)
{
	struct tfx *f = *state;
	/* x86_64: runqueues is an offset from 0; the areas are in the
	 * direct map. */
	uint64_t off[NR_CPUS];
	for (unsigned c = 0; c < NR_CPUS; c++)
		off[c] = DM + 0x80000 + 0x10000ULL * c;
	set_pcpu_offsets(f, off);
	for (unsigned c = 0; c < NR_CPUS; c++)
		assert_int_equal(percpu_addr(&f->ki, f->vm, "runqueues", c),
				 SYM_RQ_ZERO + off[c]);
	/* cpu_rq */
	for (unsigned c = 0; c < NR_CPUS; c++) {
		uint64_t rq = SYM_RQ_ZERO + off[c];
		put64(f, rq + O_RQ_CURR, dm_task(c));
		put32(f, rq + O_RQ_NR, 10 + c);
	}
	for (unsigned c = 0; c < NR_CPUS; c++) {
		uint64_t curr = 0;
		uint32_t nr = 0;
		assert_true(cpu_rq(&f->r, c, &curr, &nr));
		assert_int_equal(curr, dm_task(c));
		assert_int_equal(nr, 10 + c);
	}
}

static void percpu_image_based(void **state)
{
	struct tfx *f = *state;
	/* arm64: runqueues inside the image, moved by the KASLR offset. */
	vm_free(f->vm);
	f->vm = vm_new(SYM_INIT_TASK, SYM_RQ_IMAGE, false);
	f->r.vm = f->vm;
	uint64_t off[NR_CPUS];
	for (unsigned c = 0; c < NR_CPUS; c++)
		off[c] = 0x1000ULL * c;
	set_pcpu_offsets(f, off);
	for (unsigned c = 0; c < NR_CPUS; c++) {
		uint64_t rq = SYM_RQ_IMAGE + KOFF + off[c];
		assert_int_equal(percpu_addr(&f->ki, f->vm, "runqueues", c), rq);
		put64(f, rq + O_RQ_CURR, img_task(c));
		put32(f, rq + O_RQ_NR, c);
	}
	uint64_t curr;
	uint32_t nr = 99;
	assert_true(cpu_rq(&f->r, 3, &curr, &nr));
	assert_int_equal(curr, img_task(3));
	assert_int_equal(nr, 3);
	/* Without rq.nr_running: 0, still true. */
	f->l.rq_nr_running = -1;
	nr = 99;
	assert_true(cpu_rq(&f->r, 2, &curr, &nr));
	assert_int_equal(curr, img_task(2));
	assert_int_equal(nr, 0);
	/* Without rq.curr: false. */
	f->l.rq_curr = -1;
	assert_false(cpu_rq(&f->r, 2, &curr, &nr));
}

static void percpu_failures(void **state)
{
	struct tfx *f = *state;
	uint64_t off[NR_CPUS] = { DM, DM + 0x10000, NOT_RAM, PO + 8 * MiB };
	set_pcpu_offsets(f, off);
	/* No such symbol. */
	assert_int_equal(percpu_addr(&f->ki, f->vm, "no_such_var", 0), 0);
	/* CPU numbers out of any range. */
	assert_int_equal(percpu_addr(&f->ki, f->vm, "runqueues", 65536), 0);
	assert_int_equal(percpu_addr(&f->ki, f->vm, "runqueues", UINT32_MAX),
			 0);
	/* __per_cpu_offset[cpu] past the end of RAM. */
	unsigned far = (unsigned)((RAM_SIZE - IMG_PA) / 8);
	assert_int_equal(percpu_addr(&f->ki, f->vm, "runqueues", far), 0);
	/* The rq itself unreadable: past RAM, unmapped. */
	uint64_t curr;
	uint32_t nr;
	assert_false(cpu_rq(&f->r, 2, &curr, &nr));
	assert_false(cpu_rq(&f->r, 3, &curr, &nr));
	assert_false(cpu_rq(&f->r, 65536, &curr, &nr));
	/* Without __per_cpu_offset. */
	vm_free(f->vm);
	f->vm = calloc(1, sizeof(*f->vm));
	assert_non_null(f->vm);
	struct sym *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	*s = (struct sym){ "runqueues", SYM_RQ_ZERO, 0x40, true };
	assert_int_equal(symtab_build(&f->vm->syms, s, 1), 0);
	f->r.vm = f->vm;
	assert_int_equal(percpu_addr(&f->ki, f->vm, "runqueues", 0), 0);
	assert_false(cpu_rq(&f->r, 0, &curr, &nr));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(groups_and_threads),
		T(optional_fields_absent),
		T(leaders_only_without_signal),
		T(empty_list),
		T(cycle_not_through_head),
		T(long_cycle_ends_early),
		T(cycle_in_thread_list),
		T(link_outside_ram),
		T(link_itself_unreadable),
		T(misaligned_link),
		T(first_task_unreadable),
		T(head_unreadable),
		T(no_init_task),
		T(layout_unusable),
		T(stale_list_reset),
		T(longer_than_bound),
		T(read_one),
		T(state_letters),
		T(state_junk),
		T(percpu_zero_based),
		T(percpu_image_based),
		T(percpu_failures),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
