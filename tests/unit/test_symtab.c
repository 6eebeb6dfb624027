/* Unit tests for symbols/symtab.c: name lookup, address lookup, and a large
 * random table against a linear-search reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "symbols/symtab.h"

/* A malloc'd copy of n symbols: symtab_build takes ownership. */
static struct sym *dup_syms(const struct sym *s, size_t n)
{
	struct sym *p = malloc((n ? n : 1) * sizeof(*p));
	assert_non_null(p);
	if (n)
		memcpy(p, s, n * sizeof(*p));
	return p;
}

static void build(struct symtab *t, const struct sym *s, size_t n)
{
	assert_int_equal(symtab_build(t, dup_syms(s, n), n), 0);
	assert_int_equal(t->nr, n);
}

static void test_lookup(void **state)
{
	(void)state;
	static const struct sym s[] = {
		{ "start_kernel", 0xffffffff83a0c000, 0x800, true },
		{ "init_task", 0xffffffff82a14940, 0x2d00, true },
		{ "jiffies", 0xffffffff82a05000, 8, true },
		{ "_text", 0xffffffff81000000, 0, true },
		{ "local_helper", 0xffffffff81001230, 0x40, false },
		{ "fixed_percpu_data", 0, 0x28, true }, /* per-cpu: 0 */
		{ "__per_cpu_start", 0, 0, true },
	};
	struct symtab t;
	build(&t, s, sizeof(s) / sizeof(s[0]));
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		const struct sym *f = symtab_lookup(&t, s[i].name);
		assert_non_null(f);
		assert_string_equal(f->name, s[i].name);
		assert_true(f->addr == s[i].addr);
		assert_true(f->size == s[i].size);
		assert_int_equal(f->global, s[i].global);
	}
	assert_null(symtab_lookup(&t, "start_kerne"));
	assert_null(symtab_lookup(&t, "start_kernel "));
	assert_null(symtab_lookup(&t, "Jiffies"));
	assert_null(symtab_lookup(&t, ""));
	assert_null(symtab_lookup(&t, "not_there"));
	symtab_free(&t);
	assert_null(t.syms);
	assert_int_equal(t.nr, 0);
	/* A freed table answers nothing (and does not crash). */
	assert_null(symtab_lookup(&t, "jiffies"));
	assert_null(symtab_by_addr(&t, 0xffffffff82a05000));
}

static void test_empty(void **state)
{
	(void)state;
	struct symtab t;
	assert_int_equal(symtab_build(&t, malloc(1), 0), 0);
	assert_null(symtab_lookup(&t, "x"));
	assert_null(symtab_by_addr(&t, 0));
	assert_null(symtab_by_addr(&t, UINT64_MAX));
	symtab_free(&t);
	symtab_free(&t); /* twice is harmless */
}

/* Static functions of the same name in several files, and one global: the
 * global wins whatever the order in the ELF or the addresses. */
static void test_duplicates_global_wins(void **state)
{
	(void)state;
	/* All permutations of one global among three locals, with the
	 * global at the lowest, a middle and the highest address. */
	for (unsigned gpos = 0; gpos < 4; gpos++) {
		for (unsigned rot = 0; rot < 4; rot++) {
			struct sym s[5];
			uint64_t addrs[4] = { 0x3000, 0x1000, 0x4000, 0x2000 };
			for (unsigned i = 0; i < 4; i++) {
				unsigned k = (i + rot) % 4;
				s[i] = (struct sym){ "dup", addrs[k], 16,
						     k == gpos };
			}
			s[4] = (struct sym){ "other", 0x5000, 1, false };
			struct symtab t;
			build(&t, s, 5);
			const struct sym *f = symtab_lookup(&t, "dup");
			assert_non_null(f);
			assert_true(f->global);
			assert_true(f->addr == addrs[gpos]);
			assert_non_null(symtab_lookup(&t, "other"));
			symtab_free(&t);
		}
	}
	/* Only locals: one of them is found (any). */
	static const struct sym l[] = {
		{ "s", 0x20, 1, false }, { "s", 0x10, 1, false },
	};
	struct symtab t;
	build(&t, l, 2);
	const struct sym *f = symtab_lookup(&t, "s");
	assert_non_null(f);
	assert_false(f->global);
	symtab_free(&t);
}

