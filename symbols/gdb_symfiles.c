#include "symbols/gdb_symfiles.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "common/err.h"

int symfile_crc32(const char *path, uint32_t *crc, char *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return set_err(err, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st)) {
		close(fd);
		return set_err(err, "%s: %s", path, strerror(errno));
	}
	uLong c = crc32(0, Z_NULL, 0);
	if (st.st_size > 0) {
		void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE,
			       fd, 0);
		if (p == MAP_FAILED) {
			close(fd);
			return set_err(err, "%s: %s", path, strerror(errno));
		}
		const Bytef *b = p;
		for (size_t off = 0; off < (size_t)st.st_size;) {
			size_t n = (size_t)st.st_size - off;
			if (n > (1u << 30))
				n = 1u << 30;
			c = crc32(c, b + off, (uInt)n);
			off += n;
		}
		munmap(p, (size_t)st.st_size);
	}
	close(fd);
	*crc = (uint32_t)c;
	return 0;
}

int symfile_mkdirs(const char *dir, char *err)
{
	char p[PATH_MAX];
	if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p))
		return set_err(err, "%s: path too long", dir);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) && errno != EEXIST)
			return set_err(err, "%s: %s", p, strerror(errno));
		*s = '/';
	}
	if (mkdir(p, 0700) && errno != EEXIST)
		return set_err(err, "%s: %s", p, strerror(errno));
	return 0;
}

/* Written whole under a temporary name, then renamed: a gdb reading the
 * file never sees half of it. */
static int write_file(const char *path, const void *buf, size_t len,
		      char *err)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid()) >=
	    (int)sizeof(tmp))
		return set_err(err, "%s: path too long", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return set_err(err, "%s: %s", tmp, strerror(errno));
	ssize_t w = write(fd, buf, len);
	int e = errno;
	if (close(fd) || w != (ssize_t)len) {
		unlink(tmp);
		return set_err(err, "%s: %s", tmp,
			       w < 0 ? strerror(e) : "short write");
	}
	if (rename(tmp, path)) {
		e = errno;
		unlink(tmp);
		return set_err(err, "%s: %s", path, strerror(e));
	}
	return 0;
}

/* An ELF64 little-endian file: header, section names, debuglink, section
 * headers; every allocated section NOBITS (no bytes, only addresses). */
struct elf_out {
	uint8_t *buf;
	size_t len, cap;
};

static int out_put(struct elf_out *o, const void *p, size_t n)
{
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		while (cap < o->len + n)
			cap *= 2;
		uint8_t *b = realloc(o->buf, cap);
		if (!b)
			return -1;
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	return 0;
}

static int out_align(struct elf_out *o, size_t a)
{
	static const uint8_t zero[8];
	return o->len % a ? out_put(o, zero, a - o->len % a) : 0;
}

/* One section header of a map: a section of the object, or a stand-in. */
struct out_sec {
	const char *name, *suffix;
	uint32_t type;
	uint64_t flags, addr, size;
};

