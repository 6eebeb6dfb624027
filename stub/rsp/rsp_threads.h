/* Thread listings, shared by every session of a server: the target's
 * thread ids and the qXfer:threads document built from them once. A
 * listing serves each client that starts a listing while it is fresh
 * (RSP_THREADS_FRESH_NS) and newer than that client's previous one;
 * otherwise the client takes a new one from the target. Listings are
 * reference-counted: a session paging through one keeps it until its last
 * packet, while newer ones serve the others. */
#ifndef LKSTUB_RSP_THREADS_H
#define LKSTUB_RSP_THREADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stub/rsp/strbuf.h"
#include "stub/rsp/target.h"

/* Most threads one listing holds: room for the kernel target's CPUs and
 * tasks (KT_MAX_CPUS + TASKS_MAX; kernel_threads.c asserts they agree). */
#define RSP_MAX_THREADS ((1u << 13) + (1u << 18))

/* A thread's name and description in the document are cut to these many
 * bytes (escaped), so one entry has a bound and so has the document. */
#define RSP_XML_NAME_MAX 64
#define RSP_XML_EXTRA_MAX 160
#define RSP_XML_HEAD "<?xml version=\"1.0\"?>\n<threads>\n"
#define RSP_XML_TAIL "</threads>\n"
#define RSP_XML_ENTRY_MAX                                               \
	(sizeof("<thread id=\"ffffffff\" name=\"\"></thread>\n") - 1 +   \
	 RSP_XML_NAME_MAX + RSP_XML_EXTRA_MAX)
/* The largest document: every thread with the longest entry. */
#define RSP_THREADS_XML_MAX                                             \
	(sizeof(RSP_XML_HEAD) - 1 + sizeof(RSP_XML_TAIL) - 1 +          \
	 (size_t)RSP_MAX_THREADS * RSP_XML_ENTRY_MAX)

/* How long a listing may be handed to another client. */
#define RSP_THREADS_FRESH_NS (1000ull * 1000 * 1000)

struct rsp_thread_list {
	unsigned refs;
	uint64_t serial;   /* listings are numbered from 1 */
	uint64_t taken_ns; /* CLOCK_MONOTONIC */
	unsigned n;
	uint32_t *ids;     /* n ids, at least one */
	struct strbuf xml; /* the document, built on first demand */
	bool xml_built;
};

struct rsp_threads {
	struct rsp_thread_list *latest; /* NULL until the first listing */
	uint64_t serial;                /* of the last listing taken */
	uint64_t fresh_ns;              /* RSP_THREADS_FRESH_NS; tests vary it */
};

void rsp_threads_init(struct rsp_threads *th);
void rsp_threads_free(struct rsp_threads *th);

/* A listing for a client whose previous one had serial *seen (0: none):
 * the latest when it is fresh and newer, else a new one from the target.
 * Holds a reference for the caller and updates *seen; NULL when out of
 * memory. */
struct rsp_thread_list *rsp_threads_get(struct rsp_threads *th,
					const struct target *t,
					uint64_t *seen);
/* Drops a reference (NULL is fine). */
void rsp_threads_put(struct rsp_thread_list *l);
/* Longest thread name or description asked of the target. */
#define RSP_THREAD_TEXT_MAX 256
/* A thread's name (extra false) or description, NUL-terminated. */
void rsp_thread_text(const struct target *t, uint32_t tid, bool extra,
		     char *buf, size_t size);
/* The qXfer:threads document of l, built with the target's names and
 * descriptions on the first call; NULL when it could not be built. */
const struct strbuf *rsp_threads_xml(struct rsp_thread_list *l,
				     const struct target *t);

#endif
