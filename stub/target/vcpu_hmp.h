/* vCPU registers as QEMU's human monitor prints them (`info registers
 * -a`, read over QMP): each vCPU's text parsed into gdb's register layout.
 * The text comes from QEMU and is treated as hostile: fields are looked up
 * by name, values bounded, anything unknown skipped. */
#ifndef LKSTUB_VCPU_HMP_H
#define LKSTUB_VCPU_HMP_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "stub/rsp/target.h"

/* What one vCPU was doing. */
struct vcpu_state {
	struct target_regs regs; /* valid[] says which registers it holds */
	bool seen;               /* its block was in the text */
	bool user;               /* running user code (CPL 3, EL0) */
	/* The page-table root user addresses go through (x86: CR3 without
	 * its flag bits); 0 when the text does not say. */
	uint64_t user_root;
};

/* One architecture's reading of a vCPU's block of text. */
struct vcpu_hmp_ops {
	const char *name;
	void (*parse)(const char *block, const char *end,
		      const struct gdb_arch *a, struct vcpu_state *s);
	/* What the text lacks and QEMU has elsewhere (x86): kernel_gs_base
	 * in a dump's CPU-state notes, CR8 in the local APIC's TPR. */
	bool dump_notes;
	bool lapic_tpr;
};

extern const struct vcpu_hmp_ops vcpu_hmp_x86_64;
extern const struct vcpu_hmp_ops vcpu_hmp_aarch64;

/* The reading for an ELF machine (EM_*), or NULL. */
const struct vcpu_hmp_ops *vcpu_hmp_for(unsigned elf_machine);

/* Parse `info registers -a` output (blocks headed "CPU#N") into out[N]
 * for N < max (others skipped). Returns how many blocks were parsed, or
 * -1 with err when there were none. */
int vcpu_hmp_parse_all(const struct vcpu_hmp_ops *ops, const char *text,
		       const struct gdb_arch *a, struct vcpu_state *out,
		       unsigned max, char *err);

/* A field of the text: NAME=v0 v1 ... (hex, separated by blanks or ':'). */
#define HMP_FIELD_VALUES 4
struct hmp_field {
	char name[24];
	uint64_t v[HMP_FIELD_VALUES];
	unsigned nv;
};

/* The next field in [*p, end), advancing *p; false at the end. Words that
 * are neither a NAME= nor a hex value ("[---Z-P-]", "CS64") are skipped. */
bool hmp_next_field(const char **p, const char *end, struct hmp_field *f);

#endif
