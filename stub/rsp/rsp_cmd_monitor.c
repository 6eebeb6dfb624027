/* qRcmd: gdb's `monitor` command, passed to the target as text. */
#include <string.h>

#include "stub/rsp/hex.h"
#include "stub/rsp/rsp_cmds.h"

int rsp_cmd_qRcmd(struct rsp_session *s, const char *args, size_t len,
		  struct rsp_reply *r)
{
	char *cmd = (char *)rsp_scratch(s);
	if (!cmd)
		return RSP_E_NOMEM;
	long n = hex_decode(cmd, RSP_SCRATCH_SIZE - 1, args, len);
	if (n < 0 || memchr(cmd, '\0', (size_t)n))
		return RSP_E_ARGS;
	cmd[n] = '\0';
	if (n == 0)
		strcpy(cmd, "help");

	const struct target *t = s->target;
	struct strbuf text;
	strbuf_init(&text, RSP_MONITOR_MAX);
	int rc = -1;
	if (t->ops->monitor)
		rc = t->ops->monitor(t->ctx, cmd, &text);
	else
		strbuf_printf(&text, "lkstub: this target has no monitor "
				     "commands\n");
	if (text.overflow) {
		static const char cut[] = "\n[output truncated]\n";
		strbuf_truncate(&text, text.len > sizeof(cut) ?
					       text.len - sizeof(cut) : 0);
		text.overflow = false;
		strbuf_append(&text, cut, sizeof(cut) - 1);
	}
	rsp_reply_console(r, text.buf ? text.buf : "", text.len);
	strbuf_free(&text);
	if (rc < 0)
		return RSP_E_MONITOR;
	rsp_reply_str(r, "OK");
	return RSP_DONE;
}
