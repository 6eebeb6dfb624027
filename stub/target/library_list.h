/* gdb's library list (qXfer:libraries:read): every object file whose
 * symbols gdb should load, with one address per allocated section. gdb
 * (solib-target) adds each address to its section's link address, so the
 * vmlinux gets its KASLR offset and a module, linked at 0, its runtime
 * section addresses. */
#ifndef LKSTUB_LIBRARY_LIST_H
#define LKSTUB_LIBRARY_LIST_H

#include <stdint.h>

#include "stub/rsp/strbuf.h"

void library_list_begin(struct strbuf *xml);
/* One <library>: its path and the address of each SHF_ALLOC section in
 * section-header order. */
void library_list_add(struct strbuf *xml, const char *path,
		      const uint64_t *addrs, unsigned n);
void library_list_end(struct strbuf *xml);

#endif
