/* qSearch:memory: find a byte pattern in target memory. */
#include <stdio.h>
#include <string.h>

#include "stub/rsp/rsp_cmds.h"
#include "stub/rsp/rsp_parse.h"

/* Longest pattern we look for; the rest of the scratch holds the window
 * of memory being searched. */
#define SEARCH_PATTERN_MAX 4096
/* One request searches at most this much; beyond it gdb gets an error
 * (rather than a wrong "not found") while other clients wait. */
#define SEARCH_MAX_BYTES (4ull << 30)

int rsp_cmd_qSearch(struct rsp_session *s, const char *args, size_t len,
		    struct rsp_reply *r)
{
	struct rsp_search_args q;
	if (rsp_parse_search(args, len, &q) < 0 || q.pattern_len == 0)
		return RSP_E_ARGS;
	if (q.pattern_len > SEARCH_PATTERN_MAX)
		return RSP_E_TOO_BIG;
	if (q.addr && q.length > 0 - q.addr)
		q.length = 0 - q.addr;
	if (q.length > SEARCH_MAX_BYTES)
		return RSP_E_TOO_BIG;

	const struct target *t = s->target;
	uint8_t *win = s->scratch;
	/* Each round keeps the last pattern_len - 1 bytes of the previous
	 * window in front, so matches across window borders are seen. */
	const size_t keep_max = q.pattern_len - 1;
	const size_t step = RSP_SCRATCH_SIZE - keep_max;
	size_t kept = 0;
	uint64_t next = q.addr, left = q.length;
	while (left > 0) {
		size_t want = left < step ? (size_t)left : step;
		size_t got = t->ops->read_mem(t->ctx, next, win + kept, want);
		if (got > want)
			got = want;
		size_t have = kept + got;
		const uint8_t *hit = memmem(win, have, q.pattern, q.pattern_len);
		if (hit) {
			/* win[0] sits `kept` bytes before `next`. */
			uint64_t at = next - kept + (uint64_t)(hit - win);
			char text[32];
			snprintf(text, sizeof(text), "1,%llx",
				 (unsigned long long)at);
			rsp_reply_str(r, text);
			return RSP_DONE;
		}
		if (got < want)
			break; /* the first unreadable byte ends the search */
		next += got;
		left -= got;
		kept = have < keep_max ? have : keep_max;
		memmove(win, win + have - kept, kept);
	}
	rsp_reply_str(r, "0");
	return RSP_DONE;
}
