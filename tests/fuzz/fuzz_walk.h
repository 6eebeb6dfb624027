/* The shared body of the page-table walker fuzzers: random guest memory
 * in one or two regions, an address space whose root, levels/granule and
 * image window come from the input, and kva_walk / kva_translate /
 * kva_read / kva_write of random addresses.
 *
 * Input layout (every field optional: missing bytes read as zero):
 *   u8  flags    bit0: two regions; bit1: region order swapped in the
 *                source; bit2: kernel-image window; bit3: writable,
 *                try kva_write; bits 4-7: per-architecture
 *   u64 arch     per-architecture setup word (levels, TCR, ...)
 *   u32 root     page number of the root table (bit 31: raw GPA << 3)
 *   u8  gpa0     region 0 at gpa0 pages
 *   u32 gpa1     region 1 at gpa1 pages
 *   u8  split    region 0 gets split/256 of the memory
 *   u64 image    image window: start, size (u32), pa delta
 *   u8  n        addresses to try (n % 8 + 1), each: u8 base selector,
 *                u64 address, u16 length
 *   ...          the rest is guest memory
 * The memory lives in a buffer of exactly its size, so ASan sees any
 * access the region checks should have stopped. */
#ifndef LKSTUB_FUZZ_WALK_H
#define LKSTUB_FUZZ_WALK_H

#include "tests/fuzz/fuzz_input.h"

#include "common/err.h"
#include "translate/guest_mem.h"
#include "translate/paging.h"

#define WALK_MAX_ADDRS 8
#define WALK_MAX_LEN 0x3000 /* longest read or write: spans 4 pages */
#define WALK_CHECK_BYTES 512 /* bytes of a read checked one by one */

/* Sets as up from the arch word and flags bits 4-7 (mem already set). */
typedef void walk_setup_fn(struct kernel_as *as, uint64_t word,
			   uint8_t flags);

struct walk_addr {
	uint8_t base;
	uint64_t va;
	uint16_t len;
};

/* Where GPA pa lives in the buffer, by our own copy of the regions; -1
 * when it is not guest memory. */
static inline long walk_host_off(const struct guest_mem *m, uint64_t pa)
{
	for (unsigned i = 0; i < m->nr_regions; i++) {
		const struct guest_region *r = &m->regions[i];
		if (pa >= r->gpa && pa - r->gpa < r->size)
			return (long)(r->offset + (pa - r->gpa));
	}
	return -1;
}

/* The byte at va by translating that one byte; -1 when unreadable. */
static inline int walk_byte(const struct kernel_as *as, const uint8_t *buf,
			    uint64_t va)
{
	struct kva_xlat x;
	if (kva_translate(as, va, &x, NULL) != PT_OK)
		return -1;
	long off = walk_host_off(as->mem, x.pa);
	return off < 0 ? -1 : buf[off];
}

static inline void walk_check_steps(const struct kernel_as *as,
				    const uint8_t *buf, uint64_t va,
				    const struct pt_walk *w,
				    enum pt_result res)
{
	FUZZ_CHECK(w->result == res, "walk says %d, returned %d", w->result,
		   res);
	FUZZ_CHECK(w->nr <= PT_MAX_LEVELS, "%u steps", w->nr);
	for (unsigned i = 0; i < w->nr; i++) {
		const struct pt_step *s = &w->step[i];
		if (!s->read_ok)
			continue;
		long off = walk_host_off(as->mem, s->entry_pa);
		FUZZ_CHECK(off >= 0 && walk_host_off(as->mem, s->entry_pa + 7)
						   == off + 7,
			   "entry at %#llx read outside guest memory",
			   (unsigned long long)s->entry_pa);
		uint64_t e;
		memcpy(&e, buf + off, 8);
		FUZZ_CHECK(e == s->entry, "entry at %#llx misread",
			   (unsigned long long)s->entry_pa);
	}
	if (res == PT_OK) {
		FUZZ_CHECK(w->page_size && !(w->page_size & (w->page_size - 1)),
			   "page size %#llx",
			   (unsigned long long)w->page_size);
		FUZZ_CHECK(((w->pa ^ va) & (w->page_size - 1)) == 0,
			   "offset in page lost: va %#llx pa %#llx",
			   (unsigned long long)va, (unsigned long long)w->pa);
	}
}

