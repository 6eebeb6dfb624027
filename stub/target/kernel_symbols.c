/* Symbols without set-up: the files and the library list that make gdb
 * load the vmlinux at its runtime addresses as soon as it connects (see
 * symbols/gdb_symfiles.h for how gdb is led there). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gelf.h>

#include "stub/target/kernel_target.h"
#include "stub/target/library_list.h"
#include "symbols/elf_sections.h"
#include "symbols/gdb_symfiles.h"

/* The default cache: $XDG_CACHE_HOME/lkstub, else ~/.cache/lkstub. */
static int default_cache(char *dir, size_t len, char *err)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int n;
	if (xdg && *xdg == '/')
		n = snprintf(dir, len, "%s/lkstub", xdg);
	else if (home && *home == '/')
		n = snprintf(dir, len, "%s/.cache/lkstub", home);
	else
		return set_err(err, "no cache directory: set XDG_CACHE_HOME or "
			       "HOME, or give --cache DIR");
	return n >= (int)len ? set_err(err, "cache path too long") : 0;
}

/* The vmlinux's CRC for its debuglink, kept beside the map as "SIZE MTIME
 * CRC": computing it reads the whole file (hundreds of MB). */
static int vmlinux_crc(struct kernel_target *kt, uint32_t *crc, char *err)
{
	struct stat st;
	if (stat(kt->vm->path, &st))
		return set_err(err, "%s: %s", kt->vm->path, strerror(errno));
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/vmlinux.crc", kt->sym.dir);
	FILE *f = fopen(path, "re");
	if (f) {
		unsigned long long size, mtime;
		unsigned c;
		int got = fscanf(f, "%llu %llu %x", &size, &mtime, &c);
		fclose(f);
		if (got == 3 && size == (unsigned long long)st.st_size &&
		    mtime == (unsigned long long)st.st_mtime) {
			*crc = c;
			return 0;
		}
	}
	if (symfile_crc32(kt->vm->path, crc, err))
		return -1;
	f = fopen(path, "we");
	if (f) { /* only a cache: a failed write costs the next start */
		fprintf(f, "%llu %llu %x\n", (unsigned long long)st.st_size,
			(unsigned long long)st.st_mtime, *crc);
		fclose(f);
	}
	return 0;
}

int kernel_symbols_init(struct kernel_target *kt, const char *cache,
			char *err)
{
	struct kernel_symbols *ks = &kt->sym;
	char root[PATH_MAX];
	if (cache)
		snprintf(root, sizeof(root), "%s", cache);
	else if (default_cache(root, sizeof(root), err))
		return -1;
	const char *id = kt->vm->build_id_len ? kt->vm->build_id_hex
					      : "no-build-id";
	if (snprintf(ks->dir, sizeof(ks->dir), "%s/%s", root, id) >=
	    (int)sizeof(ks->dir))
		return set_err(err, "%s: cache path too long", root);
	if (symfile_mkdirs(ks->dir, err) ||
	    symfile_placeholder(ks->dir, kt->vm->machine, ks->exec_file,
				sizeof(ks->exec_file), err) ||
	    elf_alloc_sections(kt->vm->elf, &ks->secs, &ks->nr_secs, err))
		return -1;
	ks->offsets = calloc(ks->nr_secs ? ks->nr_secs : 1,
			     sizeof(*ks->offsets));
	ks->order = calloc(ks->nr_secs ? ks->nr_secs : 1, sizeof(*ks->order));
	if (!ks->offsets || !ks->order)
		return set_err(err, "out of memory");
	if (vmlinux_crc(kt, &ks->crc, err))
		return -1;
	GElf_Ehdr eh;
	if (!gelf_getehdr(kt->vm->elf, &eh))
		return set_err(err, "%s: no ELF header", kt->vm->path);
	ks->entry = eh.e_entry;
	const char *base = strrchr(kt->vm->path, '/');
	base = base ? base + 1 : kt->vm->path;
	if (!*base || *base == '.' || strlen(base) >= sizeof(ks->name))
		base = "vmlinux";
	memcpy(ks->name, base, strlen(base) + 1);
	strbuf_init(&ks->libraries, KT_LIBRARIES_MAX);
	ks->ready = true;
	return 0;
}

/* The vmlinux moves by the KASLR offset, except sections linked at 0:
 * x86_64's per-cpu section, whose symbols are offsets that the kernel
 * adds to __per_cpu_offset[cpu] (so `&runqueues` stays small). */
static int add_vmlinux(struct kernel_target *kt, char *err)
{
	struct kernel_symbols *ks = &kt->sym;
	for (unsigned i = 0; i < ks->nr_secs; i++)
		ks->offsets[i] = ks->secs[i].addr ? kt->ki.kaslr_offset : 0;
	char map[PATH_MAX];
	if (symfile_section_map(ks->dir, ks->name, kt->vm->path, ks->crc,
				kt->vm->machine, ks->entry, ks->secs,
				ks->offsets, ks->nr_secs, ks->order, map,
				sizeof(map), err))
		return -1;
	uint64_t *addrs = calloc(ks->nr_secs ? ks->nr_secs : 1,
				 sizeof(*addrs));
	if (!addrs)
		return set_err(err, "out of memory");
	for (unsigned i = 0; i < ks->nr_secs; i++)
		addrs[i] = ks->offsets[ks->order[i]];
	library_list_add(&ks->libraries, map, addrs, ks->nr_secs);
	free(addrs);
	return 0;
}

const struct strbuf *kernel_symbols_libraries(void *t, bool refresh)
{
	struct kernel_target *kt = t;
	struct kernel_symbols *ks = &kt->sym;
	if (!ks->ready)
		return NULL;
	if (!refresh && ks->libraries.len)
		return &ks->libraries;
	char err[ERR_LEN];
	library_list_begin(&ks->libraries);
	if (add_vmlinux(kt, err))
		fprintf(stderr, "lkstub: symbols for gdb: %s\n", err);
	library_list_end(&ks->libraries);
	return &ks->libraries;
}

const char *kernel_symbols_exec_file(void *t)
{
	struct kernel_target *kt = t;
	return kt->sym.ready ? kt->sym.exec_file : NULL;
}

void kernel_symbols_free(struct kernel_target *kt)
{
	struct kernel_symbols *ks = &kt->sym;
	free(ks->secs);
	free(ks->offsets);
	free(ks->order);
	strbuf_free(&ks->libraries);
	memset(ks, 0, sizeof(*ks));
}
