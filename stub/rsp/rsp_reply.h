/* Replies: the error codes we send, and the pieces most handlers use. */
#ifndef LKSTUB_RSP_REPLY_H
#define LKSTUB_RSP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "stub/rsp/strbuf.h"

/* What a handler returns: 0 (its reply is in place), RSP_NO_REPLY,
 * RSP_PENDING, or a reason for an error reply. The Exx text lives in
 * rsp_reply.c only. */
enum rsp_status {
	RSP_PENDING = -2, /* the reply comes later (rsp_session_resume) */
	RSP_NO_REPLY = -1,
	RSP_DONE = 0,
	RSP_E_ARGS,      /* malformed arguments */
	RSP_E_FAULT,     /* memory not readable */
	RSP_E_NO_THREAD, /* no such thread */
	RSP_E_REGNUM,    /* no such register */
	RSP_E_READONLY,  /* writing is not possible here */
	RSP_E_WRITE,     /* the target refused or failed a write */
	RSP_E_TOO_BIG,   /* a length beyond what we accept */
	RSP_E_MONITOR,   /* monitor command failed or unknown */
	RSP_E_ANNEX,     /* qXfer object or annex we do not serve */
	RSP_E_NOMEM,     /* a reply did not fit its buffer */
};

/* "E22" and friends. */
const char *rsp_error_code(enum rsp_status st);

/* The reply being built: frames are appended to out. */
struct rsp_reply {
	struct strbuf *out;
	size_t packet_start;  /* offset of the open frame's '$' */
	size_t payload_start; /* offset of its first payload byte */
};

void rsp_reply_begin(struct rsp_reply *r, struct strbuf *out);
/* Closes the open frame and opens the next (for O console packets). */
bool rsp_reply_next(struct rsp_reply *r);
/* Replaces the open frame's payload with an error. */
void rsp_reply_error(struct rsp_reply *r, enum rsp_status st);
/* Closes the open frame; false when out overflowed. */
bool rsp_reply_end(struct rsp_reply *r);
/* Drops the open frame entirely. */
void rsp_reply_cancel(struct rsp_reply *r);

bool rsp_reply_str(struct rsp_reply *r, const char *s);
/* Hex of len bytes. */
bool rsp_reply_hex(struct rsp_reply *r, const void *data, size_t len);
/* "O<hex>" console output, split over as many packets as needed, each
 * followed by a fresh open frame. */
bool rsp_reply_console(struct rsp_reply *r, const char *text, size_t len);

#endif
