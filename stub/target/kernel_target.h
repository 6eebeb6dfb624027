/* The target lkstub serves: a guest kernel found in guest memory. It turns
 * gdb's requests (memory at kernel addresses, threads, monitor commands)
 * into translate/ and symbols/ calls. */
#ifndef LKSTUB_KERNEL_TARGET_H
#define LKSTUB_KERNEL_TARGET_H

#include "stub/rsp/target.h"
#include "stub/target/rescan_child.h"
#include "stub/target/rescan_limit.h"
#include "symbols/locate.h"
#include "symbols/tasks.h"
#include "common/err.h"

#define KT_MAX_CPUS 8192 /* the largest NR_CPUS a distribution kernel uses */
/* gdb thread ids: CPU n is n + 1; a task is TASK_TID_BASE + its pid, so
 * ids stay with their thread however the list changes, and read well in
 * decimal (Thread 1000042 is pid 42). */
#define TASK_TID_BASE 1000000u

struct kernel_target {
	struct guest_mem *mem;
	const struct vmlinux *vm;
	struct kernel_info ki;
	struct locate_result where;
	const struct gdb_arch *gdb_arch;
	char listen[128];
	unsigned nr_cpus;
	uint16_t cpus[KT_MAX_CPUS]; /* online CPU numbers, ascending */
	char cpu_note[96];           /* why the CPU list is what it is */
	uint64_t cpu_curr[KT_MAX_CPUS]; /* rq->curr per listed CPU, or 0 */
	/* Registers of the i-th online CPU, when a dump recorded them. */
	struct saved_regs *cpu_regs;
	unsigned nr_cpu_regs;
	/* Control state of the i-th CPU from QEMU's dump notes (CR3, ...). */
	struct saved_regs *cpu_ctl;
	unsigned nr_cpu_ctl;

	/* Find the kernel again (after a reboot): set by the caller, which
	 * knows how it was found the first time. */
	int (*relocate)(struct kernel_target *kt, char *err);
	struct rescan_limit rescan_limit; /* of rescans on attach */
	struct rescan_child rescan_child; /* one looking, if any */

	/* Tasks as threads (kernel_threads.c). */
	struct btf_types btf;
	struct task_layout layout;
	struct frame_layout frames;  /* switched-out tasks' saved registers */
	char tasks_note[ERR_LEN];    /* why tasks are missing, if they are */
	struct task_list tasks;      /* snapshot of the last listing */
	uint32_t *by_pid;            /* indices into tasks, sorted by pid */
	size_t by_pid_cap;
	bool listed;                 /* a snapshot has been taken */
};

/* Open the BTF and resolve the type layouts (tasks degrade without). */
void kernel_target_init_tasks(struct kernel_target *kt);
struct task_reader kernel_target_reader(const struct kernel_target *kt);
unsigned kt_thread_ids(void *t, uint32_t *ids, unsigned max);
bool kt_thread_alive(void *t, uint32_t tid);
void kt_thread_name(void *t, uint32_t tid, char *buf, size_t len);
void kt_thread_extra(void *t, uint32_t tid, char *buf, size_t len);
void kt_read_regs(void *t, uint32_t tid, struct target_regs *regs);

extern const struct target_ops kernel_target_ops;

/* Read the online CPUs from the guest (done at start and on attach). */
void kernel_target_refresh_cpus(struct kernel_target *kt);
/* The start-up summary, also `monitor info`. */
void kernel_target_summary(const struct kernel_target *kt, struct strbuf *out);
/* The gdb command that loads the symbols at their runtime addresses. */
void kernel_target_gdb_command(const struct kernel_target *kt,
			       struct strbuf *out);
/* Find the kernel again; says what changed on stderr. */
int kernel_target_rescan(struct kernel_target *kt, char *err);
/* `monitor CMD` */
int kernel_target_monitor(void *t, const char *cmd, struct strbuf *out);

#endif
