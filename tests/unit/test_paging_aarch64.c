/* Unit tests for translate/arch_aarch64.c (and paging.c through it): the
 * TTBR1_EL1 walker over synthetic aarch64 stage-1 tables, for every granule
 * and VA width an arm64 kernel can run with, blocks, 52-bit output
 * addresses (LPA with 64K pages, LPA2 with 4K/16K), the TCR_EL1 decoding,
 * and a randomized comparison against a reference model. */
#include <malloc.h>
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

/* ---- descriptors ---- */

#define D_VALID (1ULL << 0)
#define D_TABLE (1ULL << 1)     /* table (L<3) or page (L3) */
#define D_AF    (1ULL << 10)
#define D_NG    (1ULL << 11)
#define D_SH_IS (3ULL << 8)     /* SH, when not LPA2 */
#define D_AP    (3ULL << 6)
#define D_NS    (1ULL << 5)
#define D_ATTR  (7ULL << 2)
#define D_NT    (1ULL << 16)    /* blocks only (FEAT_BBM) */
#define D_GP    (1ULL << 50)
#define D_DBM   (1ULL << 51)
#define D_CONT  (1ULL << 52)
#define D_PXN   (1ULL << 53)
#define D_UXN   (1ULL << 54)
#define D_SW    (0xfULL << 55)
#define D_PBHA  (0xfULL << 59)
#define D_BIT63 (1ULL << 63)
/* Table descriptors: PXNTable 59, UXNTable 60, APTable 62:61, NSTable 63;
 * 58:51 and 11:2 (but 9:8 with LPA2) ignored. */
#define T_HIGH  (0x1fffULL << 51)
#define T_LOW   ((0xfULL << 2) | (3ULL << 10))

/* One TTBR1 configuration and what the architecture says about it. */
struct cfg {
	unsigned shift, va_bits;
	bool pa52;
	unsigned levels;    /* expected */
	int start;          /* expected first level */
	unsigned top_width; /* expected index bits of the first level */
};

static const struct cfg cfgs[] = {
	{ 12, 39, false, 3, 1, 9 },   /* 4K, 39-bit: L1-L3 */
	{ 12, 48, false, 4, 0, 9 },   /* 4K, 48-bit: L0-L3 */
	{ 12, 48, true, 4, 0, 9 },    /* 4K, 48-bit VA, LPA2 (52-bit PA) */
	{ 12, 52, true, 5, -1, 4 },   /* 4K, 52-bit LPA2: L-1..L3 */
	{ 14, 36, false, 2, 2, 11 },  /* 16K, 36-bit: L2-L3 */
	{ 14, 47, false, 3, 1, 11 },  /* 16K, 47-bit: L1-L3 */
	{ 14, 47, true, 3, 1, 11 },   /* 16K, 47-bit, LPA2 */
	{ 14, 48, false, 4, 0, 1 },   /* 16K, 48-bit: L0 with 2 entries */
	{ 14, 52, true, 4, 0, 5 },    /* 16K, 52-bit LPA2 */
	{ 16, 42, false, 2, 2, 13 },  /* 64K, 42-bit: L2-L3 */
	{ 16, 42, true, 2, 2, 13 },   /* 64K, 42-bit, LPA */
	{ 16, 48, false, 3, 1, 6 },   /* 64K, 48-bit: L1-L3 */
	{ 16, 48, true, 3, 1, 6 },
	{ 16, 52, false, 3, 1, 10 },  /* 64K, 52-bit VA (LVA), 48-bit PA */
	{ 16, 52, true, 3, 1, 10 },   /* 64K, 52-bit VA and PA (LVA+LPA) */
};
#define NR_CFGS (sizeof(cfgs) / sizeof(cfgs[0]))

/* Block sizes the architecture allows (Arm ARM D8.3), written out. */
static const struct {
	unsigned shift;
	int level;
	bool needs_pa52;
	uint64_t size;
} blocks[] = {
	{ 12, 0, true, 1ULL << 39 },  /* 512G, LPA2 only */
	{ 12, 1, false, 1ULL << 30 }, /* 1G */
	{ 12, 2, false, 1ULL << 21 }, /* 2M */
	{ 14, 1, true, 1ULL << 36 },  /* 64G, LPA2 only */
	{ 14, 2, false, 1ULL << 25 }, /* 32M */
	{ 16, 1, true, 1ULL << 42 },  /* 4T, LPA only */
	{ 16, 2, false, 1ULL << 29 }, /* 512M */
};

static const char *cfg_name(const struct cfg *c)
{
	static char buf[64];
	snprintf(buf, sizeof(buf), "%uK/%u%s", 1u << (c->shift - 10),
		 c->va_bits, c->pa52 ? (c->shift == 16 ? " LPA" : " LPA2")
				     : "");
	return buf;
}

static bool lpa2(const struct cfg *c)
{
	return c->pa52 && c->shift != 16;
}

static uint64_t gran(const struct cfg *c)
{
	return 1ULL << c->shift;
}

/* Lowest bit of the VA a level resolves: each level takes shift-3 bits. */
static unsigned lsb_of(const struct cfg *c, int level)
{
	return c->shift + (unsigned)(3 - level) * (c->shift - 3);
}

static unsigned width_of(const struct cfg *c, int level)
{
	return level == c->start ? c->top_width : c->shift - 3;
}

static uint64_t level_size(const struct cfg *c, int level)
{
	return 1ULL << lsb_of(c, level);
}

static unsigned index_of(const struct cfg *c, uint64_t va, int level)
{
	return (unsigned)((va >> lsb_of(c, level)) &
			  ((1ULL << width_of(c, level)) - 1));
}

/* May a leaf sit at level? (page at 3, blocks per the table above) */
static bool leaf_ok(const struct cfg *c, int level)
{
	if (level == 3)
		return true;
	for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++)
		if (blocks[i].shift == c->shift && blocks[i].level == level)
			return !blocks[i].needs_pa52 || c->pa52;
	return false;
}

static uint64_t pa_limit(const struct cfg *c)
{
	return c->pa52 ? 1ULL << 52 : 1ULL << 48;
}

/* Output address -> descriptor address field. */
static uint64_t enc(const struct cfg *c, uint64_t pa)
{
	assert_int_equal(pa & (gran(c) - 1), 0);
	assert_true(pa < pa_limit(c));
	if (lpa2(c)) /* PA[49:shift] in place, PA[51:50] in bits 9:8 */
		return (pa & 0x0003fffffffff000ULL) | ((pa >> 50) & 3) << 8;
	if (c->pa52) /* 64K LPA: PA[47:16] in place, PA[51:48] in 15:12 */
		return (pa & 0x0000ffffffff0000ULL) | ((pa >> 48) & 0xf) << 12;
	return pa;
}

/* Descriptor -> output address, aligned to size (the reference). */
static uint64_t dec(const struct cfg *c, uint64_t e, uint64_t size)
{
	uint64_t a;
	if (lpa2(c))
		a = (e & 0x0003fffffffff000ULL) | ((e >> 8) & 3) << 50;
	else if (c->pa52)
		a = (e & 0x0000ffffffff0000ULL) | ((e >> 12) & 0xf) << 48;
	else
		a = e & 0x0000fffffffff000ULL;
	return a & ~(size - 1);
}

/* Attribute bits that are legal and never address bits. */
static uint64_t leaf_attrs(const struct cfg *c, bool block)
{
	uint64_t a = D_ATTR | D_NS | D_AP | D_AF | D_NG | D_GP | D_DBM |
		     D_CONT | D_PXN | D_UXN | D_SW | D_PBHA | D_BIT63;
	if (!lpa2(c))
		a |= D_SH_IS;
	if (block)
		a |= D_NT;
	return a;
}

static uint64_t table_attrs(const struct cfg *c)
{
	return T_HIGH | T_LOW | (lpa2(c) ? 0 : D_SH_IS);
}

/* ---- guest memory layout ---- */

/* High guest-physical regions (52-bit PAs), backed by the same buffer. */
#define HI_A 0x000f000000000000ULL /* PA[51:48] all set */
#define HI_B 0x0001000000000000ULL /* 2^48 */
#define HI_C 0x000a000000000000ULL /* PA 51 and 49 */
#define LOW_SIZE (8 * MiB) /* pages at 4M.., tables below */
#define HI_SIZE (2 * MiB)
#define OFF_A (LOW_SIZE)
#define OFF_B (LOW_SIZE + HI_SIZE)
#define OFF_C (LOW_SIZE + 2 * HI_SIZE)
#define SRC_SIZE (LOW_SIZE + 3 * HI_SIZE)

struct fx {
	struct synth s;
	const struct cfg *c;
	uint64_t pool_next[2], pool_end[2];
	int pool; /* where new tables go: 0 low, 1 high */
	uint64_t root;
	struct kernel_as as;
};

static uint64_t tbl_new(struct fx *f)
{
	int p = f->pool;
	uint64_t g = gran(f->c);
	uint64_t pa = (f->pool_next[p] + g - 1) & ~(g - 1);
	assert_true(pa + g <= f->pool_end[p]);
	f->pool_next[p] = pa + g;
	memset(synth_ptr(&f->s, pa, g), 0, g);
	return pa;
}

