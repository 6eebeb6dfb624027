#include "stub/rsp/rsp_session.h"

#include <stdlib.h>
#include <string.h>

#include "stub/rsp/rsp_cmds.h"
#include "common/err.h"

int rsp_session_init(struct rsp_session *s, struct target *t, char *err)
{
	memset(s, 0, sizeof(*s));
	s->target = t;
	strbuf_init(&s->threads_xml, RSP_THREADS_XML_MAX);
	strbuf_init(&s->last, RSP_PACKET_SIZE + 16);
	s->scratch = malloc(RSP_SCRATCH_SIZE);
	if (!s->scratch)
		return set_err(err, "out of memory for a session");
	return 0;
}

void rsp_session_free(struct rsp_session *s)
{
	strbuf_free(&s->threads_xml);
	strbuf_free(&s->last);
	free(s->scratch);
	s->scratch = NULL;
	free(s->ids);
	s->ids = NULL;
}

bool rsp_list_threads(struct rsp_session *s)
{
	const struct target *t = s->target;
	if (!s->ids) {
		s->ids = malloc(RSP_MAX_THREADS * sizeof(*s->ids));
		if (!s->ids)
			return false;
	}
	unsigned n = t->ops->thread_ids
			     ? t->ops->thread_ids(t->ctx, s->ids, RSP_MAX_THREADS)
			     : 0;
	if (n == 0) {
		s->ids[0] = 1;
		n = 1;
	}
	s->nr_ids = n < RSP_MAX_THREADS ? n : RSP_MAX_THREADS;
	return true;
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
	if (s->closing)
		return;
	rsp_reply_end(&r);
	/* r.packet_start is the final frame's: only it is resent on '-'. */
	if (!was_no_ack && !s->no_ack)
		remember_last(s, out, r.packet_start);
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

bool rsp_session_event(struct rsp_session *s, enum rsp_event ev,
		       const char *pkt, size_t len, struct strbuf *out)
{
	switch (ev) {
	case RSP_EV_PACKET:
		reply_packet(s, pkt, len, out);
		break;
	case RSP_EV_INTERRUPT:
		/* Nothing runs: every resume was answered with a stop at
		 * once, so gdb's interrupt has nothing to stop. A stop reply
		 * here would be taken as the answer to gdb's next packet (gdb
		 * in async mode, IDEs' -exec-interrupt, sends one while
		 * stopped); QEMU's stub ignores it too when the VM is stopped. */
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
