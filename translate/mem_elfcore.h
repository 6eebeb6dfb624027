/* Guest memory from an ELF core dump of a whole machine: QEMU's
 * dump-guest-memory, virsh dump --memory-only, kdump's /proc/vmcore saved
 * as ELF. PT_LOAD segments by physical address, zero-filled past their
 * file size; the notes give vmcoreinfo and each CPU's registers. */
#ifndef LKSTUB_MEM_ELFCORE_H
#define LKSTUB_MEM_ELFCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "translate/guest_mem.h"

#define ELFCORE_MAX_CPUS 1024

struct elfcore_note {
	const uint8_t *desc;
	size_t len;
};

/* What the dump's notes hold; pointers into the mapped dump. */
struct elfcore_notes {
	uint16_t machine;              /* e_machine of the dump */
	struct elfcore_note vmcoreinfo; /* VMCOREINFO text, if present */
	unsigned nr_prstatus;           /* NT_PRSTATUS, one per CPU */
	struct elfcore_note prstatus[ELFCORE_MAX_CPUS];
	unsigned nr_qemu;               /* QEMU's CPU state, one per CPU */
	struct elfcore_note qemu[ELFCORE_MAX_CPUS];
	unsigned skipped_loads;         /* PT_LOADs dropped (overlap) */
};

/* Is the file an ELF core? (false on any error) */
bool elfcore_is_core(const char *path);
/* Open the dump as the source and add one region per PT_LOAD. */
int guest_mem_open_elfcore(struct guest_mem *m, const char *path,
			   struct elfcore_notes *notes, char *err);

#endif
