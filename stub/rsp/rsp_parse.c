#include "stub/rsp/rsp_parse.h"

#include <string.h>

#include "stub/rsp/hex.h"

/* Offset of the first of the given characters in s[0..len), or len. */
static size_t span_to(const char *s, size_t len, const char *stops)
{
	size_t i = 0;
	while (i < len && !strchr(stops, s[i]))
		i++;
	return i;
}

int rsp_parse_packet_name(const char *pkt, size_t len,
			  struct rsp_packet_name *out)
{
	if (len == 0)
		return -1;
	size_t name_len = 1, args_at = 1;
	if (pkt[0] == 'q' || pkt[0] == 'Q' || pkt[0] == 'v') {
		name_len = span_to(pkt, len, ":;,");
		args_at = name_len < len ? name_len + 1 : len;
	}
	if (name_len >= RSP_NAME_MAX || memchr(pkt, '\0', name_len))
		return -1;
	memcpy(out->name, pkt, name_len);
	out->name[name_len] = '\0';
	out->args = pkt + args_at;
	out->args_len = len - args_at;
	return 0;
}

int rsp_parse_thread_id(const char *s, size_t len, struct rsp_thread_id *out)
{
	if (len == 2 && s[0] == '-' && s[1] == '1') {
		out->kind = RSP_THREAD_ALL;
		out->tid = 0;
		return 0;
	}
	if (len > 0 && s[0] == 'p') { /* multiprocess form: the pid is ours */
		size_t dot = span_to(s, len, ".");
		if (dot == len)
			return -1;
		s += dot + 1;
		len -= dot + 1;
		if (len == 2 && s[0] == '-' && s[1] == '1') {
			out->kind = RSP_THREAD_ALL;
			out->tid = 0;
			return 0;
		}
	}
	uint64_t tid;
	if (hex_parse_u64(s, len, &tid) < 0)
		return -1;
	out->kind = tid ? RSP_THREAD_ONE : RSP_THREAD_ANY;
	out->tid = tid;
	return 0;
}

int rsp_parse_h(const char *args, size_t len, struct rsp_h_args *out)
{
	if (len < 2 || (args[0] != 'g' && args[0] != 'c'))
		return -1;
	out->op = args[0];
	return rsp_parse_thread_id(args + 1, len - 1, &out->thread);
}

/* "addr,len" at the start of s, ending at `end_char` or the end. */
static int parse_addr_len(const char *s, size_t len, uint64_t *addr,
			  uint64_t *length, size_t *used)
{
	const char *p = s, *end = s + len;
	if (hex_scan_u64(&p, end, addr) < 0 || p == end || *p != ',')
		return -1;
	p++;
	if (hex_scan_u64(&p, end, length) < 0)
		return -1;
	*used = (size_t)(p - s);
	return 0;
}

int rsp_parse_mem_read(const char *args, size_t len, struct rsp_mem_args *out)
{
	size_t used;
	if (parse_addr_len(args, len, &out->addr, &out->length, &used) < 0 ||
	    used != len)
		return -1;
	return 0;
}

int rsp_parse_mem_write(const char *args, size_t len,
			struct rsp_mem_write_args *out)
{
	size_t used;
	if (parse_addr_len(args, len, &out->addr, &out->length, &used) < 0 ||
	    used == len || args[used] != ':')
		return -1;
	out->data = args + used + 1;
	out->data_len = len - used - 1;
	return 0;
}

int rsp_parse_regnum(const char *args, size_t len, uint64_t *regnum)
{
	return hex_parse_u64(args, len, regnum);
}

int rsp_parse_xfer_read(const char *args, size_t len,
			struct rsp_xfer_args *out)
{
	static const char read_op[] = "read:";
	size_t obj = span_to(args, len, ":");
	if (obj == 0 || obj == len)
		return -1;
	const char *p = args + obj + 1;
	size_t rest = len - obj - 1;
	if (rest < sizeof(read_op) - 1 ||
	    memcmp(p, read_op, sizeof(read_op) - 1) != 0)
		return -1;
	p += sizeof(read_op) - 1;
	rest -= sizeof(read_op) - 1;
	size_t annex = span_to(p, rest, ":");
	if (annex == rest)
		return -1;
	out->object = args;
	out->object_len = obj;
	out->annex = p;
	out->annex_len = annex;
	size_t used;
	p += annex + 1;
	rest -= annex + 1;
	if (parse_addr_len(p, rest, &out->offset, &out->length, &used) < 0 ||
	    used != rest)
		return -1;
	return 0;
}

int rsp_parse_search(const char *args, size_t len,
		     struct rsp_search_args *out)
{
	static const char memory[] = "memory:";
	const char *p = args, *end = args + len;
	if (len < sizeof(memory) - 1 ||
	    memcmp(args, memory, sizeof(memory) - 1) != 0)
		return -1;
	p += sizeof(memory) - 1;
	if (hex_scan_u64(&p, end, &out->addr) < 0 || p == end || *p != ';')
		return -1;
	p++;
	if (hex_scan_u64(&p, end, &out->length) < 0 || p == end || *p != ';')
		return -1;
	p++;
	out->pattern = p;
	out->pattern_len = (size_t)(end - p);
	return 0;
}
