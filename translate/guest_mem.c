/* Guest physical memory: region bookkeeping and bounds checks. The bytes
 * themselves come from the source behind m->ops (see mem_file.c). */
#include "translate/guest_mem.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"

void guest_mem_clear_regions(struct guest_mem *m)
{
	m->nr_regions = 0;
}

static int reserve_regions(struct guest_mem *m, unsigned cap, char *err)
{
	if (cap > GUEST_MAX_REGIONS)
		cap = GUEST_MAX_REGIONS;
	if (cap <= m->cap_regions)
		return 0;
	struct guest_region *r = realloc(m->regions, cap * sizeof(*r));
	if (!r)
		return set_err(err, "out of memory for %u memory regions", cap);
	m->regions = r;
	m->cap_regions = cap;
	return 0;
}

int guest_mem_view(struct guest_mem *view, const struct guest_mem *m,
		   char *err)
{
	*view = *m;
	view->regions = NULL;
	view->cap_regions = 0;
	if (reserve_regions(view, m->nr_regions ? m->nr_regions : 1, err))
		return -1;
	if (m->nr_regions) /* none yet: m->regions is NULL */
		memcpy(view->regions, m->regions,
		       m->nr_regions * sizeof(m->regions[0]));
	return 0;
}

void guest_mem_swap_view(struct guest_mem *m, struct guest_mem *view)
{
	struct guest_mem t = *m;
	m->regions = view->regions;
	m->nr_regions = view->nr_regions;
	m->cap_regions = view->cap_regions;
	m->ram_base = view->ram_base;
	m->ram_size = view->ram_size;
	view->regions = t.regions;
	view->nr_regions = t.nr_regions;
	view->cap_regions = t.cap_regions;
	view->ram_base = t.ram_base;
	view->ram_size = t.ram_size;
}

void guest_mem_close_view(struct guest_mem *view)
{
	free(view->regions);
	memset(view, 0, sizeof(*view));
}

int guest_mem_add_region(struct guest_mem *m, uint64_t gpa, uint64_t size,
			 uint64_t offset, char *err)
{
	if (size == 0)
		return set_err(err, "region at GPA %#llx has size 0",
			       (unsigned long long)gpa);
	if (gpa + size < gpa)
		return set_err(err, "region at GPA %#llx size %#llx wraps",
			       (unsigned long long)gpa,
			       (unsigned long long)size);
	if (offset > m->src_size || size > m->src_size - offset)
		return set_err(err,
			       "region GPA %#llx size %#llx at offset %#llx "
			       "goes past the end of the %s (%#llx bytes)",
			       (unsigned long long)gpa,
			       (unsigned long long)size,
			       (unsigned long long)offset, m->ops->name,
			       (unsigned long long)m->src_size);
	if (m->nr_regions == GUEST_MAX_REGIONS)
		return set_err(err, "more than %u memory regions",
			       GUEST_MAX_REGIONS);
	if (m->nr_regions == m->cap_regions &&
	    reserve_regions(m, m->cap_regions ? 2 * m->cap_regions : 8, err))
		return -1;
	/* The first region at or above gpa (dumps add them in order, so
	 * this is usually the end). */
	unsigned i = 0, hi = m->nr_regions;
	while (i < hi) {
		unsigned mid = i + (hi - i) / 2;
		if (m->regions[mid].gpa < gpa)
			i = mid + 1;
		else
			hi = mid;
	}
	if (i > 0) {
		const struct guest_region *p = &m->regions[i - 1];
		if (p->gpa + p->size > gpa)
			return set_err(err, "region at GPA %#llx overlaps the "
				       "one at %#llx", (unsigned long long)gpa,
				       (unsigned long long)p->gpa);
	}
	if (i < m->nr_regions && gpa + size > m->regions[i].gpa)
		return set_err(err, "region at GPA %#llx overlaps the one at "
			       "%#llx", (unsigned long long)gpa,
			       (unsigned long long)m->regions[i].gpa);
	memmove(&m->regions[i + 1], &m->regions[i],
		(m->nr_regions - i) * sizeof(m->regions[0]));
	m->regions[i] = (struct guest_region){ gpa, size, offset };
	m->nr_regions++;
	return 0;
}

