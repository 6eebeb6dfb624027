/* vmlinux through libelf. The file is mapped (ELF_C_READ_MMAP) and only the
 * section headers, .symtab, .strtab and the notes are touched: DWARF is
 * never read, so start-up does not depend on the debug info's size. */
#include "symbols/vmlinux.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"

static void read_build_id(struct vmlinux *vm, Elf_Scn *scn)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	if (!d)
		return;
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;
	while ((off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    !memcmp((char *)d->d_buf + name_off, "GNU", 4) &&
		    nh.n_descsz > 0 && nh.n_descsz <= BUILD_ID_MAX) {
			vm->build_id_len = nh.n_descsz;
			memcpy(vm->build_id, (char *)d->d_buf + desc_off,
			       nh.n_descsz);
			for (size_t i = 0; i < nh.n_descsz; i++)
				sprintf(vm->build_id_hex + 2 * i, "%02x",
					vm->build_id[i]);
			return;
		}
	}
}

static int read_symbols(struct vmlinux *vm, Elf *elf, Elf_Scn *scn,
			const GElf_Shdr *sh, char *err)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	if (!d || !sh->sh_entsize)
		return set_err(err, "%s: unreadable .symtab", vm->path);
	size_t n = sh->sh_size / sh->sh_entsize;
	struct sym *syms = malloc((n ? n : 1) * sizeof(*syms));
	if (!syms)
		return set_err(err, "out of memory for %zu symbols", n);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym s;
		if (!gelf_getsym(d, (int)i, &s))
			break;
		/* Undefined entries are placeholders; a value of 0 is
		 * legitimate (per-cpu variables are section offsets). */
		if (s.st_shndx == SHN_UNDEF)
			continue;
		int type = GELF_ST_TYPE(s.st_info);
		if (type == STT_SECTION || type == STT_FILE)
			continue;
		const char *name = elf_strptr(elf, sh->sh_link, s.st_name);
		if (!name || !*name)
			continue;
		syms[k++] = (struct sym){
			.name = name,
			.addr = s.st_value,
			.size = s.st_size,
			.global = GELF_ST_BIND(s.st_info) != STB_LOCAL,
		};
	}
	if (symtab_build(&vm->syms, syms, k))
		return set_err(err, "cannot index %zu symbols", k);
	return 0;
}

int vmlinux_open(struct vmlinux *vm, const char *path, char *err)
{
	memset(vm, 0, sizeof(*vm));
	vm->fd = -1;
	snprintf(vm->path, sizeof(vm->path), "%s", path);
	if (elf_version(EV_CURRENT) == EV_NONE)
		return set_err(err, "libelf: %s", elf_errmsg(-1));
	vm->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (vm->fd < 0)
		return set_err(err, "%s: %s", path, strerror(errno));
	Elf *elf = elf_begin(vm->fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		set_err(err, "%s: not an ELF file (%s)", path, elf_errmsg(-1));
		if (elf)
			elf_end(elf);
		goto fail;
	}
	vm->elf = elf;
	GElf_Ehdr eh;
	if (!gelf_getehdr(elf, &eh)) {
		set_err(err, "%s: bad ELF header", path);
		goto fail;
	}
	vm->machine = eh.e_machine;
	size_t shstrndx;
	if (elf_getshdrstrndx(elf, &shstrndx)) {
		set_err(err, "%s: no section names", path);
		goto fail;
	}
	bool have_symtab = false;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB && !have_symtab) {
			if (read_symbols(vm, elf, scn, &sh, err))
				goto fail;
			have_symtab = true;
		} else if (sh.sh_type == SHT_NOTE && !vm->build_id_len) {
			read_build_id(vm, scn);
		}
		const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && !strcmp(name, ".data..percpu") && !sh.sh_addr)
			vm->percpu_zero_based = true;
		if ((sh.sh_flags & SHF_ALLOC) && sh.sh_size &&
		    vm->nr_sections < VMLINUX_MAX_SECTIONS) {
			struct vmlinux_section *s =
				&vm->sections[vm->nr_sections++];
			s->addr = sh.sh_addr;
			s->size = sh.sh_size;
			if (sh.sh_type != SHT_NOBITS) {
				Elf_Data *d = elf_rawdata(scn, NULL);
				if (d && d->d_size == sh.sh_size)
					s->data = d->d_buf;
			}
		}
	}
	if (!have_symtab) {
		set_err(err, "%s: no symbol table (a stripped vmlinux? use the "
			"one from the -dbg package)", path);
		goto fail;
	}
	return 0;
fail:
	vmlinux_close(vm);
	return -1;
}

void vmlinux_close(struct vmlinux *vm)
{
	symtab_free(&vm->syms);
	if (vm->elf)
		elf_end(vm->elf);
	if (vm->fd >= 0)
		close(vm->fd);
	vm->elf = NULL;
	vm->fd = -1;
}

bool vmlinux_sym(const struct vmlinux *vm, const char *name, uint64_t *addr)
{
	const struct sym *s = symtab_lookup(&vm->syms, name);
	if (!s)
		return false;
	*addr = s->addr;
	return true;
}

size_t vmlinux_read(const struct vmlinux *vm, uint64_t va, void *buf,
		    size_t len)
{
	for (unsigned i = 0; i < vm->nr_sections; i++) {
		const struct vmlinux_section *s = &vm->sections[i];
		if (!s->data || va < s->addr || va - s->addr >= s->size)
			continue;
		uint64_t avail = s->size - (va - s->addr);
		size_t n = len < avail ? len : (size_t)avail;
		memcpy(buf, s->data + (va - s->addr), n);
		return n;
	}
	return 0;
}