static void fx_as(struct fx *f)
{
	char err[ERR_LEN] = "";
	memset(&f->as, 0, sizeof(f->as));
	f->as.mem = &f->s.mem;
	f->as.arch = &arch_aarch64;
	f->as.root_pa = f->root;
	if (aarch64_paging_setup(&f->as, f->c->va_bits, f->c->shift,
				 f->c->pa52, err))
		fail_msg("%s: setup: %s", cfg_name(f->c), err);
}

/* The standard layout: low RAM at 0, and three 2 MiB regions high up. */
static void fx_open(struct fx *f, const struct cfg *c)
{
	memset(f, 0, sizeof(*f));
	f->c = c;
	synth_open(&f->s, SRC_SIZE, true);
	synth_region(&f->s, 0, LOW_SIZE, 0);
	synth_region(&f->s, HI_A, HI_SIZE, OFF_A);
	synth_region(&f->s, HI_B, HI_SIZE, OFF_B);
	synth_region(&f->s, HI_C, HI_SIZE, OFF_C);
	synth_fill(&f->s, 0xa64 + c->shift * 100 + c->va_bits);
	f->pool_next[0] = 1 * MiB;
	f->pool_end[0] = 4 * MiB;
	f->pool_next[1] = HI_A;
	f->pool_end[1] = HI_A + HI_SIZE;
	f->root = tbl_new(f);
	fx_as(f);
}

static void fx_close(struct fx *f)
{
	synth_close(&f->s);
}

static uint64_t lowest_va(const struct cfg *c)
{
	return ~0ULL << c->va_bits;
}

/* Tables down to level `to` for va; GPA of va's entry at level `to`. */
static uint64_t path_to(struct fx *f, uint64_t va, int to)
{
	const struct cfg *c = f->c;
	uint64_t table = f->root;
	for (int l = c->start; l < to; l++) {
		uint64_t epa = table + 8ULL * index_of(c, va, l);
		uint64_t e = synth_get64(&f->s, epa);
		if (!(e & D_VALID)) {
			uint64_t t = tbl_new(f);
			e = enc(c, t) | D_VALID | D_TABLE;
			synth_put64(&f->s, epa, e);
		}
		assert_true(e & D_TABLE);
		table = dec(c, e, gran(c));
	}
	return table + 8ULL * index_of(c, va, to);
}

/* Entry GPA for va at level (tables must exist). */
static uint64_t entry_at(struct fx *f, uint64_t va, int level)
{
	const struct cfg *c = f->c;
	uint64_t table = f->root;
	for (int l = c->start; l < level; l++) {
		uint64_t e = synth_get64(&f->s, table + 8ULL *
						 index_of(c, va, l));
		assert_true((e & 3) == 3);
		table = dec(c, e, gran(c));
	}
	return table + 8ULL * index_of(c, va, level);
}

/* Map va -> pa with a leaf at level; returns the leaf's GPA. */
static uint64_t map_at(struct fx *f, uint64_t va, uint64_t pa, int level,
		       uint64_t attrs)
{
	uint64_t size = level_size(f->c, level);
	assert_int_equal(va & (size - 1), 0);
	assert_int_equal(pa & (size - 1), 0);
	uint64_t epa = path_to(f, va, level);
	assert_false(synth_get64(&f->s, epa) & D_VALID);
	synth_put64(&f->s, epa, enc(f->c, pa) | D_VALID |
				(level == 3 ? D_TABLE : 0) | attrs);
	return epa;
}

static uint64_t map_page(struct fx *f, uint64_t va, uint64_t pa)
{
	return map_at(f, va, pa, 3, D_AF);
}

/* The steps of w (a walk of va) against the tables, up to its nr. */
static void check_steps(struct fx *f, const struct pt_walk *w, uint64_t va)
{
	const struct cfg *c = f->c;
	uint64_t table = f->root;
	assert_true(w->nr >= 1 && w->nr <= c->levels);
	for (unsigned i = 0; i < w->nr; i++) {
		const struct pt_step *st = &w->step[i];
		int level = c->start + (int)i;
		if (st->level != level || st->table_pa != table ||
		    st->index != index_of(c, va, level))
			fail_msg("%s: walk %#llx step %u: level %d table %#llx "
				 "index %u, want level %d table %#llx index "
				 "%u", cfg_name(c), (unsigned long long)va, i,
				 st->level, (unsigned long long)st->table_pa,
				 st->index, level, (unsigned long long)table,
				 index_of(c, va, level));
		assert_int_equal(st->entry_pa, table + 8ULL * st->index);
		assert_true(st->read_ok);
		assert_int_equal(st->entry, synth_get64(&f->s, st->entry_pa));
		table = dec(c, st->entry, gran(c));
	}
}

static enum pt_result walk_res(struct fx *f, uint64_t va, struct pt_walk *w)
{
	memset(w, 0x5a, sizeof(*w));
	enum pt_result r = kva_walk(&f->as, va, w);
	assert_int_equal(r, w->result);
	return r;
}

/* va translates to pa through a leaf at level. */
static void walk_ok(struct fx *f, uint64_t va, uint64_t pa, int level)
{
	const struct cfg *c = f->c;
	struct pt_walk w;
	if (walk_res(f, va, &w) != PT_OK || w.pa != pa)
		fail_msg("%s: walk %#llx: result %d pa %#llx, want PT_OK pa "
			 "%#llx", cfg_name(c), (unsigned long long)va,
			 w.result, (unsigned long long)w.pa,
			 (unsigned long long)pa);
	uint64_t size = level_size(c, level);
	assert_int_equal(w.page_size, size);
	assert_int_equal(w.nr, (unsigned)(level - c->start + 1));
	check_steps(f, &w, va);
	struct kva_xlat x;
	memset(&x, 0, sizeof(x));
	assert_int_equal(kva_translate(&f->as, va, &x, NULL), PT_OK);
	assert_int_equal(x.pa, pa);
	assert_int_equal(x.span, size - (va & (size - 1)));
	assert_int_equal(x.how, KVA_WALK);
}

/* va's walk stops with result after reaching level (inclusive). */
static void walk_fails(struct fx *f, uint64_t va, enum pt_result want,
		       int level)
{
	const struct cfg *c = f->c;
	struct pt_walk w;
	if (walk_res(f, va, &w) != want ||
	    w.nr != (unsigned)(level - c->start + 1))
		fail_msg("%s: walk %#llx: result %d after %u steps, want %d "
			 "after %d", cfg_name(c), (unsigned long long)va,
			 w.result, w.nr, want, level - c->start + 1);
	check_steps(f, &w, va);
	struct kva_xlat x;
	assert_int_equal(kva_translate(&f->as, va, &x, NULL), want);
	uint8_t b;
	assert_int_equal(kva_read(&f->as, va, &b, 1), 0);
}

/* A VA with chosen indices: idx[i] for level start+i. */
static uint64_t va_from(const struct cfg *c, const unsigned *idx,
			uint64_t off)
{
	uint64_t va = lowest_va(c) | off;
	for (int l = c->start; l <= 3; l++)
		va |= (uint64_t)idx[l - c->start] << lsb_of(c, l);
	return va;
}

/* Non-trivial indices (all bits used where possible) for each level. */
static uint64_t mid_va(const struct cfg *c, unsigned *idx)
{
	unsigned tmp[PT_MAX_LEVELS];
	if (!idx)
		idx = tmp;
	for (int l = c->start; l <= 3; l++) {
		unsigned w = width_of(c, l);
		idx[l - c->start] = (0x15a5u + 0x2b3u * (unsigned)(l + 2)) &
				    ((1u << w) - 1);
		if (w == 1)
			idx[l - c->start] = 1;
	}
	return va_from(c, idx, 0);
}

/* ---- geometry ---- */

