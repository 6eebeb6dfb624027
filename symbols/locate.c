#include "symbols/locate.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"

int kernel_locate(struct guest_mem *m, const struct vmlinux *vm,
		  enum layout_kind requested, const struct discover_opts *o,
		  struct kernel_info *ki, struct locate_result *res,
		  char *err)
{
	res->layout = requested;
	if (requested == LAYOUT_EXPLICIT) {
		snprintf(res->layout_why, sizeof(res->layout_why),
			 "regions given with --region");
		return kernel_discover(ki, m, vm, o, err);
	}
	if (requested != LAYOUT_AUTO) {
		snprintf(res->layout_why, sizeof(res->layout_why),
			 "given with --layout");
		if (layout_apply(m, requested, err))
			return -1;
		return kernel_discover(ki, m, vm, o, err);
	}

	const struct kernel_arch *arch = kernel_arch_for(vm->machine);
	if (!arch)
		return set_err(err, "ELF machine %u is not supported",
			       vm->machine);
	enum layout_kind cand[KERNEL_MAX_LAYOUTS];
	unsigned n = arch->layouts(m->ram_size, cand);
	if (n == 1) {
		snprintf(res->layout_why, sizeof(res->layout_why),
			 "%s: the only layout for %llu MiB of %s RAM",
			 layout_name(cand[0]),
			 (unsigned long long)(m->ram_size >> 20), arch->name);
		res->layout = cand[0];
		if (layout_apply(m, cand[0], err))
			return -1;
		return kernel_discover(ki, m, vm, o, err);
	}
	/* Several machine types split this size differently: find the
	 * kernel under each and keep the one its e820 map agrees with. */
	char why[ERR_LEN] = "";
	int first_found = -1;
	for (unsigned i = 0; i < n; i++) {
		if (layout_apply(m, cand[i], err))
			return -1;
		if (kernel_discover(ki, m, vm, o, why))
			continue;
		if (first_found < 0)
			first_found = (int)i;
		uint64_t low;
		char e820_err[ERR_LEN];
		if (ki->arch->ram_below_4g &&
		    !ki->arch->ram_below_4g(ki, vm, &low, e820_err) &&
		    low == layout_lowmem(cand[i], m->ram_size)) {
			res->layout = cand[i];
			snprintf(res->layout_why, sizeof(res->layout_why),
				 "%s: the kernel's e820 map puts %llu MiB "
				 "below 4 GiB", layout_name(cand[i]),
				 (unsigned long long)(low >> 20));
			return 0;
		}
	}
	if (first_found < 0)
		return set_err(err, "%s", why);
	/* No e820 agreement: take the first layout the kernel was found in. */
	res->layout = cand[first_found];
	if (layout_apply(m, res->layout, err) ||
	    kernel_discover(ki, m, vm, o, err))
		return -1;
	snprintf(res->layout_why, sizeof(res->layout_why),
		 "%s: by RAM size (the e820 map did not decide)",
		 layout_name(res->layout));
	return 0;
}

#define MAPS_MAX_CANDIDATES 32
#define MIN_RAM_MAPPING (16ULL << 20)

struct mapping {
	uint64_t start, end;
};

static int cmp_size_desc(const void *a, const void *b)
{
	const struct mapping *x = a, *y = b;
	uint64_t sx = x->end - x->start, sy = y->end - y->start;
	return (sx < sy) - (sx > sy);
}

int kernel_locate_process(struct guest_mem *m, int pid,
			  const struct vmlinux *vm, enum layout_kind requested,
			  const struct discover_opts *o, struct kernel_info *ki,
			  struct locate_result *res, char *err)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return set_err(err, "%s: %s", path, strerror(errno));
	struct mapping cand[MAPS_MAX_CANDIDATES];
	unsigned n = 0;
	while (fgets(line, sizeof(line), f) && n < MAPS_MAX_CANDIDATES) {
		unsigned long long a, b;
		char perms[8];
		if (sscanf(line, "%llx-%llx %7s", &a, &b, perms) != 3 ||
		    b - a < MIN_RAM_MAPPING || perms[0] != 'r' ||
		    perms[1] != 'w')
			continue;
		cand[n++] = (struct mapping){ a, b };
	}
	fclose(f);
	qsort(cand, n, sizeof(cand[0]), cmp_size_desc);
	char why[ERR_LEN] = "no writable mapping of 16 MiB or more";
	for (unsigned i = 0; i < n; i++) {
		m->ram_base = cand[i].start;
		m->ram_size = cand[i].end - cand[i].start;
		if (kernel_locate(m, vm, requested, o, ki, res, why))
			continue;
		char layout[sizeof(res->layout_why)];
		snprintf(layout, sizeof(layout), "%s", res->layout_why);
		snprintf(res->layout_why, sizeof(res->layout_why),
			 "%.90s; RAM is VMM mapping %#llx-%#llx (found in "
			 "/proc/%d/maps)", layout,
			 (unsigned long long)cand[i].start,
			 (unsigned long long)cand[i].end, pid);
		return 0;
	}
	return set_err(err, "no mapping of process %d holds this kernel "
		       "(%u tried; last: %.150s)", pid, n, why);
}
