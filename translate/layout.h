/* Guest-physical layout of a raw RAM file: which GPA each file offset is.
 * QEMU puts RAM in the file in GPA order; the machine type decides where
 * it splits around the PCI hole below 4 GiB. */
#ifndef LKSTUB_LAYOUT_H
#define LKSTUB_LAYOUT_H

#include "translate/guest_mem.h"

enum layout_kind {
	LAYOUT_AUTO,
	LAYOUT_FLAT,     /* file offset == GPA */
	LAYOUT_Q35,      /* QEMU q35: 2 GiB below 4G when RAM >= 0xb0000000 */
	LAYOUT_PC,       /* QEMU i440fx: 3 GiB below 4G when RAM >= 0xe0000000 */
	LAYOUT_VIRT,     /* QEMU arm virt: RAM at GPA 0x40000000 */
	LAYOUT_EXPLICIT, /* --region GPA:SIZE[@OFFSET] */
};

int layout_parse(const char *name, enum layout_kind *kind);
const char *layout_name(enum layout_kind kind);

/* RAM below 4 GiB for a QEMU x86 machine of ram_size bytes. */
uint64_t layout_lowmem(enum layout_kind kind, uint64_t ram_size);

/* Replace m's regions by the layout's, for m->ram_size bytes of RAM that
 * start at m->ram_base in the source. */
int layout_apply(struct guest_mem *m, enum layout_kind kind, char *err);

/* Parse "GPA:SIZE[@OFFSET]" (C numbers, K/M/G suffixes on SIZE). Without
 * @OFFSET, r->offset is LAYOUT_OFFSET_NEXT: right after the previous one. */
#define LAYOUT_OFFSET_NEXT UINT64_MAX
int layout_parse_region(const char *arg, struct guest_region *r, char *err);

#endif
