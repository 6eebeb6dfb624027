/* The guest kernel's vmlinux: symbols, GNU build-id, machine type, and the
 * bytes of its loaded sections (to recognise the kernel in guest RAM). */
#ifndef LKSTUB_VMLINUX_H
#define LKSTUB_VMLINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbols/symtab.h"

struct vmlinux_section {
	uint64_t addr, size;
	const uint8_t *data; /* NULL for NOBITS (.bss) */
};

#define VMLINUX_MAX_SECTIONS 128
#define BUILD_ID_MAX 64

struct vmlinux {
	char path[4096];
	int fd;
	void *elf; /* Elf * */
	uint16_t machine;
	uint8_t build_id[BUILD_ID_MAX];
	size_t build_id_len;
	char build_id_hex[2 * BUILD_ID_MAX + 1];
	/* x86_64 links per-cpu variables as offsets from 0 (the section is
	 * at address 0); arm64 links them inside the image. */
	bool percpu_zero_based;
	struct symtab syms;
	struct vmlinux_section sections[VMLINUX_MAX_SECTIONS];
	unsigned nr_sections;
};

int vmlinux_open(struct vmlinux *vm, const char *path, char *err);
void vmlinux_close(struct vmlinux *vm);
/* Link-time address of a symbol; false when absent. */
bool vmlinux_sym(const struct vmlinux *vm, const char *name, uint64_t *addr);
/* Copy bytes of the loaded image at link address va; returns bytes
 * copied (stops at the end of the section). */
size_t vmlinux_read(const struct vmlinux *vm, uint64_t va, void *buf,
		    size_t len);

#endif
