/* MEMORY, the command line's guest memory: a RAM file, pid:PID, an ELF
 * vmcore or a compressed kdump, and what it brings besides the bytes. */
#ifndef LKSTUB_MEMORY_ARG_H
#define LKSTUB_MEMORY_ARG_H

#include "stub/cli/options.h"
#include "stub/target/kernel_target.h"
#include "translate/mem_elfcore.h"
#include "translate/mem_kdump.h"

struct memory_arg {
	const struct options *o;
	int pid;                   /* MEMORY = pid:PID; 0 otherwise */
	/* The options' layout and discovery, with what the source says:
	 * LAYOUT_EXPLICIT once QMP or a dump placed the regions, and a
	 * dump's own vmcoreinfo note. */
	enum layout_kind layout;
	struct discover_opts discover;
	bool is_dump;
	struct elfcore_notes notes; /* an ELF dump's */
	struct kdump_extras kdump;  /* a compressed kdump's */
};

/* The PID of MEMORY = "pid:PID"; 0 for any other MEMORY; -1 when it starts
 * with "pid:" but is no valid PID. */
int memory_arg_pid(const char *memory);

/* Open o->memory as m's source and set its regions where the source says
 * (QMP, a dump, --region). */
int memory_arg_open(struct memory_arg *ma, struct guest_mem *m,
		    const struct options *o, char *err);
/* Find the kernel in m (once; a kernel_finder: the caller retries under
 * --wait and keeps m as it was on failure). ctx is the memory_arg. */
int memory_arg_locate(void *ctx, struct guest_mem *m,
		      const struct vmlinux *vm, struct kernel_info *ki,
		      struct locate_result *where, char *err);
/* Give the CPU threads the registers a dump recorded. */
void memory_arg_cpu_regs(const struct memory_arg *ma,
			 struct kernel_target *kt);

#endif
