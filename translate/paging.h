/* Kernel virtual address space of a guest: the three ways a kernel VA maps
 * to guest-physical memory (kernel image, direct map, page-table walk), and
 * the per-architecture walker behind a small ops table. */
#ifndef LKSTUB_PAGING_H
#define LKSTUB_PAGING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "translate/guest_mem.h"

#define PT_MAX_LEVELS 6

struct kernel_as;

/* One step of a walk, kept so `monitor translate` can show it. */
struct pt_step {
	int level;         /* architecture's level number (x86: 5..1,
			    * aarch64: -1..3) */
	uint64_t table_pa; /* table base */
	unsigned index;
	uint64_t entry_pa;
	uint64_t entry;
	bool read_ok;      /* false: the entry's address is not guest RAM */
};

enum pt_result {
	PT_OK,
	PT_NOT_CANONICAL, /* address outside the architecture's VA space */
	PT_NOT_PRESENT,   /* an entry on the way is not valid */
	PT_BAD_ENTRY,     /* entry reserved / malformed / unreadable table */
};

struct pt_walk {
	unsigned nr;
	struct pt_step step[PT_MAX_LEVELS];
	enum pt_result result;
	uint64_t pa;        /* on PT_OK: the physical address of va */
	uint64_t page_size; /* on PT_OK: size of the leaf (4K, 2M, 1G, ...) */
};

struct arch_ops {
	const char *name;      /* "x86_64" */
	uint16_t elf_machine;  /* EM_X86_64 */
	/* Walk as->root_pa for va; always fills walk, returns walk->result. */
	enum pt_result (*walk)(const struct kernel_as *as, uint64_t va,
			       struct pt_walk *walk);
	/* Name of a level for messages ("PML5", "PGD", "L0", ...). */
	const char *(*level_name)(const struct kernel_as *as, int level);
};

/* For walkers: record a step at table[index] and read its entry. NULL
 * (with w->result PT_BAD_ENTRY) when the entry is not in guest RAM. */
const struct pt_step *pt_walk_read(const struct kernel_as *as,
				   struct pt_walk *w, int level,
				   uint64_t table, unsigned index);

extern const struct arch_ops arch_x86_64;
extern const struct arch_ops arch_aarch64;

/* What is known of a running kernel's address space. */
struct kernel_as {
	const struct guest_mem *mem;
	const struct arch_ops *arch;
	uint64_t root_pa;        /* kernel top-level page table (physical) */
	unsigned levels;         /* x86_64: 4 or 5; aarch64: from the next */
	/* aarch64 translation control (TCR_EL1), see aarch64_paging_setup. */
	unsigned va_bits;        /* 64 - T1SZ */
	unsigned page_shift;     /* granule: 12, 14 or 16 */
	bool pa52;               /* 52-bit output addresses (LPA2, or LPA
				  * with 64 KiB pages) */
	/* Kernel image: pa = va - image_pa_delta for va in [start, end). The
	 * formula serves discovery, before the page tables are checked;
	 * afterwards (tables_checked) the image is walked like the rest:
	 * the kernel unmaps parts of it (freed init memory, arm64's head). */
	uint64_t image_start, image_end;
	uint64_t image_pa_delta;
	bool tables_checked;
	/* Direct map: [page_offset, page_offset + direct_size) maps guest
	 * RAM from direct_pa_base. Translated by walking (holes are real),
	 * the formula is shown next to the walk by `monitor translate`. */
	uint64_t page_offset;
	uint64_t direct_pa_base;
	uint64_t direct_size;
	/* Walk the user half instead (aarch64: TTBR0's, addresses below
	 * 2^va_bits; x86 has one walk, from whichever root). */
	bool user_half;
};

/* Set the aarch64 walk up from the VA width, granule and 52-bit PA mode;
 * refuses combinations the architecture does not have. */
int aarch64_paging_setup(struct kernel_as *as, unsigned va_bits,
			 unsigned page_shift, bool pa52, char *err);
/* The same from TCR_EL1's T1SZ, TG1 and DS fields (pa52 from DS, or from
 * IPS = 52 bits with 64 KiB pages). */
int aarch64_paging_from_tcr(struct kernel_as *as, uint64_t tcr, char *err);
/* Without TCR_EL1 (a kernel found by its banner): the first of the
 * n candidate VA widths under which the tables at as->root_pa map va to
 * want_pa (52 bits: with LPA2 on 4K/16K pages, LPA on 64K); as is set up
 * for it and its index returned. -1 when none does: as is then set up for
 * candidate 0 if it can be (else err says why). as->mem, ->arch and
 * ->root_pa must be set. */
int aarch64_paging_probe(struct kernel_as *as, const unsigned *va_bits,
			 size_t n, unsigned page_shift, uint64_t va,
			 uint64_t want_pa, char *err);

enum kva_how { KVA_IMAGE, KVA_DIRECT, KVA_WALK };

struct kva_xlat {
	uint64_t pa;
	uint64_t span;    /* bytes from va that map contiguously from pa */
	enum kva_how how;
};

const char *kva_how_name(enum kva_how how);
/* Is va inside the direct map's range? */
bool kva_is_direct(const struct kernel_as *as, uint64_t va);

/* Translate one kernel VA. Fills walk (if non-NULL) when a walk was done. */
enum pt_result kva_translate(const struct kernel_as *as, uint64_t va,
			     struct kva_xlat *x, struct pt_walk *walk);
/* Walk the page tables even where a formula applies (for diagnostics). */
enum pt_result kva_walk(const struct kernel_as *as, uint64_t va,
			struct pt_walk *walk);

/* Read len bytes at va; returns the bytes read before the first hole.
 * Translates once per page and reads physically contiguous runs whole,
 * never across a region boundary. */
size_t kva_read(const struct kernel_as *as, uint64_t va, void *buf,
		size_t len);
bool kva_read_u64(const struct kernel_as *as, uint64_t va, uint64_t *val);
/* Write all of buf or nothing: every page is translated before the first
 * byte is written. */
int kva_write(const struct kernel_as *as, uint64_t va, const void *buf,
	      size_t len, char *err);

#endif
