/* Which gdb register description goes with a vmlinux. */
#include <elf.h>

#include "stub/target/gdb_arch.h"

const struct gdb_arch *gdb_arch_for(unsigned elf_machine)
{
	switch (elf_machine) {
	case EM_X86_64: return &gdb_arch_x86_64;
	case EM_AARCH64: return &gdb_arch_aarch64;
	}
	return NULL;
}
