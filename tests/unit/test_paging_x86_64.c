/* Unit tests for translate/paging.c and arch_x86_64.c: x86_64 page-table
 * walks and kernel VA reads/writes over synthetic page tables. */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/err.h"
#include "translate/guest_mem.h"
#include "translate/paging.h"
#include "tests/unit/synth_pt.h"
#include "tests/unit/test_seed.h"

#define MiB (1ULL << 20)
#define RAM_SIZE (16 * MiB)
#define POOL_START (1 * MiB)
#define POOL_END (3 * MiB)

/* Canonical form of a bits-wide VA (sign-extended from bit bits-1). */
static uint64_t canon(uint64_t va, unsigned bits)
{
	uint64_t m = 1ULL << (bits - 1);
	va &= (1ULL << bits) - 1;
	return (va ^ m) - m;
}

struct fx {
	struct synth s;
	uint64_t root;
	struct kernel_as as;
	unsigned levels;
};

static void fx_open(struct fx *f, unsigned levels)
{
	synth_open_flat(&f->s, RAM_SIZE);
	synth_fill(&f->s, 0x5eed + levels);
	synth_table_pool(&f->s, POOL_START, POOL_END);
	f->root = synth_new_table(&f->s);
	f->levels = levels;
	synth_as(&f->as, &f->s, f->root, levels);
}

static void fx_close(struct fx *f)
{
	synth_close(&f->s);
}

/* The steps of a walk of va that got to level last_level (inclusive). */
static void check_steps(struct fx *f, const struct pt_walk *w, uint64_t va,
			unsigned last_level)
{
	assert_int_equal(w->nr, f->levels - last_level + 1);
	uint64_t table = f->root;
	for (unsigned i = 0; i < w->nr; i++) {
		const struct pt_step *st = &w->step[i];
		unsigned level = f->levels - i;
		assert_int_equal(st->level, level);
		assert_int_equal(st->table_pa, table);
		assert_int_equal(st->index, synth_index(va, level));
		assert_int_equal(st->entry_pa, table + 8 * st->index);
		assert_true(st->read_ok);
		assert_int_equal(st->entry, synth_get64(&f->s, st->entry_pa));
		table = st->entry & PTE_ADDR_MASK;
	}
}

static void walk_ok(struct fx *f, uint64_t va, uint64_t pa,
		    uint64_t page_size)
{
	struct pt_walk w;
	if (kva_walk(&f->as, va, &w) != PT_OK)
		fail_msg("walk %#llx: result %d", (unsigned long long)va,
			 w.result);
	assert_int_equal(w.result, PT_OK);
	assert_int_equal(w.pa, pa);
	assert_int_equal(w.page_size, page_size);
	check_steps(f, &w, va, page_size == SYN_1G ? 3
			       : page_size == SYN_2M ? 2 : 1);
	if (va >= f->as.image_start && va < f->as.image_end)
		return;
	/* kva_translate outside the image: the same, by a walk. */
	struct kva_xlat x;
	assert_int_equal(kva_translate(&f->as, va, &x, NULL), PT_OK);
	assert_int_equal(x.pa, pa);
	assert_int_equal(x.how, kva_is_direct(&f->as, va) ? KVA_DIRECT
							  : KVA_WALK);
	assert_int_equal(x.span, page_size - (va & (page_size - 1)));
}

static enum pt_result walk_res(struct fx *f, uint64_t va, struct pt_walk *w)
{
	enum pt_result r = kva_walk(&f->as, va, w);
	assert_int_equal(r, w->result);
	return r;
}

/* VAs at all 9-bit indices non-trivial, canonical for 48 and 57 bits. */
#define VA4 0xffffc90012345678ULL
#define VA5 0xff5ac90012345678ULL

static uint64_t test_va(unsigned levels)
{
	return levels == 5 ? VA5 : VA4;
}

static void test_walk_4k(void **state)
{
	(void)state;
	for (unsigned levels = 4; levels <= 5; levels++) {
		struct fx f;
		fx_open(&f, levels);
		uint64_t va = test_va(levels);
		assert_int_equal(canon(va, levels == 5 ? 57 : 48), va);
		synth_map(&f.s, f.root, levels, va, 0x400000, SYN_4K);
		walk_ok(&f, va, 0x400000 | (va & 0xfff), SYN_4K);
		walk_ok(&f, va & ~0xfffULL, 0x400000, SYN_4K);
		walk_ok(&f, va | 0xfff, 0x400fff, SYN_4K);
		/* The neighbouring pages are not mapped. */
		struct pt_walk w;
		assert_int_equal(walk_res(&f, (va & ~0xfffULL) + SYN_4K, &w),
				 PT_NOT_PRESENT);
		assert_int_equal(w.nr, levels);
		assert_int_equal(walk_res(&f, (va & ~0xfffULL) - 1, &w),
				 PT_NOT_PRESENT);
		/* The level-5 index matters only with 5 levels. */
		if (levels == 5) {
			assert_int_equal(walk_res(&f, va ^ (1ULL << 48), &w),
					 PT_NOT_PRESENT);
			assert_int_equal(w.nr, 1);
			assert_int_equal(w.step[0].index,
					 synth_index(va, 5) ^ 1);
		}
		fx_close(&f);
	}
}

static void test_walk_large(void **state)
{
	(void)state;
	for (unsigned levels = 4; levels <= 5; levels++) {
		struct fx f;
		fx_open(&f, levels);
		uint64_t va = test_va(levels);
		uint64_t va2m = va & ~(SYN_2M - 1);
		uint64_t va1g = (va + 4 * SYN_1G) & ~(SYN_1G - 1);
		synth_map(&f.s, f.root, levels, va2m, 0x600000, SYN_2M);
		synth_map(&f.s, f.root, levels, va1g, 0x1c0000000ULL, SYN_1G);
		walk_ok(&f, va, 0x600000 | (va & (SYN_2M - 1)), SYN_2M);
		walk_ok(&f, va2m, 0x600000, SYN_2M);
		walk_ok(&f, va2m + SYN_2M - 1, 0x7fffff, SYN_2M);
		walk_ok(&f, va1g + 0x12345678, 0x1d2345678ULL, SYN_1G);
		walk_ok(&f, va1g + SYN_1G - 1, 0x1ffffffffULL, SYN_1G);
		struct pt_walk w;
		assert_int_equal(walk_res(&f, va2m + SYN_2M, &w),
				 PT_NOT_PRESENT);
		assert_int_equal(walk_res(&f, va1g + SYN_1G, &w),
				 PT_NOT_PRESENT);
		fx_close(&f);
	}
}

/* PAT is bit 12 of a 2M/1G leaf: not an address bit. */
static void test_large_leaf_pat(void **state)
{
	(void)state;
	for (unsigned levels = 4; levels <= 5; levels++) {
		struct fx f;
		fx_open(&f, levels);
		uint64_t va = test_va(levels) & ~(SYN_1G - 1);
		synth_map_flags(&f.s, f.root, levels, va, 0x800000, SYN_2M,
				PTE_RW, PTE_RW | PTE_PAT_LARGE);
		synth_map_flags(&f.s, f.root, levels, va + SYN_1G,
				0x80000000ULL, SYN_1G, PTE_RW,
				PTE_RW | PTE_PAT_LARGE | PTE_G);
		/* Offsets with bit 12 clear: it must stay clear in the PA. */
		walk_ok(&f, va, 0x800000, SYN_2M);
		walk_ok(&f, va + 0x2345, 0x802345, SYN_2M);
		walk_ok(&f, va + 0x1000, 0x801000, SYN_2M);
		walk_ok(&f, va + SYN_1G, 0x80000000ULL, SYN_1G);
		walk_ok(&f, va + SYN_1G + 0x20000fff, 0xa0000fffULL, SYN_1G);
		walk_ok(&f, va + SYN_1G + 0x1000, 0x80001000ULL, SYN_1G);
		fx_close(&f);
	}
}