static int write_elf(const char *path, uint16_t type, uint16_t machine,
		     uint64_t entry, const struct out_sec *secs, unsigned n,
		     const char *link, uint32_t crc, char *err)
{
	struct elf_out o = { 0 };
	Elf64_Ehdr eh = { 0 };
	int rc = -1;
	size_t *name_off = calloc(n ? n : 1, sizeof(*name_off));
	if (!name_off || out_put(&o, &eh, sizeof(eh)))
		goto nomem;
	/* Section names: "", each section's, then ours. */
	size_t names = o.len;
	if (out_put(&o, "", 1))
		goto nomem;
	for (unsigned i = 0; i < n; i++) {
		name_off[i] = o.len - names;
		if (out_put(&o, secs[i].name, strlen(secs[i].name)) ||
		    out_put(&o, secs[i].suffix, strlen(secs[i].suffix) + 1))
			goto nomem;
	}
	size_t link_name = o.len - names, strtab_name = 0;
	if (link) {
		if (out_put(&o, ".gnu_debuglink", 15))
			goto nomem;
	}
	strtab_name = o.len - names;
	if (out_put(&o, ".shstrtab", 10))
		goto nomem;
	size_t names_len = o.len - names;
	/* .gnu_debuglink: the file name, NUL, padding to 4, the CRC. */
	size_t dl = 0, dl_len = 0;
	if (link) {
		if (out_align(&o, 4))
			goto nomem;
		dl = o.len;
		if (out_put(&o, link, strlen(link) + 1) || out_align(&o, 4) ||
		    out_put(&o, &crc, 4))
			goto nomem;
		dl_len = o.len - dl;
	}
	if (out_align(&o, 8))
		goto nomem;
	size_t shoff = o.len;
	Elf64_Shdr sh = { 0 };
	if (out_put(&o, &sh, sizeof(sh)))
		goto nomem;
	for (unsigned i = 0; i < n; i++) {
		sh = (Elf64_Shdr){ .sh_name = (Elf64_Word)name_off[i],
				   .sh_type = secs[i].type,
				   .sh_flags = secs[i].flags,
				   .sh_addr = secs[i].addr,
				   .sh_size = secs[i].size,
				   .sh_addralign = 1 };
		if (out_put(&o, &sh, sizeof(sh)))
			goto nomem;
	}
	unsigned shnum = n + 1;
	if (link) {
		sh = (Elf64_Shdr){ .sh_name = (Elf64_Word)link_name,
				   .sh_type = SHT_PROGBITS,
				   .sh_offset = dl,
				   .sh_size = dl_len,
				   .sh_addralign = 4 };
		if (out_put(&o, &sh, sizeof(sh)))
			goto nomem;
		shnum++;
	}
	sh = (Elf64_Shdr){ .sh_name = (Elf64_Word)strtab_name,
			   .sh_type = SHT_STRTAB,
			   .sh_offset = names,
			   .sh_size = names_len,
			   .sh_addralign = 1 };
	if (out_put(&o, &sh, sizeof(sh)))
		goto nomem;
	shnum++;
	if (shnum >= SHN_LORESERVE) {
		set_err(err, "%s: %u sections", path, shnum);
		goto out;
	}
	Elf64_Ehdr *h = (Elf64_Ehdr *)o.buf;
	memcpy(h->e_ident, ELFMAG, SELFMAG);
	h->e_ident[EI_CLASS] = ELFCLASS64;
	h->e_ident[EI_DATA] = ELFDATA2LSB;
	h->e_ident[EI_VERSION] = EV_CURRENT;
	h->e_type = type;
	h->e_machine = machine;
	h->e_version = EV_CURRENT;
	h->e_entry = entry;
	h->e_shoff = shoff;
	h->e_ehsize = sizeof(Elf64_Ehdr);
	h->e_phentsize = sizeof(Elf64_Phdr);
	h->e_shentsize = sizeof(Elf64_Shdr);
	h->e_shnum = (Elf64_Half)shnum;
	h->e_shstrndx = (Elf64_Half)(shnum - 1);
	rc = write_file(path, o.buf, o.len, err);
	goto out;
nomem:
	set_err(err, "%s: out of memory", path);
out:
	free(name_off);
	free(o.buf);
	return rc;
}

int symfile_placeholder(const char *dir, uint16_t machine, const char *arch,
			char *path, size_t path_len, char *err)
{
	if (strchr(arch, '/') ||
	    snprintf(path, path_len, "%s/lkstub-kernel-%s", dir, arch) >=
		    (int)path_len)
		return set_err(err, "%s: path too long", dir);
	return write_elf(path, ET_EXEC, machine, 0, NULL, 0, NULL, 0, err);
}

/* dir/NAME -> the object (made again when it points elsewhere), then the
 * map at path. */
static int link_and_write(const char *dir, const char *name, const char *path,
			  const char *object_path, uint32_t crc, uint16_t type,
			  uint16_t machine, uint64_t entry,
			  const struct out_sec *out, unsigned n, char *err)
{
	char link[PATH_MAX], real[PATH_MAX], cur[PATH_MAX];
	if (snprintf(link, sizeof(link), "%s/%s", dir, name) >=
	    (int)sizeof(link))
		return set_err(err, "%s: path too long", name);
	if (!realpath(object_path, real))
		return set_err(err, "%s: %s", object_path, strerror(errno));
	ssize_t l = readlink(link, cur, sizeof(cur) - 1);
	if (l < 0 || (size_t)l >= sizeof(cur) - 1 ||
	    (cur[l] = '\0', strcmp(cur, real))) {
		unlink(link);
		if (symlink(real, link))
			return set_err(err, "%s: %s", link, strerror(errno));
	}
	return write_elf(path, type, machine, entry, out, n, name, crc, err);
}

