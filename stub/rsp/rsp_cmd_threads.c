/* Thread packets: selection (H), liveness (T), lists and descriptions. */
#include <stdio.h>
#include <string.h>

#include "stub/rsp/rsp_cmds.h"
#include "stub/rsp/rsp_packet.h"
#include "stub/rsp/rsp_parse.h"

/* Longest thread name or description we ask the target for. */
#define THREAD_TEXT_MAX 256

/* After a resume or an interrupt the reply also says whether the library
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

/* Sends ids from s->info_cursor on, as many as fit one packet. */
static int thread_info_chunk(struct rsp_session *s, struct rsp_reply *r)
{
	if (s->info_cursor >= s->nr_ids) {
		rsp_reply_str(r, "l");
		return RSP_DONE;
	}
	size_t limit = RSP_PACKET_SIZE - 16; /* room for one more id */
	size_t start = r->out->len;
	rsp_reply_str(r, "m");
	const unsigned first = s->info_cursor;
	for (unsigned i = first; i < s->nr_ids; i++) {
		char id[16];
		int n = snprintf(id, sizeof(id), "%s%x", i == first ? "" : ",",
				 s->ids[i]);
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
	if (!rsp_list_threads(s))
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

static void thread_text(struct rsp_session *s, uint32_t tid, bool extra,
			char *buf, size_t size)
{
	const struct target *t = s->target;
	void (*get)(void *, uint32_t, char *, size_t) =
		extra ? t->ops->thread_extra : t->ops->thread_name;
	buf[0] = '\0';
	if (get)
		get(t->ctx, tid, buf, size);
	buf[size - 1] = '\0'; /* whatever the target did */
}

int rsp_cmd_qThreadExtraInfo(struct rsp_session *s, const char *args,
			     size_t len, struct rsp_reply *r)
{
	struct rsp_thread_id id;
	if (rsp_parse_thread_id(args, len, &id) < 0)
		return RSP_E_ARGS;
	if (id.kind != RSP_THREAD_ONE || !rsp_thread_exists(s, id.tid))
		return RSP_E_NO_THREAD;
	char text[THREAD_TEXT_MAX];
	thread_text(s, (uint32_t)id.tid, true, text, sizeof(text));
	rsp_reply_hex(r, text, strlen(text));
	return RSP_DONE;
}

/* XML text: markup characters as entities; control and non-ASCII bytes
 * become '?' since one invalid byte makes gdb reject the document. */
static void append_xml_text(struct strbuf *sb, const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		switch (*p) {
		case '&': strbuf_append(sb, "&amp;", 5); break;
		case '<': strbuf_append(sb, "&lt;", 4); break;
		case '>': strbuf_append(sb, "&gt;", 4); break;
		case '"': strbuf_append(sb, "&quot;", 6); break;
		case '\'': strbuf_append(sb, "&apos;", 6); break;
		default:
			strbuf_putc(sb, *p < 0x20 || *p > 0x7e ? '?'
							       : (char)*p);
		}
	}
}

static void build_threads_xml(struct rsp_session *s)
{
	struct strbuf *x = &s->threads_xml;
	char name[THREAD_TEXT_MAX], extra[THREAD_TEXT_MAX];
	strbuf_reset(x);
	if (!rsp_list_threads(s)) {
		x->overflow = true;
		return;
	}
	strbuf_printf(x, "<?xml version=\"1.0\"?>\n<threads>\n");
	for (unsigned i = 0; i < s->nr_ids && !x->overflow; i++) {
		thread_text(s, s->ids[i], false, name, sizeof(name));
		thread_text(s, s->ids[i], true, extra, sizeof(extra));
		strbuf_printf(x, "<thread id=\"%x\" name=\"", s->ids[i]);
		append_xml_text(x, name);
		strbuf_printf(x, "\">");
		append_xml_text(x, extra);
		strbuf_printf(x, "</thread>\n");
	}
	strbuf_printf(x, "</threads>\n");
}

int rsp_xfer_threads(struct rsp_session *s, uint64_t offset,
		     uint64_t length, struct rsp_reply *r)
{
	/* Built afresh when gdb starts reading, so each listing is one
	 * consistent snapshot however many packets it takes. */
	if (offset == 0 || s->threads_xml.len == 0)
		build_threads_xml(s);
	if (s->threads_xml.overflow)
		return RSP_E_NOMEM;
	return rsp_xfer_slice(r, s->threads_xml.buf, s->threads_xml.len,
			      offset, length);
}