static void test_geometry(void **state)
{
	(void)state;
	for (size_t ci = 0; ci < NR_CFGS; ci++) {
		const struct cfg *c = &cfgs[ci];
		struct fx f;
		fx_open(&f, c);
		/* What setup derived. */
		if (f.as.levels != c->levels)
			fail_msg("%s: %u levels, want %u", cfg_name(c),
				 f.as.levels, c->levels);
		assert_int_equal(f.as.va_bits, c->va_bits);
		assert_int_equal(f.as.page_shift, c->shift);
		assert_int_equal(f.as.pa52, c->pa52);
		assert_int_equal(c->start, 4 - (int)c->levels);
		/* The table above agrees with va_bits - lsb. */
		assert_int_equal(c->top_width,
				 c->va_bits - lsb_of(c, c->start));
		assert_true(c->top_width >= 1 && c->top_width <= c->shift - 3);

		uint64_t g = gran(c);
		uint64_t lo = lowest_va(c), hi = ~0ULL & ~(g - 1);
		/* Chosen indices first, alone in the tables. */
		unsigned idx[PT_MAX_LEVELS];
		uint64_t mid = mid_va(c, idx);
		map_page(&f, mid, 0x700000);
		walk_ok(&f, mid + 0x123, 0x700123, 3);
		struct pt_walk w;
		walk_res(&f, mid + 0x123, &w);
		for (unsigned i = 0; i < w.nr; i++) {
			assert_int_equal(w.step[i].level, c->start + (int)i);
			assert_int_equal(w.step[i].index, idx[i]);
		}
		/* Each level's index is its own: flip one index bit per
		 * level and the walk goes astray exactly there. */
		for (int l = c->start; l <= 3; l++) {
			uint64_t va = mid ^ (1ULL << lsb_of(c, l));
			walk_fails(&f, va, PT_NOT_PRESENT, l);
			walk_res(&f, va, &w);
			assert_int_equal(w.step[l - c->start].index,
					 idx[l - c->start] ^ 1);
			/* The top bit of the level's field. */
			unsigned top = lsb_of(c, l) + width_of(c, l) - 1;
			va = mid ^ (1ULL << top);
			walk_fails(&f, va, PT_NOT_PRESENT, l);
			walk_res(&f, va, &w);
			assert_int_equal(w.step[l - c->start].index,
					 idx[l - c->start] ^
						 (1u << (width_of(c, l) - 1)));
		}

		/* The lowest and highest pages of the TTBR1 range. */
		map_page(&f, lo, 0x500000);
		map_page(&f, hi, 0x600000);
		walk_ok(&f, lo, 0x500000, 3);
		walk_ok(&f, lo + g - 1, 0x500000 + g - 1, 3);
		walk_ok(&f, hi, 0x600000, 3);
		walk_ok(&f, ~0ULL, 0x600000 + g - 1, 3);
		walk_ok(&f, mid + 0x123, 0x700123, 3);

		/* Indices: all 0 at the bottom, all ones at the top (the
		 * first level's only va_bits - lsb wide). */
		walk_res(&f, lo, &w);
		for (unsigned i = 0; i < w.nr; i++)
			assert_int_equal(w.step[i].index, 0);
		walk_res(&f, ~0ULL, &w);
		assert_int_equal(w.step[0].level, c->start);
		assert_int_equal(w.step[0].index, (1u << c->top_width) - 1);
		for (unsigned i = 1; i < w.nr; i++)
			assert_int_equal(w.step[i].index,
					 (1u << (c->shift - 3)) - 1);
		assert_int_equal(w.step[w.nr - 1].level, 3);
		/* Neighbours of the mapped pages are not mapped. */
		walk_fails(&f, lo + g, PT_NOT_PRESENT, 3);
		walk_fails(&f, hi - g, PT_NOT_PRESENT, 3);
		walk_fails(&f, mid - 1, PT_NOT_PRESENT, 3);

		/* Reads through them. */
		uint8_t buf[64];
		assert_int_equal(kva_read(&f.as, hi + g - 32, buf, 64), 32);
		assert_memory_equal(buf, f.s.buf + 0x600000 + g - 32, 32);
		assert_int_equal(kva_read(&f.as, lo + 100, buf, 64), 64);
		assert_memory_equal(buf, f.s.buf + 0x500000 + 100, 64);
		/* Across the end of lo's page: stops there. */
		assert_int_equal(kva_read(&f.as, lo + g - 16, buf, 64), 16);
		fx_close(&f);
	}
}

static void test_level_names(void **state)
{
	(void)state;
	struct kernel_as as;
	memset(&as, 0, sizeof(as));
	static const char *const want[] = { "L-1", "L0", "L1", "L2", "L3" };
	for (int l = -1; l <= 3; l++)
		assert_string_equal(arch_aarch64.level_name(&as, l),
				    want[l + 1]);
	assert_string_equal(arch_aarch64.level_name(&as, 4), "?");
	assert_string_equal(arch_aarch64.level_name(&as, -2), "?");
	assert_string_equal(arch_aarch64.name, "aarch64");
	assert_int_equal(arch_aarch64.elf_machine, 183 /* EM_AARCH64 */);
}

/* ---- blocks ---- */

static void test_blocks(void **state)
{
	(void)state;
	for (size_t ci = 0; ci < NR_CFGS; ci++) {
		const struct cfg *c = &cfgs[ci];
		struct fx f;
		fx_open(&f, c);
		uint64_t lo = lowest_va(c);
		unsigned nr_legal = 0;
		for (int l = c->start; l <= 2; l++) {
			uint64_t size = level_size(c, l);
			/* The sizes written out agree with the formula. */
			bool listed = false;
			for (size_t i = 0; i < sizeof(blocks) /
						sizeof(blocks[0]); i++)
				if (blocks[i].shift == c->shift &&
				    blocks[i].level == l) {
					assert_int_equal(blocks[i].size, size);
					listed = true;
				}
			uint64_t va = lo + size; /* index 1 there, 0 above */
			if (leaf_ok(c, l)) {
				assert_true(listed);
				nr_legal++;
				/* PA: a multiple of the size, inside the
				 * output range. */
				uint64_t pa = size * 3 < pa_limit(c)
						      ? size * 3 : 0;
				map_at(&f, va, pa, l, D_AF);
				walk_ok(&f, va, pa, l);
				walk_ok(&f, va + size - 1, pa + size - 1, l);
				walk_ok(&f, va + (size >> 1) + 0x1234,
					pa + (size >> 1) + 0x1234, l);
				walk_fails(&f, va + size, PT_NOT_PRESENT, l);
				walk_fails(&f, va - 1, PT_NOT_PRESENT, l);
			} else {
				/* A block descriptor where none may be. */
				uint64_t epa = path_to(&f, va, l);
				synth_put64(&f.s, epa, enc(c, 0) | D_VALID |
							       D_AF);
				walk_fails(&f, va, PT_BAD_ENTRY, l);
				walk_fails(&f, va + size - 1, PT_BAD_ENTRY, l);
				/* An aligned output address changes nothing. */
				synth_put64(&f.s, epa, enc(c, size < pa_limit(c)
							   ? size : 0) |
							       D_VALID | D_AF);
				walk_fails(&f, va, PT_BAD_ENTRY, l);
				synth_put64(&f.s, epa, 0);
			}
		}
		/* Which levels those were. */
		unsigned want_legal = 0;
		for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++)
			if (blocks[i].shift == c->shift &&
			    blocks[i].level >= c->start &&
			    (!blocks[i].needs_pa52 || c->pa52))
				want_legal++;
		assert_int_equal(nr_legal, want_legal);

		/* Level 3 with bit 1 clear: reserved. */
		uint64_t va = mid_va(c, NULL);
		uint64_t epa = map_page(&f, va, 0x400000);
		walk_ok(&f, va, 0x400000, 3);
		synth_put64(&f.s, epa, enc(c, 0x400000) | D_VALID | D_AF);
		walk_fails(&f, va, PT_BAD_ENTRY, 3);
		synth_put64(&f.s, epa, D_VALID);
		walk_fails(&f, va, PT_BAD_ENTRY, 3);

		/* A read through the L2 block (PA 0 + 3 * size is past RAM
		 * for most: map one at 0 to read real bytes). */
		uint64_t s2 = level_size(c, 2);
		uint64_t vb = lo + 7 * s2;
		map_at(&f, vb, 0, 2, D_AF);
		uint8_t buf[256];
		assert_int_equal(kva_read(&f.as, vb + 0x3000, buf, 256), 256);
		assert_memory_equal(buf, f.s.buf + 0x3000, 256);
		/* A read running off the end of the block (4K: the next
		 * one is unmapped) or of low RAM stops there. */
		uint64_t end = s2 < LOW_SIZE ? s2 : LOW_SIZE;
		assert_int_equal(kva_read(&f.as, vb + end - 100, buf, 256),
				 100);
		assert_memory_equal(buf, f.s.buf + end - 100, 100);
		fx_close(&f);
	}
}

/* ---- invalid entries ---- */

static void test_not_present_each_level(void **state)
{
	(void)state;
	for (size_t ci = 0; ci < NR_CFGS; ci++) {
		const struct cfg *c = &cfgs[ci];
		struct fx f;
		fx_open(&f, c);
		uint64_t va = mid_va(c, NULL) + 0x88;
		map_page(&f, va & ~(gran(c) - 1), 0x500000);
		walk_ok(&f, va, 0x500088, 3);
		for (int l = c->start; l <= 3; l++) {
			uint64_t epa = entry_at(&f, va, l);
			uint64_t e = synth_get64(&f.s, epa);
			/* Bit 0 clear, everything else kept. */
			synth_put64(&f.s, epa, e & ~D_VALID);
			walk_fails(&f, va, PT_NOT_PRESENT, l);
			struct pt_walk w;
			walk_res(&f, va, &w);
			assert_int_equal(w.step[w.nr - 1].entry, e & ~D_VALID);
			assert_int_equal(w.step[w.nr - 1].level, l);
			/* A zero entry, and junk with bit 0 clear. */
			synth_put64(&f.s, epa, 0);
			walk_fails(&f, va, PT_NOT_PRESENT, l);
			synth_put64(&f.s, epa, ~D_VALID);
			walk_fails(&f, va, PT_NOT_PRESENT, l);
			synth_put64(&f.s, epa, e);
			walk_ok(&f, va, 0x500088, 3);
		}
		fx_close(&f);
	}
}

/* ---- 52-bit output addresses ---- */

static uint64_t cfg_index(unsigned shift, unsigned va_bits, bool pa52)
{
	for (size_t i = 0; i < NR_CFGS; i++)
		if (cfgs[i].shift == shift && cfgs[i].va_bits == va_bits &&
		    cfgs[i].pa52 == pa52)
			return i;
	fail_msg("no cfg %u/%u/%d", shift, va_bits, pa52);
	return 0;
}

