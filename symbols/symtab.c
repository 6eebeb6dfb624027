#include "symbols/symtab.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash_name(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

static int cmp_addr(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* Sized before zero-sized, globals before locals: by_addr picks the
	 * last of a run, so order the best one last. */
	if ((x->size != 0) != (y->size != 0))
		return x->size ? 1 : -1;
	if (x->global != y->global)
		return x->global ? 1 : -1;
	return strcmp(y->name, x->name);
}

int symtab_build(struct symtab *t, struct sym *syms, size_t nr)
{
	memset(t, 0, sizeof(*t));
	if (nr >= UINT32_MAX / 4) {
		free(syms);
		return -1;
	}
	qsort(syms, nr, sizeof(*syms), cmp_addr);
	size_t n = 16;
	while (n < nr * 2)
		n *= 2;
	t->slots = calloc(n, sizeof(*t->slots));
	if (!t->slots) {
		free(syms);
		return -1;
	}
	t->syms = syms;
	t->nr = nr;
	t->nr_slots = n;
	for (size_t i = 0; i < nr; i++) {
		size_t s = hash_name(syms[i].name) & (n - 1);
		for (;;) {
			uint32_t cur = t->slots[s];
			if (!cur) {
				t->slots[s] = (uint32_t)i + 1;
				break;
			}
			struct sym *o = &syms[cur - 1];
			if (!strcmp(o->name, syms[i].name)) {
				/* Same name twice (static symbols): a global
				 * definition wins over a local one. */
				if (syms[i].global && !o->global)
					t->slots[s] = (uint32_t)i + 1;
				break;
			}
			s = (s + 1) & (n - 1);
		}
	}
	return 0;
}

void symtab_free(struct symtab *t)
{
	free(t->syms);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

const struct sym *symtab_lookup(const struct symtab *t, const char *name)
{
	if (!t->nr_slots)
		return NULL;
	size_t s = hash_name(name) & (t->nr_slots - 1);
	for (size_t probes = 0; probes < t->nr_slots; probes++) {
		uint32_t cur = t->slots[s];
		if (!cur)
			return NULL;
		if (!strcmp(t->syms[cur - 1].name, name))
			return &t->syms[cur - 1];
		s = (s + 1) & (t->nr_slots - 1);
	}
	return NULL;
}

const struct sym *symtab_by_addr(const struct symtab *t, uint64_t addr)
{
	size_t lo = 0, hi = t->nr;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &t->syms[lo - 1] : NULL;
}
