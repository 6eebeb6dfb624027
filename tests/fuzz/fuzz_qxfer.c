/* qXfer paging: gdb reads target.xml and the thread list in slices at
 * offsets and lengths of its choosing. With random thread ids, names and
 * descriptions (any bytes) from the input, every reply must be the exact
 * slice of the document, 'l' exactly when it reaches the end, and reading
 * on from 0 until 'l' must give back the whole document, XML-escaped as
 * docs/protocol.md says (built here independently).
 *
 * Input: u8 flags (bit 0: no-ack mode), u8 thread count (n % 64 + 1),
 * per thread a u32 id, u8 name length, u8 extra length; u8 requests; per
 * request u8 kind, u32 offset, u32 length; the rest is the pool the
 * names and descriptions are cut from. */
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/fuzz_rsp.h"

#include "stub/rsp/rsp_session.h"
#include "tests/unit/fake_target.h"

#define MAX_THREADS 64
#define TEXT_MAX RSP_THREAD_TEXT_MAX

struct xthread {
	uint32_t id;
	char name[TEXT_MAX * 4], extra[TEXT_MAX * 4]; /* may exceed TEXT_MAX */
};

static struct {
	struct fake fake;
	struct xthread t[MAX_THREADS];
	unsigned n;
} X;

static unsigned x_ids(void *c, uint32_t *ids, unsigned max)
{
	(void)c;
	unsigned n = 0;
	for (; n < X.n && n < max; n++)
		ids[n] = X.t[n].id;
	return n;
}

static const struct xthread *x_find(uint32_t tid)
{
	for (unsigned i = 0; i < X.n; i++)
		if (X.t[i].id == tid)
			return &X.t[i];
	return NULL;
}

static bool x_alive(void *c, uint32_t tid)
{
	(void)c;
	return x_find(tid) != NULL;
}

static void x_name(void *c, uint32_t tid, char *buf, size_t len)
{
	(void)c;
	const struct xthread *t = x_find(tid);
	snprintf(buf, len, "%s", t ? t->name : "");
}

static void x_extra(void *c, uint32_t tid, char *buf, size_t len)
{
	(void)c;
	const struct xthread *t = x_find(tid);
	snprintf(buf, len, "%s", t ? t->extra : "");
}

static const struct target_ops x_ops = {
	.arch = fake_get_arch,
	.read_mem = fake_read,
	.thread_ids = x_ids,
	.thread_alive = x_alive,
	.thread_name = x_name,
	.thread_extra = x_extra,
};

/* docs/protocol.md: markup as entities, control and non-ASCII bytes as
 * '?'; text cut at TEXT_MAX - 1 bytes as the handler asks for, then
 * before the escaped text passes max bytes. */
static void esc(struct strbuf *sb, const char *text, size_t max)
{
	size_t n = strnlen(text, TEXT_MAX - 1), used = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];
		const char *e = c == '&' ? "&amp;" : c == '<' ? "&lt;"
				: c == '>' ? "&gt;" : c == '"' ? "&quot;"
				: c == '\'' ? "&apos;" : NULL;
		size_t len = e ? strlen(e) : 1;
		if (used + len > max)
			return;
		used += len;
		if (e)
			strbuf_append(sb, e, len);
		else
			strbuf_putc(sb, c < 0x20 || c > 0x7e ? '?' : (char)c);
	}
}

static void expected_threads(struct strbuf *sb)
{
	strbuf_printf(sb, "<?xml version=\"1.0\"?>\n<threads>\n");
	for (unsigned i = 0; i < X.n; i++) {
		strbuf_printf(sb, "<thread id=\"%x\" name=\"", X.t[i].id);
		esc(sb, X.t[i].name, RSP_XML_NAME_MAX);
		strbuf_printf(sb, "\">");
		esc(sb, X.t[i].extra, RSP_XML_EXTRA_MAX);
		strbuf_printf(sb, "</thread>\n");
	}
	strbuf_printf(sb, "</threads>\n");
}

struct got {
	unsigned frames;
	char *p;
	size_t n;
};

static void on_frame(const char *p, size_t n, void *arg)
{
	struct got *g = arg;
	g->frames++;
	free(g->p);
	g->p = malloc(n + 1);
	memcpy(g->p, p, n);
	g->n = unescape_binary(g->p, n);
}

/* One qXfer request through the session; returns the unescaped payload
 * (caller frees) in *g. */
static void request(struct rsp_session *s, struct strbuf *out, bool threads,
		    uint64_t off, uint64_t len, struct got *g)
{
	char pkt[96];
	int n = snprintf(pkt, sizeof(pkt), "qXfer:%s:read:%s:%llx,%llx",
			 threads ? "threads" : "features",
			 threads ? "" : "target.xml", (unsigned long long)off,
			 (unsigned long long)len);
	strbuf_reset(out);
	FUZZ_CHECK(rsp_session_event(s, RSP_EV_PACKET, pkt, (size_t)n, out),
		   "session ended");
	memset(g, 0, sizeof(*g));
	check_frames(out->buf, 0, out->len, on_frame, g);
	FUZZ_CHECK(g->frames == 1, "%u frames for one request", g->frames);
}

