/* Symbols without set-up: the files and the library list that make gdb
 * load the vmlinux at its runtime addresses as soon as it connects (see
 * symbols/gdb_symfiles.h for how gdb is led there). */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gelf.h>
#include <libelf.h>

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
			const char *const *module_dirs, unsigned nr_module_dirs,
			char *err)
{
	struct kernel_symbols *ks = &kt->sym;
	ks->module_dirs = nr_module_dirs ? module_dirs : NULL;
	ks->nr_module_dirs = nr_module_dirs;
	module_layout_init(&ks->mod_layout, &kt->btf);
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
	char sub[PATH_MAX + 16];
	snprintf(sub, sizeof(sub), "%s/modules", ks->dir);
	if (symfile_mkdirs(sub, err))
		return -1;
	snprintf(sub, sizeof(sub), "%s/unpacked", ks->dir);
	/* The placeholder goes in the cache's root: one path per
	 * architecture, the same for every kernel (an IDE may name it). */
	if (symfile_mkdirs(sub, err) ||
	    symfile_placeholder(root, kt->vm->machine, kt->ki.arch->name,
				ks->exec_file, sizeof(ks->exec_file), err) ||
	    elf_all_sections(kt->vm->elf, &ks->secs, &ks->nr_secs, err))
		return -1;
	ks->offsets = calloc(ks->nr_secs ? ks->nr_secs : 1,
			     sizeof(*ks->offsets));
	ks->addrs = calloc(ks->nr_secs ? ks->nr_secs : 1, sizeof(*ks->addrs));
	if (!ks->offsets || !ks->addrs)
		return set_err(err, "out of memory");
	if (vmlinux_crc(kt, &ks->crc, err))
		return -1;
	GElf_Ehdr eh;
	if (!gelf_getehdr(kt->vm->elf, &eh))
		return set_err(err, "%s: no ELF header", kt->vm->path);
	ks->entry = eh.e_entry;
	ks->type = eh.e_type;
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
	/* Made once per placement of the kernel. */
	if (!ks->map[0] || ks->map_offset != kt->ki.kaslr_offset) {
		for (unsigned i = 0; i < ks->nr_secs; i++)
			ks->offsets[i] = ks->secs[i].addr ? kt->ki.kaslr_offset
							  : 0;
		char tag[24];
		snprintf(tag, sizeof(tag), "%llx",
			 (unsigned long long)kt->ki.kaslr_offset);
		ks->map[0] = '\0';
		if (symfile_indexed_map(ks->dir, ks->name, tag, kt->vm->path,
					ks->crc, ks->type, kt->vm->machine,
					ks->entry, ks->secs, ks->offsets,
					ks->nr_secs, ks->addrs, &ks->nr_addrs,
					ks->map, sizeof(ks->map), err)) {
			ks->map[0] = '\0';
			return -1;
		}
		ks->map_offset = kt->ki.kaslr_offset;
	}
	library_list_add(&ks->libraries, ks->map, ks->addrs, ks->nr_addrs);
	return 0;
}


/* The module files of the running kernel's release, indexed once per
 * release (a reboot may bring another kernel). */
static void index_module_files(struct kernel_target *kt)
{
	struct kernel_symbols *ks = &kt->sym;
	if (ks->files_release[0] && !strcmp(ks->files_release, kt->ki.release))
		return;
	char defaults[2][PATH_MAX];
	const char *dflt[2] = { defaults[0], defaults[1] };
	snprintf(defaults[0], PATH_MAX, "/usr/lib/debug/lib/modules/%s",
		 kt->ki.release);
	snprintf(defaults[1], PATH_MAX, "/lib/modules/%s", kt->ki.release);
	const char *const *dirs = ks->module_dirs ? ks->module_dirs : dflt;
	unsigned n = ks->module_dirs ? ks->nr_module_dirs : 2;
	char err[ERR_LEN];
	module_files_free(&ks->files);
	if (module_files_index(&ks->files, dirs, n, err))
		fprintf(stderr, "lkstub: module files: %s\n", err);
	snprintf(ks->files_release, sizeof(ks->files_release), "%s",
		 kt->ki.release);
}

