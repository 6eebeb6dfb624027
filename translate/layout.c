/* Guest-physical layouts of QEMU RAM files. QEMU stores RAM in the file in
 * GPA order: the part below the 4 GiB PCI hole first, the rest (mapped at
 * GPA 4 GiB) after it. */
#include "translate/layout.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

#define GiB (1ULL << 30)

static const struct {
	const char *name;
	enum layout_kind kind;
} layout_names[] = {
	{ "auto", LAYOUT_AUTO }, { "flat", LAYOUT_FLAT },
	{ "q35", LAYOUT_Q35 },   { "pc", LAYOUT_PC },
	{ "virt", LAYOUT_VIRT }, { "explicit", LAYOUT_EXPLICIT },
};

int layout_parse(const char *name, enum layout_kind *kind)
{
	for (size_t i = 0; i < sizeof(layout_names) / sizeof(layout_names[0]);
	     i++) {
		if (!strcmp(name, layout_names[i].name) &&
		    layout_names[i].kind != LAYOUT_EXPLICIT) {
			*kind = layout_names[i].kind;
			return 0;
		}
	}
	return -1;
}

const char *layout_name(enum layout_kind kind)
{
	for (size_t i = 0; i < sizeof(layout_names) / sizeof(layout_names[0]);
	     i++)
		if (layout_names[i].kind == kind)
			return layout_names[i].name;
	return "?";
}

/* QEMU 7.2 hw/i386/pc_q35.c and pc_piix.c with default max-ram-below-4g. */
uint64_t layout_lowmem(enum layout_kind kind, uint64_t ram_size)
{
	switch (kind) {
	case LAYOUT_Q35:
		return ram_size >= 0xb0000000ULL ? 2 * GiB : ram_size;
	case LAYOUT_PC:
		return ram_size >= 0xe0000000ULL ? 3 * GiB : ram_size;
	default:
		return ram_size;
	}
}

int layout_apply(struct guest_mem *m, enum layout_kind kind, char *err)
{
	uint64_t size = m->ram_size, base = m->ram_base;
	guest_mem_clear_regions(m);
	switch (kind) {
	case LAYOUT_FLAT:
		return guest_mem_add_region(m, 0, size, base, err);
	case LAYOUT_VIRT:
		return guest_mem_add_region(m, 0x40000000ULL, size, base, err);
	case LAYOUT_Q35:
	case LAYOUT_PC: {
		uint64_t low = layout_lowmem(kind, size);
		if (guest_mem_add_region(m, 0, low, base, err))
			return -1;
		if (size > low)
			return guest_mem_add_region(m, 4 * GiB, size - low,
						    base + low, err);
		return 0;
	}
	default:
		return set_err(err, "layout %s cannot be applied directly",
			       layout_name(kind));
	}
}

static int parse_u64(const char *s, char **end, uint64_t *v)
{
	errno = 0;
	if (*s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -1;
	unsigned long long x = strtoull(s, end, 0);
	if (errno || *end == s)
		return -1;
	*v = x;
	return 0;
}

int layout_parse_region(const char *arg, struct guest_region *r, char *err)
{
	char *end;
	uint64_t gpa, size, off = LAYOUT_OFFSET_NEXT;
	if (parse_u64(arg, &end, &gpa) || *end != ':')
		return set_err(err, "--region %s: expected GPA:SIZE[@OFFSET]",
			       arg);
	if (parse_u64(end + 1, &end, &size))
		return set_err(err, "--region %s: bad SIZE", arg);
	uint64_t mult = 1;
	switch (*end) {
	case 'K': case 'k': mult = 1ULL << 10; end++; break;
	case 'M': case 'm': mult = 1ULL << 20; end++; break;
	case 'G': case 'g': mult = 1ULL << 30; end++; break;
	}
	if (size > UINT64_MAX / mult)
		return set_err(err, "--region %s: SIZE too large", arg);
	size *= mult;
	if (*end == '@') {
		if (parse_u64(end + 1, &end, &off))
			return set_err(err, "--region %s: bad OFFSET", arg);
	}
	if (*end)
		return set_err(err, "--region %s: trailing '%s'", arg, end);
	if (!size)
		return set_err(err, "--region %s: SIZE is 0", arg);
	*r = (struct guest_region){ gpa, size, off };
	return 0;
}