static int map_path(const char *dir, const char *name, const char *tag,
		    char *path, size_t path_len, char *err)
{
	if (strchr(name, '/') || strchr(tag, '/') ||
	    snprintf(path, path_len, "%s/%s@%s.lkstub", dir, name, tag) >=
		    (int)path_len)
		return set_err(err, "%s: bad name or path too long", name);
	return 0;
}

int symfile_section_map(const char *dir, const char *name, const char *tag,
			const char *object_path, uint32_t crc, uint16_t type,
			uint16_t machine, uint64_t entry,
			const struct elf_section *secs, const uint64_t *addrs,
			unsigned n, unsigned *order, char *path,
			size_t path_len, char *err)
{
	if (map_path(dir, name, tag, path, path_len, err))
		return -1;
	/* Sections that stay at 0 first (see the header), then the rest in
	 * their own order. */
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++)
		if (secs[i].addr + addrs[i] == 0)
			order[k++] = i;
	for (unsigned i = 0; i < n; i++)
		if (secs[i].addr + addrs[i] != 0)
			order[k++] = i;
	struct out_sec *out = calloc(n ? n : 1, sizeof(*out));
	if (!out)
		return set_err(err, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		const struct elf_section *sec = &secs[order[i]];
		out[i] = (struct out_sec){ .name = sec->name, .suffix = "",
					   .type = SHT_NOBITS,
					   .flags = sec->flags,
					   .addr = sec->addr,
					   .size = sec->size };
	}
	int rc = link_and_write(dir, name, path, object_path, crc, type,
				machine, entry, out, n, err);
	free(out);
	return rc;
}

/* Does BFD (gdb's reader) make a section of this header? Not of the
 * symbol and string tables, nor of relocations that belong to a section;
 * the map has none in their place either, so that both files number
 * their sections alike. */
static bool bfd_makes_section(const struct elf_section *s)
{
	switch (s->type) {
	case SHT_NULL:
	case SHT_SYMTAB:
	case SHT_STRTAB:
	case SHT_SYMTAB_SHNDX:
		return false;
	case SHT_REL:
	case SHT_RELA:
		return s->flags & SHF_ALLOC;
	}
	return true;
}

int symfile_indexed_map(const char *dir, const char *name, const char *tag,
			const char *object_path, uint32_t crc, uint16_t type,
			uint16_t machine, uint64_t entry,
			const struct elf_section *secs, const uint64_t *offsets,
			unsigned n, uint64_t *addrs, unsigned *nr_addrs,
			char *path, size_t path_len, char *err)
{
	if (map_path(dir, name, tag, path, path_len, err))
		return -1;
	struct out_sec *out = calloc(n ? n : 1, sizeof(*out));
	if (!out)
		return set_err(err, "out of memory");
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct elf_section *sec = &secs[i];
		/* Not loaded: nameless and empty (a .debug_* name would make
		 * gdb look for DWARF in the map). */
		out[i] = (struct out_sec){ .name = "", .suffix = "",
					   .type = bfd_makes_section(sec)
							   ? SHT_PROGBITS
							   : SHT_NULL };
		if (!(sec->flags & SHF_ALLOC))
			continue;
		out[i] = (struct out_sec){ .name = sec->name, .suffix = "",
					   .type = SHT_NOBITS,
					   .flags = sec->flags,
					   .addr = sec->addr,
					   .size = sec->size };
		addrs[k] = offsets[i];
		if (sec->addr + offsets[i] == 0) { /* stays at 0: the header */
			out[i].suffix = ".lkstub-at-0";
			out[i].addr = 1;
			addrs[k] = 0;
		}
		k++;
	}
	*nr_addrs = k;
	int rc = link_and_write(dir, name, path, object_path, crc, type,
				machine, entry, out, n, err);
	free(out);
	return rc;
}
