/* The allocated sections of an ELF file in section-header order: what
 * gdb relocates one by one when it loads the file as a library
 * (qXfer:libraries:read, <section address=...> per SHF_ALLOC section). */
#ifndef LKSTUB_ELF_SECTIONS_H
#define LKSTUB_ELF_SECTIONS_H

#include <stdint.h>

#define ELF_SECTION_NAME_MAX 64
#define ELF_SECTIONS_MAX 4096 /* a kernel module has < 100 */

struct elf_section {
	char name[ELF_SECTION_NAME_MAX]; /* truncated if longer */
	uint64_t addr, size;             /* link address (0 in a .ko) */
	uint64_t flags;                  /* SHF_* */
	uint32_t type;                   /* SHT_* */
};

/* The SHF_ALLOC sections of elf (an Elf *), in order; *out is malloc'd. */
int elf_alloc_sections(void *elf, struct elf_section **out, unsigned *n,
		       char *err);
/* Every section but the null one, in index order: (*out)[i] is section
 * i + 1. */
int elf_all_sections(void *elf, struct elf_section **out, unsigned *n,
		     char *err);

#endif