/* Tables and leaves above 2^48, read for real. */
static void test_pa52_tables_and_leaves(void **state)
{
	(void)state;
	for (size_t ci = 0; ci < NR_CFGS; ci++) {
		const struct cfg *c = &cfgs[ci];
		if (!c->pa52)
			continue;
		struct fx f;
		fx_open(&f, c);
		uint64_t g = gran(c);
		/* Tables below the root in HI_A: each table descriptor
		 * carries the high bits. */
		f.pool = 1;
		uint64_t va = mid_va(c, NULL);
		map_page(&f, va, HI_B + 4 * g);
		map_page(&f, va + g, HI_C + 5 * g);
		map_page(&f, va + 2 * g, HI_A + 30 * g);
		map_page(&f, va + 3 * g, 0x680000);
		walk_ok(&f, va + 7, HI_B + 4 * g + 7, 3);
		walk_ok(&f, va + g, HI_C + 5 * g, 3);
		walk_ok(&f, va + 2 * g + g - 1, HI_A + 31 * g - 1, 3);
		walk_ok(&f, va + 3 * g, 0x680000, 3);
		struct pt_walk w;
		walk_res(&f, va, &w);
		for (unsigned i = 1; i < w.nr; i++)
			assert_true(w.step[i].table_pa >= HI_A &&
				    w.step[i].table_pa < HI_A + HI_SIZE);
		/* One read across all four pages: three high regions and
		 * low RAM, each from its own bytes. */
		uint8_t *buf = malloc(4 * g);
		assert_non_null(buf);
		assert_int_equal(kva_read(&f.as, va, buf, 4 * g), 4 * g);
		assert_memory_equal(buf, f.s.buf + OFF_B + 4 * g, g);
		assert_memory_equal(buf + g, f.s.buf + OFF_C + 5 * g, g);
		assert_memory_equal(buf + 2 * g, f.s.buf + OFF_A + 30 * g, g);
		assert_memory_equal(buf + 3 * g, f.s.buf + 0x680000, g);
		/* And a write lands in the high region. */
		char err[ERR_LEN];
		assert_int_equal(kva_write(&f.as, va + g + 8, "lpa!", 4, err),
				 0);
		assert_memory_equal(f.s.buf + OFF_C + 5 * g + 8, "lpa!", 4);
		free(buf);

		/* A block at the lowest legal level, at PA HI_A (aligned to
		 * every block size), read through. */
		int bl = leaf_ok(c, 1) && c->start <= 1 ? 1 : 2;
		uint64_t bs = level_size(c, bl);
		uint64_t vb = lowest_va(c) + bs;
		map_at(&f, vb, HI_A, bl, D_AF);
		walk_ok(&f, vb + 0x1234, HI_A + 0x1234, bl);
		uint8_t b[32];
		assert_int_equal(kva_read(&f.as, vb + 0x1234, b, 32), 32);
		assert_memory_equal(b, f.s.buf + OFF_A + 0x1234, 32);
		walk_ok(&f, vb + bs - 1, HI_A + bs - 1, bl);
		fx_close(&f);
	}
}

/* The encodings, written out by hand (not through enc()). */
static void test_pa52_encoding(void **state)
{
	(void)state;
	struct fx f;
	/* 64K LPA: bits 15:12 are PA[51:48]. */
	fx_open(&f, &cfgs[cfg_index(16, 48, true)]);
	uint64_t va = mid_va(f.c, NULL);
	uint64_t epa = map_page(&f, va, 0x20000);
	synth_put64(&f.s, epa, 0x0000000000020000ULL | 0xf000 | 0x403);
	walk_ok(&f, va + 0x10, 0x000f000000020010ULL, 3);
	synth_put64(&f.s, epa, 0x0000123456780000ULL | 0x1000 | 0x403);
	walk_ok(&f, va, 0x0001123456780000ULL, 3);
	/* The same descriptors without LPA: bits 15:12 are not address. */
	fx_as(&f);
	f.as.pa52 = false;
	synth_put64(&f.s, epa, 0x0000000000020000ULL | 0xf000 | 0x403);
	struct pt_walk w;
	assert_int_equal(walk_res(&f, va + 0x10, &w), PT_OK);
	assert_int_equal(w.pa, 0x20010);
	synth_put64(&f.s, epa, 0x0000123456780000ULL | 0x1000 | 0x403);
	assert_int_equal(walk_res(&f, va, &w), PT_OK);
	assert_int_equal(w.pa, 0x0000123456780000ULL);
	/* Nor bits 49:48: the output address has 48 bits. */
	synth_put64(&f.s, epa, 0x0003123456780000ULL | 0x1000 | 0x403);
	assert_int_equal(walk_res(&f, va, &w), PT_OK);
	assert_int_equal(w.pa, 0x0000123456780000ULL);
	fx_close(&f);

	/* 4K LPA2: bits 9:8 are PA[51:50], bits 49:12 the rest. */
	fx_open(&f, &cfgs[cfg_index(12, 52, true)]);
	va = mid_va(f.c, NULL);
	epa = map_page(&f, va, 0x5000);
	synth_put64(&f.s, epa, 0x0003000000005000ULL | 0x300 | 0x403);
	walk_ok(&f, va + 0xabc, 0x000f000000005abcULL, 3);
	synth_put64(&f.s, epa, 0x0002000000005000ULL | 0x100 | 0x403);
	walk_ok(&f, va, 0x0006000000005000ULL, 3);
	/* A 2M block: PA[49:21] in place. */
	uint64_t vb = lowest_va(f.c) + SYN_1G;
	uint64_t bpa = map_at(&f, vb, 0, 2, D_AF);
	synth_put64(&f.s, bpa, 0x0001000000600000ULL | 0x200 | 0x401);
	walk_ok(&f, vb + 0x1fffff, 0x0009000000600000ULL + 0x1fffff, 2);
	/* Without LPA2 (DS=0) bits 9:8 are SH and 49:48 not address. */
	const struct cfg *c48 = &cfgs[cfg_index(12, 48, false)];
	struct fx g;
	fx_open(&g, c48);
	va = mid_va(c48, NULL);
	epa = map_page(&g, va, 0x5000);
	synth_put64(&g.s, epa, 0x0000000000005000ULL | 0x300 | 0x403);
	walk_ok(&g, va + 0xabc, 0x5abc, 3);
	/* A 48-bit output address: bits 49:48 (RES0) are not address
	 * bits without LPA2 either. */
	synth_put64(&g.s, epa, 0x0003000000005000ULL | 0x300 | 0x403);
	walk_ok(&g, va + 0xabc, 0x5abc, 3);
	fx_close(&g);
	fx_close(&f);

	/* 16K LPA2: PA[49:14] in place, bits 13:12 not address. */
	fx_open(&f, &cfgs[cfg_index(14, 52, true)]);
	va = mid_va(f.c, NULL);
	epa = map_page(&f, va, 0x8000);
	synth_put64(&f.s, epa, 0x0002000000008000ULL | 0x3000 | 0x100 |
				       0x403);
	walk_ok(&f, va + 0x3ff0, 0x0006000000008000ULL + 0x3ff0, 3);
	fx_close(&f);
	const struct cfg *c16 = &cfgs[cfg_index(14, 47, false)];
	fx_open(&f, c16);
	va = mid_va(c16, NULL);
	epa = map_page(&f, va, 0x8000);
	synth_put64(&f.s, epa, 0x0000000000008000ULL | 0x300 | 0x403);
	walk_ok(&f, va, 0x8000, 3);
	fx_close(&f);
}

/* The root itself above 2^48 (swapper_pg_dir in RAM up there). */
static void test_pa52_root_high(void **state)
{
	(void)state;
	for (size_t ci = 0; ci < NR_CFGS; ci++) {
		const struct cfg *c = &cfgs[ci];
		if (!c->pa52)
			continue;
		static const uint64_t roots[] = { HI_B, HI_C, HI_A };
		for (size_t ri = 0; ri < 3; ri++) {
			struct fx f;
			fx_open(&f, c);
			f.root = roots[ri] + HI_SIZE - 4 * 65536;
			memset(synth_ptr(&f.s, f.root, 65536), 0, 65536);
			fx_as(&f);
			uint64_t va = mid_va(c, NULL);
			map_page(&f, va, 0x680000);
			struct pt_walk w;
			enum pt_result r = walk_res(&f, va, &w);
			if (r != PT_OK || w.step[0].table_pa != f.root)
				fail_msg("%s: root at %#llx: result %d, first "
					 "table read at %#llx",
					 cfg_name(c),
					 (unsigned long long)f.root, r,
					 (unsigned long long)w.step[0].table_pa);
			walk_ok(&f, va, 0x680000, 3);
			fx_close(&f);
		}
	}
}

/* ---- attributes ---- */