static inline void walk_one(const struct kernel_as *as, uint8_t *buf,
			    size_t size, const struct walk_addr *a,
			    const uint8_t *wdata, size_t wlen)
{
	static uint8_t out[WALK_MAX_LEN], before[WALK_MAX_LEN];
	uint64_t va = a->va;
	struct pt_walk w;
	enum pt_result res = kva_walk(as, va, &w);
	walk_check_steps(as, buf, va, &w, res);

	struct kva_xlat x;
	res = kva_translate(as, va, &x, &w);
	if (res == PT_OK) {
		FUZZ_CHECK(x.span > 0, "empty span");
		if (x.how == KVA_IMAGE)
			FUZZ_CHECK(x.pa == va - as->image_pa_delta &&
				   va >= as->image_start && va < as->image_end,
				   "image formula");
		else
			FUZZ_CHECK(x.pa == w.pa, "translate and walk differ");
	}

	/* A read returns exactly the bytes one-byte translations give, and
	 * stops only at a byte that is not readable. */
	size_t len = a->len % (WALK_MAX_LEN + 1);
	memset(out, 0xa5, len);
	size_t n = kva_read(as, va, out, len);
	FUZZ_CHECK(n <= len, "read %zu of %zu", n, len);
	for (size_t i = 0; i < n; i++) {
		if (i >= WALK_CHECK_BYTES && i != n - 1 && (i & 0x3ff) != 0)
			continue;
		int b = walk_byte(as, buf, va + i);
		FUZZ_CHECK(b == out[i], "byte %zu of %#llx: read %#x, one-byte "
			   "translation %d", i, (unsigned long long)va, out[i], b);
	}
	if (n < len && va + n >= va)
		FUZZ_CHECK(walk_byte(as, buf, va + n) < 0,
			   "read stopped at a readable byte %#llx",
			   (unsigned long long)(va + n));
	uint64_t v;
	bool ok = kva_read_u64(as, va, &v);
	FUZZ_CHECK(ok == (n >= 8 || (len < 8 && kva_read(as, va, out, 8) == 8)),
		   "read_u64 disagrees with read");

	if (!as->mem->writable || !wlen)
		return;
	/* Writes are all or nothing: refused without a change when any byte
	 * is unmapped (the walk cannot change before the first write). */
	len = wlen;
	bool all = true;
	for (size_t i = 0; i < len && all; i++)
		all = va + i >= va && walk_byte(as, buf, va + i) >= 0;
	uint8_t *copy = malloc(size ? size : 1);
	memcpy(copy, buf, size);
	(void)before;
	char err[ERR_LEN] = "";
	int rc = kva_write(as, va, wdata, len, err);
	if (!all) {
		FUZZ_CHECK(rc < 0 && memcmp(copy, buf, size) == 0,
			   "write over an unmapped byte: rc %d, changed %d",
			   rc, memcmp(copy, buf, size) != 0);
	} else if (rc < 0) {
		/* Only a walk changed by the write itself may stop it. */
		FUZZ_CHECK(strstr(err, "changed during"), "write refused: %s",
			   err);
	}
	free(copy);
}

static inline int walk_fuzz(const uint8_t *data, size_t size,
			    const struct arch_ops *arch, walk_setup_fn *setup,
			    const uint64_t bases[4])
{
	struct fin in;
	fin_init(&in, data, size);
	uint8_t flags = fin_u8(&in);
	uint64_t word = fin_u64(&in);
	uint32_t root = fin_u32(&in);
	uint64_t gpa0 = (uint64_t)fin_u8(&in) << 12;
	uint64_t gpa1 = (uint64_t)fin_u32(&in) << 12;
	uint8_t split = fin_u8(&in);
	uint64_t img_start = fin_u64(&in);
	uint32_t img_size = fin_u32(&in);
	uint64_t img_delta = fin_u64(&in);
	unsigned nr = fin_u8(&in) % WALK_MAX_ADDRS + 1;
	struct walk_addr addrs[WALK_MAX_ADDRS];
	for (unsigned i = 0; i < nr; i++) {
		addrs[i].base = fin_u8(&in);
		addrs[i].va = fin_u64(&in) ^ bases[addrs[i].base & 3];
		addrs[i].len = fin_u16(&in);
	}
	size_t wlen = 0;
	const uint8_t *wdata = NULL;
	if (flags & 8) {
		wlen = fin_u8(&in) % 64 + 1;
		size_t got;
		wdata = fin_take(&in, wlen, &got);
		wlen = got;
	}

	size_t msize = in.left;
	uint8_t *buf = malloc(msize ? msize : 1);
	memcpy(buf, in.p, msize);

	struct guest_mem mem;
	char err[ERR_LEN];
	FUZZ_CHECK(guest_mem_open_buffer(&mem, buf, msize, flags & 8, err) == 0,
		   "%s", err);
	size_t size0 = (flags & 1) ? msize * split / 256 : msize;
	size_t size1 = msize - size0;
	uint64_t off0 = (flags & 2) ? size1 : 0, off1 = (flags & 2) ? 0 : size0;
	if (size0)
		(void)guest_mem_add_region(&mem, gpa0, size0, off0, err);
	if (size1)
		(void)guest_mem_add_region(&mem, gpa1, size1, off1, err);

	struct kernel_as as;
	memset(&as, 0, sizeof(as));
	as.mem = &mem;
	as.arch = arch;
	as.root_pa = root & (1u << 31) ? (uint64_t)root << 3
				       : (uint64_t)root << 12;
	if (flags & 4) {
		as.image_start = img_start;
		as.image_end = img_start + img_size < img_start
				       ? UINT64_MAX
				       : img_start + img_size;
		as.image_pa_delta = img_delta;
	}
	setup(&as, word, flags);

	for (unsigned i = 0; i < nr; i++)
		walk_one(&as, buf, msize, &addrs[i], wdata, wlen);

	guest_mem_close(&mem);
	free(buf);
	return 0;
}

#endif