const struct guest_region *guest_mem_find(const struct guest_mem *m,
					  uint64_t gpa)
{
	unsigned lo = 0, hi = m->nr_regions;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct guest_region *r = &m->regions[mid];
		if (gpa < r->gpa)
			hi = mid;
		else if (gpa - r->gpa >= r->size)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

uint64_t guest_mem_avail(const struct guest_mem *m, uint64_t gpa)
{
	const struct guest_region *r = guest_mem_find(m, gpa);
	return r ? r->size - (gpa - r->gpa) : 0;
}

uint64_t guest_mem_end(const struct guest_mem *m)
{
	if (!m->nr_regions)
		return 0;
	const struct guest_region *r = &m->regions[m->nr_regions - 1];
	return r->gpa + r->size;
}

uint64_t guest_mem_next_data(const struct guest_mem *m, uint64_t gpa,
			     uint64_t *end)
{
	const struct guest_region *r = guest_mem_find(m, gpa);
	if (!r)
		return UINT64_MAX;
	uint64_t rend = r->offset + r->size, off = r->offset + (gpa - r->gpa);
	uint64_t dend = rend, d = off;
	if (m->ops->next_data)
		d = m->ops->next_data(m->src, off, &dend);
	if (d >= rend)
		return UINT64_MAX;
	*end = r->gpa + ((dend < rend ? dend : rend) - r->offset);
	return r->gpa + (d - r->offset);
}

size_t guest_mem_read(const struct guest_mem *m, uint64_t gpa, void *buf,
		      size_t len)
{
	size_t done = 0;
	while (done < len) {
		uint64_t cur = gpa + done;
		if (cur < gpa)
			break; /* wrapped past the top of the address space */
		const struct guest_region *r = guest_mem_find(m, cur);
		if (!r)
			break;
		uint64_t avail = r->size - (cur - r->gpa);
		size_t n = len - done < avail ? len - done : (size_t)avail;
		size_t got = m->ops->read(m->src, r->offset + (cur - r->gpa),
					  (char *)buf + done, n);
		done += got;
		if (got < n)
			break;
	}
	return done;
}

bool guest_mem_read_u64(const struct guest_mem *m, uint64_t gpa,
			uint64_t *val)
{
	const struct guest_region *r = guest_mem_find(m, gpa);
	if (!r || r->size - (gpa - r->gpa) < 8)
		return false;
	uint64_t v;
	if (m->ops->read(m->src, r->offset + (gpa - r->gpa), &v, 8) != 8)
		return false;
	*val = v;
	return true;
}

int guest_mem_write(const struct guest_mem *m, uint64_t gpa, const void *buf,
		    size_t len, char *err)
{
	if (!m->writable || !m->ops->write)
		return set_err(err, "guest memory is read-only (start lkstub "
			       "with --write to allow writes)");
	/* Check the whole range first: all or nothing. */
	size_t done = 0;
	while (done < len) {
		uint64_t avail = guest_mem_avail(m, gpa + done);
		if (!avail || gpa + done < gpa)
			return set_err(err, "GPA %#llx is not guest RAM",
				       (unsigned long long)(gpa + done));
		done += len - done < avail ? len - done : (size_t)avail;
	}
	for (done = 0; done < len;) {
		const struct guest_region *r = guest_mem_find(m, gpa + done);
		uint64_t avail = r->size - (gpa + done - r->gpa);
		size_t n = len - done < avail ? len - done : (size_t)avail;
		char why[ERR_LEN] = "";
		if (m->ops->write(m->src, r->offset + (gpa + done - r->gpa),
				  (const char *)buf + done, n, why))
			return set_err(err, "write of %zu bytes to GPA %#llx "
				       "failed after %zu: %s", len,
				       (unsigned long long)gpa, done,
				       why[0] ? why
					      : guest_mem_failure(m) ?:
						"source error");
		done += n;
	}
	return 0;
}

const char *guest_mem_failure(const struct guest_mem *m)
{
	return m->ops && m->ops->failure ? m->ops->failure(m->src) : NULL;
}

void guest_mem_close(struct guest_mem *m)
{
	if (m->ops && m->ops->close)
		m->ops->close(m->src);
	free(m->regions);
	memset(m, 0, sizeof(*m));
}
