#include "stub/target/vcpu_hmp.h"

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stub/rsp/hex.h"
#include "stub/target/gdb_arch.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Is the word [w, e) followed (after blanks) by '='? */
static bool names_field(const char *e, const char *end)
{
	while (e < end && (*e == ' ' || *e == '\t'))
		e++;
	return e < end && *e == '=';
}

static const char *word_end(const char *p, const char *end)
{
	while (p < end && !is_blank(*p) && *p != '=' && *p != ':')
		p++;
	return p;
}

/* Values after NAME=: hex words separated by blanks or ':', up to the
 * next NAME= or a word that is not hex. A word of 17 to 32 digits (a
 * 128-bit register) gives two values, high then low. */
static void read_values(const char **pp, const char *end, struct hmp_field *f)
{
	const char *p = *pp;
	for (;;) {
		const char *q = p;
		while (q < end && (*q == ' ' || *q == '\t' || *q == ':'))
			q++;
		const char *e = word_end(q, end);
		size_t n = (size_t)(e - q);
		if (n == 0 || n > 32 || names_field(e, end))
			break;
		uint64_t hi = 0, lo = 0;
		bool hex = true;
		for (size_t i = 0; i < n && hex; i++) {
			int d = hex_digit(q[i]);
			if (d < 0)
				hex = false;
			else if (n - i > 16)
				hi = hi << 4 | (uint64_t)d;
			else
				lo = lo << 4 | (uint64_t)d;
		}
		if (!hex)
			break;
		if (n > 16 && f->nv < HMP_FIELD_VALUES)
			f->v[f->nv++] = hi;
		if (f->nv < HMP_FIELD_VALUES)
			f->v[f->nv++] = lo;
		p = e;
	}
	*pp = p;
}

bool hmp_next_field(const char **pp, const char *end, struct hmp_field *f)
{
	const char *p = *pp;
	while (p < end) {
		while (p < end && (is_blank(*p) || *p == ':'))
			p++;
		const char *e = word_end(p, end);
		if (e == p) { /* a stray '=' */
			p++;
			continue;
		}
		if (!names_field(e, end)) {
			p = e; /* "[---Z-P-]", "CS64", a lone value */
			continue;
		}
		size_t n = (size_t)(e - p);
		if (n >= sizeof(f->name))
			n = sizeof(f->name) - 1;
		memcpy(f->name, p, n);
		f->name[n] = '\0';
		f->nv = 0;
		p = e;
		while (p < end && *p != '=')
			p++;
		p++;
		read_values(&p, end, f);
		*pp = p;
		return true;
	}
	*pp = end;
	return false;
}

static void set64(const struct gdb_arch *a, struct vcpu_state *s,
		  const char *name, uint64_t v)
{
	gdb_arch_set_reg(a, &s->regs, name, &v, sizeof(v));
}

static void set128(const struct gdb_arch *a, struct vcpu_state *s,
		   const char *name, uint64_t hi, uint64_t lo)
{
	uint64_t v[2] = { lo, hi }; /* little-endian: low half first */
	gdb_arch_set_reg(a, &s->regs, name, v, sizeof(v));
}

/* "NAME" followed by a decimal number below limit: the number, or -1. */
static int numbered(const char *s, const char *prefix, int limit)
{
	size_t n = strlen(prefix);
	if (strncmp(s, prefix, n) || !s[n])
		return -1;
	char *e;
	long v = strtol(s + n, &e, 10);
	return *e || v < 0 || v >= limit ? -1 : (int)v;
}

