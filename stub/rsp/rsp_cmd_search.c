/* qSearch:memory: find a byte pattern in target memory. A search may
 * cover gigabytes, so it works in slices (RSP_SLICE_NS each): between two
 * slices the server serves the other clients, then resumes this one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "stub/rsp/rsp_cmds.h"
#include "stub/rsp/rsp_parse.h"

/* Longest pattern we look for. */
#define SEARCH_PATTERN_MAX 4096
/* One request searches at most this much; beyond it gdb gets an error
 * (rather than a wrong "not found"). */
#define SEARCH_MAX_BYTES (4ull << 30)
/* Memory read and searched per step: the pattern's tail from the step
 * before, then fresh bytes. */
#define SEARCH_WINDOW (128u << 10)

struct rsp_search {
	uint64_t next, left; /* the memory still to read */
	size_t kept;         /* bytes of the previous window kept in front */
	size_t pattern_len;
	uint8_t pattern[SEARCH_PATTERN_MAX];
	uint8_t win[SEARCH_WINDOW];
};

void rsp_search_free(struct rsp_session *s)
{
	free(s->search);
	s->search = NULL;
}

/* One window: RSP_DONE with the reply when the search is over,
 * RSP_PENDING when there is more to read. */
static int search_window(struct rsp_session *s, struct rsp_reply *r)
{
	struct rsp_search *q = s->search;
	const struct target *t = s->target;
	/* Each window keeps the last pattern_len - 1 bytes of the previous
	 * one in front, so matches across window borders are seen. */
	const size_t keep_max = q->pattern_len - 1;
	const size_t step = SEARCH_WINDOW - keep_max;
	size_t want = q->left < step ? (size_t)q->left : step;
	size_t got = t->ops->read_mem(t->ctx, q->next, q->win + q->kept, want);
	if (got > want)
		got = want;
	size_t have = q->kept + got;
	const uint8_t *hit = memmem(q->win, have, q->pattern, q->pattern_len);
	if (hit) {
		/* win[0] sits `kept` bytes before `next`. */
		uint64_t at = q->next - q->kept + (uint64_t)(hit - q->win);
		char text[32];
		snprintf(text, sizeof(text), "1,%llx", (unsigned long long)at);
		rsp_reply_str(r, text);
		return RSP_DONE;
	}
	q->next += got;
	q->left -= got;
	/* The first unreadable byte ends the search. */
	if (got < want || q->left == 0) {
		rsp_reply_str(r, "0");
		return RSP_DONE;
	}
	q->kept = have < keep_max ? have : keep_max;
	memmove(q->win, q->win + have - q->kept, q->kept);
	return RSP_PENDING;
}

int rsp_search_resume(struct rsp_session *s, struct rsp_reply *r)
{
	if (!s->search)
		return RSP_E_ARGS;
	const uint64_t start = clock_now_ns();
	int st = RSP_PENDING;
	/* At least one window per slice, so every slice moves on. */
	for (unsigned w = 0; st == RSP_PENDING && w < s->slice_windows; w++) {
		st = search_window(s, r);
		if (clock_now_ns() - start >= s->slice_ns)
			break;
	}
	if (st != RSP_PENDING)
		rsp_search_free(s);
	return st;
}

int rsp_cmd_qSearch(struct rsp_session *s, const char *args, size_t len,
		    struct rsp_reply *r)
{
	struct rsp_search_args a;
	if (rsp_parse_search(args, len, &a) < 0 || a.pattern_len == 0)
		return RSP_E_ARGS;
	if (a.pattern_len > SEARCH_PATTERN_MAX)
		return RSP_E_TOO_BIG;
	if (a.addr && a.length > 0 - a.addr)
		a.length = 0 - a.addr;
	if (a.length > SEARCH_MAX_BYTES)
		return RSP_E_TOO_BIG;
	if (a.length == 0) {
		rsp_reply_str(r, "0");
		return RSP_DONE;
	}
	rsp_search_free(s);
	s->search = malloc(sizeof(*s->search));
	if (!s->search)
		return RSP_E_NOMEM;
	struct rsp_search *q = s->search;
	q->next = a.addr;
	q->left = a.length;
	q->kept = 0;
	q->pattern_len = a.pattern_len;
	memcpy(q->pattern, a.pattern, a.pattern_len); /* the packet goes */
	return rsp_search_resume(s, r);
}
