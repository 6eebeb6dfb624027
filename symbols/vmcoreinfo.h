/* The kernel's vmcoreinfo text (CONFIG_CRASH_CORE): KEY=VALUE lines that
 * describe the running kernel. The text comes from guest memory, so the
 * parser takes a bounded buffer and copes with any bytes in it. */
#ifndef LKSTUB_VMCOREINFO_H
#define LKSTUB_VMCOREINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMCOREINFO_MAX_BYTES 4096 /* the kernel's VMCOREINFO_BYTES */

struct vmcoreinfo {
	char text[VMCOREINFO_MAX_BYTES + 1]; /* lines split in place */
	const char *keys[512], *values[512];
	unsigned nr;
};

/* Parse up to len bytes (stops at the first NUL). Returns 0 when the text
 * starts with OSRELEASE= and has at least one well-formed line. */
int vmcoreinfo_parse(struct vmcoreinfo *vi, const void *buf, size_t len);
const char *vmcoreinfo_get(const struct vmcoreinfo *vi, const char *key);
/* SYMBOL(name)=hex, NUMBER(name)=signed decimal (or 0x hex), KERNELOFFSET=
 * hex without 0x. false when absent or malformed. */
bool vmcoreinfo_symbol(const struct vmcoreinfo *vi, const char *name,
		       uint64_t *val);
bool vmcoreinfo_number(const struct vmcoreinfo *vi, const char *name,
		       int64_t *val);
bool vmcoreinfo_hex(const struct vmcoreinfo *vi, const char *key,
		    uint64_t *val);

#endif