static void parse_x86_64(const char *p, const char *end,
			 const struct gdb_arch *a, struct vcpu_state *s)
{
	static const char *const gp[] = { "RAX", "RBX", "RCX", "RDX",
					  "RSI", "RDI", "RBP", "RSP" };
	static const char *const seg[] = { "ES", "CS", "SS", "DS", "FS", "GS" };
	struct hmp_field f;
	char name[16];
	while (hmp_next_field(&p, end, &f)) {
		if (!f.nv)
			continue;
		uint64_t v = f.v[0];
		int n;
		for (unsigned i = 0; i < sizeof(gp) / sizeof(gp[0]); i++)
			if (!strcmp(f.name, gp[i])) {
				snprintf(name, sizeof(name), "r%c%c", f.name[1] | 32,
					 f.name[2] | 32);
				set64(a, s, name, v);
			}
		for (unsigned i = 0; i < sizeof(seg) / sizeof(seg[0]); i++)
			if (!strcmp(f.name, seg[i])) {
				snprintf(name, sizeof(name), "%c%c", f.name[0] | 32,
					 f.name[1] | 32);
				set64(a, s, name, v);
				if (f.nv > 1 && (i == 4 || i == 5)) {
					snprintf(name, sizeof(name), "%s_base",
						 i == 4 ? "fs" : "gs");
					set64(a, s, name, f.v[1]);
				}
			}
		if ((n = numbered(f.name, "R", 16)) >= 8) {
			snprintf(name, sizeof(name), "r%d", n);
			set64(a, s, name, v);
		} else if (!strcmp(f.name, "RIP")) {
			set64(a, s, "rip", v);
		} else if (!strcmp(f.name, "RFL")) {
			set64(a, s, "eflags", v);
		} else if (!strcmp(f.name, "CPL")) {
			s->user = v == 3;
		} else if ((n = numbered(f.name, "CR", 5)) >= 0 && n != 1) {
			snprintf(name, sizeof(name), "cr%d", n);
			set64(a, s, name, v);
			/* Bits 12-51: the table; PCID and no-flush bits off. */
			if (n == 3)
				s->user_root = v & 0x000ffffffffff000ull;
		} else if (!strcmp(f.name, "EFER")) {
			set64(a, s, "efer", v);
		} else if (!strcmp(f.name, "FCW")) {
			set64(a, s, "fctrl", v);
		} else if (!strcmp(f.name, "FSW")) {
			set64(a, s, "fstat", v);
		} else if (!strcmp(f.name, "MXCSR")) {
			set64(a, s, "mxcsr", v);
		} else if ((n = numbered(f.name, "FPR", 8)) >= 0 && f.nv == 2) {
			/* 64-bit mantissa, then sign and exponent. */
			uint8_t b[10];
			memcpy(b, &f.v[0], 8);
			b[8] = (uint8_t)f.v[1];
			b[9] = (uint8_t)(f.v[1] >> 8);
			snprintf(name, sizeof(name), "st%d", n);
			gdb_arch_set_reg(a, &s->regs, name, b, sizeof(b));
		} else if (((n = numbered(f.name, "YMM", 16)) >= 0 ||
			    (n = numbered(f.name, "XMM", 16)) >= 0) &&
			   f.nv >= 2) {
			/* Printed high to low: the xmm half is the last two. */
			snprintf(name, sizeof(name), "xmm%d", n);
			set128(a, s, name, f.v[f.nv - 2], f.v[f.nv - 1]);
		}
	}
}