static void drop_offer(struct ks_module *o)
{
	free(o->addrs);
	memset(o, 0, sizeof(*o));
}

/* The section map of one module; o->why says what failed. */
static void offer_module(struct kernel_target *kt, const struct kmodule *m,
			 struct ks_module *o)
{
	struct kernel_symbols *ks = &kt->sym;
	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s", m->name);
	o->addr = m->addr;
	o->text = kmodule_section_addr(m, ".text");
	snprintf(o->note, sizeof(o->note), "%s", m->note);
	const char *file = module_files_find(&ks->files, m->name);
	if (!file) {
		snprintf(o->why, sizeof(o->why), "no object file (searched %s)",
			 ks->files.nr_dirs ? ks->files.dirs[0] : "nothing");
		return;
	}
	snprintf(o->file, sizeof(o->file), "%s", file);
	char err[ERR_LEN], dir[PATH_MAX + 16], unpacked[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/unpacked", ks->dir);
	if (module_file_unpacked(file, dir, unpacked, sizeof(unpacked), err)) {
		snprintf(o->why, sizeof(o->why), "%.150s", err);
		return;
	}
	int fd = open(unpacked, O_RDONLY | O_CLOEXEC);
	Elf *e = fd >= 0 ? elf_begin(fd, ELF_C_READ_MMAP, NULL) : NULL;
	struct elf_section *secs = NULL;
	unsigned n = 0;
	uint64_t *offsets = NULL;
	unsigned *order = NULL;
	uint32_t crc;
	GElf_Ehdr eh;
	if (!e || !gelf_getehdr(e, &eh) || eh.e_machine != kt->vm->machine) {
		snprintf(o->why, sizeof(o->why), "%.100s: not an ELF file of "
			 "this machine", unpacked);
		goto out;
	}
	if (elf_alloc_sections(e, &secs, &n, err) ||
	    symfile_crc32(unpacked, &crc, err)) {
		snprintf(o->why, sizeof(o->why), "%.150s", err);
		goto out;
	}
	offsets = calloc(n ? n : 1, sizeof(*offsets));
	order = calloc(n ? n : 1, sizeof(*order));
	o->addrs = calloc(n ? n : 1, sizeof(*o->addrs));
	if (!offsets || !order || !o->addrs) {
		snprintf(o->why, sizeof(o->why), "out of memory");
		goto out;
	}
	/* A module is linked at 0: what gdb adds is the runtime address.
	 * Sections the kernel did not keep (.modinfo) stay at 0. */
	for (unsigned i = 0; i < n; i++)
		offsets[i] = kmodule_section_addr(m, secs[i].name);
	const char *base = strrchr(unpacked, '/');
	char tag[24];
	snprintf(tag, sizeof(tag), "%llx", (unsigned long long)m->addr);
	snprintf(dir, sizeof(dir), "%s/modules", ks->dir);
	if (symfile_section_map(dir, base ? base + 1 : unpacked, tag, unpacked,
				crc, eh.e_type, kt->vm->machine, eh.e_entry, secs,
				offsets, n,
				order, o->map, sizeof(o->map), err)) {
		snprintf(o->why, sizeof(o->why), "%.150s", err);
		o->map[0] = '\0';
		goto out;
	}
	for (unsigned i = 0; i < n; i++)
		o->addrs[i] = offsets[order[i]];
	o->n = n;
out:
	if (!o->map[0]) {
		free(o->addrs);
		o->addrs = NULL;
	}
	free(secs);
	free(offsets);
	free(order);
	if (e)
		elf_end(e);
	if (fd >= 0)
		close(fd);
}

/* FNV-1a over the modules' names and addresses: a load or unload (or a
 * reload at another address) changes it. */
static uint64_t list_hash(const struct module_list *l)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < l->n; i++) {
		for (const char *c = l->v[i].name; *c; c++)
			h = (h ^ (uint8_t)*c) * 0x100000001b3ull;
		h = (h ^ l->v[i].addr) * 0x100000001b3ull;
	}
	return h;
}

/* Read the guest's module list; offer each module, reusing what was made
 * for one that is still loaded at the same place. */