/* NX, protection keys, software-available bits and the other attribute
 * bits are not address bits, in leaves and in table entries. */
static void test_attr_bits_masked(void **state)
{
	(void)state;
	const uint64_t junk_hi = PTE_NX | PTE_PKEY_MASK | PTE_SW_HIGH;
	const uint64_t junk_lo = PTE_RW | PTE_US | PTE_A | PTE_D | PTE_G |
				 PTE_SW_LOW | (1ULL << 3) | (1ULL << 4);
	for (unsigned levels = 4; levels <= 5; levels++) {
		struct fx f;
		fx_open(&f, levels);
		uint64_t va = test_va(levels);
		/* Bit 7 of a 4K leaf is PAT, not PSE. */
		synth_map_flags(&f.s, f.root, levels, va, 0x401000, SYN_4K,
				junk_hi | junk_lo,
				junk_hi | junk_lo | PTE_PSE);
		walk_ok(&f, va, 0x401000 | (va & 0xfff), SYN_4K);
		uint64_t va2 = (va & ~(SYN_1G - 1)) + 2 * SYN_1G;
		synth_map_flags(&f.s, f.root, levels, va2, 0xa00000, SYN_2M,
				junk_hi | junk_lo,
				junk_hi | junk_lo | PTE_PAT_LARGE);
		walk_ok(&f, va2 + 0x1abcd, 0xa1abcd, SYN_2M);
		synth_map_flags(&f.s, f.root, levels, va2 + SYN_1G,
				0x40000000, SYN_1G, junk_hi | junk_lo,
				junk_hi | junk_lo | PTE_PAT_LARGE);
		walk_ok(&f, va2 + SYN_1G + 0x3fffffff, 0x7fffffff, SYN_1G);
		/* Each high bit alone on the leaf. */
		uint64_t leaf = synth_find_entry(&f.s, f.root, levels, va, 1);
		for (unsigned b = 52; b < 64; b++) {
			synth_put64(&f.s, leaf,
				    0x401000 | PTE_P | (1ULL << b));
			walk_ok(&f, va, 0x401000 | (va & 0xfff), SYN_4K);
		}
		fx_close(&f);
	}
}

static void test_not_present_each_level(void **state)
{
	(void)state;
	for (unsigned levels = 4; levels <= 5; levels++) {
		struct fx f;
		fx_open(&f, levels);
		uint64_t va = test_va(levels);
		synth_map(&f.s, f.root, levels, va, 0x400000, SYN_4K);
		for (unsigned level = levels; level >= 1; level--) {
			uint64_t epa = synth_find_entry(&f.s, f.root, levels,
							va, level);
			uint64_t e = synth_get64(&f.s, epa);
			/* Not present, with everything else still set (and
			 * PSE, which would be bad if it were present). */
			synth_put64(&f.s, epa, (e & ~PTE_P) | PTE_PSE);
			struct pt_walk w;
			assert_int_equal(walk_res(&f, va, &w), PT_NOT_PRESENT);
			check_steps(&f, &w, va, level);
			assert_int_equal(w.step[w.nr - 1].entry,
					 (e & ~PTE_P) | PTE_PSE);
			struct kva_xlat x;
			assert_int_equal(kva_translate(&f.as, va, &x, &w),
					 PT_NOT_PRESENT);
			assert_int_equal(w.nr, levels - level + 1);
			uint8_t b;
			assert_int_equal(kva_read(&f.as, va, &b, 1), 0);
			synth_put64(&f.s, epa, e);
			walk_ok(&f, va, 0x400000 | (va & 0xfff), SYN_4K);
		}
		fx_close(&f);
	}
}

static void test_pse_high_levels(void **state)
{
	(void)state;
	for (unsigned levels = 4; levels <= 5; levels++) {
		struct fx f;
		fx_open(&f, levels);
		uint64_t va = test_va(levels);
		synth_map(&f.s, f.root, levels, va, 0x400000, SYN_4K);
		for (unsigned level = 4; level <= levels; level++) {
			uint64_t epa = synth_find_entry(&f.s, f.root, levels,
							va, level);
			uint64_t e = synth_get64(&f.s, epa);
			synth_put64(&f.s, epa, e | PTE_PSE);
			struct pt_walk w;
			assert_int_equal(walk_res(&f, va, &w), PT_BAD_ENTRY);
			check_steps(&f, &w, va, level);
			struct kva_xlat x;
			assert_int_equal(kva_translate(&f.as, va, &x, NULL),
					 PT_BAD_ENTRY);
			synth_put64(&f.s, epa, e);
		}
		walk_ok(&f, va, 0x400000 | (va & 0xfff), SYN_4K);
		fx_close(&f);
	}
}

static void test_table_outside_ram(void **state)
{
	(void)state;
	static const uint64_t bad_pas[] = {
		RAM_SIZE,                /* just past the end */
		0x7ff000000ULL,          /* far past it */
		0x000ffffffffff000ULL,   /* the top of the address field */
	};
	for (unsigned levels = 4; levels <= 5; levels++) {
		struct fx f;
		fx_open(&f, levels);
		uint64_t va = test_va(levels);
		synth_map(&f.s, f.root, levels, va, 0x400000, SYN_4K);
		for (unsigned level = levels; level >= 2; level--) {
			for (size_t i = 0; i < 3; i++) {
				uint64_t epa = synth_find_entry(
					&f.s, f.root, levels, va, level);
				uint64_t e = synth_get64(&f.s, epa);
				synth_put64(&f.s, epa,
					    bad_pas[i] | PTE_P | PTE_RW);
				struct pt_walk w;
				assert_int_equal(walk_res(&f, va, &w),
						 PT_BAD_ENTRY);
				assert_int_equal(w.nr, levels - level + 2);
				const struct pt_step *st = &w.step[w.nr - 1];
				assert_false(st->read_ok);
				assert_int_equal(st->level, level - 1);
				assert_int_equal(st->table_pa, bad_pas[i]);
				assert_int_equal(st->index,
						 synth_index(va, level - 1));
				assert_int_equal(st->entry_pa,
						 bad_pas[i] + 8 * st->index);
				assert_true(w.step[w.nr - 2].read_ok);
				synth_put64(&f.s, epa, e);
			}
		}
		/* The root itself. */
		f.as.root_pa = 0x7ff000000ULL;
		struct pt_walk w;
		assert_int_equal(walk_res(&f, va, &w), PT_BAD_ENTRY);
		assert_int_equal(w.nr, 1);
		assert_false(w.step[0].read_ok);
		assert_int_equal(w.step[0].table_pa, 0x7ff000000ULL);
		fx_close(&f);
	}
}