static void parse_aarch64(const char *p, const char *end,
			  const struct gdb_arch *a, struct vcpu_state *s)
{
	struct hmp_field f;
	char name[16];
	int last_z = -1;
	uint64_t sp = 0, pstate = 1;
	bool have_sp = false;
	while (hmp_next_field(&p, end, &f)) {
		if (!f.nv)
			continue;
		uint64_t v = f.v[0];
		int n;
		if ((n = numbered(f.name, "X", 31)) >= 0) {
			snprintf(name, sizeof(name), "x%d", n);
			set64(a, s, name, v);
		} else if (!strcmp(f.name, "PC")) {
			set64(a, s, "pc", v);
		} else if (!strcmp(f.name, "SP")) {
			set64(a, s, "sp", v);
			sp = v;
			have_sp = true;
		} else if (!strcmp(f.name, "PSTATE")) {
			set64(a, s, "cpsr", v);
			pstate = v;
			/* M[4] 0: AArch64; M[3:2]: the exception level. */
			s->user = (v & 0x1c) == 0;
		} else if (!strcmp(f.name, "FPCR")) {
			set64(a, s, "fpcr", v);
		} else if (!strcmp(f.name, "FPSR")) {
			set64(a, s, "fpsr", v);
		} else if (!strncmp(f.name, "Z", 1) && f.name[1] &&
			   strchr(f.name, '[')) {
			/* SVE: "Z05[3-2]=..." then "[1-0]=...": v5 is the
			 * low 128 bits, the last two values of [1-0]. */
			char num[8] = { 0 };
			size_t k = strcspn(f.name + 1, "[");
			if (k < sizeof(num))
				memcpy(num, f.name + 1, k);
			last_z = numbered(num, "", 32);
		} else if (!strcmp(f.name, "[1-0]") && last_z >= 0 &&
			   f.nv >= 2) {
			snprintf(name, sizeof(name), "v%d", last_z);
			set128(a, s, name, f.v[f.nv - 2], f.v[f.nv - 1]);
			last_z = -1;
		} else if (((n = numbered(f.name, "Q", 32)) >= 0 ||
			    (n = numbered(f.name, "Z", 32)) >= 0) &&
			   f.nv >= 2) {
			snprintf(name, sizeof(name), "v%d", n);
			set128(a, s, name, f.v[f.nv - 2], f.v[f.nv - 1]);
		}
	}
	/* PSTATE.SP 0 (EL0t, EL1t): the stack pointer in use is SP_EL0. */
	if (have_sp && !(pstate & 1))
		set64(a, s, "SP_EL0", sp);
}

const struct vcpu_hmp_ops vcpu_hmp_x86_64 = {
	.name = "x86_64",
	.parse = parse_x86_64,
	.dump_notes = true,
	.lapic_tpr = true,
};
const struct vcpu_hmp_ops vcpu_hmp_aarch64 = {
	.name = "aarch64",
	.parse = parse_aarch64,
};

const struct vcpu_hmp_ops *vcpu_hmp_for(unsigned elf_machine)
{
	switch (elf_machine) {
	case EM_X86_64: return &vcpu_hmp_x86_64;
	case EM_AARCH64: return &vcpu_hmp_aarch64;
	}
	return NULL;
}

/* The first line from p (a line start) that reads "CPU#N": N into *cpu. */
static const char *next_header(const char *p, const char *end, long *cpu)
{
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end;
		if (le - p > 4 && !strncmp(p, "CPU#", 4) && p[4] >= '0' &&
		    p[4] <= '9') {
			long v = 0;
			for (const char *q = p + 4;
			     q < le && *q >= '0' && *q <= '9' && v < 1000000; q++)
				v = v * 10 + (*q - '0');
			*cpu = v;
			return p;
		}
		p = eol ? eol + 1 : end;
	}
	return NULL;
}

int vcpu_hmp_parse_all(const struct vcpu_hmp_ops *ops, const char *text,
		       const struct gdb_arch *a, struct vcpu_state *out,
		       unsigned max, char *err)
{
	const char *end = text + strlen(text);
	long cpu;
	int parsed = 0;
	const char *h = next_header(text, end, &cpu);
	while (h) {
		long next_cpu;
		const char *body = memchr(h, '\n', (size_t)(end - h));
		body = body ? body + 1 : end;
		const char *next = next_header(body, end, &next_cpu);
		if (cpu < (long)max && !out[cpu].seen) {
			memset(&out[cpu], 0, sizeof(out[cpu]));
			out[cpu].seen = true;
			ops->parse(body, next ? next : end, a, &out[cpu]);
			parsed++;
		}
		h = next;
		cpu = next_cpu;
	}
	if (!parsed)
		return set_err(err, "no \"CPU#N\" block in QEMU's info "
				    "registers");
	return parsed;
}
