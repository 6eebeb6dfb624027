/* Choosing the guest-physical layout and finding the kernel together: the
 * kernel's own memory map is the best witness of the layout, but it can
 * only be read once the kernel is found. */
#ifndef LKSTUB_LOCATE_H
#define LKSTUB_LOCATE_H

#include "symbols/kernel.h"
#include "translate/layout.h"

struct locate_result {
	enum layout_kind layout;
	char layout_why[160];
};

/* Apply `requested` (or try the candidates of LAYOUT_AUTO) to m and find
 * the kernel. LAYOUT_EXPLICIT keeps the regions already in m. */
int kernel_locate(struct guest_mem *m, const struct vmlinux *vm,
		  enum layout_kind requested, const struct discover_opts *o,
		  struct kernel_info *ki, struct locate_result *res,
		  char *err);

/* MEMORY = pid:PID without --qmp or --region: try the VMM's large
 * writable mappings (/proc/PID/maps), largest first, each as a RAM file
 * with the layout rules above; keep the one that holds the kernel. */
int kernel_locate_process(struct guest_mem *m, int pid,
			  const struct vmlinux *vm, enum layout_kind requested,
			  const struct discover_opts *o, struct kernel_info *ki,
			  struct locate_result *res, char *err);

#endif
