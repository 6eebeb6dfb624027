/* The command table: which packet goes to which handler, plus the
 * handlers that only answer fixed facts about this stub. */
#include "stub/rsp/rsp_cmds.h"

#include <stdio.h>
#include <string.h>

#include "stub/rsp/rsp_parse.h"

static int cmd_qSupported(struct rsp_session *s, const char *args,
			  size_t len, struct rsp_reply *r)
{
	(void)args; /* gdb's own features change nothing we send */
	(void)len;
	const struct target *t = s->target;
	const struct gdb_arch *arch = t->ops->arch ? t->ops->arch(t->ctx) : NULL;
	char size[32];
	snprintf(size, sizeof(size), "PacketSize=%x", RSP_PACKET_SIZE);
	rsp_reply_str(r, size);
	if (arch && arch->target_xml)
		rsp_reply_str(r, ";qXfer:features:read+");
	if (t->ops->libraries)
		rsp_reply_str(r, ";qXfer:libraries:read+");
	if (t->ops->exec_file)
		rsp_reply_str(r, ";qXfer:exec-file:read+");
	/* binary-upload: x reads; gdb 16 uses them only when offered. */
	rsp_reply_str(r, ";qXfer:threads:read+;QStartNoAckMode+"
			 ";qSearch:memory+;binary-upload+;vContSupported-");
	return RSP_DONE;
}

static int cmd_empty(struct rsp_session *s, const char *args, size_t len,
		     struct rsp_reply *r)
{
	(void)s, (void)args, (void)len, (void)r;
	return RSP_DONE;
}

static int cmd_ok(struct rsp_session *s, const char *args, size_t len,
		  struct rsp_reply *r)
{
	(void)s, (void)args, (void)len;
	rsp_reply_str(r, "OK");
	return RSP_DONE;
}

static int cmd_QStartNoAckMode(struct rsp_session *s, const char *args,
			       size_t len, struct rsp_reply *r)
{
	(void)args, (void)len;
	rsp_reply_str(r, "OK");
	s->no_ack = true; /* this OK is still acked; nothing after it */
	return RSP_DONE;
}

static int cmd_qAttached(struct rsp_session *s, const char *args, size_t len,
			 struct rsp_reply *r)
{
	(void)s, (void)args, (void)len;
	rsp_reply_str(r, "1"); /* detaching must not "kill" the guest */
	return RSP_DONE;
}

struct rsp_command {
	const char *name;
	rsp_handler *handler;
};

/* Looked up by exact name (see rsp_parse_packet_name), so the order of
 * entries does not matter. */
static const struct rsp_command commands[] = {
	{ "qSupported", cmd_qSupported },
	{ "vMustReplyEmpty", cmd_empty },
	{ "QStartNoAckMode", cmd_QStartNoAckMode },
	{ "qAttached", cmd_qAttached },
	{ "qOffsets", cmd_empty },
	{ "qTStatus", cmd_empty },
	{ "qSymbol", cmd_ok },
	{ "?", rsp_cmd_stop_reason },
	{ "H", rsp_cmd_H },
	{ "T", rsp_cmd_T },
	{ "qC", rsp_cmd_qC },
	{ "qfThreadInfo", rsp_cmd_qfThreadInfo },
	{ "qsThreadInfo", rsp_cmd_qsThreadInfo },
	{ "qThreadExtraInfo", rsp_cmd_qThreadExtraInfo },
	{ "qXfer", rsp_cmd_qXfer },
	{ "g", rsp_cmd_g },
	{ "p", rsp_cmd_p },
	{ "G", rsp_cmd_reg_write },
	{ "P", rsp_cmd_reg_write },
	{ "m", rsp_cmd_m },
	{ "x", rsp_cmd_x },
	{ "M", rsp_cmd_M },
	{ "X", rsp_cmd_X },
	{ "qSearch", rsp_cmd_qSearch },
	{ "qRcmd", rsp_cmd_qRcmd },
	{ "D", rsp_cmd_detach },
	{ "k", rsp_cmd_kill },
	{ "vKill", rsp_cmd_vKill },
	{ "c", rsp_cmd_continue },
	{ "C", rsp_cmd_continue },
	{ "s", rsp_cmd_resume },
	{ "S", rsp_cmd_resume },
	{ "vCont", rsp_cmd_vCont },
	{ "vCont?", rsp_cmd_vCont_query },
};

void rsp_dispatch(struct rsp_session *s, const char *pkt, size_t len,
		  struct rsp_reply *r)
{
	struct rsp_packet_name pn;
	if (rsp_parse_packet_name(pkt, len, &pn) < 0)
		return; /* empty reply: not understood */
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, pn.name) != 0)
			continue;
		int st = commands[i].handler(s, pn.args, pn.args_len, r);
		if (st == RSP_NO_REPLY || st == RSP_PENDING)
			rsp_reply_cancel(r);
		else if (st != RSP_DONE)
			rsp_reply_error(r, (enum rsp_status)st);
		else if (r->out->overflow)
			rsp_reply_error(r, RSP_E_NOMEM);
		return;
	}
}
