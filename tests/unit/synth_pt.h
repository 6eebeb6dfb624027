/* Synthetic guest memory for the translate/ unit tests: a heap buffer is
 * the source, regions map GPAs onto it, and x86_64 page tables are built in
 * it at chosen guest-physical addresses.
 *
 * Include after <cmocka.h>: the helpers assert with cmocka. */
#ifndef LKSTUB_TESTS_SYNTH_PT_H
#define LKSTUB_TESTS_SYNTH_PT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "translate/guest_mem.h"
#include "translate/paging.h"

#define SYN_4K (1ULL << 12)
#define SYN_2M (1ULL << 21)
#define SYN_1G (1ULL << 30)

#define PTE_P    (1ULL << 0)
#define PTE_RW   (1ULL << 1)
#define PTE_US   (1ULL << 2)
#define PTE_A    (1ULL << 5)
#define PTE_D    (1ULL << 6)
#define PTE_PSE  (1ULL << 7)
#define PTE_G    (1ULL << 8)
#define PTE_PAT_LARGE (1ULL << 12)
#define PTE_NX   (1ULL << 63)
#define PTE_PKEY_MASK (0xfULL << 59)
#define PTE_SW_HIGH   (0x7fULL << 52)
#define PTE_SW_LOW    (0x7ULL << 9)
#define PTE_ADDR_MASK 0x000ffffffffff000ULL

struct synth {
	uint8_t *buf;        /* the source */
	size_t size;
	struct guest_mem mem;
	uint64_t next_table; /* bump allocator for table pages (a GPA) */
	uint64_t table_end;
};

/* A source of size bytes (zeroed), no regions yet. */
static inline void synth_open(struct synth *s, size_t size, bool writable)
{
	char err[ERR_LEN];
	memset(s, 0, sizeof(*s));
	s->buf = aligned_alloc(4096, size);
	assert_non_null(s->buf);
	memset(s->buf, 0, size);
	s->size = size;
	assert_int_equal(guest_mem_open_buffer(&s->mem, s->buf, size, writable,
					       err), 0);
}

static inline void synth_region(struct synth *s, uint64_t gpa, uint64_t size,
				uint64_t offset)
{
	char err[ERR_LEN] = "";
	if (guest_mem_add_region(&s->mem, gpa, size, offset, err))
		fail_msg("add_region(%#llx, %#llx, %#llx): %s",
			 (unsigned long long)gpa, (unsigned long long)size,
			 (unsigned long long)offset, err);
}

/* A flat source: GPA == offset over the whole buffer. */
static inline void synth_open_flat(struct synth *s, size_t size)
{
	synth_open(s, size, true);
	synth_region(s, 0, size, 0);
}

static inline void synth_close(struct synth *s)
{
	guest_mem_close(&s->mem);
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

/* Host pointer to the bytes of GPA gpa; len bytes must stay in its region
 * (checked independently of guest_mem_find). */
static inline uint8_t *synth_ptr(struct synth *s, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < s->mem.nr_regions; i++) {
		const struct guest_region *r = &s->mem.regions[i];
		if (gpa >= r->gpa && gpa - r->gpa < r->size) {
			assert_true(len <= r->size - (gpa - r->gpa));
			return s->buf + r->offset + (gpa - r->gpa);
		}
	}
	fail_msg("GPA %#llx is not in a synthetic region",
		 (unsigned long long)gpa);
	return NULL;
}

static inline void synth_put64(struct synth *s, uint64_t gpa, uint64_t v)
{
	memcpy(synth_ptr(s, gpa, 8), &v, 8);
}

static inline uint64_t synth_get64(struct synth *s, uint64_t gpa)
{
	uint64_t v;
	memcpy(&v, synth_ptr(s, gpa, 8), 8);
	return v;
}

/* Page tables are allocated from [start, end) (GPAs in RAM). */
static inline void synth_table_pool(struct synth *s, uint64_t start,
				    uint64_t end)
{
	s->next_table = start;
	s->table_end = end;
}

