/* qXfer:OBJECT:read: the target description, the thread list, the
 * library list and the executable's path. */
#include <string.h>

#include "stub/rsp/rsp_cmds.h"
#include "stub/rsp/rsp_packet.h"
#include "stub/rsp/rsp_parse.h"

/* Escaping can double the data, so a slice is at most half a packet. */
#define XFER_CHUNK_MAX (RSP_PACKET_SIZE / 2 - 1)

bool rsp_xfer_is_last(size_t total, uint64_t offset, uint64_t length)
{
	uint64_t n = length < XFER_CHUNK_MAX ? length : XFER_CHUNK_MAX;
	return offset >= total || n >= total - offset;
}

int rsp_xfer_slice(struct rsp_reply *r, const char *data, size_t total,
		   uint64_t offset, uint64_t length)
{
	if (offset >= total) {
		rsp_reply_str(r, "l");
		return RSP_DONE;
	}
	uint64_t n = length < XFER_CHUNK_MAX ? length : XFER_CHUNK_MAX;
	if (n > total - offset)
		n = total - offset;
	strbuf_putc(r->out, offset + n < total ? 'm' : 'l');
	rsp_append_binary(r->out, data + offset, (size_t)n);
	return RSP_DONE;
}

static bool is(const char *s, size_t len, const char *word)
{
	return len == strlen(word) && memcmp(s, word, len) == 0;
}

int rsp_cmd_qXfer(struct rsp_session *s, const char *args, size_t len,
		  struct rsp_reply *r)
{
	struct rsp_xfer_args x;
	if (rsp_parse_xfer_read(args, len, &x) < 0) {
		const char *colon = memchr(args, ':', len);
		size_t obj = colon ? (size_t)(colon - args) : len;
		bool ours = is(args, obj, "features") ||
			    is(args, obj, "threads") ||
			    is(args, obj, "libraries") ||
			    is(args, obj, "exec-file");
		/* Ours but malformed is an error; others are unsupported. */
		return ours ? RSP_E_ARGS : RSP_DONE;
	}
	if (is(x.object, x.object_len, "features")) {
		const struct target *t = s->target;
		const struct gdb_arch *arch =
			t->ops->arch ? t->ops->arch(t->ctx) : NULL;
		if (!arch || !arch->target_xml ||
		    !is(x.annex, x.annex_len, "target.xml"))
			return RSP_E_ANNEX;
		return rsp_xfer_slice(r, arch->target_xml,
				      strlen(arch->target_xml), x.offset,
				      x.length);
	}
	if (is(x.object, x.object_len, "threads")) {
		if (x.annex_len != 0)
			return RSP_E_ANNEX;
		return rsp_xfer_threads(s, x.offset, x.length, r);
	}
	if (is(x.object, x.object_len, "libraries") &&
	    s->target->ops->libraries) {
		if (x.annex_len != 0)
			return RSP_E_ANNEX;
		const struct strbuf *doc = s->target->ops->libraries(
			s->target->ctx, x.offset == 0);
		if (!doc)
			return RSP_E_ANNEX;
		if (doc->overflow)
			return RSP_E_NOMEM;
		return rsp_xfer_slice(r, doc->buf, doc->len, x.offset,
				      x.length);
	}
	if (is(x.object, x.object_len, "exec-file") &&
	    s->target->ops->exec_file) {
		/* The annex is a process id; there is one "process". */
		const char *path = s->target->ops->exec_file(s->target->ctx);
		if (!path)
			return RSP_E_ANNEX;
		return rsp_xfer_slice(r, path, strlen(path), x.offset,
				      x.length);
	}
	return RSP_DONE; /* an object we do not serve: empty = unsupported */
}
