/* An ELF dump as a guest memory source: headers and notes read with
 * libelf over the mapped file, every touch of the mapping under the SIGBUS
 * guard (the file may be truncated under lkstub). */
#include "translate/mem_elfcore.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "translate/mem_guard.h"

/* Cores have one section at most (for PN_XNUM); libelf allocates per
 * section before anything can be checked. */
#define MAX_SECTIONS 65535

/* The source's offsets are a virtual concatenation of the segments'
 * memory images: segment i covers [voff, voff + memsz), of which the
 * first filesz bytes are in the file at foff and the rest are zero. */
struct core_seg {
	uint64_t voff, memsz, foff, filesz;
};

struct mem_elfcore {
	int fd;
	const uint8_t *map;
	size_t size;
	struct core_seg *segs;
	size_t nr_segs;
	char name[256];
	char failure[ERR_LEN * 2];
};

static void mark_failed(struct mem_elfcore *c)
{
	struct stat st;
	if (fstat(c->fd, &st) == 0 && (size_t)st.st_size < c->size)
		snprintf(c->failure, sizeof(c->failure),
			 "ELF dump %s shrank from %zu to %lld bytes (truncated "
			 "or rewritten under lkstub?)", c->name, c->size,
			 (long long)st.st_size);
	else
		snprintf(c->failure, sizeof(c->failure),
			 "ELF dump %s can no longer be read (SIGBUS)", c->name);
	fprintf(stderr, "lkstub: %s\n", c->failure);
}

static const struct core_seg *seg_for(const struct mem_elfcore *c,
				      uint64_t off)
{
	size_t lo = 0, hi = c->nr_segs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct core_seg *s = &c->segs[mid];
		if (off < s->voff)
			hi = mid;
		else if (off - s->voff >= s->memsz)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

static size_t elfcore_read(void *src, uint64_t off, void *buf, size_t len)
{
	struct mem_elfcore *c = src;
	size_t done = 0;
	while (done < len && !c->failure[0]) {
		const struct core_seg *s = seg_for(c, off + done);
		if (!s)
			break;
		uint64_t in = off + done - s->voff;
		uint64_t n = s->memsz - in < len - done ? s->memsz - in
							: len - done;
		if (in < s->filesz) {
			uint64_t f = s->filesz - in < n ? s->filesz - in : n;
			if (!mem_guard_copy((char *)buf + done,
					    c->map + s->foff + in, f)) {
				mark_failed(c);
				break;
			}
			done += f;
			n -= f;
		}
		memset((char *)buf + done, 0, n);
		done += n;
	}
	return done;
}

static const char *elfcore_failure(void *src)
{
	struct mem_elfcore *c = src;
	return c->failure[0] ? c->failure : NULL;
}

static void elfcore_close(void *src)
{
	struct mem_elfcore *c = src;
	if (c->map)
		munmap((void *)c->map, c->size);
	close(c->fd);
	free(c->segs);
	free(c);
}

static const struct mem_source_ops mem_elfcore_ops = {
	.name = "ELF dump",
	.read = elfcore_read,
	.failure = elfcore_failure,
	.close = elfcore_close, /* a dump is read-only */
};

bool elfcore_is_core(const char *path)
{
	char eh[sizeof(Elf64_Ehdr)];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, eh, sizeof(eh));
	close(fd);
	if (n < (ssize_t)sizeof(Elf32_Ehdr) || elf_version(EV_CURRENT) == EV_NONE)
		return false;
	Elf *e = elf_memory(eh, (size_t)n);
	GElf_Ehdr h;
	bool core = e && elf_kind(e) == ELF_K_ELF && gelf_getehdr(e, &h) &&
		    h.e_type == ET_CORE;
	elf_end(e);
	return core;
}

/* A PT_LOAD, or the part of one not covered by those before it. */
struct load {
	size_t ph;          /* program header index */
	uint64_t gpa, memsz, foff, filesz;
	uint64_t ogpa, oend; /* the whole PT_LOAD, for messages */
};

struct open_ctx {
	struct mem_elfcore *c;
	struct elfcore_notes *notes;
	struct guest_mem *m;
	char *err;
	int rc;
	Elf *e;
	struct load *loads; /* sorted, then cut into disjoint pieces */
	size_t *note_ph;
	uint64_t work, budget; /* bytes compared between overlaps */
};

static int cmp_load(const void *a, const void *b)
{
	const struct load *x = a, *y = b;
	if (x->gpa != y->gpa)
		return x->gpa < y->gpa ? -1 : 1;
	if (x->memsz != y->memsz) /* the larger first: the rest inside it */
		return x->memsz > y->memsz ? -1 : 1;
	return (x->ph > y->ph) - (x->ph < y->ph);
}