static void test_canonical(void **state)
{
	(void)state;
	static const uint64_t bad4[] = {
		0x0000800000000000ULL, 0x8000000000000000ULL,
		0xffff7fffffffffffULL, 0x00ff000000000000ULL,
		0x7fffffffffffffffULL, 0x0001000000000000ULL,
		0xfffe800000000000ULL,
	};
	static const uint64_t bad5[] = {
		0x0100000000000000ULL, 0x8000000000000000ULL,
		0xfeffffffffffffffULL, 0x7fffffffffffffffULL,
		0x0200000000000000ULL, 0xfe00000000000000ULL,
	};
	static const uint64_t good4[] = {
		0, 0x00007ffffffff000ULL, 0xffff800000000000ULL,
		0xfffffffffffff000ULL,
	};
	static const uint64_t good5[] = {
		0, 0x00fffffffffff000ULL, 0xff00000000000000ULL,
		0xfffffffffffff000ULL, 0x0000800000000000ULL,
		0xffff7ffffffff000ULL,
	};
	for (unsigned levels = 4; levels <= 5; levels++) {
		struct fx f;
		fx_open(&f, levels);
		const uint64_t *bad = levels == 4 ? bad4 : bad5;
		size_t nbad = levels == 4 ? sizeof(bad4) / 8 : sizeof(bad5) / 8;
		const uint64_t *good = levels == 4 ? good4 : good5;
		size_t ngood = levels == 4 ? sizeof(good4) / 8
					   : sizeof(good5) / 8;
		for (size_t i = 0; i < ngood; i++)
			synth_map(&f.s, f.root, levels, good[i],
				  0x400000 + i * SYN_4K, SYN_4K);
		for (size_t i = 0; i < ngood; i++) {
			walk_ok(&f, good[i], 0x400000 + i * SYN_4K, SYN_4K);
			walk_ok(&f, good[i] + 0xfff,
				0x400fff + i * SYN_4K, SYN_4K);
		}
		for (size_t i = 0; i < nbad; i++) {
			struct pt_walk w;
			if (walk_res(&f, bad[i], &w) != PT_NOT_CANONICAL)
				fail_msg("%u levels: %#llx is not canonical, "
					 "got %d", levels,
					 (unsigned long long)bad[i], w.result);
			assert_int_equal(w.nr, 0);
			struct kva_xlat x;
			assert_int_equal(kva_translate(&f.as, bad[i], &x, NULL),
					 PT_NOT_CANONICAL);
			uint8_t b;
			assert_int_equal(kva_read(&f.as, bad[i], &b, 1), 0);
		}
		/* Aliases of mapped VAs (same indices, bad sign bits) are
		 * refused, not walked. */
		struct pt_walk w;
		for (size_t i = 0; i < ngood; i++) {
			assert_int_equal(walk_res(&f, good[i] ^ (1ULL << 62),
						  &w), PT_NOT_CANONICAL);
			assert_int_equal(walk_res(&f, good[i] ^ (1ULL << 60),
						  &w), PT_NOT_CANONICAL);
		}
		/* Reading up to the end of the lower half stops there. */
		uint8_t buf[32];
		uint64_t top_low = levels == 4 ? 0x00007ffffffffff0ULL
					       : 0x00fffffffffffff0ULL;
		assert_int_equal(kva_read(&f.as, top_low, buf, 32), 16);
		assert_memory_equal(buf, f.s.buf + 0x401ff0, 16);
		fx_close(&f);
	}
}

/* An entry pointing back at the root (a recursive mapping, or a corrupt
 * table): the walk still stops after `levels` steps. */
static void test_cyclic(void **state)
{
	(void)state;
	for (unsigned levels = 4; levels <= 5; levels++) {
		struct fx f;
		fx_open(&f, levels);
		synth_put64(&f.s, f.root + 8 * 511, f.root | PTE_P | PTE_RW);
		synth_put64(&f.s, f.root + 8 * 7, f.root | PTE_P);
		/* All indices 511: the root is its own leaf. */
		uint64_t va = 0xfffffffffffff123ULL;
		walk_ok(&f, va, f.root | 0x123, SYN_4K);
		/* Indices 511 then 7, 7, ...: the same. */
		uint64_t va7 = 0;
		for (unsigned l = 1; l < levels; l++)
			va7 |= 7ULL << (12 + 9 * (l - 1));
		va7 = canon(va7 | (511ULL << (12 + 9 * (levels - 1))),
			    levels == 5 ? 57 : 48);
		walk_ok(&f, va7 + 8, f.root + 8, SYN_4K);
		/* A cycle through a present PSE entry: root[3] is the root
		 * with PSE. Reached at level 3 (4 levels) it is a 1G leaf;
		 * at level 4 (5 levels) a bad entry. */
		synth_put64(&f.s, f.root + 8 * 3, f.root | PTE_P | PTE_PSE);
		unsigned top = 12 + 9 * (levels - 1);
		uint64_t va3 = canon((511ULL << top) | (3ULL << (top - 9)) |
				     0x1234567, levels == 5 ? 57 : 48);
		struct pt_walk w;
		if (levels == 4) {
			walk_ok(&f, va3, va3 & (SYN_1G - 1), SYN_1G);
		} else {
			assert_int_equal(walk_res(&f, va3, &w), PT_BAD_ENTRY);
			assert_int_equal(w.nr, 2);
		}
		/* Every VA: never more than `levels` steps. */
		uint64_t rng = 3;
		for (unsigned i = 0; i < 2000; i++) {
			uint64_t v = canon(synth_rand(&rng),
					   levels == 5 ? 57 : 48);
			walk_res(&f, v, &w);
			assert_true(w.nr >= 1 && w.nr <= levels);
		}
		uint8_t buf[64];
		assert_int_equal(kva_read(&f.as, va, buf, 16), 16);
		assert_memory_equal(buf, f.s.buf + f.root + 0x123, 16);
		fx_close(&f);
	}
}

/* Kernel image at 0xffffffff81000000 (2 MiB, physical 0x800000), direct
 * map at 0xffff888000000000 (8 MiB from physical 0x100000). The page
 * tables map both elsewhere, to tell a formula from a walk: the image is
 * translated by its formula, the direct map by walking (it has holes where
 * the firmware reserved RAM: its second 2 MiB here). */
#define IMG_VA 0xffffffff81000000ULL
#define IMG_PA 0x800000ULL
#define IMG_SIZE SYN_2M
#define DM_VA 0xffff888000000000ULL
#define DM_PA 0x100000ULL
#define DM_SIZE (8 * MiB)

static void fx_formulas(struct fx *f)
{
	f->as.image_start = IMG_VA;
	f->as.image_end = IMG_VA + IMG_SIZE;
	f->as.image_pa_delta = IMG_VA - IMG_PA;
	f->as.page_offset = DM_VA;
	f->as.direct_pa_base = DM_PA;
	f->as.direct_size = DM_SIZE;
	synth_map(&f->s, f->root, 4, IMG_VA, 0xc00000, SYN_2M);
	synth_map(&f->s, f->root, 4, IMG_VA + IMG_SIZE, 0xe00000, SYN_4K);
	synth_map(&f->s, f->root, 4, DM_VA, 0xa00000, SYN_2M);
	synth_map(&f->s, f->root, 4, DM_VA + DM_SIZE, 0xe01000, SYN_4K);
	synth_map(&f->s, f->root, 4, DM_VA - SYN_4K, 0xe02000, SYN_4K);
}

