/* makedumpfile's compressed kdump format, read with libkdumpfile. */
#ifndef LKSTUB_MEM_KDUMP_H
#define LKSTUB_MEM_KDUMP_H

#include "translate/guest_mem.h"

struct kdump_extras {
	const char *vmcoreinfo; /* the dump's vmcoreinfo text, or NULL */
};

bool kdump_is_compressed(const char *path);
/* Open the dump as the source with one region: physical 0 to max_pfn. */
int guest_mem_open_kdump(struct guest_mem *m, const char *path,
			 struct kdump_extras *x, char *err);

#endif
