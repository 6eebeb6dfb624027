/* The target lkstub serves: a guest kernel found in guest memory. It turns
 * gdb's requests (memory at kernel addresses, threads, monitor commands)
 * into translate/ and symbols/ calls. */
#ifndef LKSTUB_KERNEL_TARGET_H
#define LKSTUB_KERNEL_TARGET_H

#include "stub/target.h"
#include "symbols/locate.h"

#define KT_MAX_CPUS 8192 /* the largest NR_CPUS a distribution kernel uses */

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
};

extern const struct target_ops kernel_target_ops;

/* Read the online CPUs from the guest (done at start and on attach). */
void kernel_target_refresh_cpus(struct kernel_target *kt);
/* The start-up summary, also `monitor info`. */
void kernel_target_summary(const struct kernel_target *kt, struct strbuf *out);
/* The gdb command that loads the symbols at their runtime addresses. */
void kernel_target_gdb_command(const struct kernel_target *kt,
			       struct strbuf *out);
/* `monitor CMD` */
int kernel_target_monitor(void *t, const char *cmd, struct strbuf *out);

#endif