static void xlat(struct fx *f, uint64_t va, enum kva_how how, uint64_t pa,
		 uint64_t span)
{
	struct kva_xlat x;
	struct pt_walk w;
	memset(&x, 0xee, sizeof(x));
	if (kva_translate(&f->as, va, &x, &w) != PT_OK)
		fail_msg("kva_translate(%#llx) failed",
			 (unsigned long long)va);
	assert_int_equal(x.how, how);
	assert_int_equal(x.pa, pa);
	assert_int_equal(x.span, span);
	if (how != KVA_IMAGE) {
		assert_int_equal(w.result, PT_OK);
		assert_int_equal(w.pa, pa);
	}
	memset(&x, 0xee, sizeof(x));
	assert_int_equal(kva_translate(&f->as, va, &x, NULL), PT_OK);
	assert_int_equal(x.how, how);
	assert_int_equal(x.pa, pa);
}

static void test_translate_formulas(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, 4);
	fx_formulas(&f);
	/* Image: pa = va - image_pa_delta in [image_start, image_end). */
	xlat(&f, IMG_VA, KVA_IMAGE, IMG_PA, IMG_SIZE);
	xlat(&f, IMG_VA + 0x12345, KVA_IMAGE, IMG_PA + 0x12345,
	     IMG_SIZE - 0x12345);
	xlat(&f, IMG_VA + IMG_SIZE - 1, KVA_IMAGE, IMG_PA + IMG_SIZE - 1, 1);
	xlat(&f, IMG_VA + IMG_SIZE, KVA_WALK, 0xe00000, SYN_4K);
	xlat(&f, IMG_VA + IMG_SIZE + 0x10, KVA_WALK, 0xe00010, SYN_4K - 0x10);
	struct kva_xlat x;
	struct pt_walk w;
	assert_int_equal(kva_translate(&f.as, IMG_VA - 1, &x, &w),
			 PT_NOT_PRESENT);
	assert_int_equal(w.result, PT_NOT_PRESENT);
	/* Direct map: walked, and said to be the direct map inside
	 * [page_offset, page_offset + direct_size). */
	xlat(&f, DM_VA, KVA_DIRECT, 0xa00000, SYN_2M);
	xlat(&f, DM_VA + 0x12345, KVA_DIRECT, 0xa12345, SYN_2M - 0x12345);
	xlat(&f, DM_VA + SYN_2M - 1, KVA_DIRECT, 0xbfffff, 1);
	xlat(&f, DM_VA + DM_SIZE, KVA_WALK, 0xe01000, SYN_4K);
	xlat(&f, DM_VA - 1, KVA_WALK, 0xe02fff, 1);
	assert_true(kva_is_direct(&f.as, DM_VA));
	assert_true(kva_is_direct(&f.as, DM_VA + DM_SIZE - 1));
	assert_false(kva_is_direct(&f.as, DM_VA - 1));
	assert_false(kva_is_direct(&f.as, DM_VA + DM_SIZE));
	/* A hole in the direct map: not present, though the formula would
	 * land in guest RAM. */
	assert_int_equal(kva_translate(&f.as, DM_VA + SYN_2M + 0x10, &x, &w),
			 PT_NOT_PRESENT);
	assert_int_equal(w.result, PT_NOT_PRESENT);
	assert_int_equal(w.nr, 3);
	/* kva_walk ignores the image formula. */
	walk_ok(&f, IMG_VA + 0x1234, 0xc01234, SYN_2M);
	walk_ok(&f, DM_VA + 0x1234, 0xa01234, SYN_2M);
	/* And the reads follow the translations. */
	uint8_t buf[0x3000];
	assert_int_equal(kva_read(&f.as, IMG_VA + IMG_SIZE - 0x1000, buf,
				  0x2000), 0x2000);
	assert_memory_equal(buf, f.s.buf + IMG_PA + IMG_SIZE - 0x1000, 0x1000);
	assert_memory_equal(buf + 0x1000, f.s.buf + 0xe00000, 0x1000);
	assert_int_equal(kva_read(&f.as, DM_VA - 0x800, buf, 0x3000), 0x3000);
	assert_memory_equal(buf, f.s.buf + 0xe02800, 0x800);
	assert_memory_equal(buf + 0x800, f.s.buf + 0xa00000, 0x2800);
	assert_int_equal(kva_read(&f.as, DM_VA + SYN_2M - 0x10, buf, 0x20),
			 0x10);
	assert_memory_equal(buf, f.s.buf + 0xbffff0, 0x10);
	assert_int_equal(kva_read(&f.as, DM_VA + SYN_2M, buf, 1), 0);
	uint64_t v, want;
	assert_true(kva_read_u64(&f.as, DM_VA - 4, &v));
	memcpy(&want, f.s.buf + 0xe02ffc, 4);
	memcpy((uint8_t *)&want + 4, f.s.buf + 0xa00000, 4);
	assert_int_equal(v, want);
	fx_close(&f);
}

static void test_translate_unset_formulas(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, 4);
	/* All formula fields 0: everything is walked, VA 0 included. */
	synth_map(&f.s, f.root, 4, 0, 0x400000, SYN_4K);
	xlat(&f, 0, KVA_WALK, 0x400000, SYN_4K);
	/* A direct map ending at the top of the address space. */
	f.as.page_offset = 0xffffffffff800000ULL;
	f.as.direct_size = 0x800000;
	f.as.direct_pa_base = 0x200000;
	synth_map(&f.s, f.root, 4, 0xfffffffffffff000ULL, 0x9ff000, SYN_4K);
	synth_map(&f.s, f.root, 4, f.as.page_offset, 0x200000, SYN_4K);
	assert_true(kva_is_direct(&f.as, UINT64_MAX));
	xlat(&f, UINT64_MAX, KVA_DIRECT, 0x9fffff, 1);
	xlat(&f, f.as.page_offset, KVA_DIRECT, 0x200000, SYN_4K);
	uint8_t buf[16];
	assert_int_equal(kva_read(&f.as, UINT64_MAX - 7, buf, 16), 8);
	assert_memory_equal(buf, f.s.buf + 0x9ffff8, 8);
	fx_close(&f);
}

/* Four VA pages at VA4's page, mapped as given (0: not mapped). */
static uint64_t map_pages(struct fx *f, const uint64_t *pas, unsigned n)
{
	uint64_t va = VA4 & ~0xfffULL;
	for (unsigned i = 0; i < n; i++)
		if (pas[i])
			synth_map(&f->s, f->root, 4, va + i * SYN_4K, pas[i],
				  SYN_4K);
	return va;
}

static void test_read_contiguous(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, 4);
	static const uint64_t pas[] = { 0x400000, 0x401000, 0x402000,
					0x403000 };
	uint64_t va = map_pages(&f, pas, 4);
	static uint8_t buf[0x5000];
	assert_int_equal(kva_read(&f.as, va + 0x800, buf, 0x3000), 0x3000);
	assert_memory_equal(buf, f.s.buf + 0x400800, 0x3000);
	assert_int_equal(kva_read(&f.as, va, buf, 0x4000), 0x4000);
	assert_memory_equal(buf, f.s.buf + 0x400000, 0x4000);
	memset(buf, 0xa5, sizeof(buf));
	assert_int_equal(kva_read(&f.as, va + 0x10, buf, 0x5000), 0x3ff0);
	assert_memory_equal(buf, f.s.buf + 0x400010, 0x3ff0);
	assert_int_equal(buf[0x3ff0], 0xa5);
	uint64_t v, want;
	assert_true(kva_read_u64(&f.as, va + 0xffc, &v));
	memcpy(&want, f.s.buf + 0x400ffc, 8);
	assert_int_equal(v, want);
	assert_int_equal(kva_read(&f.as, va, buf, 0), 0);
	fx_close(&f);
}

