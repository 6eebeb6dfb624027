/* One small parser per packet argument syntax; each fills a struct and
 * returns 0, or -1 on any malformed input. No allocation: results point
 * into the packet, which outlives the handler call. */
#ifndef LKSTUB_RSP_PARSE_H
#define LKSTUB_RSP_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* "qXfer:features:..." -> name "qXfer", args "features:...". Names of
 * q/Q/v packets end at the first ':' ';' or ','; other packets are named
 * by their first character and the rest is args. */
#define RSP_NAME_MAX 32
struct rsp_packet_name {
	char name[RSP_NAME_MAX];
	const char *args;
	size_t args_len;
};
int rsp_parse_packet_name(const char *pkt, size_t len,
			  struct rsp_packet_name *out);

/* Thread ids: "-1" (all), "0" (any), hex id, or "pPID.TID". */
enum rsp_thread_kind { RSP_THREAD_ALL, RSP_THREAD_ANY, RSP_THREAD_ONE };
struct rsp_thread_id {
	enum rsp_thread_kind kind;
	uint64_t tid; /* RSP_THREAD_ONE only */
};
int rsp_parse_thread_id(const char *s, size_t len, struct rsp_thread_id *out);

/* "Hg<id>" / "Hc<id>": args "g<id>". */
struct rsp_h_args {
	char op; /* 'g' or 'c' */
	struct rsp_thread_id thread;
};
int rsp_parse_h(const char *args, size_t len, struct rsp_h_args *out);

/* "m addr,len". */
struct rsp_mem_args {
	uint64_t addr, length;
};
int rsp_parse_mem_read(const char *args, size_t len, struct rsp_mem_args *out);

/* "M addr,len:hex" and "X addr,len:binary": data is the raw rest. */
struct rsp_mem_write_args {
	uint64_t addr, length;
	const char *data;
	size_t data_len;
};
int rsp_parse_mem_write(const char *args, size_t len,
			struct rsp_mem_write_args *out);

/* "p n": a register number. */
int rsp_parse_regnum(const char *args, size_t len, uint64_t *regnum);

/* "qXfer:object:read:annex:off,len": args "object:read:annex:off,len". */
struct rsp_xfer_args {
	const char *object, *annex;
	size_t object_len, annex_len;
	uint64_t offset, length;
};
int rsp_parse_xfer_read(const char *args, size_t len,
			struct rsp_xfer_args *out);

/* "qSearch:memory:addr;len;pattern": args "memory:addr;len;pattern"
 * (the pattern is binary, escapes already undone by the decoder). */
struct rsp_search_args {
	uint64_t addr, length;
	const char *pattern;
	size_t pattern_len;
};
int rsp_parse_search(const char *args, size_t len,
		     struct rsp_search_args *out);

#endif