static bool all_zero(const uint8_t *p, size_t n, size_t *first)
{
	for (size_t i = 0; i < n; i++)
		if (p[i]) {
			*first = i;
			return false;
		}
	return true;
}

/* Do pieces a and b hold the same bytes over [g, g + n)? 1 yes, 0 no (*at
 * the first GPA that differs), -1 when the comparisons exceed the budget
 * (every chunk costs, so hostile overlaps cannot loop for long). */
static int same_bytes(struct open_ctx *x, const struct load *a,
		      const struct load *b, uint64_t g, uint64_t n,
		      uint64_t *at)
{
	const uint8_t *map = x->c->map;
	while (n) {
		uint64_t pa = g - a->gpa, pb = g - b->gpa, run = n;
		bool fa = pa < a->filesz, fb = pb < b->filesz;
		if (fa && a->filesz - pa < run)
			run = a->filesz - pa;
		if (fb && b->filesz - pb < run)
			run = b->filesz - pb;
		x->work += 64;
		if (fa || fb) {
			if (run > 65536)
				run = 65536;
			x->work += run;
		}
		if (x->work > x->budget)
			return -1;
		size_t i = 0;
		bool same = true;
		if (fa && fb && a->foff + pa != b->foff + pb) {
			const uint8_t *p = map + a->foff + pa;
			const uint8_t *q = map + b->foff + pb;
			if (memcmp(p, q, run)) {
				while (p[i] == q[i])
					i++;
				same = false;
			}
		} else if (fa != fb) {
			same = all_zero(map + (fa ? a->foff + pa : b->foff + pb),
					run, &i);
		}
		if (!same) {
			*at = g + i;
			return 0;
		}
		g += run;
		n -= run;
	}
	return 1;
}

/* Sorted by start, each PT_LOAD covers, beyond what those before it
 * cover, only a tail; where it overlaps them the bytes must agree. */
static int cut_overlaps(struct open_ctx *x, size_t nl, size_t *np)
{
	struct load *v = x->loads;
	size_t n = 0;
	for (size_t i = 0; i < nl; i++) {
		struct load l = v[i];
		uint64_t end = l.gpa + l.memsz;
		/* The pieces ending after l starts (ends increase). */
		size_t lo = 0, hi = n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (v[mid].gpa + v[mid].memsz <= l.gpa)
				lo = mid + 1;
			else
				hi = mid;
		}
		uint64_t covered = l.gpa;
		for (size_t j = lo; j < n && v[j].gpa < end; j++) {
			const struct load *p = &v[j];
			uint64_t from = p->gpa > l.gpa ? p->gpa : l.gpa;
			uint64_t to = p->gpa + p->memsz < end ? p->gpa + p->memsz
							      : end;
			uint64_t at = 0;
			int r = same_bytes(x, p, &l, from, to - from, &at);
			if (r < 0)
				return set_err(x->err, "%s: its PT_LOADs overlap "
					       "each other more than the file "
					       "has bytes: not a dump lkstub "
					       "can serve", x->c->name);
			if (r == 0)
				return set_err(x->err, "%s: PT_LOAD %zu (GPA "
					       "%#llx-%#llx) and PT_LOAD %zu "
					       "(GPA %#llx-%#llx) overlap with "
					       "different bytes (at GPA %#llx)",
					       x->c->name, p->ph,
					       (unsigned long long)p->ogpa,
					       (unsigned long long)p->oend,
					       l.ph, (unsigned long long)l.ogpa,
					       (unsigned long long)l.oend,
					       (unsigned long long)at);
			covered = to;
		}
		if (covered != l.gpa)
			x->notes->nr_merged++;
		if (covered >= end)
			continue; /* all of it inside what came before */
		uint64_t cut = covered - l.gpa;
		l.gpa = covered;
		l.memsz -= cut;
		l.foff += l.filesz > cut ? cut : 0;
		l.filesz = l.filesz > cut ? l.filesz - cut : 0;
		v[n++] = l;
	}
	*np = n;
	return 0;
}

/* One PT_LOAD's checks; false to leave it out (no memory, or none of it
 * in the file). */