static void test_attr_bits_masked(void **state)
{
	(void)state;
	for (size_t ci = 0; ci < NR_CFGS; ci++) {
		const struct cfg *c = &cfgs[ci];
		struct fx f;
		fx_open(&f, c);
		uint64_t g = gran(c);
		uint64_t va = mid_va(c, NULL);
		/* Table descriptors with every attribute bit, then a page
		 * with every one. */
		uint64_t table = f.root;
		for (int l = c->start; l < 3; l++) {
			uint64_t epa = table + 8ULL * index_of(c, va, l);
			uint64_t t = tbl_new(&f);
			synth_put64(&f.s, epa, enc(c, t) | D_VALID | D_TABLE |
						       table_attrs(c));
			table = t;
		}
		uint64_t pa = 0x7ULL * g + 0x400000;
		uint64_t epa = table + 8ULL * index_of(c, va, 3);
		synth_put64(&f.s, epa, enc(c, pa) | D_VALID | D_TABLE |
					       leaf_attrs(c, false));
		walk_ok(&f, va + g - 1, pa + g - 1, 3);
		/* Each attribute bit alone. */
		uint64_t la = leaf_attrs(c, false);
		for (unsigned b = 0; b < 64; b++) {
			if (!(la & (1ULL << b)))
				continue;
			synth_put64(&f.s, epa, enc(c, pa) | D_VALID | D_TABLE |
						       (1ULL << b));
			walk_ok(&f, va, pa, 3);
		}
		/* Blocks with every attribute bit. */
		for (int l = c->start; l <= 2; l++) {
			if (!leaf_ok(c, l))
				continue;
			uint64_t size = level_size(c, l);
			uint64_t vb = lowest_va(c) + size;
			if (l < 2)
				vb += size; /* keep clear of the L2 one */
			uint64_t bpa = size * 5 < pa_limit(c) ? size * 5 : 0;
			map_at(&f, vb, bpa, l, leaf_attrs(c, true));
			walk_ok(&f, vb + size - 8, bpa + size - 8, l);
			walk_ok(&f, vb, bpa, l);
		}
		fx_close(&f);
	}
}

/* ---- VA range ---- */

static void test_va_range(void **state)
{
	(void)state;
	for (size_t ci = 0; ci < NR_CFGS; ci++) {
		const struct cfg *c = &cfgs[ci];
		struct fx f;
		fx_open(&f, c);
		uint64_t lo = lowest_va(c), g = gran(c);
		map_page(&f, lo, 0x480000);
		map_page(&f, ~0ULL & ~(g - 1), 0x5c0000);
		walk_ok(&f, lo, 0x480000, 3);
		walk_ok(&f, ~0ULL, 0x5c0000 + g - 1, 3);
		const uint64_t bad[] = {
			lo - 1,                       /* just below */
			lo - g,
			lo ^ (1ULL << c->va_bits),    /* bit va_bits clear */
			~0ULL ^ (1ULL << c->va_bits),
			~0ULL ^ (1ULL << 63),
			0, 0x7fffffffffffffffULL, 1ULL << c->va_bits,
			(1ULL << c->va_bits) - 1,     /* TTBR0's top */
			lo ^ (1ULL << 56),            /* a tag byte bit */
			~0ULL ^ (1ULL << 55),
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct pt_walk w;
			if (walk_res(&f, bad[i], &w) != PT_NOT_CANONICAL)
				fail_msg("%s: %#llx is outside TTBR1, got %d",
					 cfg_name(c),
					 (unsigned long long)bad[i], w.result);
			assert_int_equal(w.nr, 0);
			struct kva_xlat x;
			assert_int_equal(kva_translate(&f.as, bad[i], &x, NULL),
					 PT_NOT_CANONICAL);
			uint8_t b;
			assert_int_equal(kva_read(&f.as, bad[i], &b, 1), 0);
		}
		/* A read from just below the range gets nothing; one at the
		 * very top stops at 2^64. */
		uint8_t buf[32];
		assert_int_equal(kva_read(&f.as, lo - 8, buf, 32), 0);
		assert_int_equal(kva_read(&f.as, ~0ULL - 15, buf, 32), 16);
		assert_memory_equal(buf, f.s.buf + 0x5c0000 + g - 16, 16);
		fx_close(&f);
	}
}

/* ---- setup and TCR_EL1 ---- */

#define TCR_T1SZ(n) ((uint64_t)(n) << 16)
#define TCR_TG1(n)  ((uint64_t)(n) << 30)
#define TCR_IPS(n)  ((uint64_t)(n) << 32)
#define TCR_DS      (1ULL << 59)
/* Fields the walk of TTBR1 does not depend on: T0SZ=16, IRGN/ORGN/SH for
 * both halves, TG0=64K, A1, AS, TBI0/1, HA/HD. */
#define TCR_NOISE   (16ULL | (0x3fULL << 8) | (3ULL << 14) |              \
		     (0x3fULL << 24) | (1ULL << 22) | (1ULL << 36) |      \
		     (3ULL << 37) | (3ULL << 39))

static void tcr_ok(uint64_t tcr, unsigned va_bits, unsigned shift, bool pa52,
		   unsigned levels)
{
	char err[ERR_LEN] = "";
	struct kernel_as as;
	memset(&as, 0, sizeof(as));
	if (aarch64_paging_from_tcr(&as, tcr, err))
		fail_msg("TCR %#llx: %s", (unsigned long long)tcr, err);
	if (as.va_bits != va_bits || as.page_shift != shift ||
	    as.pa52 != pa52 || as.levels != levels)
		fail_msg("TCR %#llx: %u bits, shift %u, pa52 %d, %u levels; "
			 "want %u, %u, %d, %u", (unsigned long long)tcr,
			 as.va_bits, as.page_shift, as.pa52, as.levels,
			 va_bits, shift, pa52, levels);
}

static void tcr_bad(uint64_t tcr)
{
	char err[ERR_LEN] = "";
	struct kernel_as as;
	memset(&as, 0x77, sizeof(as));
	struct kernel_as before = as;
	if (aarch64_paging_from_tcr(&as, tcr, err) != -1)
		fail_msg("TCR %#llx accepted", (unsigned long long)tcr);
	assert_true(err[0] != '\0');
	assert_memory_equal(&as, &before, sizeof(as));
}

/* aarch64_paging_probe: the VA width under which the tables map a kernel
 * address where it should be (a kernel found by its banner, TCR_EL1 not
 * known). 6.12's arm64 kernels are built for 52-bit VAs (LPA2 with 4K and
 * 16K pages) and run them where the CPU has them, else VA_BITS_MIN (48 or
 * 47, the width of their link address). */
static void probe_case(unsigned shift, unsigned va_bits, bool pa52,
		       unsigned min_bits, bool map, int want)
{
	const struct cfg *c = NULL;
	for (size_t i = 0; i < NR_CFGS; i++)
		if (cfgs[i].shift == shift && cfgs[i].va_bits == va_bits &&
		    cfgs[i].pa52 == pa52)
			c = &cfgs[i];
	assert_non_null(c);
	struct fx f;
	fx_open(&f, c);
	/* A kernel image address (bits 51:47 all set), 64K-aligned. */
	const uint64_t va = 0xffffc0003c010000ULL, pa = 4 * MiB;
	if (map)
		map_page(&f, va, pa);
	/* A fresh address space: nothing of the tables' own setup. */
	struct kernel_as as = { .mem = &f.s.mem, .arch = &arch_aarch64,
				.root_pa = f.root };
	const unsigned cand[] = { min_bits, 52 };
	char err[ERR_LEN] = "";
	int got = aarch64_paging_probe(&as, cand, 2, shift, va, pa, err);
	if (got != want)
		fail_msg("%s, candidates %u/52: got %d, want %d", cfg_name(c),
			 min_bits, got, want);
	assert_string_equal(err, "");
	/* Set up for the width found (candidate 0 when none). */
	unsigned bits = cand[want < 0 ? 0 : want];
	assert_int_equal(as.va_bits, bits);
	assert_int_equal(as.page_shift, shift);
	assert_int_equal(as.pa52, bits == 52);
	struct pt_walk w;
	enum pt_result r = kva_walk(&as, va, &w);
	if (map && want >= 0) {
		assert_int_equal(r, PT_OK);
		assert_int_equal(w.pa, pa);
		assert_int_equal(as.levels, c->levels);
	}
	/* A wrong physical address is found under no width. */
	if (map)
		assert_int_equal(aarch64_paging_probe(&as, cand, 2, shift, va,
						      pa + (1ULL << shift),
						      err), -1);
	fx_close(&f);
}

static void test_probe_va_bits(void **state)
{
	(void)state;
	/* 52-bit tables (LPA2: 4K with 5 levels, 16K with 4). */
	probe_case(12, 52, true, 48, true, 1);
	probe_case(14, 52, true, 47, true, 1);
	/* 64K: 52-bit VAs (LVA) with or without 52-bit PAs. */
	probe_case(16, 52, true, 48, true, 1);
	probe_case(16, 52, false, 48, true, 1);
	/* VA_BITS_MIN tables: the first candidate. */
	probe_case(12, 48, false, 48, true, 0);
	probe_case(14, 47, false, 47, true, 0);
	probe_case(16, 48, false, 48, true, 0);
	/* Nothing mapped: none, set up for the first. */
	probe_case(12, 52, true, 48, false, -1);
	probe_case(14, 47, false, 47, false, -1);
}

