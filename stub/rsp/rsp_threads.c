#include "stub/rsp/rsp_threads.h"

#include <stdlib.h>
#include <string.h>

#include "common/clock.h"

void rsp_threads_init(struct rsp_threads *th)
{
	memset(th, 0, sizeof(*th));
	th->fresh_ns = RSP_THREADS_FRESH_NS;
}

void rsp_threads_free(struct rsp_threads *th)
{
	rsp_threads_put(th->latest);
	th->latest = NULL;
}

void rsp_threads_put(struct rsp_thread_list *l)
{
	if (!l || --l->refs > 0)
		return;
	strbuf_free(&l->xml);
	free(l->ids);
	free(l);
}

/* A new listing from the target, its ids held at their exact size. */
static struct rsp_thread_list *take_listing(const struct target *t)
{
	struct rsp_thread_list *l = calloc(1, sizeof(*l));
	/* Room for the most a listing may hold; only the part the target
	 * fills is touched, and the rest is given back below. */
	uint32_t *ids = malloc(RSP_MAX_THREADS * sizeof(*ids));
	if (!l || !ids) {
		free(l);
		free(ids);
		return NULL;
	}
	unsigned n = t->ops->thread_ids
			     ? t->ops->thread_ids(t->ctx, ids, RSP_MAX_THREADS)
			     : 0;
	if (n == 0) {
		ids[0] = 1;
		n = 1;
	}
	if (n > RSP_MAX_THREADS)
		n = RSP_MAX_THREADS;
	uint32_t *fit = realloc(ids, n * sizeof(*ids));
	l->ids = fit ? fit : ids;
	l->n = n;
	l->refs = 1;
	l->taken_ns = clock_now_ns();
	strbuf_init(&l->xml, RSP_THREADS_XML_MAX);
	return l;
}

struct rsp_thread_list *rsp_threads_get(struct rsp_threads *th,
					const struct target *t,
					uint64_t *seen)
{
	struct rsp_thread_list *l = th->latest;
	if (!l || l->serial <= *seen ||
	    clock_now_ns() - l->taken_ns >= th->fresh_ns) {
		l = take_listing(t);
		if (!l)
			return NULL;
		l->serial = ++th->serial;
		rsp_threads_put(th->latest);
		th->latest = l;
	}
	l->refs++;
	*seen = l->serial;
	return l;
}

void rsp_thread_text(const struct target *t, uint32_t tid, bool extra,
		     char *buf, size_t size)
{
	void (*get)(void *, uint32_t, char *, size_t) =
		extra ? t->ops->thread_extra : t->ops->thread_name;
	buf[0] = '\0';
	if (get)
		get(t->ctx, tid, buf, size);
	buf[size - 1] = '\0'; /* whatever the target did */
}

/* XML text: markup characters as entities; control and non-ASCII bytes
 * become '?' since one invalid byte makes gdb reject the document. Stops
 * before the escaped text would pass max bytes. */
static void append_xml_text(struct strbuf *sb, const char *text, size_t max)
{
	size_t used = 0;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		const char *e;
		char one[2] = { *p < 0x20 || *p > 0x7e ? '?' : (char)*p, 0 };
		switch (*p) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&apos;"; break;
		default: e = one;
		}
		size_t n = strlen(e);
		if (used + n > max)
			return;
		strbuf_append(sb, e, n);
		used += n;
	}
}

static void build_xml(struct rsp_thread_list *l, const struct target *t)
{
	struct strbuf *x = &l->xml;
	char name[RSP_THREAD_TEXT_MAX], extra[RSP_THREAD_TEXT_MAX];
	strbuf_append(x, RSP_XML_HEAD, sizeof(RSP_XML_HEAD) - 1);
	for (unsigned i = 0; i < l->n && !x->overflow; i++) {
		rsp_thread_text(t, l->ids[i], false, name, sizeof(name));
		rsp_thread_text(t, l->ids[i], true, extra, sizeof(extra));
		strbuf_printf(x, "<thread id=\"%x\" name=\"", l->ids[i]);
		append_xml_text(x, name, RSP_XML_NAME_MAX);
		strbuf_append(x, "\">", 2);
		append_xml_text(x, extra, RSP_XML_EXTRA_MAX);
		strbuf_append(x, "</thread>\n", 10);
	}
	strbuf_append(x, RSP_XML_TAIL, sizeof(RSP_XML_TAIL) - 1);
	if (x->overflow) { /* out of memory: keep nothing of it */
		strbuf_free(x);
		x->overflow = true;
		return;
	}
	/* Doubling left up to half the buffer unused; it stays a while. */
	strbuf_shrink(x);
}

const struct strbuf *rsp_threads_xml(struct rsp_thread_list *l,
				     const struct target *t)
{
	if (!l->xml_built) {
		build_xml(l, t);
		l->xml_built = true;
	}
	return l->xml.overflow ? NULL : &l->xml;
}
