/* Memory packets: m (hex) and x (binary) read, M and X write through
 * the target if it allows writes. */
#include <stdio.h>
#include <string.h>

#include "stub/rsp/hex.h"
#include "stub/rsp/rsp_cmds.h"
#include "stub/rsp/rsp_packet.h"
#include "stub/rsp/rsp_parse.h"
#include "common/err.h"

/* Bytes one m reply can carry as hex. */
#define READ_MAX (RSP_PACKET_SIZE / 2)

/* ADDR,LENGTH of m and x: how many bytes to read (at most max, and not
 * past the top of the address space), or -1. */
static int read_args(const char *args, size_t len, uint64_t max,
		     struct rsp_mem_args *m, uint64_t *want)
{
	if (rsp_parse_mem_read(args, len, m) < 0)
		return -1;
	*want = m->length < max ? m->length : max;
	if (m->addr && *want > 0 - m->addr)
		*want = 0 - m->addr;
	return 0;
}

/* Memory as the thread gdb selected (Hg) sees it. */
static size_t read_as_thread(struct rsp_session *s, uint64_t addr, void *buf,
			     size_t len)
{
	const struct target *t = s->target;
	if (t->ops->read_mem_as)
		return t->ops->read_mem_as(t->ctx, rsp_current_thread(s), addr,
					   buf, len);
	return t->ops->read_mem(t->ctx, addr, buf, len);
}

int rsp_cmd_m(struct rsp_session *s, const char *args, size_t len,
	      struct rsp_reply *r)
{
	struct rsp_mem_args m;
	uint64_t want;
	if (read_args(args, len, READ_MAX, &m, &want))
		return RSP_E_ARGS;
	if (want == 0)
		return RSP_DONE;
	/* Read into the second half of the reply's hex area, then expand
	 * in place: no copy between the target and the output queue. */
	char *hex = strbuf_extend(r->out, 2 * (size_t)want);
	if (!hex)
		return RSP_E_NOMEM;
	size_t got = read_as_thread(s, m.addr, hex + want, (size_t)want);
	if (got > want)
		got = (size_t)want; /* never trust a count beyond the ask */
	if (got == 0)
		return RSP_E_FAULT;
	/* In-place expansion wants the data right after its hex. */
	if (got < want)
		memmove(hex + got, hex + want, got);
	hex_encode(hex, hex + got, got);
	strbuf_truncate(r->out, (size_t)(hex - r->out->buf) + 2 * got);
	return RSP_DONE;
}

/* Bytes one x reply may carry: the whole packet but its 'b', when no
 * byte needs escaping. */
#define BIN_ROOM (RSP_PACKET_SIZE - 1)

int rsp_cmd_x(struct rsp_session *s, const char *args, size_t len,
	      struct rsp_reply *r)
{
	struct rsp_mem_args m;
	uint64_t want;
	if (read_args(args, len, BIN_ROOM, &m, &want))
		return RSP_E_ARGS;
	/* A bare "b" for length 0: an empty reply would mean unsupported. */
	if (!strbuf_putc(r->out, 'b'))
		return RSP_E_NOMEM;
	if (want == 0)
		return RSP_DONE;
	/* The target reads into the queue past some slack, then the data is
	 * escaped in place from the front (see rsp_escape_binary): no copy,
	 * and the reply never outgrows the packet; what does not fit is
	 * left for gdb to ask again. */
	const size_t slack = want < BIN_ROOM / 2 ? (size_t)want : BIN_ROOM / 2;
	char *bin = strbuf_extend(r->out, slack + (size_t)want);
	if (!bin)
		return RSP_E_NOMEM;
	char *data = bin + slack;
	size_t got = read_as_thread(s, m.addr, data, (size_t)want);
	if (got > want)
		got = (size_t)want; /* never trust a count beyond the ask */
	if (got == 0)
		return RSP_E_FAULT;
	size_t used;
	size_t n = rsp_escape_binary(bin, BIN_ROOM, data, got, &used);
	strbuf_truncate(r->out, (size_t)(bin - r->out->buf) + n);
	return RSP_DONE;
}

static int write_mem(struct rsp_session *s, uint64_t addr, const void *data,
		     size_t len)
{
	const struct target *t = s->target;
	char err[ERR_LEN];
	if (!t->ops->write_mem) {
		fprintf(stderr, "lkstub: write of %zu bytes at %#llx refused: "
				"this target does not write memory\n",
			len, (unsigned long long)addr);
		return RSP_E_READONLY;
	}
	err[0] = '\0';
	if (t->ops->write_mem(t->ctx, addr, data, len, err) < 0) {
		fprintf(stderr, "lkstub: write of %zu bytes at %#llx: %s\n",
			len, (unsigned long long)addr,
			err[0] ? err : "failed");
		return RSP_E_WRITE;
	}
	return RSP_DONE;
}

int rsp_cmd_M(struct rsp_session *s, const char *args, size_t len,
	      struct rsp_reply *r)
{
	struct rsp_mem_write_args w;
	if (rsp_parse_mem_write(args, len, &w) < 0)
		return RSP_E_ARGS;
	if (w.length > RSP_SCRATCH_SIZE)
		return RSP_E_TOO_BIG;
	if (w.data_len != 2 * w.length)
		return RSP_E_ARGS;
	uint8_t *data = rsp_scratch(s);
	if (!data)
		return RSP_E_NOMEM;
	if (hex_decode(data, RSP_SCRATCH_SIZE, w.data, w.data_len) < 0)
		return RSP_E_ARGS;
	if (w.length == 0) {
		rsp_reply_str(r, "OK");
		return RSP_DONE;
	}
	int st = write_mem(s, w.addr, data, (size_t)w.length);
	if (st == RSP_DONE)
		rsp_reply_str(r, "OK");
	return st;
}

int rsp_cmd_X(struct rsp_session *s, const char *args, size_t len,
	      struct rsp_reply *r)
{
	struct rsp_mem_write_args w;
	if (rsp_parse_mem_write(args, len, &w) < 0)
		return RSP_E_ARGS;
	if (w.length != w.data_len)
		return RSP_E_ARGS;
	if (w.length == 0) {
		/* gdb's probe for X: with no writer, an empty reply makes
		 * it use M, whose error then says why. */
		if (s->target->ops->write_mem)
			rsp_reply_str(r, "OK");
		return RSP_DONE;
	}
	int st = write_mem(s, w.addr, w.data, w.data_len);
	if (st == RSP_DONE)
		rsp_reply_str(r, "OK");
	return st;
}