static void test_from_tcr(void **state)
{
	(void)state;
	for (int noise = 0; noise <= 1; noise++) {
		uint64_t n = noise ? TCR_NOISE : 0;
		/* TG1: 2 = 4K, 1 = 16K, 3 = 64K. */
		tcr_ok(n | TCR_T1SZ(16) | TCR_TG1(2) | TCR_IPS(5), 48, 12,
		       false, 4);
		tcr_ok(n | TCR_T1SZ(25) | TCR_TG1(2) | TCR_IPS(2), 39, 12,
		       false, 3);
		tcr_ok(n | TCR_T1SZ(28) | TCR_TG1(1) | TCR_IPS(5), 36, 14,
		       false, 2);
		tcr_ok(n | TCR_T1SZ(17) | TCR_TG1(1) | TCR_IPS(5), 47, 14,
		       false, 3);
		tcr_ok(n | TCR_T1SZ(16) | TCR_TG1(1) | TCR_IPS(5), 48, 14,
		       false, 4);
		tcr_ok(n | TCR_T1SZ(22) | TCR_TG1(3) | TCR_IPS(5), 42, 16,
		       false, 2);
		tcr_ok(n | TCR_T1SZ(16) | TCR_TG1(3) | TCR_IPS(5), 48, 16,
		       false, 3);
		tcr_ok(n | TCR_T1SZ(12) | TCR_TG1(3) | TCR_IPS(5), 52, 16,
		       false, 3);
		/* DS: LPA2 with 4K and 16K, whatever IPS says. */
		tcr_ok(n | TCR_T1SZ(12) | TCR_TG1(2) | TCR_IPS(6) | TCR_DS,
		       52, 12, true, 5);
		tcr_ok(n | TCR_T1SZ(12) | TCR_TG1(2) | TCR_IPS(5) | TCR_DS,
		       52, 12, true, 5);
		tcr_ok(n | TCR_T1SZ(16) | TCR_TG1(2) | TCR_IPS(6) | TCR_DS,
		       48, 12, true, 4);
		tcr_ok(n | TCR_T1SZ(12) | TCR_TG1(1) | TCR_IPS(6) | TCR_DS,
		       52, 14, true, 4);
		tcr_ok(n | TCR_T1SZ(17) | TCR_TG1(1) | TCR_DS, 47, 14, true,
		       3);
		/* IPS = 52 bits alone is not LPA2 with 4K/16K... */
		tcr_ok(n | TCR_T1SZ(16) | TCR_TG1(2) | TCR_IPS(6), 48, 12,
		       false, 4);
		tcr_ok(n | TCR_T1SZ(17) | TCR_TG1(1) | TCR_IPS(6), 47, 14,
		       false, 3);
		/* ...but is LPA with 64K, where DS means nothing. */
		tcr_ok(n | TCR_T1SZ(12) | TCR_TG1(3) | TCR_IPS(6), 52, 16,
		       true, 3);
		tcr_ok(n | TCR_T1SZ(16) | TCR_TG1(3) | TCR_IPS(6), 48, 16,
		       true, 3);
		tcr_ok(n | TCR_T1SZ(12) | TCR_TG1(3) | TCR_IPS(5) | TCR_DS,
		       52, 16, false, 3);
		tcr_ok(n | TCR_T1SZ(12) | TCR_TG1(3) | TCR_IPS(7), 52, 16,
		       false, 3);
		/* TG0 (bits 15:14) is not TG1. */
		tcr_ok(n | (2ULL << 14) | TCR_T1SZ(16) | TCR_TG1(3), 48, 16,
		       false, 3);

		/* Refused: TG1 reserved, T1SZ 0, 52-bit VA with 4K/16K
		 * without DS, VA too narrow. */
		tcr_bad(n | TCR_T1SZ(16) | TCR_TG1(0));
		tcr_bad(n | TCR_T1SZ(16) | TCR_TG1(0) | TCR_DS);
		tcr_bad(n | TCR_T1SZ(0) | TCR_TG1(2));
		tcr_bad(n | TCR_T1SZ(0) | TCR_TG1(3) | TCR_IPS(6));
		tcr_bad(n | TCR_T1SZ(12) | TCR_TG1(2) | TCR_IPS(6));
		tcr_bad(n | TCR_T1SZ(12) | TCR_TG1(1) | TCR_IPS(6));
		tcr_bad(n | TCR_T1SZ(40) | TCR_TG1(2));
		tcr_bad(n | TCR_T1SZ(63) | TCR_TG1(3));
		tcr_bad(n | TCR_T1SZ(8) | TCR_TG1(3) | TCR_IPS(6));
	}
	/* A T1SZ of 0 is refused for that reason, not for the VA width. */
	char err[ERR_LEN] = "";
	struct kernel_as as;
	memset(&as, 0, sizeof(as));
	assert_int_equal(aarch64_paging_from_tcr(&as, TCR_TG1(2), err), -1);
	assert_non_null(strstr(err, "T1SZ"));
	assert_int_equal(aarch64_paging_from_tcr(&as, TCR_T1SZ(16), err), -1);
	assert_non_null(strstr(err, "TG1"));
}

static void test_setup(void **state)
{
	(void)state;
	char err[ERR_LEN];
	struct kernel_as as;
	/* Every configuration in the table, and its level count. */
	for (size_t ci = 0; ci < NR_CFGS; ci++) {
		memset(&as, 0, sizeof(as));
		err[0] = '\0';
		assert_int_equal(aarch64_paging_setup(&as, cfgs[ci].va_bits,
						      cfgs[ci].shift,
						      cfgs[ci].pa52, err), 0);
		assert_int_equal(as.levels, cfgs[ci].levels);
	}
	static const struct {
		unsigned va_bits, shift;
		bool pa52;
		unsigned levels; /* 0: refused */
	} cases[] = {
		{ 52, 12, false, 0 }, /* 52-bit VA with 4K needs LPA2 */
		{ 52, 14, false, 0 },
		{ 49, 12, false, 0 },
		{ 49, 12, true, 5 },  /* L-1 with 1 index bit */
		{ 53, 12, true, 0 },
		{ 53, 16, true, 0 },
		{ 53, 16, false, 0 },
		{ 48, 13, false, 0 }, /* granule 2^13 */
		{ 48, 11, false, 0 },
		{ 48, 15, false, 0 },
		{ 48, 0, false, 0 },
		{ 24, 12, false, 0 }, /* too narrow */
		{ 24, 16, false, 0 },
		{ 0, 12, false, 0 },
		{ 64, 16, true, 0 },
		{ 25, 12, false, 2 }, /* the narrowest: L2 with 4 bits */
		{ 30, 12, false, 2 },
		{ 31, 12, false, 3 },
		{ 25, 16, false, 1 }, /* L3 alone */
		{ 29, 16, false, 1 },
		{ 30, 16, false, 2 },
		{ 40, 12, false, 4 },
		{ 37, 14, false, 3 },
		{ 51, 16, false, 3 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&as, 0x77, sizeof(as));
		struct kernel_as before = as;
		err[0] = '\0';
		int r = aarch64_paging_setup(&as, cases[i].va_bits,
					     cases[i].shift, cases[i].pa52,
					     err);
		if (!cases[i].levels) {
			if (r != -1)
				fail_msg("setup(%u, %u, %d) accepted",
					 cases[i].va_bits, cases[i].shift,
					 cases[i].pa52);
			assert_true(err[0] != '\0');
			assert_memory_equal(&as, &before, sizeof(as));
		} else {
			if (r != 0)
				fail_msg("setup(%u, %u, %d): %s",
					 cases[i].va_bits, cases[i].shift,
					 cases[i].pa52, err);
			assert_int_equal(as.levels, cases[i].levels);
			assert_int_equal(as.va_bits, cases[i].va_bits);
		}
	}
	/* NULL err is fine. */
	assert_int_equal(aarch64_paging_setup(&as, 52, 12, false, NULL), -1);
}

/* A narrow VA (25 bits, 4K: L2 with 16 entries, L3) still walks. */
static void test_narrow_va(void **state)
{
	(void)state;
	static const struct cfg c25 = { 12, 25, false, 2, 2, 4 };
	struct fx f;
	fx_open(&f, &c25);
	assert_int_equal(f.as.levels, 2);
	map_page(&f, 0xffffffffff000000ULL, 0x600000);
	map_at(&f, 0xffffffffffe00000ULL, 0x800000, 2, D_AF);
	walk_ok(&f, 0xffffffffff000abcULL, 0x600abc, 3);
	walk_ok(&f, 0xffffffffffffffffULL, 0x9fffff, 2);
	struct pt_walk w;
	assert_int_equal(walk_res(&f, 0xfffffffffdffffffULL, &w),
			 PT_NOT_CANONICAL);
	assert_int_equal(walk_res(&f, 0xffffffffffffffffULL, &w), PT_OK);
	assert_int_equal(w.step[0].index, 15);
	fx_close(&f);
}

/* ---- broken tables ---- */

/* Entries pointing back at the root: the walk ends after `levels` steps,
 * the root read as the final page. */
