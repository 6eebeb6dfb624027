/* The contract between the protocol (rsp_*.c, server.c) and what it serves.
 *
 * The protocol knows nothing of kernels or page tables: it asks the target
 * through these operations. Optional operations may be NULL; qSupported and
 * the handlers adapt to what is present. */
#ifndef LKSTUB_TARGET_H
#define LKSTUB_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stub/rsp/strbuf.h"

/* A register as gdb numbers it in the target description. */
struct gdb_reg {
	const char *name;
	unsigned bits;
};

/* What gdb needs to know of an architecture's registers. */
struct gdb_arch {
	const char *name;       /* "x86_64" */
	const char *target_xml; /* whole document served as target.xml */
	const struct gdb_reg *regs;
	unsigned nr_regs;
	unsigned pc_regnum;
};

/* Register values of one thread, in target byte order, back to back in
 * gdb's register order; valid[i] false means "unknown" (sent as xx). */
#define TARGET_MAX_REGS 128
#define TARGET_MAX_REG_BYTES 2048
struct target_regs {
	uint8_t bytes[TARGET_MAX_REG_BYTES];
	bool valid[TARGET_MAX_REGS];
};

struct target_ops {
	const struct gdb_arch *(*arch)(void *t);
	/* Read up to len bytes at addr; returns the bytes read before the
	 * first unreadable one (0: nothing readable at addr). */
	size_t (*read_mem)(void *t, uint64_t addr, void *buf, size_t len);
	/* The same as thread tid sees it (user addresses are per process);
	 * NULL: as read_mem. */
	size_t (*read_mem_as)(void *t, uint32_t tid, uint64_t addr, void *buf,
			      size_t len);
	/* Write all or nothing; -1 with a message in err (ERR_LEN). NULL or
	 * refusing when the user did not allow writes. */
	int (*write_mem)(void *t, uint64_t addr, const void *buf, size_t len,
			 char *err);
	/* The threads as non-zero ids, in the order gdb should number them
	 * (the first is the default thread). Called once per listing, so the
	 * target may take a fresh snapshot; returns how many it wrote, at
	 * most max. NULL: one thread, id 1. Ids should stay with their
	 * thread across listings: gdb keeps its state per id. */
	unsigned (*thread_ids)(void *t, uint32_t *ids, unsigned max);
	bool (*thread_alive)(void *t, uint32_t tid);
	void (*thread_name)(void *t, uint32_t tid, char *buf, size_t len);
	void (*thread_extra)(void *t, uint32_t tid, char *buf, size_t len);
	/* Fill regs for thread tid (valid[] all false first). */
	void (*read_regs)(void *t, uint32_t tid, struct target_regs *regs);
	/* `monitor CMD`: append the text to show to out; -1 for an unknown
	 * command (the text then says why). */
	int (*monitor)(void *t, const char *cmd, struct strbuf *out);
	/* The library list (qXfer:libraries:read): the object files whose
	 * symbols gdb loads, at their runtime addresses. refresh is true
	 * when gdb starts reading (offset 0): the target may rebuild it;
	 * otherwise it returns the same bytes. NULL: no libraries. */
	const struct strbuf *(*libraries)(void *t, bool refresh);
	/* Has the library list changed since gdb last read it? Stop replies
	 * then say `library:` so gdb reads it again. May be NULL. */
	bool (*libraries_changed)(void *t);
	/* The executable gdb should load (qXfer:exec-file:read), or NULL. */
	const char *(*exec_file)(void *t);
	/* Called when a client connects, so the target can notice a changed
	 * guest (reboot); may be NULL. */
	void (*on_attach)(void *t);
	/* While the target works apart from the server (looking for the
	 * kernel after on_attach), an fd to poll for its news, else -1;
	 * clients that connect meanwhile wait until it is -1 again, the
	 * others are served. busy_done takes the news when the fd is
	 * readable, without blocking. May be NULL. */
	int (*busy_fd)(void *t);
	void (*busy_done)(void *t);
	/* Control of the VM, when the user allowed it (else NULL: the guest
	 * runs on whatever gdb does). vm_resume runs it for gdb's continue
	 * (0: it runs; the stop reply then waits for gdb's interrupt);
	 * detaching: only if vm_stop stopped it. vm_stop stops it for the
	 * interrupt (0: stopped). */
	int (*vm_resume)(void *t, bool detaching);
	int (*vm_stop)(void *t);
};

struct target {
	const struct target_ops *ops;
	void *ctx;
};

#endif
