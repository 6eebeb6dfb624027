/* Asking QEMU where guest RAM is in its address space, over QMP: the RAM
 * ranges of the system memory map (`info mtree -f`) and their host
 * addresses (`gpa2hva`). */
#ifndef LKSTUB_VMM_QMP_H
#define LKSTUB_VMM_QMP_H

#include <sys/types.h>

#include "translate/guest_mem.h"
#include "translate/qmp_client.h"

/* Add one region per RAM range of QEMU's flat memory map to m (a
 * guest_mem_open_process source). Returns the number added, or -1. */
int qmp_add_ram_regions(struct guest_mem *m, const char *socket_path,
			char *err);

/* qmp_add_ram_regions over a connected client: `info mtree -f`, one
 * `gpa2hva` per RAM range. Returns the regions added, or -1. */
int qmp_ram_regions(struct guest_mem *m, struct qmp_client *q, char *err);

/* One RAM (or ROM) piece of QEMU's flat memory map: GPAs [start, end)
 * are bytes [offset, offset + end - start) of memory region name. */
struct qmp_piece {
	uint64_t start, end;
	char name[64];
	uint64_t offset;
};

/* Parse one `info mtree -f` line of a RAM range; for tests. */
bool qmp_parse_mtree_ram(const char *line, struct qmp_piece *p);

#endif