/* A value of 0 is a real symbol (per-cpu offsets). */
static void test_value_zero_kept(void **state)
{
	(void)state;
	static const struct sym s[] = {
		{ "fixed_percpu_data", 0, 0x28, true },
		{ "cpu_number", 0x1c, 4, true },
		{ "_text", 0xffffffff81000000, 0, true },
	};
	struct symtab t;
	build(&t, s, 3);
	const struct sym *f = symtab_lookup(&t, "fixed_percpu_data");
	assert_non_null(f);
	assert_true(f->addr == 0);
	f = symtab_by_addr(&t, 0);
	assert_non_null(f);
	assert_string_equal(f->name, "fixed_percpu_data");
	f = symtab_by_addr(&t, 0x1b);
	assert_string_equal(f->name, "fixed_percpu_data");
	f = symtab_by_addr(&t, 0x1c);
	assert_string_equal(f->name, "cpu_number");
	symtab_free(&t);
}

static void test_by_addr(void **state)
{
	(void)state;
	static const struct sym s[] = {
		{ "c", 0x3000, 0x100, true },
		{ "a", 0x1000, 0x100, true },
		{ "b", 0x2000, 0x10, false },
	};
	struct symtab t;
	build(&t, s, 3);
	assert_null(symtab_by_addr(&t, 0));
	assert_null(symtab_by_addr(&t, 0xfff));
	assert_string_equal(symtab_by_addr(&t, 0x1000)->name, "a");
	assert_string_equal(symtab_by_addr(&t, 0x10ff)->name, "a");
	/* Past a's size but below b: still the nearest below. */
	assert_string_equal(symtab_by_addr(&t, 0x1fff)->name, "a");
	assert_string_equal(symtab_by_addr(&t, 0x2000)->name, "b");
	assert_string_equal(symtab_by_addr(&t, 0x2fff)->name, "b");
	assert_string_equal(symtab_by_addr(&t, 0x3000)->name, "c");
	assert_string_equal(symtab_by_addr(&t, 0x3100)->name, "c");
	assert_string_equal(symtab_by_addr(&t, UINT64_MAX)->name, "c");
	/* The array is sorted by address. */
	for (size_t i = 1; i < t.nr; i++)
		assert_true(t.syms[i - 1].addr <= t.syms[i].addr);
	symtab_free(&t);

	/* Symbols at the very top of the address space. */
	static const struct sym top[] = {
		{ "top", UINT64_MAX, 0, true },
		{ "below", UINT64_MAX - 1, 1, true },
	};
	build(&t, top, 2);
	assert_string_equal(symtab_by_addr(&t, UINT64_MAX)->name, "top");
	assert_string_equal(symtab_by_addr(&t, UINT64_MAX - 1)->name, "below");
	assert_null(symtab_by_addr(&t, UINT64_MAX - 2));
	symtab_free(&t);
}

/* Several names at one address: the sized global, in any input order. */
static void test_same_address_preference(void **state)
{
	(void)state;
	static const struct sym base[] = {
		{ "zero_global", 0x5000, 0, true },
		{ "zero_local", 0x5000, 0, false },
		{ "sized_local", 0x5000, 0x20, false },
		{ "sized_global", 0x5000, 0x20, true },
		{ "before", 0x4000, 0x10, true },
	};
	const size_t n = sizeof(base) / sizeof(base[0]);
	/* Every rotation and its reverse. */
	for (size_t rot = 0; rot < n; rot++) {
		for (int rev = 0; rev < 2; rev++) {
			struct sym s[sizeof(base) / sizeof(base[0])];
			for (size_t i = 0; i < n; i++) {
				size_t k = (i + rot) % n;
				s[rev ? n - 1 - i : i] = base[k];
			}
			struct symtab t;
			build(&t, s, n);
			const struct sym *f = symtab_by_addr(&t, 0x5000);
			assert_non_null(f);
			assert_string_equal(f->name, "sized_global");
			assert_string_equal(symtab_by_addr(&t, 0x501f)->name,
					    "sized_global");
			assert_string_equal(symtab_by_addr(&t, 0x4fff)->name,
					    "before");
			/* Each is still found by name. */
			for (size_t i = 0; i < n; i++)
				assert_non_null(
					symtab_lookup(&t, base[i].name));
			symtab_free(&t);
		}
	}
	/* Without a sized one: a global marker over a local one. */
	static const struct sym markers[] = {
		{ "m_local", 0x10, 0, false },
		{ "m_global", 0x10, 0, true },
		{ "m_local2", 0x10, 0, false },
	};
	struct symtab t;
	build(&t, markers, 3);
	assert_string_equal(symtab_by_addr(&t, 0x10)->name, "m_global");
	symtab_free(&t);
	/* Sized local over zero-sized global. */
	static const struct sym mixed[] = {
		{ "g0", 0x10, 0, true },
		{ "l8", 0x10, 8, false },
	};
	build(&t, mixed, 2);
	assert_string_equal(symtab_by_addr(&t, 0x10)->name, "l8");
	symtab_free(&t);
}

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#define BIG 200000

