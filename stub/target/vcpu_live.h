/* The registers of a live QEMU's vCPUs, read over QMP. The VM is paused
 * only for the moment reading takes (stop, read every vCPU, cont), only
 * when gdb asks for registers, at most once per refresh, and never when
 * someone else had paused it (then it is not resumed either). */
#ifndef LKSTUB_VCPU_LIVE_H
#define LKSTUB_VCPU_LIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "stub/rsp/strbuf.h"
#include "stub/target/vcpu_hmp.h"

#define VCPU_MAX 1024 /* vCPUs read (QEMU's own limit is lower) */

struct qmp_client;
struct kernel_arch;

struct vcpu_live {
	char socket[108];
	/* Open only while lkstub talks to QEMU (QEMU serves one client per
	 * socket: others may use it in between), unless handed in (tests). */
	struct qmp_client *qmp;
	bool keep_open;
	bool no_pause;              /* --no-pause */
	const struct vcpu_hmp_ops *hmp;
	const struct gdb_arch *gdb;
	const struct kernel_arch *karch; /* its QEMU CPU-state note reader */
	/* The snapshot: what each vCPU was doing when last read. */
	struct vcpu_state *cpu;     /* VCPU_MAX entries */
	unsigned n;                 /* vCPUs in it */
	bool have;
	uint64_t generation;        /* the refresh it belongs to */
	uint64_t taken_ns;          /* CLOCK_MONOTONIC when read */
	bool *served;               /* vCPU i's registers given since */
	char note[ERR_LEN];         /* why registers are unknown, if so */
	/* How long the VM was paused per read of all vCPUs. */
	unsigned pauses;
	uint64_t pause_last_ns, pause_min_ns, pause_max_ns, pause_total_ns;
	bool stopped_by_us;         /* --control: gdb's interrupt stopped it */
};

/* Set v up for QEMU's QMP socket (tried now, a failure kept as the note;
 * each later use connects again). qmp: an open client to take over and
 * keep, or NULL. */
int vcpu_live_init(struct vcpu_live *v, const char *socket,
		   struct qmp_client *qmp, unsigned elf_machine,
		   const struct gdb_arch *gdb, const struct kernel_arch *karch,
		   bool no_pause, char *err);
void vcpu_live_free(struct vcpu_live *v);

/* The state of vCPU cpu for refresh generation gen: read afresh when the
 * snapshot is of an older refresh, or when this CPU's thread was already
 * served from it (gdb asks again only after it dropped its register
 * cache). for_task: asked for a task running on the CPU, which does not
 * count as the CPU's thread asking. NULL when unknown (the note says
 * why). */
const struct vcpu_state *vcpu_live_get(struct vcpu_live *v, unsigned cpu,
				       uint64_t gen, bool for_task);

/* The snapshot's state of vCPU cpu as it is, never read afresh; NULL if
 * there is none. */
const struct vcpu_state *vcpu_live_peek(const struct vcpu_live *v,
					unsigned cpu);

/* --control: stop the VM (gdb's interrupt) and resume it (continue,
 * detach). vcpu_live_cont resumes only a VM that vcpu_live_stop stopped. */
int vcpu_live_stop(struct vcpu_live *v, char *err);
int vcpu_live_cont(struct vcpu_live *v, char *err);

/* Read len bytes of guest-physical gpa through QEMU's memory system
 * (device registers: a read can have side effects), in accesses of the
 * natural width of len (1, 2, 4 or 8 bytes; longer: 4-byte words). */
int vcpu_live_phys_read(struct vcpu_live *v, uint64_t gpa, void *buf,
			size_t len, char *err);

/* `monitor info` lines: the QMP link, the last pause, the note. */
void vcpu_live_info(const struct vcpu_live *v, struct strbuf *out);

#endif
