/* User addresses as a thread sees them. A kernel address reads the same
 * from every thread; a user one goes through the page tables of the
 * thread's process: a task's mm->pgd (kernel threads have none), a CPU's
 * CR3 when QEMU gave it, else the mm of the task the CPU runs. */
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "stub/target/kernel_target.h"
#include "stub/target/vcpu_live.h"

static bool user_address(const struct kernel_target *kt, uint64_t addr)
{
	const struct kernel_as *as = &kt->ki.as;
	if (as->arch->elf_machine == EM_AARCH64)
		return addr >> 63 == 0; /* TTBR0's half */
	return addr < (as->levels == 5 ? 1ull << 56 : 1ull << 47);
}

/* The physical root of task's user page tables, or 0. */
static uint64_t task_root(const struct kernel_target *kt, uint64_t task)
{
	const struct task_layout *l = &kt->layout;
	uint64_t mm, pgd;
	struct kva_xlat x;
	if (!task || l->mm < 0 || l->mm_pgd < 0 ||
	    !kva_read_u64(&kt->ki.as, task + (uint64_t)l->mm, &mm) || !mm ||
	    !kva_read_u64(&kt->ki.as, mm + (uint64_t)l->mm_pgd, &pgd) ||
	    kva_translate(&kt->ki.as, pgd, &x, NULL) != PT_OK)
		return 0;
	return x.pa;
}

static uint64_t thread_root(struct kernel_target *kt, uint32_t tid)
{
	int c = kt_cpu_index(kt, tid);
	if (c >= 0) {
		const struct vcpu_state *st =
			kt->vcpu ? vcpu_live_peek(kt->vcpu, kt->cpus[c]) : NULL;
		if (st && st->user_root)
			return st->user_root;
		return task_root(kt, kt->cpu_curr[c]);
	}
	const struct ktask *k = kt_task_by_tid(kt, tid);
	return k ? task_root(kt, k->addr) : 0;
}

size_t kt_read_mem_as(void *t, uint32_t tid, uint64_t addr, void *buf,
		      size_t len)
{
	struct kernel_target *kt = t;
	if (!user_address(kt, addr))
		return kt_read_mem(t, addr, buf, len);
	uint64_t root = thread_root(kt, tid);
	if (!root)
		return 0; /* a kernel thread, or unreadable */
	/* The kernel's geometry, the process's tables, no formulas. */
	struct kernel_as as = kt->ki.as;
	as.root_pa = root;
	as.user_half = true;
	as.image_start = as.image_end = 0;
	as.direct_size = 0;
	as.tables_checked = true;
	/* Stop at the end of the user half. */
	uint64_t limit = as.arch->elf_machine == EM_AARCH64
				 ? 1ull << as.va_bits
				 : (as.levels == 5 ? 1ull << 56 : 1ull << 47);
	if (addr >= limit)
		return 0;
	if (len > limit - addr)
		len = (size_t)(limit - addr);
	return kva_read(&as, addr, buf, len);
}