static void test_read_noncontiguous(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, 4);
	static const uint64_t pas[] = { 0x500000, 0x403000, 0x700000,
					0x402000 };
	uint64_t va = map_pages(&f, pas, 4);
	static uint8_t buf[0x4000];
	assert_int_equal(kva_read(&f.as, va + 0x10, buf, 0x3fe0), 0x3fe0);
	assert_memory_equal(buf, f.s.buf + 0x500010, 0xff0);
	assert_memory_equal(buf + 0xff0, f.s.buf + 0x403000, 0x1000);
	assert_memory_equal(buf + 0x1ff0, f.s.buf + 0x700000, 0x1000);
	assert_memory_equal(buf + 0x2ff0, f.s.buf + 0x402000, 0xff0);
	/* Pages 1 and 3 are physically in the wrong order: 0x403000 is not
	 * followed by 0x404000 in VA. */
	uint64_t v, want;
	assert_true(kva_read_u64(&f.as, va + 0x1ffa, &v));
	memcpy(&want, f.s.buf + 0x403ffa, 6);
	memcpy((uint8_t *)&want + 6, f.s.buf + 0x700000, 2);
	assert_int_equal(v, want);
	fx_close(&f);
}

static void test_read_unmapped_middle(void **state)
{
	(void)state;
	static const uint64_t holes[] = { 0 /* not mapped */,
					  0x7ff000000ULL /* not RAM */,
					  RAM_SIZE };
	for (size_t h = 0; h < 3; h++) {
		struct fx f;
		fx_open(&f, 4);
		const uint64_t pas[] = { 0x400000, 0x401000, holes[h],
					 0x403000 };
		uint64_t va = map_pages(&f, pas, 4);
		static uint8_t buf[0x4000];
		memset(buf, 0xa5, sizeof(buf));
		assert_int_equal(kva_read(&f.as, va + 0x100, buf, 0x3f00),
				 0x1f00);
		assert_memory_equal(buf, f.s.buf + 0x400100, 0x1f00);
		for (size_t i = 0x1f00; i < sizeof(buf); i++)
			assert_int_equal(buf[i], 0xa5);
		assert_int_equal(kva_read(&f.as, va + 0x2000, buf, 1), 0);
		assert_int_equal(kva_read(&f.as, va + 0x3000, buf, 0x1000),
				 0x1000);
		uint64_t v = 7;
		assert_false(kva_read_u64(&f.as, va + 0x1ffc, &v));
		assert_int_equal(v, 7);
		fx_close(&f);
	}
}

/* Guest RAM in regions [0,4M)@0, [4M,8M)@10M (adjacent in GPA, not in the
 * source), a hole, [12M,14M)@8M. */
static void fx_open_split(struct fx *f)
{
	synth_open(&f->s, RAM_SIZE, true);
	synth_region(&f->s, 0, 4 * MiB, 0);
	synth_region(&f->s, 4 * MiB, 4 * MiB, 10 * MiB);
	synth_region(&f->s, 12 * MiB, 2 * MiB, 8 * MiB);
	synth_fill(&f->s, 77);
	synth_table_pool(&f->s, POOL_START, POOL_END);
	f->root = synth_new_table(&f->s);
	f->levels = 4;
	synth_as(&f->as, &f->s, f->root, 4);
}

static void test_read_region_boundary(void **state)
{
	(void)state;
	struct fx f;
	fx_open_split(&f);
	uint8_t *src = f.s.buf;
	static uint8_t buf[0x3000];
	/* Two 4K pages, contiguous in GPA across the region boundary. */
	static const uint64_t pas[] = { 4 * MiB - SYN_4K, 4 * MiB };
	uint64_t va = map_pages(&f, pas, 2);
	assert_int_equal(kva_read(&f.as, va + 0x10, buf, 0x1ff0), 0x1ff0);
	assert_memory_equal(buf, src + 4 * MiB - SYN_4K + 0x10, 0xff0);
	assert_memory_equal(buf + 0xff0, src + 10 * MiB, 0x1000);
	/* A 2M leaf ending at the boundary, then a 4K page after it. */
	uint64_t va2 = 0xffffc90040000000ULL;
	synth_map(&f.s, f.root, 4, va2, 2 * MiB, SYN_2M);
	synth_map(&f.s, f.root, 4, va2 + SYN_2M, 4 * MiB, SYN_4K);
	assert_int_equal(kva_read(&f.as, va2 + SYN_2M - 0x100, buf, 0x200),
			 0x200);
	assert_memory_equal(buf, src + 4 * MiB - 0x100, 0x100);
	assert_memory_equal(buf + 0x100, src + 10 * MiB, 0x100);
	/* The kernel image formula across the boundary, into the hole. */
	f.as.image_start = 0xffffffff81000000ULL;
	f.as.image_end = f.as.image_start + 8 * MiB;
	f.as.image_pa_delta = f.as.image_start - 1 * MiB;
	uint64_t iva = f.as.image_start + 3 * MiB - 0x800;
	assert_int_equal(kva_read(&f.as, iva, buf, 0x1000), 0x1000);
	assert_memory_equal(buf, src + 4 * MiB - 0x800, 0x800);
	assert_memory_equal(buf + 0x800, src + 10 * MiB, 0x800);
	iva = f.as.image_start + 7 * MiB - 0x800;
	assert_int_equal(kva_read(&f.as, iva, buf, 0x1000), 0x800);
	assert_memory_equal(buf, src + 14 * MiB - 0x800, 0x800);
	/* The direct map over the whole GPA space (2M leaves): stops at the
	 * hole, and resumes after it at the right offset. */
	f.as.page_offset = 0xffff888000000000ULL;
	f.as.direct_size = 16 * MiB;
	for (uint64_t a = 0; a < 16 * MiB; a += SYN_2M)
		synth_map(&f.s, f.root, 4, f.as.page_offset + a, a, SYN_2M);
	assert_int_equal(kva_read(&f.as, f.as.page_offset + 8 * MiB - 0x10,
				  buf, 0x20), 0x10);
	assert_memory_equal(buf, src + 14 * MiB - 0x10, 0x10);
	assert_int_equal(kva_read(&f.as, f.as.page_offset + 12 * MiB, buf,
				  0x20), 0x20);
	assert_memory_equal(buf, src + 8 * MiB, 0x20);
	assert_int_equal(kva_read(&f.as, f.as.page_offset + 14 * MiB - 8, buf,
				  0x20), 8);
	/* A write across the boundary lands in both places. */
	char err[ERR_LEN] = "";
	uint8_t data[0x20];
	memset(data, 0x3c, sizeof(data));
	assert_int_equal(kva_write(&f.as, va + 0xff0, data, 0x20, err), 0);
	assert_memory_equal(src + 4 * MiB - 0x10, data, 0x10);
	assert_memory_equal(src + 10 * MiB, data, 0x10);
	fx_close(&f);
}