/* The reference for by_addr: greatest address <= a; among those, sized
 * before zero-sized, then global before local, then the smallest name. */
static bool ref_better(const struct sym *x, const struct sym *best)
{
	if (!best || x->addr != best->addr)
		return !best || x->addr > best->addr;
	if ((x->size != 0) != (best->size != 0))
		return x->size != 0;
	if (x->global != best->global)
		return x->global;
	return strcmp(x->name, best->name) < 0;
}

static const struct sym *ref_by_addr(const struct sym *s, size_t n,
				     uint64_t a)
{
	const struct sym *best = NULL;
	for (size_t i = 0; i < n; i++)
		if (s[i].addr <= a && ref_better(&s[i], best))
			best = &s[i];
	return best;
}

static void test_random_200k(void **state)
{
	(void)state;
	uint64_t seed = 0x5eed5eed;
	/* Names: unique ones, plus a pool of repeated static names. */
	char *names = malloc((size_t)BIG * 16);
	assert_non_null(names);
	struct sym *ref = malloc(BIG * sizeof(*ref));
	assert_non_null(ref);
	const uint64_t base = 0xffffffff81000000ULL;
	for (size_t i = 0; i < BIG; i++) {
		char *nm = names + i * 16;
		uint64_t r = rnd(&seed);
		if (r % 10 == 0) /* 10%: one of 500 repeated names */
			snprintf(nm, 16, "st_%u", (unsigned)(r >> 32) % 500);
		else
			snprintf(nm, 16, "f%zu", i);
		/* Addresses clustered so that many collide. */
		uint64_t addr = base + (rnd(&seed) % (BIG * 4)) * 16;
		ref[i] = (struct sym){ nm, addr, (rnd(&seed) % 4) ? 16 : 0,
				       rnd(&seed) % 3 != 0 };
	}
	struct symtab t;
	build(&t, ref, BIG);

	/* Name lookups: unique names exactly; repeated names give a global
	 * whenever one exists. */
	bool any_global[500] = { false };
	for (size_t i = 0; i < BIG; i++)
		if (!strncmp(ref[i].name, "st_", 3) && ref[i].global)
			any_global[atoi(ref[i].name + 3)] = true;
	for (size_t i = 0; i < BIG; i++) {
		const struct sym *f = symtab_lookup(&t, ref[i].name);
		assert_non_null(f);
		assert_string_equal(f->name, ref[i].name);
		if (ref[i].name[0] == 'f') {
			assert_true(f->addr == ref[i].addr);
			assert_true(f->size == ref[i].size);
		} else if (any_global[atoi(ref[i].name + 3)]) {
			assert_true(f->global);
		}
	}
	char absent[32];
	for (unsigned i = 0; i < 2000; i++) {
		snprintf(absent, sizeof(absent), "g%u", i);
		assert_null(symtab_lookup(&t, absent));
	}

	/* Address lookups against the linear reference: around every few
	 * symbols and at random points (the reference costs O(n) each). */
	for (unsigned q = 0; q < 600; q++) {
		uint64_t a;
		switch (q % 4) {
		case 0: a = ref[rnd(&seed) % BIG].addr; break;
		case 1: a = ref[rnd(&seed) % BIG].addr - 1; break;
		case 2: a = base + rnd(&seed) % (BIG * 64ULL + 64); break;
		default: a = base - 1 - rnd(&seed) % 64; break;
		}
		const struct sym *want = ref_by_addr(ref, BIG, a);
		const struct sym *got = symtab_by_addr(&t, a);
		if (!want) {
			assert_null(got);
			continue;
		}
		assert_non_null(got);
		assert_true(got->addr == want->addr);
		assert_true((got->size != 0) == (want->size != 0));
		assert_int_equal(got->global, want->global);
		assert_string_equal(got->name, want->name);
	}
	symtab_free(&t);
	free(ref);
	free(names);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_duplicates_global_wins),
		cmocka_unit_test(test_value_zero_kept),
		cmocka_unit_test(test_by_addr),
		cmocka_unit_test(test_same_address_preference),
		cmocka_unit_test(test_random_200k),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
