/* The task-list walker over guest memory a malicious kernel controls:
 * tasks_read (every thread group and its threads), task_read_one,
 * percpu_addr and cpu_rq, with a task_layout and symbols from the input.
 *
 * Guest memory is one region at GPA 0, mapped as the kernel image at
 * 0xffffffff81000000 + KASLR (so links the fuzzer writes are easy to
 * follow) and reachable through 4-level page tables from a root in it.
 * The vmlinux is a struct vmlinux holding just a symbol table made with
 * symtab_build: init_task, __per_cpu_offset, runqueues.
 *
 * Input: u8 flags, 13 u16 layout offsets (0xffff: absent), u8 state
 * size, u16 init_task / __per_cpu_offset / runqueues offsets in the
 * image, u8 KASLR step, u32 root page, u64 extra task address, then the
 * guest memory. */
#include "tests/fuzz/fuzz_input.h"

#include "symbols/kernel.h"
#include "symbols/tasks.h"
#include "common/err.h"

#define LINK_TEXT 0xffffffff81000000ULL

static struct vmlinux vm;

/* A cyclic list that never comes back to its head costs TASKS_MAX (256K)
 * steps, a good part of a second here: inputs that do that would take all the
 * fuzzing time. The source gives up after READ_BUDGET reads instead (as a
 * VM that went away would), so such walks stop early; the bound itself
 * is left to a unit test. */
#define READ_BUDGET 50000
static const struct mem_source_ops *real_ops;
static struct mem_source_ops budget_ops;
static unsigned reads_left;

static size_t budget_read(void *src, uint64_t o, void *b, size_t len)
{
	if (!reads_left)
		return 0;
	reads_left--;
	return real_ops->read(src, o, b, len);
}

static long off(struct fin *in)
{
	uint16_t v = fin_u16(in);
	return v == 0xffff ? -1 : (long)(v & 0x1fff);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in;
	fin_init(&in, data, size);
	uint8_t flags = fin_u8(&in);
	struct task_layout l;
	memset(&l, 0, sizeof(l));
	l.tasks = off(&in);
	l.pid = off(&in);
	l.tgid = off(&in);
	l.comm = off(&in);
	l.state = off(&in);
	l.exit_state = off(&in);
	l.on_cpu = off(&in);
	l.cpu = off(&in);
	l.signal = off(&in);
	l.signal_thread_head = off(&in);
	l.thread_node = off(&in);
	l.rq_curr = off(&in);
	l.rq_nr_running = off(&in);
	l.stack = l.thread_group = -1;
	l.state_size = fin_u8(&in) % 9;
	l.usable = !(flags & 1) && l.tasks >= 0 && l.pid >= 0 &&
		   l.tgid >= 0 && l.comm >= 0;
	uint64_t init_off = fin_u16(&in), pcpu_off = fin_u16(&in);
	uint64_t rq_off = fin_u16(&in);
	uint64_t kaslr = (uint64_t)fin_u8(&in) << 21;
	uint64_t root = (uint64_t)fin_u32(&in) << 12;
	uint64_t extra = fin_u64(&in);

	size_t msize = in.left;
	uint8_t *buf = malloc(msize ? msize : 1);
	memcpy(buf, in.p, msize);

	struct kernel_info ki;
	memset(&ki, 0, sizeof(ki));
	char err[ERR_LEN];
	struct guest_mem mem;
	FUZZ_CHECK(guest_mem_open_buffer(&mem, buf, msize, false, err) == 0,
		   "%s", err);
	if (msize)
		(void)guest_mem_add_region(&mem, 0, msize, 0, err);
	real_ops = mem.ops;
	budget_ops = *mem.ops;
	budget_ops.read = budget_read;
	mem.ops = &budget_ops;
	reads_left = READ_BUDGET;
	ki.arch = &kernel_x86_64;
	ki.kaslr_offset = kaslr;
	ki.as.mem = &mem;
	ki.as.arch = &arch_x86_64;
	ki.as.root_pa = root;
	ki.as.levels = 4;
	ki.as.image_start = LINK_TEXT + kaslr;
	ki.as.image_end = ki.as.image_start + msize;
	ki.as.image_pa_delta = ki.as.image_start;
	ki.as.page_offset = 0xffff888000000000ULL;
	ki.as.direct_size = msize;

	/* The vmlinux: only its symbols matter here. */
	memset(&vm, 0, sizeof(vm));
	vm.fd = -1;
	vm.machine = 62; /* EM_X86_64 */
	vm.percpu_zero_based = flags & 2;
	struct sym *syms = calloc(3, sizeof(*syms));
	size_t nsyms = 0;
	if (!(flags & 4))
		syms[nsyms++] = (struct sym){ "init_task", LINK_TEXT + init_off,
					      0x2000, true };
	syms[nsyms++] = (struct sym){ "__per_cpu_offset", LINK_TEXT + pcpu_off,
				      8 * 64, true };
	syms[nsyms++] = (struct sym){ "runqueues", rq_off, 0x1000, true };
	FUZZ_CHECK(symtab_build(&vm.syms, syms, nsyms) == 0, "symtab");

	struct task_reader r = { &ki, &vm, &l };
	struct task_list list = { 0 };
	for (int pass = 0; pass < 2; pass++) { /* the list is reused */
		int rc = tasks_read(&r, &list);
		FUZZ_CHECK(rc == 0 || rc == -1, "rc %d", rc);
		FUZZ_CHECK(rc == 0 || list.n == 0, "failed with %zu tasks",
			   list.n);
		FUZZ_CHECK(list.n <= TASKS_MAX && list.n <= list.cap,
			   "%zu tasks, cap %zu", list.n, list.cap);
		FUZZ_CHECK(memchr(list.note, '\0', sizeof(list.note)),
			   "note not terminated");
		if (!l.usable || (flags & 4))
			FUZZ_CHECK(rc == -1 && list.note[0], "walked without "
				   "a usable layout or init_task");
		for (size_t i = 0; i < list.n; i++) {
			const struct ktask *t = &list.v[i];
			FUZZ_CHECK(t->comm[TASK_COMM_LEN] == '\0',
				   "comm not terminated");
			char c = task_state_char(t);
			FUZZ_CHECK(c && strchr("RSDTtXZPI?", c), "state %c", c);
		}
	}
	struct ktask t;
	if (l.usable && task_read_one(&r, extra, &t)) {
		FUZZ_CHECK(t.addr == extra && t.comm[TASK_COMM_LEN] == '\0',
			   "task_read_one");
		(void)task_state_char(&t);
	}
	for (unsigned cpu = 0; cpu < 3; cpu++) {
		uint64_t curr;
		uint32_t nr;
		(void)percpu_addr(&ki, &vm, "runqueues", cpu * 7);
		(void)cpu_rq(&r, cpu, &curr, &nr);
	}
	(void)percpu_addr(&ki, &vm, "no_such_symbol", 0);
	(void)cpu_rq(&r, 70000, &(uint64_t){ 0 }, &(uint32_t){ 0 });

	task_list_free(&list);
	symtab_free(&vm.syms);
	mem.ops = real_ops;
	guest_mem_close(&mem);
	free(buf);
	return 0;
}