/* The reply to (off, len) must be the slice of doc. */
static void check_slice(const struct got *g, const struct strbuf *doc,
			uint64_t off, uint64_t len)
{
	const size_t chunk = RSP_PACKET_SIZE / 2 - 1;
	FUZZ_CHECK(g->n >= 1 && (g->p[0] == 'm' || g->p[0] == 'l'),
		   "reply %.*s", (int)(g->n < 16 ? g->n : 16), g->p);
	size_t data = g->n - 1;
	if (off >= doc->len) {
		FUZZ_CHECK(g->p[0] == 'l' && data == 0, "past the end");
		return;
	}
	uint64_t want = len < chunk ? len : chunk;
	if (want > doc->len - off)
		want = doc->len - off;
	FUZZ_CHECK(data == want, "slice of %zu bytes, wanted %llu", data,
		   (unsigned long long)want);
	FUZZ_CHECK(memcmp(g->p + 1, doc->buf + off, data) == 0,
		   "slice at %llu differs", (unsigned long long)off);
	FUZZ_CHECK((g->p[0] == 'l') == (off + data == doc->len),
		   "'%c' at %llu+%zu of %zu", g->p[0], (unsigned long long)off,
		   data, doc->len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in;
	fin_init(&in, data, size);
	uint8_t flags = fin_u8(&in);
	X.n = fin_u8(&in) % MAX_THREADS + 1;
	uint8_t name_len[MAX_THREADS], extra_len[MAX_THREADS];
	for (unsigned i = 0; i < X.n; i++) {
		X.t[i].id = fin_u32(&in);
		name_len[i] = fin_u8(&in);
		extra_len[i] = fin_u8(&in);
	}
	unsigned nreq = fin_u8(&in) % 16;
	struct { uint8_t kind; uint32_t off, len; } req[16];
	for (unsigned i = 0; i < nreq; i++) {
		req[i].kind = fin_u8(&in);
		req[i].off = fin_u32(&in);
		req[i].len = fin_u32(&in);
	}
	/* Names and descriptions: cut from the pool, repeated to length
	 * (x4 so some exceed what the handler asks for). */
	size_t pool_n;
	const uint8_t *pool = fin_take(&in, in.left, &pool_n);
	size_t at = 0;
	for (unsigned i = 0; i < X.n; i++) {
		char *dst[2] = { X.t[i].name, X.t[i].extra };
		size_t lens[2] = { (size_t)name_len[i] * 4 % (TEXT_MAX * 4),
				   (size_t)extra_len[i] * 3 };
		for (int k = 0; k < 2; k++) {
			size_t len = lens[k];
			for (size_t j = 0; j < len; j++) {
				char c = pool_n ? (char)pool[at++ % pool_n]
						: 'a';
				dst[k][j] = c ? c : '0';
			}
			dst[k][len] = '\0';
		}
		if (X.t[i].id == 0) /* ids are non-zero */
			X.t[i].id = i + 1;
	}
	/* Ids must be unique for names to be looked up by id: a repeated
	 * one moves to the next id no other thread has (the input may hold
	 * that one too, so look again each time). */
	for (unsigned i = 0; i < X.n; i++) {
		for (bool again = true; again;) {
			again = false;
			for (unsigned j = 0; j < i; j++)
				if (X.t[j].id == X.t[i].id) {
					X.t[i].id = X.t[i].id + 1 ? X.t[i].id + 1 : 1;
					again = true;
				}
		}
	}

	struct target t = { &x_ops, &X.fake };
	struct rsp_threads listings;
	struct rsp_session s;
	char err[ERR_LEN];
	rsp_threads_init(&listings);
	FUZZ_CHECK(rsp_session_init(&s, &t, &listings, err) == 0, "%s", err);
	s.no_ack = flags & 1;
	struct strbuf out, threads, features;
	strbuf_init(&out, RSP_PACKET_SIZE * 2);
	strbuf_init(&threads, RSP_THREADS_XML_MAX);
	strbuf_init(&features, 1 << 16);
	expected_threads(&threads);
	strbuf_append(&features, fake_arch.target_xml,
		      strlen(fake_arch.target_xml));

	struct got g = { 0 };
	/* Random slices; a thread list read not at 0 first is built then. */
	for (unsigned i = 0; i < nreq; i++) {
		bool thr = req[i].kind & 1;
		uint64_t off = req[i].kind & 2 ? req[i].off
					       : req[i].off % 0x40000;
		uint64_t len = req[i].kind & 4 ? req[i].len
					       : req[i].len % 0x2000 + 1;
		if (req[i].kind & 8)
			off = (uint64_t)req[i].off << 32 | req[i].len;
		request(&s, &out, thr, off, len, &g);
		check_slice(&g, thr ? &threads : &features, off, len);
		free(g.p);
	}
	/* gdb's way: from 0 on, each length from the input, until 'l'. */
	for (int thr = 0; thr < 2; thr++) {
		struct strbuf *doc = thr ? &threads : &features;
		uint64_t off = 0;
		unsigned k = 0;
		for (;;) {
			uint64_t len = nreq ? req[k++ % nreq].len % 0x30000 + 1
					    : 0x1000;
			request(&s, &out, thr, off, len, &g);
			check_slice(&g, doc, off, len);
			bool last = g.p[0] == 'l';
			off += g.n - 1;
			free(g.p);
			if (last)
				break;
			FUZZ_CHECK(off < doc->len, "no 'l' at the end");
		}
		FUZZ_CHECK(off == doc->len, "paged %llu of %zu bytes",
			   (unsigned long long)off, doc->len);
	}

	strbuf_free(&features);
	strbuf_free(&threads);
	strbuf_free(&out);
	rsp_session_free(&s);
	rsp_threads_free(&listings);
	return 0;
}
