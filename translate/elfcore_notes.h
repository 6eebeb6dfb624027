/* The notes of an ELF dump of a whole machine: its VMCOREINFO text and
 * each CPU's registers (NT_PRSTATUS, QEMU's own CPU-state notes).
 *
 * Which CPU a register note belongs to (docs/design.md, "ELF dumps"):
 * - QEMU's dump-guest-memory (recognised by its "QEMU" CPU-state notes, or
 *   by CORE NT_PRFPREG notes, which the kernel's crash_save_cpu never
 *   writes) sets pr_pid to the vCPU index + 1: CPU pr_pid - 1. Its k-th
 *   "QEMU" note goes with its k-th NT_PRSTATUS note (QEMU writes both
 *   lists in the same vCPU order).
 * - a kernel dump (kdump's /proc/vmcore, makedumpfile -E) sets pr_pid to
 *   the pid of the task on that CPU (0 for every idle one): its notes come
 *   in the order of the CPUs that saved them, so the k-th note is the k-th
 *   online CPU.
 * A note that cannot be placed (too short for pr_pid, a pr_pid out of
 * range or seen before) is left out with a warning; the others keep their
 * CPUs. */
#ifndef LKSTUB_ELFCORE_NOTES_H
#define LKSTUB_ELFCORE_NOTES_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define ELFCORE_MAX_CPUS 8192 /* the largest NR_CPUS a distribution uses */
/* All PT_NOTEs together: 8192 CPUs of QEMU notes take under 8 MiB. */
#define ELFCORE_MAX_NOTE_BYTES (64u << 20)
/* Warnings printed at open; more are counted. */
#define ELFCORE_PRINTED_WARNINGS 8

struct elfcore_note {
	const uint8_t *desc; /* a copy owned by elfcore_notes */
	size_t len;
};

struct elfcore_cpu {
	int cpu;                      /* the CPU number; -1: by order */
	struct elfcore_note prstatus; /* NT_PRSTATUS; len 0: none */
	struct elfcore_note qemu;     /* QEMU's CPU state; len 0: none */
};

struct elfcore_notes {
	uint16_t machine;               /* e_machine of the dump */
	struct elfcore_note vmcoreinfo; /* VMCOREINFO text, if present */
	bool by_pr_pid;                 /* written by QEMU: CPU = pr_pid - 1 */
	unsigned nr_prstatus;           /* NT_PRSTATUS notes in the dump */
	unsigned nr_cpus;               /* entries in cpus */
	struct elfcore_cpu *cpus;       /* by_pr_pid: sorted by cpu */
	unsigned nr_merged;   /* PT_LOADs overlapping others, same bytes */
	unsigned nr_warnings;
	char warning[ERR_LEN];          /* the first */
	bool quiet;                     /* do not print warnings */
	uint8_t *copy;                  /* the notes' bytes */
	size_t copy_len, copy_cap;
};

/* Record a warning (printed on stderr unless quiet, up to a count). */
__attribute__((format(printf, 2, 3)))
void elfcore_warn(struct elfcore_notes *n, const char *fmt, ...);
/* Read the notes of the PT_NOTEs listed (phdr indexes of e); the dump's
 * bytes may vanish under it: call it under mem_guard_call. -1 with err
 * only when out of memory; bad notes are warnings. */
int elfcore_notes_read(struct elfcore_notes *n, Elf *e, const size_t *ph,
		       size_t nr_ph, char *err);
/* The notes of CPU number cpu, the idx-th online CPU; NULL if none. */
const struct elfcore_cpu *elfcore_cpu_notes(const struct elfcore_notes *n,
					    unsigned cpu, unsigned idx);
void elfcore_notes_free(struct elfcore_notes *n);

#endif
