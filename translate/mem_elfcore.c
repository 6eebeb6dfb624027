#include "translate/mem_elfcore.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"

/* The source's offsets are a virtual concatenation of the PT_LOADs'
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
};

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
	while (done < len) {
		const struct core_seg *s = seg_for(c, off + done);
		if (!s)
			break;
		uint64_t in = off + done - s->voff;
		uint64_t n = s->memsz - in < len - done ? s->memsz - in
							: len - done;
		if (in < s->filesz) {
			uint64_t f = s->filesz - in < n ? s->filesz - in : n;
			memcpy((char *)buf + done, c->map + s->foff + in, f);
			done += f;
			n -= f;
		}
		memset((char *)buf + done, 0, n);
		done += n;
	}
	return done;
}

static void elfcore_close(void *src)
{
	struct mem_elfcore *c = src;
	munmap((void *)c->map, c->size);
	close(c->fd);
	free(c->segs);
	free(c);
}

static const struct mem_source_ops mem_elfcore_ops = {
	.name = "ELF dump",
	.read = elfcore_read,
	.close = elfcore_close, /* a dump is read-only */
};

bool elfcore_is_core(const char *path)
{
	Elf64_Ehdr eh;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool core = read(fd, &eh, sizeof(eh)) == sizeof(eh) &&
		    !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
		    eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_type == ET_CORE;
	close(fd);
	return core;
}

static bool in_file(const struct mem_elfcore *c, uint64_t off, uint64_t len)
{
	return off <= c->size && len <= c->size - off;
}

static void read_notes(const struct mem_elfcore *c, uint64_t off,
		       uint64_t len, struct elfcore_notes *notes)
{
	uint64_t end = off + len;
	while (end - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		memcpy(&nh, c->map + off, sizeof(nh));
		uint64_t name = off + sizeof(nh);
		uint64_t desc = name + (((uint64_t)nh.n_namesz + 3) & ~3ULL);
		uint64_t next = desc + (((uint64_t)nh.n_descsz + 3) & ~3ULL);
		if (next > end || next <= off)
			break;
		const char *nm = (const char *)c->map + name;
		struct elfcore_note n = { c->map + desc, nh.n_descsz };
		if (nh.n_namesz == 11 && !memcmp(nm, "VMCOREINFO", 11))
			notes->vmcoreinfo = n;
		else if (nh.n_namesz == 5 && !memcmp(nm, "CORE", 5) &&
			 nh.n_type == NT_PRSTATUS &&
			 notes->nr_prstatus < ELFCORE_MAX_CPUS)
			notes->prstatus[notes->nr_prstatus++] = n;
		else if (nh.n_namesz == 5 && !memcmp(nm, "QEMU", 5) &&
			 notes->nr_qemu < ELFCORE_MAX_CPUS)
			notes->qemu[notes->nr_qemu++] = n;
		off = next;
	}
}

static int cmp_paddr(const void *a, const void *b)
{
	const Elf64_Phdr *x = *(const Elf64_Phdr *const *)a;
	const Elf64_Phdr *y = *(const Elf64_Phdr *const *)b;
	return (x->p_paddr > y->p_paddr) - (x->p_paddr < y->p_paddr);
}

int guest_mem_open_elfcore(struct guest_mem *m, const char *path,
			   struct elfcore_notes *notes, char *err)
{
	memset(m, 0, sizeof(*m));
	memset(notes, 0, sizeof(*notes));
	struct mem_elfcore *c = calloc(1, sizeof(*c));
	const Elf64_Phdr **loads = NULL;
	if (!c)
		return set_err(err, "out of memory");
	c->fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (c->fd < 0 || fstat(c->fd, &st)) {
		set_err(err, "%s: %s", path, strerror(errno));
		goto fail;
	}
	c->size = (size_t)st.st_size;
	c->map = mmap(NULL, c->size, PROT_READ, MAP_PRIVATE, c->fd, 0);
	if (c->map == MAP_FAILED) {
		c->map = NULL;
		set_err(err, "%s: mmap: %s", path, strerror(errno));
		goto fail;
	}
	Elf64_Ehdr eh;
	if (c->size < sizeof(eh)) {
		set_err(err, "%s: too short for ELF", path);
		goto fail;
	}
	memcpy(&eh, c->map, sizeof(eh));
	uint64_t phnum = eh.e_phnum;
	if (phnum == PN_XNUM) { /* the real count is in section 0 */
		Elf64_Shdr sh0;
		if (!in_file(c, eh.e_shoff, sizeof(sh0))) {
			set_err(err, "%s: bad section header", path);
			goto fail;
		}
		memcpy(&sh0, c->map + eh.e_shoff, sizeof(sh0));
		phnum = sh0.sh_info;
	}
	if (eh.e_phentsize != sizeof(Elf64_Phdr) ||
	    !in_file(c, eh.e_phoff, phnum * sizeof(Elf64_Phdr)) ||
	    (eh.e_phoff % 8)) {
		set_err(err, "%s: program headers out of the file", path);
		goto fail;
	}
	notes->machine = eh.e_machine;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(c->map + eh.e_phoff);
	loads = calloc(phnum ? phnum : 1, sizeof(*loads));
	c->segs = calloc(phnum ? phnum : 1, sizeof(*c->segs));
	if (!loads || !c->segs) {
		set_err(err, "out of memory for %llu segments",
			(unsigned long long)phnum);
		goto fail;
	}
	size_t nl = 0;
	for (uint64_t i = 0; i < phnum; i++) {
		if (ph[i].p_type == PT_NOTE &&
		    in_file(c, ph[i].p_offset, ph[i].p_filesz))
			read_notes(c, ph[i].p_offset, ph[i].p_filesz, notes);
		if (ph[i].p_type == PT_LOAD && ph[i].p_memsz &&
		    ph[i].p_filesz <= ph[i].p_memsz &&
		    in_file(c, ph[i].p_offset, ph[i].p_filesz))
			loads[nl++] = &ph[i];
	}
	qsort(loads, nl, sizeof(*loads), cmp_paddr);
	m->ops = &mem_elfcore_ops;
	m->src = c;
	m->src_size = UINT64_MAX;
	uint64_t voff = 0;
	char why[ERR_LEN];
	for (size_t i = 0; i < nl; i++) {
		const Elf64_Phdr *p = loads[i];
		if (guest_mem_add_region(m, p->p_paddr, p->p_memsz, voff, why)) {
			notes->skipped_loads++; /* overlap or too many */
			continue;
		}
		c->segs[c->nr_segs++] = (struct core_seg){
			voff, p->p_memsz, p->p_offset, p->p_filesz
		};
		voff += p->p_memsz;
	}
	free(loads);
	m->src_size = voff;
	if (!c->nr_segs) {
		m->ops = NULL;
		set_err(err, "%s: no PT_LOAD segment with memory", path);
		goto fail;
	}
	m->ram_base = 0;
	m->ram_size = voff;
	return 0;
fail:
	free(loads);
	if (c->map)
		munmap((void *)c->map, c->size);
	if (c->fd >= 0)
		close(c->fd);
	free(c->segs);
	free(c);
	memset(m, 0, sizeof(*m));
	return -1;
}
