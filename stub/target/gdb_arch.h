/* The gdb register descriptions lkstub has, one per architecture. */
#ifndef LKSTUB_GDB_ARCH_H
#define LKSTUB_GDB_ARCH_H

#include "stub/rsp/target.h"

extern const struct gdb_arch gdb_arch_x86_64;
extern const struct gdb_arch gdb_arch_aarch64;

/* The description for an ELF machine (EM_*), or NULL. */
const struct gdb_arch *gdb_arch_for(unsigned elf_machine);

/* Where register name sits in struct target_regs: its number, byte
 * offset and size. -1 when a has no such register (or it lies past the
 * buffer). */
int gdb_arch_reg_slot(const struct gdb_arch *a, const char *name,
		      unsigned *regnum, unsigned *off, unsigned *bytes);
/* Set register name from n little-endian bytes (the rest of it zero) and
 * mark it known; false when a has no such register. */
bool gdb_arch_set_reg(const struct gdb_arch *a, struct target_regs *r,
		      const char *name, const void *le, size_t n);

#endif
