/* The guest's tasks, read from its task list with the type layouts of the
 * vmlinux BTF. The list lives in guest memory the guest keeps changing (or
 * a broken kernel corrupted): every walk is bounded in length, stops at an
 * unreadable or misaligned link, and says why it stopped. */
#ifndef LKSTUB_TASKS_H
#define LKSTUB_TASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbols/btf_types.h"
#include "symbols/kernel.h"

#define TASKS_MAX (1u << 18)   /* more than any test guest has; a bound */
#define TASK_COMM_LEN 16

/* Offsets resolved once from BTF; -1 where the kernel has no such field. */
struct task_layout {
	long tasks, pid, tgid, comm, state, exit_state, on_cpu, cpu, stack;
	long signal, signal_thread_head, thread_node, thread_group;
	unsigned state_size;
	long rq_curr, rq_nr_running;
	long mm, mm_pgd; /* task_struct.mm, mm_struct.pgd: user addresses */
	char missing[192]; /* fields that could not be found, for messages */
	bool usable;       /* the task list can be walked at all */
};

void task_layout_init(struct task_layout *l, const struct btf_types *bt);

struct ktask {
	uint64_t addr;
	int32_t pid, tgid;
	int32_t cpu;      /* -1 when unknown */
	uint32_t state;   /* __state */
	uint32_t exit_state;
	bool on_cpu;
	char comm[TASK_COMM_LEN + 1];
};

struct task_list {
	struct ktask *v;
	size_t n, cap;
	char note[160]; /* empty, or why the walk stopped early */
};

struct task_reader {
	const struct kernel_info *ki;
	const struct vmlinux *vm;
	const struct task_layout *l;
};

/* Read every task (all thread groups and their threads, not the idle
 * tasks) into list (reused between calls). -1 only when nothing could be
 * read; a partial walk returns 0 with list->note set. */
int tasks_read(const struct task_reader *r, struct task_list *list);
void task_list_free(struct task_list *list);
/* Fill one task from its address. */
bool task_read_one(const struct task_reader *r, uint64_t addr,
		   struct ktask *t);
/* ps-style state letter: R S D T t X Z P I. */
char task_state_char(const struct ktask *t);

/* Address of a per-cpu variable for a CPU, or 0. */
uint64_t percpu_addr(const struct kernel_info *ki, const struct vmlinux *vm,
		     const char *sym, unsigned cpu);
/* rq->curr and rq->nr_running of a CPU; false when unreadable. */
bool cpu_rq(const struct task_reader *r, unsigned cpu, uint64_t *curr,
	    uint32_t *nr_running);

#endif
