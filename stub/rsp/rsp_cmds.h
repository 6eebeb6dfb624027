/* The packet handlers behind rsp_dispatch; shared by rsp_cmd_*.c only.
 * Each gets the args after the packet name and appends its reply to r,
 * or returns an rsp_status for an error reply. */
#ifndef LKSTUB_RSP_CMDS_H
#define LKSTUB_RSP_CMDS_H

#include <stddef.h>

#include "stub/rsp/rsp_reply.h"
#include "stub/rsp/rsp_session.h"

typedef int rsp_handler(struct rsp_session *s, const char *args,
			size_t len, struct rsp_reply *r);

/* Runs the handler for one packet; the reply frames are left in r. */
void rsp_dispatch(struct rsp_session *s, const char *pkt, size_t len,
		  struct rsp_reply *r);

/* rsp_cmd_threads.c */
rsp_handler rsp_cmd_H, rsp_cmd_T, rsp_cmd_stop_reason, rsp_cmd_qC,
	rsp_cmd_qfThreadInfo, rsp_cmd_qsThreadInfo, rsp_cmd_qThreadExtraInfo;
int rsp_xfer_threads(struct rsp_session *s, uint64_t offset,
		     uint64_t length, struct rsp_reply *r);
/* "T05thread:01;" for the current thread. */
int rsp_stop_reply(struct rsp_session *s, int signal, struct rsp_reply *r);
/* rsp_cmd_regs.c */
rsp_handler rsp_cmd_g, rsp_cmd_p, rsp_cmd_reg_write;
/* rsp_cmd_mem.c */
rsp_handler rsp_cmd_m, rsp_cmd_x, rsp_cmd_M, rsp_cmd_X;
/* rsp_cmd_search.c: qSearch works in slices (RSP_PENDING until done). */
rsp_handler rsp_cmd_qSearch;
/* One more slice of the session's search: RSP_PENDING, or its reply. */
int rsp_search_resume(struct rsp_session *s, struct rsp_reply *r);
void rsp_search_free(struct rsp_session *s);
/* rsp_cmd_xfer.c */
rsp_handler rsp_cmd_qXfer;
/* Serves data[offset..] as one qXfer reply: 'm' more follows, 'l' last. */
int rsp_xfer_slice(struct rsp_reply *r, const char *data, size_t total,
		   uint64_t offset, uint64_t length);
/* Whether that slice is the last ('l'). */
bool rsp_xfer_is_last(size_t total, uint64_t offset, uint64_t length);
/* rsp_cmd_monitor.c */
rsp_handler rsp_cmd_qRcmd;
/* rsp_cmd_run.c */
rsp_handler rsp_cmd_resume, rsp_cmd_continue, rsp_cmd_vCont, rsp_cmd_vCont_query,
	rsp_cmd_detach, rsp_cmd_kill, rsp_cmd_vKill;

#endif
