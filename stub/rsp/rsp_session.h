/* Per-connection protocol state and the entry point for decoded input. */
#ifndef LKSTUB_RSP_SESSION_H
#define LKSTUB_RSP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stub/rsp/rsp_packet.h"
#include "stub/rsp/strbuf.h"
#include "stub/rsp/target.h"

/* Scratch for decoded write data, search windows and monitor commands:
 * half a packet, as hex input never decodes to more. */
#define RSP_SCRATCH_SIZE (RSP_PACKET_SIZE / 2)
/* Cap on text gathered from one monitor command, and on the thread list
 * document served through qXfer:threads. */
#define RSP_MONITOR_MAX (1u << 20)
#define RSP_THREADS_XML_MAX (16u << 20)

struct rsp_session {
	struct target *target;
	bool no_ack;          /* QStartNoAckMode accepted */
	bool closing;         /* k received: drop the connection */
	uint32_t g_thread;    /* Hg selection; 0 = any (first thread) */
	uint32_t c_thread;    /* Hc selection; 0 = any/all */
	uint32_t *ids;        /* thread ids of the current listing */
	unsigned nr_ids;
	unsigned info_cursor; /* next index into ids for qsThreadInfo */
	struct strbuf threads_xml; /* built at offset 0, paged from here */
	struct strbuf last;   /* last packet sent, for '-' in ack mode */
	uint8_t *scratch;     /* RSP_SCRATCH_SIZE bytes */
};

int rsp_session_init(struct rsp_session *s, struct target *t, char *err);
void rsp_session_free(struct rsp_session *s);

/* Reacts to one decoder event (pkt/len only for RSP_EV_PACKET), appending
 * everything to send to out. False when the connection must end: the
 * client sent k, or out hit its cap. */
bool rsp_session_event(struct rsp_session *s, enum rsp_event ev,
		       const char *pkt, size_t len, struct strbuf *out);

/* Most threads one listing holds. */
#define RSP_MAX_THREADS (1u << 20)

/* Take a fresh list of thread ids from the target into s->ids (at least
 * one); false when out of memory. */
bool rsp_list_threads(struct rsp_session *s);
bool rsp_thread_exists(const struct rsp_session *s, uint64_t tid);
/* The thread gdb selected with Hg, or the first. */
uint32_t rsp_current_thread(const struct rsp_session *s);

#endif
