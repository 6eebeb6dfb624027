/* Per-connection protocol state and the entry point for decoded input. */
#ifndef LKSTUB_RSP_SESSION_H
#define LKSTUB_RSP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stub/rsp/rsp_packet.h"
#include "stub/rsp/rsp_threads.h"
#include "stub/rsp/strbuf.h"
#include "stub/rsp/target.h"

/* Scratch for decoded write data and monitor commands: half a packet, as
 * hex input never decodes to more. Allocated per packet that needs it. */
#define RSP_SCRATCH_SIZE (RSP_PACKET_SIZE / 2)
/* Cap on text gathered from one monitor command. */
#define RSP_MONITOR_MAX (1u << 20)
/* A long request (qSearch) works in slices of at most this long, and
 * lets the server serve other clients in between. */
#define RSP_SLICE_NS (2ull * 1000 * 1000)
/* The resend copy (ack mode) is freed when a big reply left it past this. */
#define RSP_LAST_KEEP 4096

struct rsp_search;

struct rsp_session {
	struct target *target;
	struct rsp_threads *threads; /* listings, shared with other sessions */
	bool no_ack;          /* QStartNoAckMode accepted */
	bool closing;         /* k received: drop the connection */
	bool running;         /* resumed the VM: the stop reply waits for ^C */
	bool stopped_vm;      /* this client's interrupt stopped the VM */
	uint32_t g_thread;    /* Hg selection; 0 = any (first thread) */
	uint32_t c_thread;    /* Hc selection; 0 = any/all */
	/* The listing being paged (qsThreadInfo, qXfer:threads), held until
	 * its last packet is sent; listing_seen: the newest one used. */
	struct rsp_thread_list *listing;
	uint64_t listing_seen;
	unsigned info_cursor; /* next index into listing->ids for qsThreadInfo */
	struct strbuf last;   /* last packet sent, for '-' in ack mode */
	uint8_t *scratch;     /* RSP_SCRATCH_SIZE bytes, or NULL */
	struct rsp_search *search; /* a qSearch in progress, or NULL */
	/* One slice of a long request ends after slice_ns or slice_windows
	 * windows of memory, whichever comes first (tests shrink them). */
	uint64_t slice_ns;
	unsigned slice_windows;
};

/* threads is shared by every session of one server. */
int rsp_session_init(struct rsp_session *s, struct target *t,
		     struct rsp_threads *threads, char *err);
void rsp_session_free(struct rsp_session *s);

/* Reacts to one decoder event (pkt/len only for RSP_EV_PACKET), appending
 * everything to send to out. False when the connection must end: the
 * client sent k, or out hit its cap. */
bool rsp_session_event(struct rsp_session *s, enum rsp_event ev,
		       const char *pkt, size_t len, struct strbuf *out);
/* True while a request is still being worked on: feed no more input
 * until rsp_session_resume has finished it. */
bool rsp_session_busy(const struct rsp_session *s);
/* Works one slice on that request; when it is done, appends its reply to
 * out. False when the connection must end (out hit its cap). */
bool rsp_session_resume(struct rsp_session *s, struct strbuf *out);

/* The scratch buffer, allocated on first use in a packet; NULL when out
 * of memory. */
uint8_t *rsp_scratch(struct rsp_session *s);
bool rsp_thread_exists(const struct rsp_session *s, uint64_t tid);
/* The thread gdb selected with Hg, or the first. */
uint32_t rsp_current_thread(const struct rsp_session *s);

#endif
