/* Guest memory from an ELF core dump of a whole machine: QEMU's
 * dump-guest-memory, virsh dump --memory-only, kdump's /proc/vmcore saved
 * as ELF (makedumpfile -E included). PT_LOAD segments by physical address,
 * zero-filled past their file size; the notes (elfcore_notes.h) give
 * vmcoreinfo and each CPU's registers. */
#ifndef LKSTUB_MEM_ELFCORE_H
#define LKSTUB_MEM_ELFCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "translate/elfcore_notes.h"
#include "translate/guest_mem.h"

/* Is the file an ELF core (of any class)? False on any error. */
bool elfcore_is_core(const char *path);
/* Open the dump as the source: one region per run of PT_LOADs. PT_LOADs
 * that overlap with the same bytes are merged, with different bytes they
 * are an error naming both; one cut short by the end of the file is
 * served up to there, with a warning (in notes, and on stderr). */
int guest_mem_open_elfcore(struct guest_mem *m, const char *path,
			   struct elfcore_notes *notes, char *err);
/* The same over an open fd, which the source takes (closed on failure
 * too); name is for messages; quiet keeps warnings off stderr. */
int guest_mem_open_elfcore_fd(struct guest_mem *m, int fd, const char *name,
			      bool quiet, struct elfcore_notes *notes,
			      char *err);

#endif
