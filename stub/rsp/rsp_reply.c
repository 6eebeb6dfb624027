#include "stub/rsp/rsp_reply.h"

#include <string.h>

#include "stub/rsp/hex.h"
#include "stub/rsp/rsp_packet.h"

/* Numbers follow errno where one fits (as QEMU's E14 for EFAULT); gdb
 * only shows them. */
const char *rsp_error_code(enum rsp_status st)
{
	switch (st) {
	case RSP_E_ARGS:      return "E22"; /* EINVAL */
	case RSP_E_FAULT:     return "E14"; /* EFAULT */
	case RSP_E_NO_THREAD: return "E03"; /* ESRCH */
	case RSP_E_REGNUM:    return "E02"; /* ENOENT */
	case RSP_E_READONLY:  return "E30"; /* EROFS */
	case RSP_E_WRITE:     return "E05"; /* EIO */
	case RSP_E_TOO_BIG:   return "E27"; /* EFBIG */
	case RSP_E_MONITOR:   return "E01";
	case RSP_E_ANNEX:     return "E00";
	case RSP_E_NOMEM:     return "E12"; /* ENOMEM */
	case RSP_DONE:
	case RSP_NO_REPLY:
	case RSP_PENDING:
		break;
	}
	return "E01";
}

void rsp_reply_begin(struct rsp_reply *r, struct strbuf *out)
{
	r->out = out;
	r->packet_start = out->len;
	r->payload_start = rsp_frame_begin(out);
}

bool rsp_reply_end(struct rsp_reply *r)
{
	return rsp_frame_end(r->out, r->payload_start);
}

bool rsp_reply_next(struct rsp_reply *r)
{
	if (!rsp_reply_end(r))
		return false;
	rsp_reply_begin(r, r->out);
	return !r->out->overflow;
}

void rsp_reply_error(struct rsp_reply *r, enum rsp_status st)
{
	strbuf_truncate(r->out, r->payload_start);
	rsp_reply_str(r, rsp_error_code(st));
}

void rsp_reply_cancel(struct rsp_reply *r)
{
	strbuf_truncate(r->out, r->packet_start);
}

bool rsp_reply_str(struct rsp_reply *r, const char *s)
{
	return strbuf_append(r->out, s, strlen(s));
}

bool rsp_reply_hex(struct rsp_reply *r, const void *data, size_t len)
{
	if (len > RSP_PACKET_SIZE)
		return false;
	char *dst = strbuf_extend(r->out, 2 * len);
	if (!dst)
		return false;
	hex_encode(dst, data, len);
	return true;
}

bool rsp_reply_console(struct rsp_reply *r, const char *text, size_t len)
{
	const size_t chunk = (RSP_PACKET_SIZE - 1) / 2;
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		if (!strbuf_putc(r->out, 'O') ||
		    !rsp_reply_hex(r, text + off, n) || !rsp_reply_next(r))
			return false;
	}
	return true;
}