static void test_cyclic(void **state)
{
	(void)state;
	for (size_t ci = 0; ci < NR_CFGS; ci++) {
		const struct cfg *c = &cfgs[ci];
		struct fx f;
		fx_open(&f, c);
		uint64_t g = gran(c);
		for (uint64_t i = 0; i < g / 8; i++)
			synth_put64(&f.s, f.root + 8 * i,
				    enc(c, f.root) | D_VALID | D_TABLE);
		uint64_t va = mid_va(c, NULL) + 0x58;
		walk_ok(&f, va, f.root + 0x58, 3);
		struct pt_walk w;
		walk_res(&f, ~0ULL, &w);
		assert_int_equal(w.result, PT_OK);
		assert_int_equal(w.nr, c->levels);
		for (unsigned i = 0; i < w.nr; i++)
			assert_int_equal(w.step[i].table_pa, f.root);
		/* A two-table cycle: root -> t -> root -> ..., the last
		 * table's entry read as a page descriptor. */
		uint64_t t = tbl_new(&f);
		for (uint64_t i = 0; i < g / 8; i++) {
			synth_put64(&f.s, f.root + 8 * i,
				    enc(c, t) | D_VALID | D_TABLE);
			synth_put64(&f.s, t + 8 * i,
				    enc(c, f.root) | D_VALID | D_TABLE);
		}
		walk_ok(&f, va, (c->levels % 2 ? t : f.root) + 0x58, 3);
		walk_res(&f, va, &w);
		for (unsigned i = 0; i < w.nr; i++)
			assert_int_equal(w.step[i].table_pa,
					 i % 2 ? t : f.root);
		fx_close(&f);
	}
}

static void test_table_outside_ram(void **state)
{
	(void)state;
	for (size_t ci = 0; ci < NR_CFGS; ci++) {
		const struct cfg *c = &cfgs[ci];
		struct fx f;
		fx_open(&f, c);
		uint64_t va = mid_va(c, NULL);
		map_page(&f, va, 0x400000);
		const uint64_t bad_pas[] = {
			LOW_SIZE, 0x40000000ULL, 0x0000fff000000000ULL,
			c->pa52 ? HI_A + HI_SIZE : 0x0000800000000000ULL,
			c->pa52 ? 0x000ffffffffe0000ULL
				: 0x0000ffffffff0000ULL,
		};
		for (int l = c->start; l < 3; l++) {
			for (size_t i = 0; i < sizeof(bad_pas) / 8; i++) {
				uint64_t epa = entry_at(&f, va, l);
				uint64_t e = synth_get64(&f.s, epa);
				synth_put64(&f.s, epa, enc(c, bad_pas[i]) |
							       D_VALID |
							       D_TABLE);
				struct pt_walk w;
				assert_int_equal(walk_res(&f, va, &w),
						 PT_BAD_ENTRY);
				assert_int_equal(w.nr,
						 (unsigned)(l - c->start + 2));
				const struct pt_step *st = &w.step[w.nr - 1];
				assert_false(st->read_ok);
				assert_int_equal(st->level, l + 1);
				assert_int_equal(st->table_pa, bad_pas[i]);
				assert_int_equal(st->index,
						 index_of(c, va, l + 1));
				assert_int_equal(st->entry_pa,
						 bad_pas[i] + 8 * st->index);
				assert_true(w.step[w.nr - 2].read_ok);
				struct kva_xlat x;
				assert_int_equal(kva_translate(&f.as, va, &x,
							       NULL),
						 PT_BAD_ENTRY);
				synth_put64(&f.s, epa, e);
			}
		}
		walk_ok(&f, va, 0x400000, 3);
		/* The root outside RAM. */
		f.as.root_pa = 0x7ff0000000ULL;
		struct pt_walk w;
		assert_int_equal(walk_res(&f, va, &w), PT_BAD_ENTRY);
		assert_int_equal(w.nr, 1);
		assert_false(w.step[0].read_ok);
		assert_int_equal(w.step[0].table_pa, 0x7ff0000000ULL);
		assert_int_equal(w.step[0].level, c->start);
		/* Not set up: refused, nothing read. */
		f.as.root_pa = f.root;
		f.as.levels = 0;
		assert_int_equal(walk_res(&f, va, &w), PT_BAD_ENTRY);
		assert_int_equal(w.nr, 0);
		fx_close(&f);
	}
}

/* ---- randomized: random tables against a reference model ---- */

struct rmap {
	uint64_t va, size, pa;
	int level;
};

struct rmodel {
	struct fx f;
	uint64_t base, seed, rng; /* the run's seed, the round's, the PRNG */
	unsigned round;
	struct rmap *maps;
	unsigned nr_maps;
	uint64_t clusters[6];
	uint64_t span;
};

/* The model's own view of guest RAM (not guest_mem_find). */
static const struct {
	uint64_t gpa, size, off;
} rregions[] = {
	{ 0, 24 * MiB, 0 },
	{ 24 * MiB, 4 * MiB, 32 * MiB }, /* adjacent in GPA, not in source */
	{ 32 * MiB, 4 * MiB, 28 * MiB }, /* after a hole at [28M, 32M) */
	{ HI_A, 4 * MiB, 36 * MiB },     /* above 2^48 */
};
#define RSRC_SIZE (40 * MiB)
#define RPA_LIMIT (40 * MiB) /* leaves point up to here: holes and beyond */

