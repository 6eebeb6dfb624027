/* Kernel symbol table: name -> address in O(1) (open-addressed hash),
 * address -> symbol in O(log n) (sorted array). Names point into the
 * vmlinux string table, which stays mapped while the table lives. */
#ifndef LKSTUB_SYMTAB_H
#define LKSTUB_SYMTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sym {
	const char *name;
	uint64_t addr;
	uint64_t size;
	bool global;
};

struct symtab {
	struct sym *syms;      /* sorted by address */
	size_t nr;
	uint32_t *slots;       /* hash slots: index+1 into syms, 0 = empty */
	size_t nr_slots;       /* power of two */
};

/* Take ownership of syms (malloc'd, nr entries) and index them. */
int symtab_build(struct symtab *t, struct sym *syms, size_t nr);
void symtab_free(struct symtab *t);
const struct sym *symtab_lookup(const struct symtab *t, const char *name);
/* The symbol at or below addr (the one with the greatest address <= addr
 * that is not a zero-sized marker when a sized one exists), or NULL. */
const struct sym *symtab_by_addr(const struct symtab *t, uint64_t addr);

#endif
