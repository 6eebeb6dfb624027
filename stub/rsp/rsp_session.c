#include "stub/rsp/rsp_session.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "stub/rsp/rsp_cmds.h"
#include "common/err.h"

int rsp_session_init(struct rsp_session *s, struct target *t,
		     struct rsp_threads *threads, char *err)
{
	(void)err; /* nothing is allocated before it is needed */
	memset(s, 0, sizeof(*s));
	s->target = t;
	s->threads = threads;
	strbuf_init(&s->last, RSP_PACKET_SIZE + 16);
	s->slice_ns = RSP_SLICE_NS;
	s->slice_windows = UINT_MAX;
	return 0;
}

void rsp_session_free(struct rsp_session *s)
{
	/* A client gone without detaching leaves the VM as it found it. */
	const struct target *t = s->target;
	if (t && (s->running || s->stopped_vm) && t->ops->vm_resume)
		t->ops->vm_resume(t->ctx, true);
	strbuf_free(&s->last);
	free(s->scratch);
	s->scratch = NULL;
	rsp_search_free(s);
	rsp_threads_put(s->listing);
	s->listing = NULL;
}

uint8_t *rsp_scratch(struct rsp_session *s)
{
	if (!s->scratch)
		s->scratch = malloc(RSP_SCRATCH_SIZE);
	return s->scratch;
}

bool rsp_session_busy(const struct rsp_session *s)
{
	return s->search != NULL;
}

bool rsp_thread_exists(const struct rsp_session *s, uint64_t tid)
{
	const struct target *t = s->target;
	if (tid == 0 || tid > UINT32_MAX)
		return false;
	if (!t->ops->thread_alive)
		return tid == 1;
	return t->ops->thread_alive(t->ctx, (uint32_t)tid);
}

uint32_t rsp_current_thread(const struct rsp_session *s)
{
	if (rsp_thread_exists(s, s->g_thread))
		return s->g_thread;
	const struct target *t = s->target;
	uint32_t first = 1;
	if (t->ops->thread_ids && t->ops->thread_ids(t->ctx, &first, 1) == 0)
		first = 1;
	return first;
}

/* In ack mode a '-' asks for the last packet again, so keep a copy of it
 * (the output queue may already have been sent and reused). */
static void remember_last(struct rsp_session *s, const struct strbuf *out,
			  size_t from)
{
	strbuf_reset(&s->last);
	strbuf_trim(&s->last, RSP_LAST_KEEP);
	if (from < out->len)
		strbuf_append(&s->last, out->buf + from, out->len - from);
}

static void reply_packet(struct rsp_session *s, const char *pkt, size_t len,
			 struct strbuf *out)
{
	struct rsp_reply r;
	bool was_no_ack = s->no_ack;
	if (!was_no_ack)
		strbuf_putc(out, '+');
	rsp_reply_begin(&r, out);
	rsp_dispatch(s, pkt, len, &r);
	free(s->scratch); /* what the packet needed, it is done with */
	s->scratch = NULL;
	if (s->closing || rsp_session_busy(s))
		return; /* no reply, or not yet */
	rsp_reply_end(&r);
	/* r.packet_start is the final frame's: only it is resent on '-'. */
	if (!was_no_ack && !s->no_ack)
		remember_last(s, out, r.packet_start);
	else if (s->no_ack)
		strbuf_free(&s->last); /* never resent again */
}

bool rsp_session_resume(struct rsp_session *s, struct strbuf *out)
{
	if (!rsp_session_busy(s))
		return !out->overflow;
	struct rsp_reply r;
	rsp_reply_begin(&r, out);
	int st = rsp_search_resume(s, &r);
	if (st == RSP_PENDING) {
		rsp_reply_cancel(&r);
		return !out->overflow;
	}
	if (st != RSP_DONE)
		rsp_reply_error(&r, (enum rsp_status)st);
	else if (out->overflow)
		rsp_reply_error(&r, RSP_E_NOMEM);
	rsp_reply_end(&r);
	if (!s->no_ack)
		remember_last(s, out, r.packet_start);
	return !out->overflow;
}

/* A dropped packet: in ack mode '-' asks for it again; without acks gdb
 * would wait for a reply forever, so it gets an error instead. */
static void reject_packet(struct rsp_session *s, enum rsp_status st,
			  struct strbuf *out)
{
	if (!s->no_ack) {
		strbuf_putc(out, '-');
		return;
	}
	struct rsp_reply r;
	rsp_reply_begin(&r, out);
	rsp_reply_error(&r, st);
	rsp_reply_end(&r);
}

/* gdb's interrupt of a VM it resumed: stop it, then the stop reply the
 * continue was waiting for, SIGINT. */
static void interrupt(struct rsp_session *s, struct strbuf *out)
{
	const struct target *t = s->target;
	s->running = false;
	if (t->ops->vm_stop && t->ops->vm_stop(t->ctx) == 0)
		s->stopped_vm = true;
	struct rsp_reply r;
	rsp_reply_begin(&r, out);
	rsp_stop_reply(s, 2, &r);
	rsp_reply_end(&r);
	if (!s->no_ack)
		remember_last(s, out, r.packet_start);
}

bool rsp_session_event(struct rsp_session *s, enum rsp_event ev,
		       const char *pkt, size_t len, struct strbuf *out)
{
	/* A caller that feeds input anyway gets the pending reply first;
	 * each slice moves on, so this ends. */
	while (rsp_session_busy(s))
		if (!rsp_session_resume(s, out))
			return false;
	switch (ev) {
	case RSP_EV_PACKET:
		reply_packet(s, pkt, len, out);
		break;
	case RSP_EV_INTERRUPT:
		/* Unless gdb resumed the VM (--control), nothing runs: every
		 * resume was answered with a stop at once, so gdb's interrupt
		 * has nothing to stop. A stop reply then would be taken as
		 * the answer to gdb's next packet (gdb in async mode, IDEs'
		 * -exec-interrupt, sends one while stopped); QEMU's stub
		 * ignores it too when the VM is stopped. */
		if (s->running)
			interrupt(s, out);
		break;
	case RSP_EV_NAK:
		if (!s->no_ack && s->last.len)
			strbuf_append(out, s->last.buf, s->last.len);
		break;
	case RSP_EV_BAD_CHECKSUM:
	case RSP_EV_BAD_FRAME:
		reject_packet(s, RSP_E_ARGS, out);
		break;
	case RSP_EV_OVERSIZE:
		reject_packet(s, RSP_E_TOO_BIG, out);
		break;
	case RSP_EV_ACK:
	case RSP_EV_NONE:
		break;
	}
	return !s->closing && !out->overflow;
}
