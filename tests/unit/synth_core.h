/* Synthetic ELF core dumps, built byte by byte in memory (libelf's writer
 * would refuse the broken ones the tests need): an ELF64 little-endian
 * header, program headers (PN_XNUM with a section 0 when asked), one
 * PT_NOTE of the notes given, then the PT_LOADs' file bytes.
 *
 * Also the notes QEMU's dump-guest-memory and the kernel's crash_save_cpu
 * write: NT_PRSTATUS (x86_64, 336 bytes) and QEMU's x86 CPU state. */
#ifndef LKSTUB_TESTS_SYNTH_CORE_H
#define LKSTUB_TESTS_SYNTH_CORE_H

#include <elf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct sc_note {
	const char *name; /* "CORE", "QEMU", "VMCOREINFO" */
	uint32_t type;
	const void *desc;
	uint32_t descsz;
};

struct sc_load {
	uint64_t gpa, memsz, filesz;
	const uint8_t *data; /* filesz bytes; NULL: sc_byte(gpa) */
	int64_t foff;        /* -1: placed after the previous one */
	bool raw_foff;       /* foff as given, even past the end */
};

struct sc_core {
	uint16_t machine;    /* EM_X86_64 unless set */
	bool xnum;           /* e_phnum = PN_XNUM, the count in section 0 */
	const struct sc_note *notes;
	unsigned nr_notes;
	const struct sc_load *loads;
	unsigned nr_loads;
};

/* The byte a load without data holds at gpa. */
static inline uint8_t sc_byte(uint64_t gpa)
{
	return (uint8_t)(gpa * 31 + (gpa >> 12) * 7 + 1);
}

static inline size_t sc_align4(size_t n) { return (n + 3) & ~(size_t)3; }

/* The file image (malloc'd) and its size. */
static inline uint8_t *sc_build(const struct sc_core *d, size_t *size)
{
	size_t nph = d->nr_loads + 1;
	size_t phoff = sizeof(Elf64_Ehdr);
	size_t shoff = phoff + nph * sizeof(Elf64_Phdr);
	size_t noteoff = shoff + (d->xnum ? sizeof(Elf64_Shdr) : 0);
	size_t notesz = 0;
	for (unsigned i = 0; i < d->nr_notes; i++)
		notesz += 12 + sc_align4(strlen(d->notes[i].name) + 1) +
			  sc_align4(d->notes[i].descsz);
	size_t dataoff = (noteoff + notesz + 4095) & ~(size_t)4095;
	size_t end = dataoff;
	for (unsigned i = 0; i < d->nr_loads; i++) {
		const struct sc_load *l = &d->loads[i];
		if (l->foff >= 0) {
			if (!l->raw_foff && (size_t)l->foff + l->filesz > end)
				end = (size_t)l->foff + l->filesz;
		} else {
			end += l->filesz;
		}
	}
	uint8_t *img = calloc(1, end);
	if (!img)
		abort();
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_CORE;
	eh->e_machine = d->machine ? d->machine : EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = phoff;
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = d->xnum ? PN_XNUM : (Elf64_Half)nph;
	if (d->xnum) {
		Elf64_Shdr *sh = (Elf64_Shdr *)(img + shoff);
		sh->sh_info = (Elf64_Word)nph;
		eh->e_shoff = shoff;
		eh->e_shnum = 1;
		eh->e_shentsize = sizeof(Elf64_Shdr);
	}
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + phoff);
	ph[0].p_type = PT_NOTE;
	ph[0].p_offset = noteoff;
	ph[0].p_filesz = ph[0].p_memsz = notesz;
	uint8_t *p = img + noteoff;
	for (unsigned i = 0; i < d->nr_notes; i++) {
		const struct sc_note *n = &d->notes[i];
		uint32_t hdr[3] = { (uint32_t)strlen(n->name) + 1, n->descsz,
				    n->type };
		memcpy(p, hdr, 12);
		memcpy(p + 12, n->name, hdr[0]);
		p += 12 + sc_align4(hdr[0]);
		if (n->descsz)
			memcpy(p, n->desc, n->descsz);
		p += sc_align4(n->descsz);
	}
	size_t next = dataoff;
	for (unsigned i = 0; i < d->nr_loads; i++) {
		const struct sc_load *l = &d->loads[i];
		Elf64_Phdr *q = &ph[i + 1];
		size_t off = l->foff >= 0 ? (size_t)l->foff : next;
		q->p_type = PT_LOAD;
		q->p_flags = PF_R | PF_W | PF_X;
		q->p_offset = off;
		q->p_paddr = l->gpa;
		q->p_vaddr = 0;
		q->p_filesz = l->filesz;
		q->p_memsz = l->memsz;
		if (l->foff < 0)
			next += l->filesz;
		if (l->raw_foff)
			continue;
		for (uint64_t k = 0; k < l->filesz; k++)
			img[off + k] = l->data ? l->data[k] : sc_byte(l->gpa + k);
	}
	*size = end;
	return img;
}

/* x86_64 struct elf_prstatus (336 bytes): pr_pid at 32, pr_reg at 112 in
 * user_regs_struct order; register i holds base + i. */
#define SC_PRSTATUS_X86_64 336
static inline void sc_prstatus_x86_64(uint8_t *desc, uint32_t pr_pid,
				      uint64_t base)
{
	memset(desc, 0, SC_PRSTATUS_X86_64);
	memcpy(desc + 32, &pr_pid, 4);
	for (unsigned i = 0; i < 27; i++) {
		uint64_t v = base + i;
		memcpy(desc + 112 + 8 * i, &v, 8);
	}
}

/* QEMU's QEMUCPUState for x86 (version 1, 432 bytes): cr3 at 416. */
#define SC_QEMU_X86 432
static inline void sc_qemu_x86(uint8_t *desc, uint64_t cr3)
{
	memset(desc, 0, SC_QEMU_X86);
	uint32_t v[2] = { 1, SC_QEMU_X86 };
	memcpy(desc, v, 8);
	memcpy(desc + 416, &cr3, 8);
}

#endif
