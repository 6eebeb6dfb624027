/* The guest's loaded modules, read from the kernel's `modules` list with
 * the vmlinux BTF: each module's name and where the kernel put each of its
 * sections (module->sect_attrs, what /sys/module/NAME/sections shows and
 * what the kernel's own lx-symbols reads). Bounded like every walk of
 * guest memory. */
#ifndef LKSTUB_MODULES_H
#define LKSTUB_MODULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbols/btf_types.h"
#include "symbols/elf_sections.h"
#include "symbols/kernel.h"

#define MODULES_MAX 8192        /* a bound, far above any real system */
#define MODULE_SECTIONS_MAX 512
#define MODULE_NAME_MAX 64      /* MODULE_NAME_LEN is 56 */

/* Offsets resolved once from BTF; -1 where absent. */
struct module_layout {
	long list, name, sect_attrs, state;
	unsigned name_size;
	long nsections, attrs;       /* in struct module_sect_attrs */
	long attr_size;              /* sizeof(struct module_sect_attr) */
	long attr_name, attr_address;
	bool usable;
	char missing[160];
};

void module_layout_init(struct module_layout *l, const struct btf_types *bt);

struct kmodule_section {
	char name[ELF_SECTION_NAME_MAX];
	uint64_t addr;
};

struct kmodule {
	uint64_t addr;               /* its struct module */
	char name[MODULE_NAME_MAX];
	struct kmodule_section *secs;
	unsigned nr_secs;
	char note[96];               /* why sections are missing, if so */
	bool live;                   /* initialized: its .init sections are
				      * freed (and their memory reused) */
};

struct module_list {
	struct kmodule *v;
	size_t n, cap;
	char note[160];              /* empty, or why the walk stopped */
};

/* Read every module into list (emptied first). -1 when the list could not
 * be read at all (note says why). */
int modules_read(const struct kernel_info *ki, const struct vmlinux *vm,
		 const struct module_layout *l, struct module_list *list);
void module_list_free(struct module_list *list);
/* The runtime address of section `name` of m, or 0 (also for the .init
 * sections of a live module: what was there is gone). */
uint64_t kmodule_section_addr(const struct kmodule *m, const char *name);

#endif