static bool take_load(struct open_ctx *x, size_t ph, const GElf_Phdr *p,
		      struct load *out)
{
	struct mem_elfcore *c = x->c;
	if (!p->p_memsz)
		return false;
	if (p->p_paddr + p->p_memsz < p->p_paddr) {
		set_err(x->err, "%s: PT_LOAD %zu: GPA %#llx size %#llx wraps "
			"past the top of the address space", c->name, ph,
			(unsigned long long)p->p_paddr,
			(unsigned long long)p->p_memsz);
		x->rc = -1;
		return false;
	}
	if (p->p_filesz > p->p_memsz) {
		set_err(x->err, "%s: PT_LOAD %zu (GPA %#llx): file size %#llx "
			"exceeds memory size %#llx", c->name, ph,
			(unsigned long long)p->p_paddr,
			(unsigned long long)p->p_filesz,
			(unsigned long long)p->p_memsz);
		x->rc = -1;
		return false;
	}
	*out = (struct load){ ph, p->p_paddr, p->p_memsz, p->p_offset,
			      p->p_filesz, p->p_paddr,
			      p->p_paddr + p->p_memsz };
	if (p->p_filesz &&
	    (p->p_offset > c->size || p->p_filesz > c->size - p->p_offset)) {
		/* Cut short by the end of the file: serve what is there. */
		uint64_t have = p->p_offset < c->size ? c->size - p->p_offset
						      : 0;
		elfcore_warn(x->notes, "%.80s: PT_LOAD %zu (GPA %#llx-%#llx) "
			     "ends past the end of the file (truncated "
			     "dump?): GPA %#llx-%#llx not served", c->name,
			     ph, (unsigned long long)out->ogpa,
			     (unsigned long long)out->oend,
			     (unsigned long long)(out->ogpa + have),
			     (unsigned long long)out->oend);
		out->memsz = out->filesz = have;
	}
	return out->memsz != 0;
}

/* The regions: one per run of pieces that are contiguous in GPA. */
static int add_regions(struct open_ctx *x, size_t np)
{
	struct mem_elfcore *c = x->c;
	struct guest_mem *m = x->m;
	c->segs = calloc(np ? np : 1, sizeof(*c->segs));
	if (!c->segs)
		return set_err(x->err, "out of memory for %zu segments", np);
	uint64_t voff = 0;
	for (size_t i = 0; i < np; i++) {
		const struct load *l = &x->loads[i];
		c->segs[i] = (struct core_seg){ voff, l->memsz, l->foff,
						l->filesz };
		voff += l->memsz; /* disjoint below 2^64: no overflow */
	}
	c->nr_segs = np;
	m->ops = &mem_elfcore_ops;
	m->src = c;
	m->src_size = voff;
	m->ram_base = 0;
	m->ram_size = voff;
	for (size_t i = 0; i < np;) {
		size_t j = i + 1;
		uint64_t end = x->loads[i].gpa + x->loads[i].memsz;
		while (j < np && x->loads[j].gpa == end)
			end += x->loads[j++].memsz;
		char why[ERR_LEN];
		if (guest_mem_add_region(m, x->loads[i].gpa,
					 end - x->loads[i].gpa,
					 c->segs[i].voff, why))
			return set_err(x->err, "%s: PT_LOAD %zu: %s", c->name,
				       x->loads[i].ph, why);
		i = j;
	}
	return 0;
}

static bool sections_bounded(const struct mem_elfcore *c)
{
	Elf64_Ehdr eh;
	memcpy(&eh, c->map, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shnum || !eh.e_shoff ||
	    eh.e_shoff > c->size || c->size - eh.e_shoff < sizeof(Elf64_Shdr))
		return true; /* e_shnum (16 bits), or none */
	Elf64_Shdr sh0;
	memcpy(&sh0, c->map + eh.e_shoff, sizeof(sh0));
	return sh0.sh_size <= MAX_SECTIONS;
}

