/* Synthetic ELF files for the symbols/ unit tests, written with libelf at
 * test time: chosen sections (with their link addresses and bytes), an
 * optional .note.gnu.build-id, an optional .symtab/.strtab.
 *
 * synth_kernel_elf() makes a tiny x86_64 "vmlinux" with the symbols
 * discovery needs; the discovery tests copy its sections into guest RAM.
 *
 * Include after <cmocka.h>: the helpers assert with cmocka. */
#ifndef LKSTUB_TESTS_SYNTH_ELF_H
#define LKSTUB_TESTS_SYNTH_ELF_H

#include <elf.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "symbols/vmlinux.h"

#define SE_UNDEF (-1) /* st_shndx SHN_UNDEF */
#define SE_ABS   (-2) /* st_shndx SHN_ABS */

struct se_sec {
	const char *name;
	uint32_t type;       /* SHT_PROGBITS, SHT_NOBITS, ... */
	uint64_t flags;      /* SHF_ALLOC, ... */
	uint64_t addr;
	const void *data;    /* NULL for NOBITS */
	size_t size;
};

struct se_sym {
	const char *name;
	uint64_t value, size;
	unsigned char bind, type; /* STB_*, STT_* */
	int sec;                  /* index into the se_sec array, SE_UNDEF,
				   * SE_ABS */
};

struct se_desc {
	uint16_t machine;
	const struct se_sec *secs;
	unsigned nr_secs;
	const struct se_sym *syms;
	unsigned nr_syms;
	bool no_symtab;
	const uint8_t *build_id; /* NULL: no note */
	size_t build_id_len;
};

static inline Elf_Scn *se_new_scn(Elf *e, const char *name, uint32_t type,
				  uint64_t flags, uint64_t addr,
				  const void *buf, size_t size,
				  Elf_Type dtype, uint64_t align, char *shstr,
				  size_t *shstr_len)
{
	Elf_Scn *scn = elf_newscn(e);
	assert_non_null(scn);
	Elf_Data *d = elf_newdata(scn);
	assert_non_null(d);
	d->d_buf = (void *)buf;
	d->d_size = size;
	d->d_type = dtype;
	d->d_align = align;
	d->d_version = EV_CURRENT;
	Elf64_Shdr *sh = elf64_getshdr(scn);
	assert_non_null(sh);
	sh->sh_name = (Elf64_Word)*shstr_len;
	strcpy(shstr + *shstr_len, name);
	*shstr_len += strlen(name) + 1;
	sh->sh_type = type;
	sh->sh_flags = flags;
	sh->sh_addr = addr;
	sh->sh_addralign = align;
	if (type == SHT_NOBITS)
		sh->sh_size = size;
	return scn;
}

/* Write the ELF to a new temporary file; its name goes to path (which
 * must hold 64 bytes). The caller unlinks it. */