#define RCHECK(m, cond, ...)                                                  \
	do {                                                                  \
		if (!(cond)) {                                                \
			print_error("random test failed: round %u (seed "     \
				    "%#llx), %s (rerun with "                 \
				    "LKSTUB_TEST_SEED=%#llx)\n", (m)->round, \
				    (unsigned long long)(m)->seed,            \
				    cfg_name((m)->f.c),                       \
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

/* Source offset of gpa, and (if left) the bytes to its region's end. */
static bool model_gpa_left(uint64_t gpa, uint64_t *off, uint64_t *left)
{
	for (size_t i = 0; i < sizeof(rregions) / sizeof(rregions[0]); i++)
		if (gpa >= rregions[i].gpa &&
		    gpa - rregions[i].gpa < rregions[i].size) {
			*off = rregions[i].off + (gpa - rregions[i].gpa);
			if (left)
				*left = rregions[i].size -
					(gpa - rregions[i].gpa);
			return true;
		}
	return false;
}

static bool model_gpa(uint64_t gpa, uint64_t *off)
{
	return model_gpa_left(gpa, off, NULL);
}

static bool model_in_range(const struct rmodel *m, uint64_t va)
{
	return (va >> m->f.c->va_bits) == (~0ULL >> m->f.c->va_bits);
}

static const struct rmap *model_lookup(const struct rmodel *m, uint64_t va)
{
	for (unsigned i = 0; i < m->nr_maps; i++)
		if (va >= m->maps[i].va && va - m->maps[i].va < m->maps[i].size)
			return &m->maps[i];
	return NULL;
}

static bool overlaps(const struct rmodel *m, uint64_t va, uint64_t size)
{
	uint64_t last = va + size - 1;
	for (unsigned i = 0; i < m->nr_maps; i++) {
		const struct rmap *r = &m->maps[i];
		if (va <= r->va + (r->size - 1) && r->va <= last)
			return true;
	}
	return false;
}

static enum pt_result model_translate(const struct rmodel *m, uint64_t va,
				      struct kva_xlat *x)
{
	if (!model_in_range(m, va))
		return PT_NOT_CANONICAL;
	const struct rmap *r = model_lookup(m, va);
	if (!r)
		return PT_NOT_PRESENT;
	*x = (struct kva_xlat){ r->pa + (va - r->va), r->size - (va - r->va),
				KVA_WALK };
	return PT_OK;
}

static uint64_t rnd_table_attrs(struct rmodel *m)
{
	return rnd_below(m, 2) ? rnd(m) & table_attrs(m->f.c) : 0;
}

static uint64_t rnd_leaf_attrs(struct rmodel *m, bool block)
{
	return D_AF | (rnd_below(m, 3) ? rnd(m) & leaf_attrs(m->f.c, block)
				       : 0);
}

/* A random leaf level (3 mostly, legal blocks sometimes). */
static int rnd_level(struct rmodel *m)
{
	const struct cfg *c = m->f.c;
	uint64_t r = rnd_below(m, 100);
	int l = r < 70 ? 3 : r < 90 ? 2 : r < 97 ? 1 : 0;
	while (l < 3 && (l < c->start || !leaf_ok(c, l)))
		l++;
	return l;
}

static uint64_t rnd_pa(struct rmodel *m, uint64_t size)
{
	const struct cfg *c = m->f.c;
	uint64_t r = rnd_below(m, 10), pa;
	if (r < 6)
		pa = rnd_below(m, RPA_LIMIT);
	else if (r < 8 && c->pa52)
		pa = HI_A + rnd_below(m, 6 * MiB);
	else if (r < 9)
		pa = rnd(m) & (pa_limit(c) - 1);
	else
		pa = rnd_below(m, 2 * MiB);
	return pa & ~(size - 1);
}

static void model_build(struct rmodel *m, const struct cfg *c,
			unsigned target)
{
	struct fx *f = &m->f;
	memset(f, 0, sizeof(*f));
	f->c = c;
	synth_open(&f->s, RSRC_SIZE, true);
	for (size_t i = 0; i < sizeof(rregions) / sizeof(rregions[0]); i++)
		synth_region(&f->s, rregions[i].gpa, rregions[i].size,
			     rregions[i].off);
	synth_fill(&f->s, rnd(m));
	f->pool_next[0] = 0;
	f->pool_end[0] = 16 * MiB;
	f->pool_next[1] = HI_A;
	f->pool_end[1] = HI_A + 3 * MiB;
	f->root = tbl_new(f);
	fx_as(f);

	uint64_t lo = lowest_va(c), s2 = level_size(c, 2);
	m->span = 64 * s2;
	m->clusters[0] = lo;
	m->clusters[1] = 0 - m->span;
	for (unsigned i = 2; i < 6; i++)
		m->clusters[i] = (lo + rnd_below(m, (1ULL << c->va_bits) -
						       m->span)) & ~(s2 - 1);

	m->maps = calloc(target, sizeof(*m->maps));
	assert_non_null(m->maps);
	struct rmap prev = { 0, 0, 0, 0 };
	uint64_t g = gran(c);
	for (unsigned tries = 0; m->nr_maps < target && tries < target * 4;
	     tries++) {
		int level;
		uint64_t size, pa, va;
		if (prev.size && rnd_below(m, 100) < 40) {
			level = prev.level;
			size = prev.size;
			va = prev.va + prev.size;
			pa = rnd_below(m, 2) ? prev.pa + prev.size
					     : rnd_pa(m, size);
		} else {
			level = rnd_level(m);
			size = level_size(c, level);
			if (size > m->span / 4)
				va = lo + rnd_below(m, 1ULL << c->va_bits);
			else
				va = m->clusters[rnd_below(m, 6)] +
				     rnd_below(m, m->span);
			pa = rnd_pa(m, size);
		}
		va &= ~(size - 1);
		pa &= ~(size - 1);
		if (!model_in_range(m, va) || pa >= pa_limit(c) ||
		    pa + size > pa_limit(c) ||
		    !model_in_range(m, va + (size - 1)) ||
		    va + (size - 1) < va || overlaps(m, va, size)) {
			prev.size = 0;
			continue;
		}
		/* Room for a full path of new tables in either pool. */
		if (f->pool_end[0] - f->pool_next[0] < 6 * g ||
		    f->pool_end[1] - f->pool_next[1] < 6 * g)
			break;
		f->pool = c->pa52 && rnd_below(m, 4) == 0;
		/* Tables on the way, then the leaf. */
		uint64_t table = f->root;
		for (int l = c->start; l < level; l++) {
			uint64_t epa = table + 8ULL * index_of(c, va, l);
			uint64_t e = synth_get64(&f->s, epa);
			if (!(e & D_VALID)) {
				uint64_t t = tbl_new(f);
				e = enc(c, t) | D_VALID | D_TABLE |
				    rnd_table_attrs(m);
				synth_put64(&f->s, epa, e);
			}
			RCHECK(m, (e & 3) == 3, "building: not a table");
			table = dec(c, e, g);
		}
		uint64_t epa = table + 8ULL * index_of(c, va, level);
		RCHECK(m, !(synth_get64(&f->s, epa) & D_VALID),
		       "building: slot taken");
		synth_put64(&f->s, epa, enc(c, pa) | D_VALID |
						(level == 3 ? D_TABLE : 0) |
						rnd_leaf_attrs(m, level < 3));
		prev = (struct rmap){ va, size, pa, level };
		m->maps[m->nr_maps++] = prev;
	}
	/* Junk with bit 0 clear in the empty entries of the tables. */
	for (int p = 0; p < 2; p++) {
		uint64_t start = p ? HI_A : 0;
		for (uint64_t t = start; t < f->pool_next[p]; t += g)
			for (unsigned i = 0; i < 32; i++) {
				uint64_t epa = t + 8 * rnd_below(m, g / 8);
				if (!synth_get64(&f->s, epa))
					synth_put64(&f->s, epa,
						    rnd(m) & ~D_VALID);
			}
	}
}

static uint64_t model_pick_va(struct rmodel *m)
{
	const struct cfg *c = m->f.c;
	uint64_t r = rnd_below(m, 100);
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
		return m->clusters[rnd_below(m, 6)] + rnd_below(m, m->span);
	if (r < 80)
		return lowest_va(c) - 1 - rnd_below(m, 4096);
	if (r < 90)
		return lowest_va(c) + rnd_below(m, 1ULL << c->va_bits);
	return rnd(m);
}

static void model_check_translate(struct rmodel *m, uint64_t va)
{
	struct fx *f = &m->f;
	const struct cfg *c = f->c;
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

	memset(&w, 0x5a, sizeof(w));
	gr = kva_walk(&f->as, va, &w);
	RCHECK(m, gr == wr && w.result == gr, "kva_walk(%#llx): result %d, "
	       "want %d", (unsigned long long)va, gr, wr);
	if (wr == PT_NOT_CANONICAL) {
		RCHECK(m, w.nr == 0, "kva_walk(%#llx): %u steps",
		       (unsigned long long)va, w.nr);
		return;
	}
	const struct rmap *r = model_lookup(m, va);
	unsigned want_nr = r ? (unsigned)(r->level - c->start + 1) : 0;
	RCHECK(m, w.nr >= 1 && w.nr <= c->levels && (!r || w.nr == want_nr),
	       "kva_walk(%#llx): %u steps, want %u", (unsigned long long)va,
	       w.nr, want_nr);
	uint64_t table = f->root;
	for (unsigned i = 0; i < w.nr; i++) {
		const struct pt_step *st = &w.step[i];
		int level = c->start + (int)i;
		unsigned idx = index_of(c, va, level);
		uint64_t off = 0, e = 0;
		RCHECK(m, model_gpa(table + 8ULL * idx, &off),
		       "table %#llx outside RAM", (unsigned long long)table);
		memcpy(&e, f->s.buf + off, 8);
		RCHECK(m, st->level == level && st->table_pa == table &&
			       st->index == idx &&
			       st->entry_pa == table + 8ULL * idx &&
			       st->read_ok && st->entry == e,
		       "kva_walk(%#llx): step %u: level %d table %#llx index "
		       "%u entry_pa %#llx entry %#llx ok %d; want level %d "
		       "table %#llx index %u entry %#llx",
		       (unsigned long long)va, i, st->level,
		       (unsigned long long)st->table_pa, st->index,
		       (unsigned long long)st->entry_pa,
		       (unsigned long long)st->entry, st->read_ok, level,
		       (unsigned long long)table, idx, (unsigned long long)e);
		if (i + 1 < w.nr)
			RCHECK(m, (e & 3) == 3, "kva_walk(%#llx): went on "
			       "past a non-table at step %u",
			       (unsigned long long)va, i);
		table = dec(c, e, gran(c));
	}
	if (r)
		RCHECK(m, w.pa == r->pa + (va - r->va) && w.page_size == r->size,
		       "kva_walk(%#llx): pa %#llx size %#llx, want %#llx size "
		       "%#llx", (unsigned long long)va,
		       (unsigned long long)w.pa,
		       (unsigned long long)w.page_size,
		       (unsigned long long)(r->pa + (va - r->va)),
		       (unsigned long long)r->size);
	else
		RCHECK(m, !(w.step[w.nr - 1].entry & D_VALID),
		       "kva_walk(%#llx): stopped at a valid entry",
		       (unsigned long long)va);
}

/* Through the model: its mappings and its own view of the regions. */
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
		for (uint64_t k = 0; k < x.span && i < len;) {
			uint64_t off, n;
			if (!model_gpa_left(x.pa + k, &off, &n))
				return i;
			if (n > x.span - k)
				n = x.span - k;
			if (n > len - i)
				n = len - i;
			memcpy(buf + i, m->f.s.buf + off, (size_t)n);
			i += (size_t)n;
			k += n;
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
	print_message("random aarch64 page tables: seed %#llx "
		      "(LKSTUB_TEST_SEED=N or random to change)\n",
		      (unsigned long long)base);
	enum { MAX_READ = 200000 };
	uint8_t *got = malloc(MAX_READ + 1), *want = malloc(MAX_READ + 1);
	assert_non_null(got);
	assert_non_null(want);
	for (unsigned round = 0; round < 2 * NR_CFGS; round++) {
		struct rmodel m;
		memset(&m, 0, sizeof(m));
		m.base = base;
		m.round = round;
		m.seed = base + round;
		m.rng = m.seed;
		/* Every configuration once, then random ones. */
		const struct cfg *c = round < NR_CFGS
					      ? &cfgs[round]
					      : &cfgs[rnd_below(&m, NR_CFGS)];
		model_build(&m, c, 250);
		RCHECK(&m, m.nr_maps >= 40, "only %u mappings", m.nr_maps);
		for (unsigned i = 0; i < 3000; i++)
			model_check_translate(&m, model_pick_va(&m));
		for (unsigned i = 0; i < 200; i++) {
			uint64_t va = model_pick_va(&m);
			uint64_t g = gran(c);
			size_t len = rnd_below(&m, 4)
					     ? 1 + rnd_below(&m, 3 * g)
					     : 1 + rnd_below(&m, MAX_READ);
			if (rnd_below(&m, 3) == 0)
				va -= rnd_below(&m, 2 * g);
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
	/* Every test maps a fresh buffer of several MiB: keep freed ones in
	 * the heap so the next test does not fault all its pages in again. */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_geometry),
		cmocka_unit_test(test_level_names),
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_not_present_each_level),
		cmocka_unit_test(test_pa52_tables_and_leaves),
		cmocka_unit_test(test_pa52_encoding),
		cmocka_unit_test(test_pa52_root_high),
		cmocka_unit_test(test_attr_bits_masked),
		cmocka_unit_test(test_va_range),
		cmocka_unit_test(test_from_tcr),
		cmocka_unit_test(test_probe_va_bits),
		cmocka_unit_test(test_setup),
		cmocka_unit_test(test_narrow_va),
		cmocka_unit_test(test_cyclic),
		cmocka_unit_test(test_table_outside_ram),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