static void test_write(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, 4);
	static const uint64_t pas[] = { 0x400000, 0x600000, 0, 0x7ff000000ULL };
	uint64_t va = map_pages(&f, pas, 4);
	uint8_t *copy = malloc(RAM_SIZE);
	assert_non_null(copy);
	static uint8_t data[0x3000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(0x80 + i);
	char err[ERR_LEN] = "";

	/* Across two non-contiguous pages. */
	assert_int_equal(kva_write(&f.as, va + 0xff0, data, 0x20, err), 0);
	assert_memory_equal(f.s.buf + 0x400ff0, data, 0x10);
	assert_memory_equal(f.s.buf + 0x600000, data + 0x10, 0x10);
	uint8_t back[0x20];
	assert_int_equal(kva_read(&f.as, va + 0xff0, back, 0x20), 0x20);
	assert_memory_equal(back, data, 0x20);

	memcpy(copy, f.s.buf, RAM_SIZE);
	/* Into an unmapped page: nothing written. */
	err[0] = 0;
	assert_int_equal(kva_write(&f.as, va + 0x1fe0, data, 0x40, err), -1);
	assert_non_null(strstr(err, "not mapped"));
	assert_memory_equal(copy, f.s.buf, RAM_SIZE);
	/* Into a page mapped outside guest RAM: nothing written. */
	assert_int_equal(kva_write(&f.as, va + 0x1000, data, 0x3000, err), -1);
	assert_int_equal(kva_write(&f.as, va + 0x3000, data, 1, err), -1);
	assert_memory_equal(copy, f.s.buf, RAM_SIZE);
	/* Past the top of the address space. */
	synth_map(&f.s, f.root, 4, 0xfffffffffffff000ULL, 0x500000, SYN_4K);
	memcpy(copy, f.s.buf, RAM_SIZE);
	assert_int_equal(kva_write(&f.as, UINT64_MAX - 7, data, 16, err), -1);
	assert_memory_equal(copy, f.s.buf, RAM_SIZE);
	assert_int_equal(kva_write(&f.as, UINT64_MAX - 7, data, 8, err), 0);
	assert_memory_equal(f.s.buf + 0x500ff8, data, 8);
	memcpy(copy, f.s.buf, RAM_SIZE);
	/* Not writable. */
	f.s.mem.writable = false;
	err[0] = 0;
	assert_int_equal(kva_write(&f.as, va, data, 8, err), -1);
	assert_non_null(strstr(err, "read-only"));
	assert_memory_equal(copy, f.s.buf, RAM_SIZE);
	free(copy);
	fx_close(&f);
}

static void test_wrap(void **state)
{
	(void)state;
	for (unsigned levels = 4; levels <= 5; levels++) {
		struct fx f;
		fx_open(&f, levels);
		synth_map(&f.s, f.root, levels, 0xfffffffffffff000ULL,
			  0x400000, SYN_4K);
		synth_map(&f.s, f.root, levels, 0, 0x401000, SYN_4K);
		xlat(&f, UINT64_MAX, KVA_WALK, 0x400fff, 1);
		uint8_t buf[16];
		memset(buf, 0xa5, sizeof(buf));
		assert_int_equal(kva_read(&f.as, UINT64_MAX - 7, buf, 16), 8);
		assert_memory_equal(buf, f.s.buf + 0x400ff8, 8);
		assert_int_equal(buf[8], 0xa5);
		assert_int_equal(kva_read(&f.as, UINT64_MAX, buf, 16), 1);
		uint64_t v;
		assert_false(kva_read_u64(&f.as, UINT64_MAX - 3, &v));
		assert_true(kva_read_u64(&f.as, UINT64_MAX - 7, &v));
		fx_close(&f);
	}
}

static void test_levels_not_set(void **state)
{
	(void)state;
	struct fx f;
	fx_open(&f, 4);
	synth_map(&f.s, f.root, 4, VA4, 0x400000, SYN_4K);
	f.as.levels = 0;
	struct pt_walk w;
	assert_int_equal(kva_walk(&f.as, VA4, &w), PT_BAD_ENTRY);
	assert_int_equal(w.nr, 0);
	fx_close(&f);
}

static void test_names(void **state)
{
	(void)state;
	struct kernel_as as4 = { .levels = 4 }, as5 = { .levels = 5 };
	assert_string_equal(arch_x86_64.name, "x86_64");
	assert_int_equal(arch_x86_64.elf_machine, EM_X86_64);
	assert_string_equal(arch_x86_64.level_name(&as4, 4), "PGD/PML4");
	assert_string_equal(arch_x86_64.level_name(&as4, 3), "PUD");
	assert_string_equal(arch_x86_64.level_name(&as4, 2), "PMD");
	assert_string_equal(arch_x86_64.level_name(&as4, 1), "PTE");
	assert_string_equal(arch_x86_64.level_name(&as5, 5), "PGD/PML5");
	assert_string_equal(arch_x86_64.level_name(&as5, 4), "P4D/PML4");
	assert_string_equal(arch_x86_64.level_name(&as5, 0), "?");
	assert_string_equal(arch_x86_64.level_name(&as5, 6), "?");
	assert_string_equal(arch_x86_64.level_name(&as5, 1000), "?");
	assert_string_equal(kva_how_name(KVA_IMAGE), "kernel image");
	assert_string_equal(kva_how_name(KVA_DIRECT), "direct map (walked)");
	assert_string_equal(kva_how_name(KVA_WALK), "page-table walk");
	assert_string_equal(kva_how_name((enum kva_how)42), "?");
}

/* ---- randomized: random page tables against a reference model ---- */

struct rmap {
	uint64_t va, size, pa;
};

struct rmodel {
	struct fx f;
	uint64_t base, seed, rng; /* the run's seed, the round's, the PRNG */
	unsigned bits;
	struct rmap *maps;
	unsigned nr_maps;
	uint64_t clusters[6];
};

/* The model's own view of guest RAM (not guest_mem_find). */
static const struct {
	uint64_t gpa, size, off;
} rregions[] = {
	{ 0, 8 * MiB, 0 },
	{ 8 * MiB, 4 * MiB, 16 * MiB },  /* adjacent in GPA, not in source */
	{ 16 * MiB, 4 * MiB, 12 * MiB }, /* after a hole at [12M, 16M) */
};
#define RSRC_SIZE (20 * MiB)
#define RPA_LIMIT (22 * MiB) /* leaves point up to here: holes and beyond */

#define RCHECK(m, cond, ...)                                                  \
	do {                                                                  \
		if (!(cond)) {                                                \
			print_error("random test failed: seed %#llx, %u "     \
				    "levels (rerun with LKSTUB_TEST_SEED="    \
				    "%#llx)\n",                               \
				    (unsigned long long)(m)->seed,            \
				    (m)->f.levels,                            \
				    (unsigned long long)(m)->base);           \
			fail_msg(__VA_ARGS__);                                \
		}                                                             \
	} while (0)

static uint64_t rnd(struct rmodel *m)
{
	return synth_rand(&m->rng);
}

static uint64_t rnd_below(struct rmodel *m, uint64_t n)
{
	return n ? rnd(m) % n : 0;
}

static bool model_gpa(uint64_t gpa, uint64_t *off)
{
	for (size_t i = 0; i < sizeof(rregions) / sizeof(rregions[0]); i++)
		if (gpa >= rregions[i].gpa &&
		    gpa - rregions[i].gpa < rregions[i].size) {
			*off = rregions[i].off + (gpa - rregions[i].gpa);
			return true;
		}
	return false;
}

static const struct rmap *model_lookup(const struct rmodel *m, uint64_t va)
{
	for (unsigned i = 0; i < m->nr_maps; i++)
		if (va >= m->maps[i].va && va - m->maps[i].va < m->maps[i].size)
			return &m->maps[i];
	return NULL;
}

static bool model_canonical(const struct rmodel *m, uint64_t va)
{
	return canon(va, m->bits) == va;
}