static inline void se_write(const struct se_desc *desc, char *path)
{
	strcpy(path, "/tmp/lkstub-test-elf-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_not_equal(elf_version(EV_CURRENT), EV_NONE);
	Elf *e = elf_begin(fd, ELF_C_WRITE, NULL);
	assert_non_null(e);
	Elf64_Ehdr *eh = elf64_newehdr(e);
	assert_non_null(eh);
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh->e_type = ET_EXEC;
	eh->e_machine = desc->machine;
	eh->e_version = EV_CURRENT;

	char shstr[4096];
	size_t shstr_len = 1;
	shstr[0] = '\0';
	for (unsigned i = 0; i < desc->nr_secs; i++) {
		const struct se_sec *s = &desc->secs[i];
		se_new_scn(e, s->name, s->type, s->flags, s->addr,
			   s->type == SHT_NOBITS ? NULL : s->data, s->size,
			   ELF_T_BYTE, 16, shstr, &shstr_len);
	}

	/* The note: namesz, descsz, type, "GNU\0", the id (4-aligned). */
	uint8_t note[12 + 4 + 64 + 4];
	if (desc->build_id) {
		assert_true(desc->build_id_len <= 64);
		uint32_t hdr[3] = { 4, (uint32_t)desc->build_id_len,
				    NT_GNU_BUILD_ID };
		memcpy(note, hdr, 12);
		memcpy(note + 12, "GNU", 4);
		memset(note + 16, 0, sizeof(note) - 16);
		memcpy(note + 16, desc->build_id, desc->build_id_len);
		size_t len = 16 + ((desc->build_id_len + 3) & ~(size_t)3);
		se_new_scn(e, ".note.gnu.build-id", SHT_NOTE, SHF_ALLOC,
			   0xffffffff81e00000ULL, note, len, ELF_T_NHDR, 4,
			   shstr, &shstr_len);
	}

	Elf64_Sym *syms = NULL;
	char *strtab = NULL;
	if (!desc->no_symtab) {
		syms = calloc(desc->nr_syms + 1, sizeof(*syms));
		assert_non_null(syms);
		size_t cap = 1;
		for (unsigned i = 0; i < desc->nr_syms; i++)
			cap += strlen(desc->syms[i].name) + 1;
		strtab = calloc(1, cap);
		assert_non_null(strtab);
		size_t str_len = 1, k = 1;
		unsigned first_global = 0;
		/* Locals first, as ELF requires; sh_info = first global. */
		for (int pass = 0; pass < 2; pass++) {
			if (pass == 1)
				first_global = (unsigned)k;
			for (unsigned i = 0; i < desc->nr_syms; i++) {
				const struct se_sym *s = &desc->syms[i];
				if ((s->bind == STB_LOCAL) != (pass == 0))
					continue;
				Elf64_Sym *o = &syms[k++];
				o->st_name = (Elf64_Word)str_len;
				strcpy(strtab + str_len, s->name);
				str_len += strlen(s->name) + 1;
				o->st_value = s->value;
				o->st_size = s->size;
				o->st_info = ELF64_ST_INFO(s->bind, s->type);
				o->st_shndx = s->sec == SE_UNDEF ? SHN_UNDEF
					      : s->sec == SE_ABS ? SHN_ABS
					      : (Elf64_Section)(s->sec + 1);
			}
		}
		Elf_Scn *sym_scn = se_new_scn(
			e, ".symtab", SHT_SYMTAB, 0, 0, syms,
			(desc->nr_syms + 1) * sizeof(*syms), ELF_T_SYM, 8,
			shstr, &shstr_len);
		Elf_Scn *str_scn = se_new_scn(e, ".strtab", SHT_STRTAB, 0, 0,
					      strtab, str_len, ELF_T_BYTE, 1,
					      shstr, &shstr_len);
		Elf64_Shdr *sh = elf64_getshdr(sym_scn);
		sh->sh_link = (Elf64_Word)elf_ndxscn(str_scn);
		sh->sh_info = first_global;
		sh->sh_entsize = sizeof(Elf64_Sym);
	}
	/* The name table names itself last. */
	size_t shstr_self = shstr_len;
	strcpy(shstr + shstr_len, ".shstrtab");
	shstr_len += sizeof(".shstrtab");
	Elf_Scn *shs = elf_newscn(e);
	assert_non_null(shs);
	Elf_Data *d = elf_newdata(shs);
	d->d_buf = shstr;
	d->d_size = shstr_len;
	d->d_type = ELF_T_BYTE;
	d->d_align = 1;
	d->d_version = EV_CURRENT;
	Elf64_Shdr *sh = elf64_getshdr(shs);
	sh->sh_name = (Elf64_Word)shstr_self;
	sh->sh_type = SHT_STRTAB;
	sh->sh_addralign = 1;
	eh->e_shstrndx = (Elf64_Half)elf_ndxscn(shs);

	if (elf_update(e, ELF_C_WRITE) < 0)
		fail_msg("elf_update: %s", elf_errmsg(-1));
	elf_end(e);
	close(fd);
	free(syms);
	free(strtab);
}

/* --- A tiny x86_64 kernel --------------------------------------------- */

#define SK_TEXT     0xffffffff81000000ULL /* _text, .text */
#define SK_STEXT    (SK_TEXT + 0x1000)
#define SK_RODATA   0xffffffff81200000ULL
#define SK_BANNER   (SK_RODATA + 0x100)
#define SK_DATA     0xffffffff81400000ULL
#define SK_POB      (SK_DATA + 0x0)       /* page_offset_base */
#define SK_L5       (SK_DATA + 0x8)       /* __pgtable_l5_enabled */
#define SK_NR_CPUS  (SK_DATA + 0x10)      /* nr_cpu_ids */
#define SK_PGT      (SK_DATA + 0x1000)    /* init_top_pgt */
#define SK_BSS      0xffffffff81600000ULL
#define SK_VMCI     (SK_BSS + 0x0)        /* vmcoreinfo_data */
#define SK_VMCI_NOTE (SK_BSS + 0x8)       /* vmcoreinfo_note */
#define SK_END      (SK_BSS + 0x10000)    /* _end */
#define SK_TEXT_SIZE   0x2000
#define SK_RODATA_SIZE 0x1000
#define SK_DATA_SIZE   0x3000

#define SK_BANNER_TEXT                                                     \
	"Linux version 6.1.0-56-cloud-amd64 (debian-kernel@lists.debian.org) " \
	"(gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) " \
	"2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.135-1 (2025-04-25)\n"

static const uint8_t sk_build_id[20] = {
	0x4b, 0x1b, 0x0a, 0x5c, 0x1e, 0x0e, 0x6d, 0x2f, 0x9e, 0x8f,
	0x3c, 0x4a, 0x7b, 0x6d, 0x5e, 0x4f, 0x3a, 0x2b, 0x1c, 0x0d,
};
#define SK_BUILD_ID_HEX "4b1b0a5c1e0e6d2f9e8f3c4a7b6d5e4f3a2b1c0d"

struct synth_kernel {
	uint8_t text[SK_TEXT_SIZE];
	uint8_t rodata[SK_RODATA_SIZE];
	uint8_t data[SK_DATA_SIZE];
	struct se_sec secs[4];
	char path[64];
};

/* Sections .text .rodata .data .bss (indexes 0..3). */
enum { SK_SEC_TEXT, SK_SEC_RODATA, SK_SEC_DATA, SK_SEC_BSS };

static const struct se_sym sk_syms[] = {
	{ "_text", SK_TEXT, 0, STB_GLOBAL, STT_NOTYPE, SK_SEC_TEXT },
	{ "_stext", SK_STEXT, 0, STB_GLOBAL, STT_NOTYPE, SK_SEC_TEXT },
	{ "startup_64", SK_TEXT, 0x40, STB_GLOBAL, STT_FUNC, SK_SEC_TEXT },
	{ "start_kernel", SK_STEXT + 0x100, 0x200, STB_GLOBAL, STT_FUNC,
	  SK_SEC_TEXT },
	{ "helper", SK_STEXT + 0x400, 0x10, STB_LOCAL, STT_FUNC,
	  SK_SEC_TEXT },
	{ "helper", SK_STEXT + 0x500, 0x10, STB_GLOBAL, STT_FUNC,
	  SK_SEC_TEXT },
	{ "helper", SK_STEXT + 0x600, 0x10, STB_LOCAL, STT_FUNC,
	  SK_SEC_TEXT },
	{ "linux_banner", SK_BANNER, sizeof(SK_BANNER_TEXT), STB_GLOBAL,
	  STT_OBJECT, SK_SEC_RODATA },
	{ "page_offset_base", SK_POB, 8, STB_GLOBAL, STT_OBJECT, SK_SEC_DATA },
	{ "__pgtable_l5_enabled", SK_L5, 4, STB_GLOBAL, STT_OBJECT,
	  SK_SEC_DATA },
	{ "nr_cpu_ids", SK_NR_CPUS, 4, STB_GLOBAL, STT_OBJECT, SK_SEC_DATA },
	{ "init_top_pgt", SK_PGT, 0x1000, STB_GLOBAL, STT_OBJECT,
	  SK_SEC_DATA },
	{ "vmcoreinfo_data", SK_VMCI, 8, STB_GLOBAL, STT_OBJECT, SK_SEC_BSS },
	{ "vmcoreinfo_note", SK_VMCI_NOTE, 8, STB_GLOBAL, STT_OBJECT,
	  SK_SEC_BSS },
	{ "_end", SK_END, 0, STB_GLOBAL, STT_NOTYPE, SK_SEC_BSS },
	/* What read_symbols must skip or keep. */
	{ "printk", 0, 0, STB_GLOBAL, STT_FUNC, SE_UNDEF },
	{ "undef_with_value", 0xffffffff81000800ULL, 0, STB_GLOBAL,
	  STT_NOTYPE, SE_UNDEF },
	{ "fixed_percpu_data", 0, 0x28, STB_GLOBAL, STT_OBJECT, SE_ABS },
	{ "main.c", 0, 0, STB_LOCAL, STT_FILE, SE_ABS },
	{ "section_sym", SK_DATA, 0, STB_LOCAL, STT_SECTION, SK_SEC_DATA },
	{ "", SK_DATA + 0x20, 0, STB_LOCAL, STT_NOTYPE, SK_SEC_DATA },
};
#define SK_NR_KEPT 16 /* sk_syms minus 2 undefined, file, section, "" */

/* Build the kernel's bytes and write it as an ELF (machine, build-id and
 * symtab as asked). */
static inline void synth_kernel_write(struct synth_kernel *k,
				      uint16_t machine, bool build_id,
				      bool symtab)
{
	memset(k->text, 0xcc, sizeof(k->text));
	memset(k->rodata, 0, sizeof(k->rodata));
	memcpy(k->rodata + (SK_BANNER - SK_RODATA), SK_BANNER_TEXT,
	       sizeof(SK_BANNER_TEXT));
	memset(k->data, 0, sizeof(k->data));
	k->secs[SK_SEC_TEXT] = (struct se_sec){
		".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, SK_TEXT,
		k->text, sizeof(k->text) };
	k->secs[SK_SEC_RODATA] = (struct se_sec){
		".rodata", SHT_PROGBITS, SHF_ALLOC, SK_RODATA, k->rodata,
		sizeof(k->rodata) };
	k->secs[SK_SEC_DATA] = (struct se_sec){
		".data", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, SK_DATA, k->data,
		sizeof(k->data) };
	k->secs[SK_SEC_BSS] = (struct se_sec){
		".bss", SHT_NOBITS, SHF_ALLOC | SHF_WRITE, SK_BSS, NULL,
		SK_END - SK_BSS };
	struct se_desc d = {
		.machine = machine,
		.secs = k->secs,
		.nr_secs = 4,
		.syms = sk_syms,
		.nr_syms = sizeof(sk_syms) / sizeof(sk_syms[0]),
		.no_symtab = !symtab,
		.build_id = build_id ? sk_build_id : NULL,
		.build_id_len = sizeof(sk_build_id),
	};
	se_write(&d, k->path);
}

/* The tiny x86_64 kernel written, opened as the vmlinux and unlinked (it
 * stays mapped: nothing is left behind if a test fails). */
static inline void synth_kernel_open(struct synth_kernel *k,
				     struct vmlinux *vm)
{
	char err[ERR_LEN] = "";
	synth_kernel_write(k, EM_X86_64, true, true);
	if (vmlinux_open(vm, k->path, err))
		fail_msg("vmlinux_open: %s", err);
	unlink(k->path);
}

#endif
