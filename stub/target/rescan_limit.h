/* How often a client's attach may make lkstub look for the kernel again.
 * A rescan reads all of guest RAM while every client waits, and a guest
 * can make the check before it fail on purpose (overwrite linux_banner),
 * so automatic rescans are rate-limited: at most one per RESCAN_MIN_NS,
 * and after each failed one the wait doubles, up to RESCAN_MAX_NS.
 * `monitor rescan` is the user's and is not limited. */
#ifndef LKSTUB_RESCAN_LIMIT_H
#define LKSTUB_RESCAN_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/clock.h"

#define RESCAN_MIN_NS (2 * NS_PER_S)
#define RESCAN_MAX_NS (120 * NS_PER_S)

struct rescan_limit {
	uint64_t next_ns; /* no automatic rescan before this */
	uint64_t wait_ns; /* the wait after the next failure (0: the least) */
	bool told;        /* the user knows of the current wait */
};

/* Zeroed is ready: the first rescan is allowed. */
bool rescan_limit_allow(const struct rescan_limit *l, uint64_t now_ns);
/* Records an automatic rescan's outcome. */
void rescan_limit_done(struct rescan_limit *l, uint64_t now_ns, bool found);
/* The kernel is where it was: the next failure waits the least again. */
void rescan_limit_settled(struct rescan_limit *l);
/* Whether to tell the user of a refused rescan (once per wait), and how
 * many seconds are left of it. */
bool rescan_limit_tell(struct rescan_limit *l, uint64_t now_ns,
		       unsigned *seconds);

#endif
