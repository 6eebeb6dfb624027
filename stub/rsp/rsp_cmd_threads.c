/* Thread packets: selection (H), liveness (T), lists and descriptions. */
#include <stdio.h>
#include <string.h>

#include "stub/rsp/rsp_cmds.h"
#include "stub/rsp/rsp_packet.h"
#include "stub/rsp/rsp_parse.h"

/* After a resume the reply also says whether the library
 * list changed (a module loaded or unloaded), so gdb reads it again; not
 * for `?` when gdb connects: it reads the list then anyway. */
static int stop_reply(struct rsp_session *s, int signal, bool libraries,
		      struct rsp_reply *r)
{
	char text[48];
	snprintf(text, sizeof(text), "T%02xthread:%02x;", (unsigned)signal,
		 rsp_current_thread(s));
	rsp_reply_str(r, text);
	const struct target *t = s->target;
	if (libraries && t->ops->libraries_changed &&
	    t->ops->libraries_changed(t->ctx))
		rsp_reply_str(r, "library:;");
	return RSP_DONE;
}

int rsp_stop_reply(struct rsp_session *s, int signal, struct rsp_reply *r)
{
	return stop_reply(s, signal, true, r);
}

int rsp_cmd_stop_reason(struct rsp_session *s, const char *args, size_t len,
			struct rsp_reply *r)
{
	(void)args, (void)len;
	return stop_reply(s, 5, false, r); /* SIGTRAP: "stopped" */
}

int rsp_cmd_H(struct rsp_session *s, const char *args, size_t len,
	      struct rsp_reply *r)
{
	struct rsp_h_args h;
	if (rsp_parse_h(args, len, &h) < 0)
		return RSP_E_ARGS;
	uint32_t tid = 0; /* any / all: the first thread stands for them */
	if (h.thread.kind == RSP_THREAD_ONE) {
		if (!rsp_thread_exists(s, h.thread.tid))
			return RSP_E_NO_THREAD;
		tid = (uint32_t)h.thread.tid;
	}
	if (h.op == 'g')
		s->g_thread = tid;
	else
		s->c_thread = tid;
	rsp_reply_str(r, "OK");
	return RSP_DONE;
}

int rsp_cmd_T(struct rsp_session *s, const char *args, size_t len,
	      struct rsp_reply *r)
{
	struct rsp_thread_id id;
	if (rsp_parse_thread_id(args, len, &id) < 0)
		return RSP_E_ARGS;
	if (id.kind != RSP_THREAD_ONE || !rsp_thread_exists(s, id.tid))
		return RSP_E_NO_THREAD;
	rsp_reply_str(r, "OK");
	return RSP_DONE;
}

int rsp_cmd_qC(struct rsp_session *s, const char *args, size_t len,
	       struct rsp_reply *r)
{
	(void)args, (void)len;
	char text[32];
	snprintf(text, sizeof(text), "QC%x", rsp_current_thread(s));
	rsp_reply_str(r, text);
	return RSP_DONE;
}

/* Drops the listing the session was paging. */
static void drop_listing(struct rsp_session *s)
{
	rsp_threads_put(s->listing);
	s->listing = NULL;
}

/* A listing to page from: fresh for this client, maybe shared. */
static bool start_listing(struct rsp_session *s)
{
	drop_listing(s);
	s->listing = rsp_threads_get(s->threads, s->target, &s->listing_seen);
	return s->listing != NULL;
}

/* Sends ids from s->info_cursor on, as many as fit one packet; the
 * listing is let go with the last of them. */
static int thread_info_chunk(struct rsp_session *s, struct rsp_reply *r)
{
	const struct rsp_thread_list *l = s->listing;
	if (!l || s->info_cursor >= l->n) {
		drop_listing(s);
		rsp_reply_str(r, "l");
		return RSP_DONE;
	}
	size_t limit = RSP_PACKET_SIZE - 16; /* room for one more id */
	size_t start = r->out->len;
	rsp_reply_str(r, "m");
	const unsigned first = s->info_cursor;
	for (unsigned i = first; i < l->n; i++) {
		char id[16];
		int n = snprintf(id, sizeof(id), "%s%x", i == first ? "" : ",",
				 l->ids[i]);
		if (r->out->len - start + (size_t)n > limit)
			break;
		strbuf_append(r->out, id, (size_t)n);
		s->info_cursor = i + 1;
	}
	return RSP_DONE;
}

int rsp_cmd_qfThreadInfo(struct rsp_session *s, const char *args, size_t len,
			 struct rsp_reply *r)
{
	(void)args, (void)len;
	if (!start_listing(s))
		return RSP_E_NOMEM;
	s->info_cursor = 0;
	return thread_info_chunk(s, r);
}

int rsp_cmd_qsThreadInfo(struct rsp_session *s, const char *args, size_t len,
			 struct rsp_reply *r)
{
	(void)args, (void)len;
	return thread_info_chunk(s, r);
}

int rsp_cmd_qThreadExtraInfo(struct rsp_session *s, const char *args,
			     size_t len, struct rsp_reply *r)
{
	struct rsp_thread_id id;
	if (rsp_parse_thread_id(args, len, &id) < 0)
		return RSP_E_ARGS;
	if (id.kind != RSP_THREAD_ONE || !rsp_thread_exists(s, id.tid))
		return RSP_E_NO_THREAD;
	char text[RSP_THREAD_TEXT_MAX];
	rsp_thread_text(s->target, (uint32_t)id.tid, true, text, sizeof(text));
	rsp_reply_hex(r, text, strlen(text));
	return RSP_DONE;
}

int rsp_xfer_threads(struct rsp_session *s, uint64_t offset,
		     uint64_t length, struct rsp_reply *r)
{
	/* A listing starts when gdb reads from 0, so each is one consistent
	 * snapshot however many packets it takes. */
	if ((offset == 0 || !s->listing) && !start_listing(s))
		return RSP_E_NOMEM;
	const struct strbuf *x = rsp_threads_xml(s->listing, s->target);
	if (!x) {
		drop_listing(s);
		return RSP_E_NOMEM;
	}
	int st = rsp_xfer_slice(r, x->buf, x->len, offset, length);
	if (rsp_xfer_is_last(x->len, offset, length))
		drop_listing(s);
	return st;
}