static void parse(void *arg)
{
	struct open_ctx *x = arg;
	struct mem_elfcore *c = x->c;
	x->rc = -1;
	if (!sections_bounded(c)) {
		set_err(x->err, "%s: more than %u sections: not a dump",
			c->name, MAX_SECTIONS);
		return;
	}
	x->e = elf_memory((char *)c->map, c->size);
	GElf_Ehdr eh;
	if (!x->e || elf_kind(x->e) != ELF_K_ELF || !gelf_getehdr(x->e, &eh)) {
		set_err(x->err, "%s: not an ELF file: %s", c->name,
			elf_errmsg(-1));
		return;
	}
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB) {
		set_err(x->err, "%s: a %s-bit %s-endian ELF dump: lkstub reads "
			"64-bit little-endian ones", c->name,
			eh.e_ident[EI_CLASS] == ELFCLASS64 ? "64" : "32",
			eh.e_ident[EI_DATA] == ELFDATA2LSB ? "little" : "big");
		return;
	}
	if (eh.e_type != ET_CORE) {
		set_err(x->err, "%s: not an ELF core (e_type %u)", c->name,
			eh.e_type);
		return;
	}
	x->notes->machine = eh.e_machine;
	size_t phnum;
	if (elf_getphdrnum(x->e, &phnum)) {
		set_err(x->err, "%s: program headers: %s", c->name,
			elf_errmsg(-1));
		return;
	}
	if (!phnum || eh.e_phentsize != sizeof(Elf64_Phdr) ||
	    phnum > c->size / sizeof(Elf64_Phdr) || phnum > INT_MAX) {
		set_err(x->err, "%s: %zu program headers of %u bytes: not "
			"what the file holds", c->name, phnum,
			eh.e_phentsize);
		return;
	}
	x->loads = calloc(phnum, sizeof(*x->loads));
	x->note_ph = calloc(phnum, sizeof(*x->note_ph));
	if (!x->loads || !x->note_ph) {
		set_err(x->err, "out of memory for %zu program headers",
			phnum);
		return;
	}
	size_t nl = 0, nn = 0;
	x->rc = 0;
	for (size_t i = 0; i < phnum && !x->rc; i++) {
		GElf_Phdr p;
		if (!gelf_getphdr(x->e, (int)i, &p)) {
			x->rc = set_err(x->err, "%s: program header %zu: %s",
					c->name, i, elf_errmsg(-1));
		} else if (p.p_type == PT_NOTE) {
			x->note_ph[nn++] = i;
		} else if (p.p_type == PT_LOAD &&
			   take_load(x, i, &p, &x->loads[nl])) {
			nl++;
		}
	}
	if (x->rc ||
	    elfcore_notes_read(x->notes, x->e, x->note_ph, nn, x->err)) {
		x->rc = -1;
		return;
	}
	qsort(x->loads, nl, sizeof(*x->loads), cmp_load);
	size_t np = 0;
	x->rc = -1;
	if (cut_overlaps(x, nl, &np) || add_regions(x, np))
		return;
	if (!np) {
		set_err(x->err, "%s: no PT_LOAD segment with memory in the "
			"file", c->name);
		return;
	}
	x->rc = 0;
}

int guest_mem_open_elfcore_fd(struct guest_mem *m, int fd, const char *name,
			      bool quiet, struct elfcore_notes *notes,
			      char *err)
{
	memset(m, 0, sizeof(*m));
	memset(notes, 0, sizeof(*notes));
	notes->quiet = quiet;
	struct mem_elfcore *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return set_err(err, "out of memory");
	}
	c->fd = fd;
	snprintf(c->name, sizeof(c->name), "%s", name);
	struct stat st;
	if (fstat(fd, &st)) {
		set_err(err, "%s: %s", name, strerror(errno));
		elfcore_close(c);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size < sizeof(Elf64_Ehdr) ||
	    elf_version(EV_CURRENT) == EV_NONE) {
		set_err(err, "%s: not a regular file the size of an ELF "
			"dump", name);
		elfcore_close(c);
		return -1;
	}
	c->size = (size_t)st.st_size;
	void *map = mmap(NULL, c->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		set_err(err, "%s: mmap: %s", name, strerror(errno));
		elfcore_close(c);
		return -1;
	}
	c->map = map;
	mem_guard_install();
	struct open_ctx x = { .c = c, .notes = notes, .m = m, .err = err,
			      .budget = c->size + (1u << 20) };
	if (!mem_guard_call(parse, &x))
		x.rc = set_err(err, "%s: the file shrank while lkstub read "
			       "its headers", name);
	elf_end(x.e);
	free(x.loads);
	free(x.note_ph);
	if (x.rc) {
		free(m->regions);
		memset(m, 0, sizeof(*m));
		elfcore_notes_free(notes);
		elfcore_close(c);
		return -1;
	}
	if (!quiet && notes->nr_warnings > ELFCORE_PRINTED_WARNINGS)
		fprintf(stderr, "lkstub: %s: %u more warnings like these\n",
			name, notes->nr_warnings - ELFCORE_PRINTED_WARNINGS);
	return 0;
}

int guest_mem_open_elfcore(struct guest_mem *m, const char *path,
			   struct elfcore_notes *notes, char *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		memset(m, 0, sizeof(*m));
		memset(notes, 0, sizeof(*notes));
		return set_err(err, "%s: %s", path, strerror(errno));
	}
	return guest_mem_open_elfcore_fd(m, fd, path, false, notes, err);
}
