/* MEMORY, the command line's guest memory: a RAM file, pid:PID, an ELF
 * vmcore or a compressed kdump. */
#ifndef LKSTUB_MEMORY_ARG_H
#define LKSTUB_MEMORY_ARG_H

#include "stub/target/kernel_target.h"
#include "stub/cli/options.h"

/* Open MEMORY as m's source and set its regions where the source says
 * (QMP, a dump, --region); may set o->layout and o->discover's note. */
int memory_arg_open(struct guest_mem *m, struct options *o, char *err);
/* Find the kernel in it (once; the caller retries under --wait). */
int memory_arg_locate(struct kernel_target *kt, const struct options *o,
		      char *err);
/* Give the CPU threads the registers a dump recorded. */
void memory_arg_cpu_regs(struct kernel_target *kt);

#endif
