#include "symbols/elf_sections.h"

#include <gelf.h>
#include <stdbool.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

static int list_sections(void *elf, bool alloc_only, struct elf_section **out,
			 unsigned *n, char *err)
{
	Elf *e = elf;
	size_t shnum, shstrndx;
	*out = NULL;
	*n = 0;
	if (elf_getshdrnum(e, &shnum) || elf_getshdrstrndx(e, &shstrndx))
		return set_err(err, "no section headers: %s", elf_errmsg(-1));
	if (shnum > ELF_SECTIONS_MAX)
		return set_err(err, "%zu sections (at most %d)", shnum,
			       ELF_SECTIONS_MAX);
	struct elf_section *v = calloc(shnum ? shnum : 1, sizeof(*v));
	if (!v)
		return set_err(err, "out of memory for %zu sections", shnum);
	unsigned k = 0;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn)) != NULL;) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			memset(&sh, 0, sizeof(sh)); /* keeps the indexes */
		if (alloc_only && !(sh.sh_flags & SHF_ALLOC))
			continue;
		if (k == shnum)
			break;
		const char *name = elf_strptr(e, shstrndx, sh.sh_name);
		snprintf(v[k].name, sizeof(v[k].name), "%s", name ? name : "");
		v[k].addr = sh.sh_addr;
		v[k].size = sh.sh_size;
		v[k].flags = sh.sh_flags;
		v[k].type = sh.sh_type;
		k++;
	}
	*out = v;
	*n = k;
	return 0;
}

int elf_alloc_sections(void *elf, struct elf_section **out, unsigned *n,
		       char *err)
{
	return list_sections(elf, true, out, n, err);
}

int elf_all_sections(void *elf, struct elf_section **out, unsigned *n,
		     char *err)
{
	return list_sections(elf, false, out, n, err);
}
