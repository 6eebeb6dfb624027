/* aarch64 stage-1 translation of the kernel half (TTBR1_EL1): 4, 16 and
 * 64 KiB granules, VA widths 36 to 52 bits, blocks at the levels each
 * granule allows, and 52-bit output addresses (64 KiB pages with LPA:
 * PA[51:48] in descriptor bits 15:12; LPA2 with TCR_EL1.DS: PA[51:50] in
 * bits 9:8). Arm ARM D8 "The AArch64 Virtual Memory System Architecture". */
#include <elf.h>
#include <stdio.h>

#include "common/err.h"
#include "translate/paging.h"

#define DESC_VALID (1ULL << 0)
#define DESC_TABLE (1ULL << 1) /* table (levels < 3) or page (level 3) */

static unsigned levels_for(unsigned va_bits, unsigned page_shift)
{
	unsigned per_level = page_shift - 3;
	return (va_bits - page_shift + per_level - 1) / per_level;
}

int aarch64_paging_setup(struct kernel_as *as, unsigned va_bits,
			 unsigned page_shift, bool pa52, char *err)
{
	if (page_shift != 12 && page_shift != 14 && page_shift != 16)
		return set_err(err, "aarch64: granule 2^%u is not 4K, 16K or "
			       "64K", page_shift);
	/* 52-bit VAs need LPA2 with 4K/16K pages (or LVA with 64K). */
	unsigned max_va = page_shift == 16 || pa52 ? 52 : 48;
	if (va_bits < 25 || va_bits > max_va)
		return set_err(err, "aarch64: %u-bit VA is not possible with "
			       "%u KiB pages%s", va_bits,
			       1u << (page_shift - 10),
			       pa52 ? "" : " without LPA2");
	as->va_bits = va_bits;
	as->page_shift = page_shift;
	as->pa52 = pa52;
	as->levels = levels_for(va_bits, page_shift);
	return 0;
}

int aarch64_paging_from_tcr(struct kernel_as *as, uint64_t tcr, char *err)
{
	unsigned t1sz = (tcr >> 16) & 0x3f;
	unsigned tg1 = (tcr >> 30) & 3;
	bool ds = (tcr >> 59) & 1;
	unsigned ips = (tcr >> 32) & 7;
	unsigned shift;
	switch (tg1) {
	case 1: shift = 14; break;
	case 2: shift = 12; break;
	case 3: shift = 16; break;
	default:
		return set_err(err, "TCR_EL1 %#llx: TG1 is reserved",
			       (unsigned long long)tcr);
	}
	if (!t1sz)
		return set_err(err, "TCR_EL1 %#llx: T1SZ is 0",
			       (unsigned long long)tcr);
	bool pa52 = shift == 16 ? ips == 6 : ds;
	return aarch64_paging_setup(as, 64 - t1sz, shift, pa52, err);
}

int aarch64_paging_probe(struct kernel_as *as, const unsigned *va_bits,
			 size_t n, unsigned page_shift, uint64_t va,
			 uint64_t want_pa, char *err)
{
	for (size_t i = 0; i < n; i++) {
		struct pt_walk w;
		char why[ERR_LEN];
		if (aarch64_paging_setup(as, va_bits[i], page_shift,
					 va_bits[i] == 52, why))
			continue;
		if (kva_walk(as, va, &w) == PT_OK && w.pa == want_pa)
			return (int)i;
	}
	if (n)
		(void)aarch64_paging_setup(as, va_bits[0], page_shift,
					   va_bits[0] == 52, err);
	return -1;
}

/* Output address of a descriptor at a given block/page size. */
static uint64_t desc_addr(const struct kernel_as *as, uint64_t e)
{
	uint64_t base;
	if (as->pa52 && as->page_shift != 16) /* LPA2 */
		base = (e & ((1ULL << 50) - 1)) | ((e >> 8) & 3) << 50;
	else
		base = e & ((1ULL << 48) - 1);
	if (as->pa52 && as->page_shift == 16) /* LPA, 64K */
		base |= ((e >> 12) & 0xf) << 48;
	return base & ~((1ULL << as->page_shift) - 1);
}

/* Which levels may hold a block descriptor (Arm ARM D8.3). */
static bool block_allowed(const struct kernel_as *as, int level)
{
	switch (as->page_shift) {
	case 12: return level == 1 || level == 2 || (as->pa52 && level == 0);
	case 14: return level == 2 || (as->pa52 && level == 1);
	default: return level == 2 || (as->pa52 && level == 1);
	}
}

static enum pt_result walk_aarch64(const struct kernel_as *as, uint64_t va,
				   struct pt_walk *w)
{
	unsigned shift = as->page_shift, per_level = shift - 3;
	if (!as->levels || as->levels > 5 || as->va_bits >= 64)
		return w->result = PT_BAD_ENTRY; /* not set up */
	/* TTBR1 covers the top 2^va_bits bytes: every bit above is 1;
	 * TTBR0 the bottom ones: every bit above is 0. */
	if ((va >> as->va_bits) != (as->user_half ? 0 : ~0ULL >> as->va_bits))
		return w->result = PT_NOT_CANONICAL;

	int start = 4 - (int)as->levels;
	uint64_t table = as->root_pa; /* a physical address, not a descriptor */
	for (int level = start; level <= 3; level++) {
		unsigned lsb = shift + (unsigned)(3 - level) * per_level;
		unsigned width = level == start ? as->va_bits - lsb : per_level;
		const struct pt_step *s = pt_walk_read(
			as, w, level, table,
			(unsigned)((va >> lsb) & ((1ULL << width) - 1)));
		if (!s)
			return w->result;
		uint64_t e = s->entry;
		if (!(e & DESC_VALID))
			return w->result = PT_NOT_PRESENT;
		if (level < 3 && (e & DESC_TABLE)) {
			table = desc_addr(as, e);
			continue;
		}
		if (level == 3 ? !(e & DESC_TABLE) : !block_allowed(as, level))
			return w->result = PT_BAD_ENTRY;
		uint64_t size = 1ULL << lsb;
		w->page_size = size;
		w->pa = (desc_addr(as, e) & ~(size - 1)) | (va & (size - 1));
		return w->result = PT_OK;
	}
	return w->result = PT_BAD_ENTRY; /* not reached */
}

static const char *level_name_aarch64(const struct kernel_as *as, int level)
{
	(void)as;
	static const char *const names[] = { "L-1", "L0", "L1", "L2", "L3" };
	return level >= -1 && level <= 3 ? names[level + 1] : "?";
}

const struct arch_ops arch_aarch64 = {
	.name = "aarch64",
	.elf_machine = EM_AARCH64,
	.walk = walk_aarch64,
	.level_name = level_name_aarch64,
};
