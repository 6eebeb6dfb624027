/* Asking QEMU where guest RAM is in its address space, over QMP: the RAM
 * ranges of the system memory map (`info mtree -f`) and their host
 * addresses (`gpa2hva`). */
#ifndef LKSTUB_VMM_QMP_H
#define LKSTUB_VMM_QMP_H

#include "translate/guest_mem.h"

/* Add one region per RAM range of QEMU's flat memory map to m (a
 * guest_mem_open_process source). Returns the number added, or -1. */
int qmp_add_ram_regions(struct guest_mem *m, const char *socket_path,
			char *err);

/* Parse one `info mtree -f` line of a RAM range; for tests. */
bool qmp_parse_mtree_ram(const char *line, uint64_t *start, uint64_t *end);

#endif