/* What kva_translate should say. */
static enum pt_result model_translate(const struct rmodel *m, uint64_t va,
				      struct kva_xlat *x)
{
	const struct kernel_as *as = &m->f.as;
	if (va >= as->image_start && va < as->image_end) {
		*x = (struct kva_xlat){ va - as->image_pa_delta,
					as->image_end - va, KVA_IMAGE };
		return PT_OK;
	}
	/* The direct map is walked like the rest, only named apart. */
	if (!model_canonical(m, va))
		return PT_NOT_CANONICAL;
	const struct rmap *r = model_lookup(m, va);
	if (!r)
		return PT_NOT_PRESENT;
	bool direct = va >= as->page_offset &&
		      va < as->page_offset + as->direct_size;
	*x = (struct kva_xlat){ r->pa + (va - r->va), r->va + r->size - va,
				direct ? KVA_DIRECT : KVA_WALK };
	/* While the image formula applies, a walked run stops where the
	 * image window starts. */
	if (va < as->image_start && x->span > as->image_start - va)
		x->span = as->image_start - va;
	return PT_OK;
}

static bool overlaps(const struct rmodel *m, uint64_t va, uint64_t size)
{
	for (unsigned i = 0; i < m->nr_maps; i++) {
		const struct rmap *r = &m->maps[i];
		if (va < r->va + r->size && r->va < va + size)
			return true;
	}
	return false;
}

static uint64_t rnd_flags(struct rmodel *m, bool leaf)
{
	uint64_t f = 0, r = rnd(m);
	if (r & 1)
		f |= PTE_RW;
	if (r & 2)
		f |= PTE_US;
	if (r & 4)
		f |= PTE_A;
	if (r & 8)
		f |= PTE_NX;
	if (r & 16)
		f |= (rnd(m) & PTE_SW_HIGH);
	if (r & 32)
		f |= (rnd(m) & PTE_SW_LOW);
	if (leaf) {
		if (r & 64)
			f |= PTE_D | PTE_G;
		if (r & 128)
			f |= (rnd(m) & PTE_PKEY_MASK);
	}
	return f;
}

static void model_build(struct rmodel *m, unsigned levels, unsigned target)
{
	struct fx *f = &m->f;
	synth_open(&f->s, RSRC_SIZE, true);
	for (size_t i = 0; i < sizeof(rregions) / sizeof(rregions[0]); i++)
		synth_region(&f->s, rregions[i].gpa, rregions[i].size,
			     rregions[i].off);
	synth_fill(&f->s, rnd(m));
	synth_table_pool(&f->s, 0, 6 * MiB);
	f->root = synth_new_table(&f->s);
	f->levels = levels;
	synth_as(&f->as, &f->s, f->root, levels);
	m->bits = levels == 5 ? 57 : 48;

	/* The image formula and the direct map's range, with the page
	 * tables also mapping in and around them. */
	f->as.image_start = 0xffffffff81000000ULL;
	f->as.image_end = f->as.image_start + 6 * MiB;
	f->as.image_pa_delta = f->as.image_start - 1 * MiB;
	f->as.page_offset = levels == 5 ? 0xff11000000000000ULL
					: 0xffff888000000000ULL;
	f->as.direct_pa_base = rnd_below(m, 3) * SYN_4K;
	f->as.direct_size = RSRC_SIZE + 2 * MiB;

	m->clusters[0] = f->as.image_start & ~(SYN_1G - 1);
	m->clusters[1] = f->as.page_offset;
	m->clusters[2] = canon(0, m->bits);
	for (unsigned i = 3; i < 6; i++)
		m->clusters[i] = canon(rnd(m), m->bits) & ~(SYN_1G - 1);

	m->maps = calloc(target, sizeof(*m->maps));
	assert_non_null(m->maps);
	struct rmap prev = { 0, 0, 0 };
	for (unsigned tries = 0; m->nr_maps < target && tries < target * 4;
	     tries++) {
		uint64_t size, pa, va, r = rnd_below(m, 100);
		size = r < 75 ? SYN_4K : r < 96 ? SYN_2M : SYN_1G;
		if (prev.size && rnd_below(m, 100) < 40) {
			/* Continue the previous mapping in VA, physically
			 * contiguous or not. */
			size = prev.size;
			va = prev.va + prev.size;
			pa = rnd_below(m, 2) ? prev.pa + prev.size
					     : rnd_below(m, RPA_LIMIT);
		} else {
			uint64_t c = m->clusters[rnd_below(m, 6)];
			va = c + rnd_below(m, 8 * SYN_1G);
			pa = rnd_below(m, 10) ? rnd_below(m, RPA_LIMIT)
					      : rnd(m) & 0x00003fffffffffffULL;
		}
		va &= ~(size - 1);
		pa &= ~(size - 1);
		if (!model_canonical(m, va) || !model_canonical(m, va + size - 1)
		    || va + size < va || overlaps(m, va, size)) {
			prev.size = 0;
			continue;
		}
		if (f->s.table_end - f->s.next_table < 8 * SYN_4K)
			break;
		synth_map_flags(&f->s, f->root, levels, va, pa, size,
				rnd_flags(m, false),
				rnd_flags(m, true) |
					(size > SYN_4K && rnd_below(m, 2)
						 ? PTE_PAT_LARGE
						 : 0) |
					(size == SYN_4K && rnd_below(m, 2)
						 ? PTE_PSE /* PAT */
						 : 0));
		prev = (struct rmap){ va, size, pa };
		m->maps[m->nr_maps++] = prev;
	}
	/* Junk in not-present entries of the tables built. */
	for (uint64_t t = 0; t < f->s.next_table; t += SYN_4K)
		for (unsigned i = 0; i < 32; i++) {
			uint64_t epa = t + 8 * rnd_below(m, 512);
			if (!synth_get64(&f->s, epa))
				synth_put64(&f->s, epa, rnd(m) & ~PTE_P);
		}
}

/* A VA to look at: in or at the edges of a mapping, near a cluster or a
 * formula's edges, or anywhere. */
static uint64_t model_pick_va(struct rmodel *m)
{
	uint64_t r = rnd_below(m, 100);
	const struct kernel_as *as = &m->f.as;
	if (r < 50 && m->nr_maps) {
		const struct rmap *p = &m->maps[rnd_below(m, m->nr_maps)];
		switch (rnd_below(m, 5)) {
		case 0: return p->va;
		case 1: return p->va + p->size - 1 - rnd_below(m, 16);
		case 2: return p->va + p->size + rnd_below(m, 16);
		case 3: return p->va - 1 - rnd_below(m, 16);
		default: return p->va + rnd_below(m, p->size);
		}
	}
	if (r < 75)
		return m->clusters[rnd_below(m, 6)] + rnd_below(m, 8 * SYN_1G);
	if (r < 85) {
		static const int d[] = { -2, -1, 0, 1 };
		uint64_t edges[] = { as->image_start, as->image_end,
				     as->page_offset,
				     as->page_offset + as->direct_size };
		return edges[rnd_below(m, 4)] + (uint64_t)d[rnd_below(m, 4)] *
			       (rnd_below(m, 2) ? 1 : SYN_4K);
	}
	if (r < 92)
		return canon(rnd(m), m->bits);
	return rnd(m);
}

