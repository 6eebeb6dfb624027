/* Kernel virtual addresses to guest-physical ones: the kernel image by its
 * linear formula, everything else (direct map, vmalloc, modules, vmap'd
 * stacks, fixmap) by walking the kernel's own page tables. */
#include "translate/paging.h"

#include <string.h>

#include "common/err.h"

const char *kva_how_name(enum kva_how how)
{
	switch (how) {
	case KVA_IMAGE: return "kernel image";
	case KVA_DIRECT: return "direct map (walked)";
	case KVA_WALK: return "page-table walk";
	}
	return "?";
}

const struct pt_step *pt_walk_read(const struct kernel_as *as,
				   struct pt_walk *w, int level,
				   uint64_t table, unsigned index)
{
	if (w->nr == PT_MAX_LEVELS) {
		w->result = PT_BAD_ENTRY;
		return NULL;
	}
	struct pt_step *s = &w->step[w->nr++];
	s->level = level;
	s->table_pa = table;
	s->index = index;
	s->entry_pa = table + 8ULL * index;
	s->read_ok = guest_mem_read_u64(as->mem, s->entry_pa, &s->entry);
	if (!s->read_ok) {
		w->result = PT_BAD_ENTRY;
		return NULL;
	}
	return s;
}

enum pt_result kva_walk(const struct kernel_as *as, uint64_t va,
			struct pt_walk *walk)
{
	memset(walk, 0, sizeof(*walk));
	return as->arch->walk(as, va, walk);
}

enum pt_result kva_translate(const struct kernel_as *as, uint64_t va,
			     struct kva_xlat *x, struct pt_walk *walk)
{
	/* The image formula needs no page-table reads, which is what lets
	 * discovery read the kernel's variables before the tables are
	 * checked. */
	bool in_image = va >= as->image_start && va < as->image_end;
	if (in_image && !as->tables_checked) {
		x->pa = va - as->image_pa_delta;
		x->span = as->image_end - va;
		x->how = KVA_IMAGE;
		return PT_OK;
	}
	/* Everything else, the direct map included, goes through the
	 * kernel's own tables: the direct map leaves out RAM the firmware
	 * reserved, and a formula would read it anyway. */
	struct pt_walk local;
	if (!walk)
		walk = &local;
	enum pt_result r = kva_walk(as, va, walk);
	if (r != PT_OK)
		return r;
	x->pa = walk->pa;
	x->span = walk->page_size - (walk->pa & (walk->page_size - 1));
	/* A leaf that reaches into the image window must not carry a run
	 * past image_start while the image formula applies there. */
	if (!as->tables_checked && va < as->image_start &&
	    x->span > as->image_start - va)
		x->span = as->image_start - va;
	x->how = in_image		  ? KVA_IMAGE
		 : kva_is_direct(as, va) ? KVA_DIRECT
					 : KVA_WALK;
	return PT_OK;
}

bool kva_is_direct(const struct kernel_as *as, uint64_t va)
{
	return va >= as->page_offset && va - as->page_offset < as->direct_size;
}

/* The longest physically contiguous run starting at va, at most max bytes
 * and never past the end of the guest region holding its first byte.
 * Returns 0 when va is not mapped to guest RAM. */
static uint64_t kva_run(const struct kernel_as *as, uint64_t va, uint64_t max,
			uint64_t *pa)
{
	struct kva_xlat x;
	if (kva_translate(as, va, &x, NULL) != PT_OK)
		return 0;
	uint64_t avail = guest_mem_avail(as->mem, x.pa);
	if (avail < max)
		max = avail;
	uint64_t run = x.span < max ? x.span : max;
	*pa = x.pa;
	while (run < max) {
		uint64_t next = va + run;
		if (next < va || kva_translate(as, next, &x, NULL) != PT_OK ||
		    x.pa != *pa + run)
			break;
		run += x.span < max - run ? x.span : max - run;
	}
	return run;
}

size_t kva_read(const struct kernel_as *as, uint64_t va, void *buf,
		size_t len)
{
	size_t done = 0;
	while (done < len) {
		uint64_t cur = va + done, pa;
		if (cur < va)
			break;
		uint64_t run = kva_run(as, cur, len - done, &pa);
		if (!run)
			break;
		size_t got = guest_mem_read(as->mem, pa, (char *)buf + done,
					    (size_t)run);
		done += got;
		if (got < run)
			break;
	}
	return done;
}

bool kva_read_u64(const struct kernel_as *as, uint64_t va, uint64_t *val)
{
	uint64_t v;
	if (kva_read(as, va, &v, sizeof(v)) != sizeof(v))
		return false;
	*val = v;
	return true;
}

int kva_write(const struct kernel_as *as, uint64_t va, const void *buf,
	      size_t len, char *err)
{
	if (!as->mem->writable)
		return set_err(err, "guest memory is read-only (start lkstub "
			       "with --write to allow writes)");
	/* Translate everything first, so a range that runs into an
	 * unmapped page is refused before any byte is written. */
	size_t done = 0;
	while (done < len) {
		uint64_t cur = va + done, pa;
		uint64_t run = cur < va ? 0 : kva_run(as, cur, len - done, &pa);
		if (!run)
			return set_err(err, "cannot write %#llx: not mapped to "
				       "guest RAM", (unsigned long long)cur);
		done += run;
	}
	for (done = 0; done < len;) {
		uint64_t pa, run = kva_run(as, va + done, len - done, &pa);
		if (!run)
			return set_err(err, "mapping of %#llx changed during "
				       "the write",
				       (unsigned long long)(va + done));
		if (guest_mem_write(as->mem, pa, (const char *)buf + done,
				    (size_t)run, err))
			return -1;
		done += run;
	}
	return 0;
}
