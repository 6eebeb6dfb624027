/* The gdb register descriptions lkstub has, one per architecture. */
#ifndef LKSTUB_GDB_ARCH_H
#define LKSTUB_GDB_ARCH_H

#include "stub/rsp/target.h"

extern const struct gdb_arch gdb_arch_x86_64;
extern const struct gdb_arch gdb_arch_aarch64;

/* The description for an ELF machine (EM_*), or NULL. */
const struct gdb_arch *gdb_arch_for(unsigned elf_machine);

#endif