static void model_check_translate(struct rmodel *m, uint64_t va)
{
	struct fx *f = &m->f;
	struct kva_xlat want = { 0, 0, KVA_WALK }, got;
	struct pt_walk w;
	enum pt_result wr = model_translate(m, va, &want);
	memset(&got, 0, sizeof(got));
	enum pt_result gr = kva_translate(&f->as, va, &got, &w);
	RCHECK(m, gr == wr, "kva_translate(%#llx): result %d, want %d",
	       (unsigned long long)va, gr, wr);
	if (wr == PT_OK)
		RCHECK(m, got.pa == want.pa && got.span == want.span &&
			       got.how == want.how,
		       "kva_translate(%#llx): pa %#llx span %#llx how %d, "
		       "want pa %#llx span %#llx how %d",
		       (unsigned long long)va, (unsigned long long)got.pa,
		       (unsigned long long)got.span, got.how,
		       (unsigned long long)want.pa,
		       (unsigned long long)want.span, want.how);

	/* kva_walk: the page tables only. */
	const struct rmap *r = model_canonical(m, va) ? model_lookup(m, va)
						      : NULL;
	enum pt_result want_w = !model_canonical(m, va) ? PT_NOT_CANONICAL
				: r ? PT_OK : PT_NOT_PRESENT;
	memset(&w, 0x5a, sizeof(w));
	gr = kva_walk(&f->as, va, &w);
	RCHECK(m, gr == want_w && w.result == gr,
	       "kva_walk(%#llx): result %d, want %d", (unsigned long long)va,
	       gr, want_w);
	if (want_w == PT_NOT_CANONICAL) {
		RCHECK(m, w.nr == 0, "kva_walk(%#llx): %u steps",
		       (unsigned long long)va, w.nr);
		return;
	}
	unsigned want_nr = 0;
	if (r)
		want_nr = f->levels - (r->size == SYN_1G ? 3
				       : r->size == SYN_2M ? 2 : 1) + 1;
	RCHECK(m, w.nr >= 1 && w.nr <= f->levels && (!r || w.nr == want_nr),
	       "kva_walk(%#llx): %u steps, want %u", (unsigned long long)va,
	       w.nr, want_nr);
	uint64_t table = f->root;
	for (unsigned i = 0; i < w.nr; i++) {
		const struct pt_step *st = &w.step[i];
		unsigned level = f->levels - i;
		uint64_t off = 0, e = 0;
		RCHECK(m, model_gpa(table + 8 * synth_index(va, level), &off),
		       "table %#llx outside RAM", (unsigned long long)table);
		memcpy(&e, f->s.buf + off, 8);
		RCHECK(m, st->level == (int)level && st->table_pa == table &&
			       st->index == synth_index(va, level) &&
			       st->entry_pa == table + 8 * st->index &&
			       st->read_ok && st->entry == e,
		       "kva_walk(%#llx): step %u: level %u table %#llx index "
		       "%u entry_pa %#llx entry %#llx ok %d; want level %u "
		       "table %#llx entry %#llx",
		       (unsigned long long)va, i, st->level,
		       (unsigned long long)st->table_pa, st->index,
		       (unsigned long long)st->entry_pa,
		       (unsigned long long)st->entry, st->read_ok, level,
		       (unsigned long long)table, (unsigned long long)e);
		table = e & PTE_ADDR_MASK;
	}
	if (r) {
		RCHECK(m, w.pa == r->pa + (va - r->va) &&
			       w.page_size == r->size,
		       "kva_walk(%#llx): pa %#llx size %#llx, want %#llx "
		       "size %#llx", (unsigned long long)va,
		       (unsigned long long)w.pa,
		       (unsigned long long)w.page_size,
		       (unsigned long long)(r->pa + (va - r->va)),
		       (unsigned long long)r->size);
	} else {
		RCHECK(m, !(w.step[w.nr - 1].entry & PTE_P),
		       "kva_walk(%#llx): stopped at a present entry",
		       (unsigned long long)va);
	}
}

/* Byte by byte, through the model. */
static size_t model_read(const struct rmodel *m, uint64_t va, uint8_t *buf,
			 size_t len)
{
	size_t i = 0;
	while (i < len) {
		uint64_t cur = va + i;
		if (cur < va)
			break;
		struct kva_xlat x;
		if (model_translate(m, cur, &x) != PT_OK)
			break;
		for (uint64_t k = 0; k < x.span && i < len; k++, i++) {
			uint64_t off;
			if (!model_gpa(x.pa + k, &off))
				return i;
			buf[i] = m->f.s.buf[off];
		}
	}
	return i;
}

static void model_check_read(struct rmodel *m, uint64_t va, size_t len,
			     uint8_t *got, uint8_t *want)
{
	memset(got, 0xa5, len + 1);
	size_t wn = model_read(m, va, want, len);
	size_t gn = kva_read(&m->f.as, va, got, len);
	RCHECK(m, gn == wn, "kva_read(%#llx, %zu): %zu bytes, want %zu",
	       (unsigned long long)va, len, gn, wn);
	for (size_t i = 0; i < wn; i++)
		RCHECK(m, got[i] == want[i],
		       "kva_read(%#llx, %zu): byte %zu is %#x, want %#x",
		       (unsigned long long)va, len, i, got[i], want[i]);
	RCHECK(m, got[wn] == 0xa5, "kva_read(%#llx, %zu) wrote past %zu",
	       (unsigned long long)va, len, wn);
}

static void test_random(void **state)
{
	(void)state;
	uint64_t base = test_seed();
	print_message("random page tables: seed %#llx "
		      "(LKSTUB_TEST_SEED=N or random to change)\n",
		      (unsigned long long)base);
	enum { MAX_READ = 40000 };
	uint8_t *got = malloc(MAX_READ + 1), *want = malloc(MAX_READ + 1);
	assert_non_null(got);
	assert_non_null(want);
	for (unsigned round = 0; round < 6; round++) {
		struct rmodel m;
		memset(&m, 0, sizeof(m));
		m.base = base;
		m.seed = base + round;
		m.rng = m.seed;
		model_build(&m, round % 2 ? 5 : 4, 300);
		RCHECK(&m, m.nr_maps >= 50, "only %u mappings", m.nr_maps);
		for (unsigned i = 0; i < 4000; i++)
			model_check_translate(&m, model_pick_va(&m));
		for (unsigned i = 0; i < 600; i++) {
			uint64_t va = model_pick_va(&m);
			size_t len = rnd_below(&m, 4) ? 1 + rnd_below(&m, 9000)
						      : 1 + rnd_below(&m,
								     MAX_READ);
			if (rnd_below(&m, 3) == 0)
				va -= rnd_below(&m, 2 * SYN_4K);
			model_check_read(&m, va, len, got, want);
		}
		free(m.maps);
		fx_close(&m.f);
	}
	free(got);
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_4k),
		cmocka_unit_test(test_walk_large),
		cmocka_unit_test(test_large_leaf_pat),
		cmocka_unit_test(test_attr_bits_masked),
		cmocka_unit_test(test_not_present_each_level),
		cmocka_unit_test(test_pse_high_levels),
		cmocka_unit_test(test_table_outside_ram),
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_cyclic),
		cmocka_unit_test(test_translate_formulas),
		cmocka_unit_test(test_translate_unset_formulas),
		cmocka_unit_test(test_read_contiguous),
		cmocka_unit_test(test_read_noncontiguous),
		cmocka_unit_test(test_read_unmapped_middle),
		cmocka_unit_test(test_read_region_boundary),
		cmocka_unit_test(test_write),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_levels_not_set),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