static void refresh_modules(struct kernel_target *kt)
{
	struct kernel_symbols *ks = &kt->sym;
	index_module_files(kt);
	modules_read(&kt->ki, kt->vm, &ks->mod_layout, &ks->mods);
	struct ks_module *next = calloc(ks->mods.n ? ks->mods.n : 1,
					sizeof(*next));
	if (!next)
		return;
	for (size_t i = 0; i < ks->mods.n; i++) {
		const struct kmodule *m = &ks->mods.v[i];
		size_t j = 0;
		while (j < ks->nr_offered &&
		       (ks->offered[j].addr != m->addr ||
			strcmp(ks->offered[j].name, m->name)))
			j++;
		if (j < ks->nr_offered) {
			next[i] = ks->offered[j];
			memset(&ks->offered[j], 0, sizeof(ks->offered[j]));
		} else {
			offer_module(kt, m, &next[i]);
		}
	}
	for (size_t j = 0; j < ks->nr_offered; j++)
		drop_offer(&ks->offered[j]);
	free(ks->offered);
	ks->offered = next;
	ks->nr_offered = ks->mods.n;
	ks->mods_hash = list_hash(&ks->mods);
}

bool kernel_symbols_changed(void *t)
{
	struct kernel_target *kt = t;
	struct kernel_symbols *ks = &kt->sym;
	if (!ks->ready || !ks->libraries.len)
		return false; /* gdb has not read a list yet */
	struct module_list now = { 0 };
	modules_read(&kt->ki, kt->vm, &ks->mod_layout, &now);
	bool changed = list_hash(&now) != ks->mods_hash;
	module_list_free(&now);
	return changed;
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
	refresh_modules(kt);
	for (size_t i = 0; i < ks->nr_offered; i++)
		if (ks->offered[i].map[0])
			library_list_add(&ks->libraries, ks->offered[i].map,
					 ks->offered[i].addrs,
					 ks->offered[i].n);
	library_list_end(&ks->libraries);
	return &ks->libraries;
}

const char *kernel_symbols_exec_file(void *t)
{
	struct kernel_target *kt = t;
	return kt->sym.ready ? kt->sym.exec_file : NULL;
}

void kernel_symbols_report(struct kernel_target *kt, struct strbuf *out)
{
	struct kernel_symbols *ks = &kt->sym;
	if (!ks->ready) {
		strbuf_printf(out, "symbols: not offered to gdb (--no-symbols, "
			      "or the cache could not be made)\n");
		return;
	}
	kernel_symbols_libraries(kt, true);
	strbuf_printf(out, "vmlinux  %s\n  offset %#llx%s\n  cache  %s\n",
		      kt->vm->path, (unsigned long long)kt->ki.kaslr_offset,
		      kt->vm->percpu_zero_based ? " (.data..percpu stays at 0)"
						: "", ks->dir);
	strbuf_printf(out, "modules  %zu loaded; files from %s\n",
		      ks->mods.n, ks->files.note[0] ? ks->files.note : "-");
	if (ks->mods.note[0])
		strbuf_printf(out, "  %s\n", ks->mods.note);
	for (size_t i = 0; i < ks->nr_offered; i++) {
		const struct ks_module *o = &ks->offered[i];
		if (o->map[0])
			strbuf_printf(out, "  %-20s %#llx  %s%s%s\n", o->name,
				      (unsigned long long)o->text, o->file,
				      o->note[0] ? "; " : "", o->note);
		else
			strbuf_printf(out, "  %-20s no symbols: %s\n", o->name,
				      o->why);
	}
}

void kernel_symbols_free(struct kernel_target *kt)
{
	struct kernel_symbols *ks = &kt->sym;
	free(ks->secs);
	free(ks->offsets);
	free(ks->addrs);
	strbuf_free(&ks->libraries);
	for (size_t j = 0; j < ks->nr_offered; j++)
		drop_offer(&ks->offered[j]);
	free(ks->offered);
	module_list_free(&ks->mods);
	module_files_free(&ks->files);
	memset(ks, 0, sizeof(*ks));
}