static inline uint64_t synth_new_table(struct synth *s)
{
	assert_true(s->next_table + SYN_4K <= s->table_end);
	uint64_t pa = s->next_table;
	s->next_table += SYN_4K;
	memset(synth_ptr(s, pa, SYN_4K), 0, SYN_4K);
	return pa;
}

static inline unsigned synth_index(uint64_t va, unsigned level)
{
	return (unsigned)((va >> (12 + 9 * (level - 1))) & 511);
}

static inline uint64_t synth_level_size(unsigned level)
{
	return 1ULL << (12 + 9 * (level - 1));
}

/* GPA of the entry for va at level in the table at table_pa. */
static inline uint64_t synth_entry_pa(uint64_t table_pa, uint64_t va,
				      unsigned level)
{
	return table_pa + 8ULL * synth_index(va, level);
}

/* Map va -> pa with a leaf of page_size (4K, 2M or 1G), creating tables on
 * the way (their entries get table_flags | P). leaf_flags are or'ed into
 * the leaf (P and, for large pages, PSE are added). Fails the test if a
 * large leaf is in the way or the slot is taken. Returns the leaf's GPA. */
static inline uint64_t synth_map_flags(struct synth *s, uint64_t root,
				       unsigned levels, uint64_t va,
				       uint64_t pa, uint64_t page_size,
				       uint64_t table_flags,
				       uint64_t leaf_flags)
{
	unsigned leaf_level = page_size == SYN_1G ? 3
			      : page_size == SYN_2M ? 2 : 1;
	assert_true(page_size == synth_level_size(leaf_level));
	assert_int_equal(pa & (page_size - 1), 0);
	uint64_t table = root;
	for (unsigned level = levels; level > leaf_level; level--) {
		uint64_t epa = synth_entry_pa(table, va, level);
		uint64_t e = synth_get64(s, epa);
		if (!(e & PTE_P)) {
			uint64_t t = synth_new_table(s);
			e = t | PTE_P | table_flags;
			synth_put64(s, epa, e);
		}
		assert_false(e & PTE_PSE);
		table = e & PTE_ADDR_MASK;
	}
	uint64_t epa = synth_entry_pa(table, va, leaf_level);
	assert_false(synth_get64(s, epa) & PTE_P);
	uint64_t e = pa | PTE_P | leaf_flags;
	if (leaf_level > 1)
		e |= PTE_PSE;
	synth_put64(s, epa, e);
	return epa;
}

static inline uint64_t synth_map(struct synth *s, uint64_t root,
				 unsigned levels, uint64_t va, uint64_t pa,
				 uint64_t page_size)
{
	return synth_map_flags(s, root, levels, va, pa, page_size, PTE_RW,
			       PTE_RW);
}

/* GPA of the entry that translates va at level (the tables must exist). */
static inline uint64_t synth_find_entry(struct synth *s, uint64_t root,
					unsigned levels, uint64_t va,
					unsigned level)
{
	uint64_t table = root;
	for (unsigned l = levels; l > level; l--) {
		uint64_t e = synth_get64(s, synth_entry_pa(table, va, l));
		assert_true(e & PTE_P);
		table = e & PTE_ADDR_MASK;
	}
	return synth_entry_pa(table, va, level);
}

static inline void synth_as(struct kernel_as *as, struct synth *s,
			    uint64_t root, unsigned levels)
{
	memset(as, 0, sizeof(*as));
	as->mem = &s->mem;
	as->arch = &arch_x86_64;
	as->root_pa = root;
	as->levels = levels;
}

/* Deterministic PRNG (splitmix64) for fill patterns and random tests. */
static inline uint64_t synth_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline void synth_fill(struct synth *s, uint64_t seed)
{
	for (size_t i = 0; i < s->size; i += 8) {
		uint64_t v = synth_rand(&seed);
		memcpy(s->buf + i, &v, s->size - i < 8 ? s->size - i : 8);
	}
}

#endif
