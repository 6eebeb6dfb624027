/* Register packets: g and p read; G and P are refused, as the registers
 * of a running guest cannot be written. */
#include <string.h>

#include "stub/rsp/hex.h"
#include "stub/rsp/rsp_cmds.h"
#include "stub/rsp/rsp_parse.h"

static const struct gdb_arch *session_arch(struct rsp_session *s)
{
	const struct target *t = s->target;
	const struct gdb_arch *arch = t->ops->arch ? t->ops->arch(t->ctx) : NULL;
	if (!arch || arch->nr_regs > TARGET_MAX_REGS)
		return NULL;
	return arch;
}

static unsigned reg_bytes(const struct gdb_reg *reg)
{
	return (reg->bits + 7) / 8;
}

/* Reads the selected thread's registers; false when the arch's layout
 * does not fit struct target_regs. */
static bool read_regs(struct rsp_session *s, const struct gdb_arch *arch,
		      struct target_regs *regs)
{
	size_t total = 0;
	for (unsigned i = 0; i < arch->nr_regs; i++)
		total += reg_bytes(&arch->regs[i]);
	if (total > TARGET_MAX_REG_BYTES)
		return false;
	memset(regs->valid, 0, sizeof(regs->valid));
	memset(regs->bytes, 0, sizeof(regs->bytes));
	const struct target *t = s->target;
	if (t->ops->read_regs)
		t->ops->read_regs(t->ctx, rsp_current_thread(s), regs);
	return true;
}

static void append_reg(struct rsp_reply *r, const struct target_regs *regs,
		       unsigned regnum, size_t offset, unsigned size)
{
	char *dst = strbuf_extend(r->out, 2 * (size_t)size);
	if (!dst)
		return;
	if (regs->valid[regnum])
		hex_encode(dst, regs->bytes + offset, size);
	else
		hex_fill_unknown(dst, size);
}

int rsp_cmd_g(struct rsp_session *s, const char *args, size_t len,
	      struct rsp_reply *r)
{
	(void)args, (void)len;
	const struct gdb_arch *arch = session_arch(s);
	struct target_regs regs;
	if (!arch || !read_regs(s, arch, &regs))
		return RSP_E_REGNUM;
	size_t offset = 0;
	for (unsigned i = 0; i < arch->nr_regs; i++) {
		unsigned size = reg_bytes(&arch->regs[i]);
		append_reg(r, &regs, i, offset, size);
		offset += size;
	}
	return RSP_DONE;
}

int rsp_cmd_p(struct rsp_session *s, const char *args, size_t len,
	      struct rsp_reply *r)
{
	uint64_t regnum;
	if (rsp_parse_regnum(args, len, &regnum) < 0)
		return RSP_E_ARGS;
	const struct gdb_arch *arch = session_arch(s);
	struct target_regs regs;
	if (!arch || regnum >= arch->nr_regs || !read_regs(s, arch, &regs))
		return RSP_E_REGNUM;
	size_t offset = 0;
	for (unsigned i = 0; i < regnum; i++)
		offset += reg_bytes(&arch->regs[i]);
	append_reg(r, &regs, (unsigned)regnum, offset,
		   reg_bytes(&arch->regs[regnum]));
	return RSP_DONE;
}

int rsp_cmd_reg_write(struct rsp_session *s, const char *args, size_t len,
		      struct rsp_reply *r)
{
	(void)s, (void)args, (void)len, (void)r;
	return RSP_E_READONLY;
}
