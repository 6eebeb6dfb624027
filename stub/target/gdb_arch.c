/* Which gdb register description goes with a vmlinux. */
#include <elf.h>
#include <string.h>

#include "stub/target/gdb_arch.h"

const struct gdb_arch *gdb_arch_for(unsigned elf_machine)
{
	switch (elf_machine) {
	case EM_X86_64: return &gdb_arch_x86_64;
	case EM_AARCH64: return &gdb_arch_aarch64;
	}
	return NULL;
}

int gdb_arch_reg_slot(const struct gdb_arch *a, const char *name,
		      unsigned *regnum, unsigned *off, unsigned *bytes)
{
	unsigned o = 0;
	for (unsigned i = 0; i < a->nr_regs && i < TARGET_MAX_REGS; i++) {
		unsigned b = a->regs[i].bits / 8;
		if (!strcmp(a->regs[i].name, name)) {
			if (o + b > TARGET_MAX_REG_BYTES)
				return -1;
			*regnum = i;
			*off = o;
			*bytes = b;
			return 0;
		}
		o += b;
	}
	return -1;
}

bool gdb_arch_set_reg(const struct gdb_arch *a, struct target_regs *r,
		      const char *name, const void *le, size_t n)
{
	unsigned regnum, off, bytes;
	if (gdb_arch_reg_slot(a, name, &regnum, &off, &bytes))
		return false;
	memset(r->bytes + off, 0, bytes);
	memcpy(r->bytes + off, le, n < bytes ? n : bytes);
	r->valid[regnum] = true;
	return true;
}
