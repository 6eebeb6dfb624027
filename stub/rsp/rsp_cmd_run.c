/* Execution control. Unless the target controls the VM (--control), the
 * guest runs on regardless of gdb: resuming is acknowledged with a note
 * and an immediate stop reply so gdb stays usable; detach and kill only
 * end this client's session. With control, continue resumes the VM and
 * the stop reply waits for gdb's interrupt (rsp_session.c); stepping is
 * not possible either way. */
#include <string.h>

#include "stub/rsp/rsp_cmds.h"

static const char runs_on[] = "lkstub: the guest runs on; a live-RAM stub "
			      "cannot stop, step or resume it\n";

int rsp_cmd_resume(struct rsp_session *s, const char *args, size_t len,
		   struct rsp_reply *r)
{
	(void)args, (void)len;
	rsp_reply_console(r, runs_on, sizeof(runs_on) - 1);
	return rsp_stop_reply(s, 5, r);
}

int rsp_cmd_continue(struct rsp_session *s, const char *args, size_t len,
		     struct rsp_reply *r)
{
	const struct target *t = s->target;
	if (t->ops->vm_resume && t->ops->vm_resume(t->ctx, false) == 0) {
		s->running = true;
		s->stopped_vm = false;
		return RSP_NO_REPLY;
	}
	return rsp_cmd_resume(s, args, len, r);
}

int rsp_cmd_vCont(struct rsp_session *s, const char *args, size_t len,
		  struct rsp_reply *r)
{
	if (len == 0)
		return RSP_E_ARGS;
	/* "c", "c:TID;c", "C05": every action continues (none steps). */
	bool all_continue = true;
	for (size_t i = 0; i < len; i++)
		if ((i == 0 || args[i - 1] == ';') && args[i] != 'c' &&
		    args[i] != 'C')
			all_continue = false;
	return all_continue ? rsp_cmd_continue(s, args, len, r)
			    : rsp_cmd_resume(s, args, len, r);
}

int rsp_cmd_vCont_query(struct rsp_session *s, const char *args, size_t len,
			struct rsp_reply *r)
{
	(void)s, (void)args, (void)len;
	rsp_reply_str(r, "vCont;c;C;s;S");
	return RSP_DONE;
}

int rsp_cmd_detach(struct rsp_session *s, const char *args, size_t len,
		   struct rsp_reply *r)
{
	(void)args, (void)len;
	const struct target *t = s->target;
	if (s->stopped_vm && t->ops->vm_resume)
		t->ops->vm_resume(t->ctx, true);
	s->stopped_vm = false;
	s->g_thread = s->c_thread = 0;
	rsp_reply_str(r, "OK");
	return RSP_DONE;
}

int rsp_cmd_kill(struct rsp_session *s, const char *args, size_t len,
		 struct rsp_reply *r)
{
	(void)args, (void)len, (void)r;
	s->closing = true;
	return RSP_NO_REPLY;
}

int rsp_cmd_vKill(struct rsp_session *s, const char *args, size_t len,
		  struct rsp_reply *r)
{
	(void)s, (void)args, (void)len;
	rsp_reply_str(r, "OK");
	return RSP_DONE;
}
