/* x86_64 page tables: 4-level (48-bit VA) and 5-level (LA57, 57-bit VA),
 * with 1 GiB and 2 MiB leaves. Entries are read as physical memory, so a
 * walk never recurses into translation. */
#include <elf.h>

#include "translate/paging.h"

#define X86_PTE_PRESENT (1ULL << 0)
#define X86_PTE_PSE     (1ULL << 7)
/* Bits 51:12 hold the address; 63 is NX, 62:59 protection keys, 58:52
 * software bits. */
#define X86_PTE_ADDR    0x000ffffffffff000ULL

static unsigned va_bits_x86_64(const struct kernel_as *as)
{
	return as->levels == 5 ? 57 : 48;
}

static enum pt_result walk_x86_64(const struct kernel_as *as, uint64_t va,
				  struct pt_walk *w)
{
	if (as->levels != 4 && as->levels != 5)
		return w->result = PT_BAD_ENTRY; /* not set up */
	unsigned bits = va_bits_x86_64(as);
	/* Canonical: bits 63..bits-1 all copies of bit bits-1. */
	uint64_t top = va >> (bits - 1);
	if (top != 0 && top != (~0ULL >> (bits - 1)))
		return w->result = PT_NOT_CANONICAL;

	uint64_t table = as->root_pa & X86_PTE_ADDR;
	for (int level = (int)as->levels; level >= 1; level--) {
		unsigned shift = 12 + 9 * (unsigned)(level - 1);
		const struct pt_step *s = pt_walk_read(
			as, w, level, table, (unsigned)((va >> shift) & 511));
		if (!s)
			return w->result;
		uint64_t e = s->entry;
		if (!(e & X86_PTE_PRESENT))
			return w->result = PT_NOT_PRESENT;
		bool leaf = level == 1 || ((level == 2 || level == 3) &&
					   (e & X86_PTE_PSE));
		if (!leaf && (e & X86_PTE_PSE))
			return w->result = PT_BAD_ENTRY; /* reserved at L4/L5 */
		if (leaf) {
			uint64_t size = 1ULL << shift;
			/* Low address bits of a large leaf hold PAT: mask
			 * them with the page size. */
			w->page_size = size;
			w->pa = (e & X86_PTE_ADDR & ~(size - 1)) |
				(va & (size - 1));
			return w->result = PT_OK;
		}
		table = e & X86_PTE_ADDR;
	}
	return w->result = PT_BAD_ENTRY; /* not reached */
}

static const char *level_name_x86_64(const struct kernel_as *as, int level)
{
	static const char *const names[] = { "?", "PTE", "PMD", "PUD",
					     "P4D/PML4", "PGD/PML5" };
	if (level == 4 && as->levels == 4)
		return "PGD/PML4";
	return level >= 1 && level < 6 ? names[level] : "?";
}

const struct arch_ops arch_x86_64 = {
	.name = "x86_64",
	.elf_machine = EM_X86_64,
	.walk = walk_x86_64,
	.level_name = level_name_x86_64,
};
