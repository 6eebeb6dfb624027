/* A small in-memory target for protocol tests: 64 KiB of memory at
 * FAKE_BASE with an unreadable hole, two threads, a three-register arch. */
#ifndef LKSTUB_TEST_FAKE_TARGET_H
#define LKSTUB_TEST_FAKE_TARGET_H

#include <stdio.h>
#include <string.h>

#include "stub/rsp/target.h"
#include "common/err.h"

#define FAKE_BASE 0x10000u
#define FAKE_SIZE 0x10000u
#define FAKE_HOLE 0x14000u /* [FAKE_HOLE, FAKE_HOLE + 0x1000) unreadable */
#define FAKE_HOLE_SIZE 0x1000u

struct fake {
	unsigned char mem[FAKE_SIZE];
	bool writable;
	unsigned attaches;
	char last_monitor[64];
};

static inline unsigned char fake_byte(uint64_t addr)
{
	return (unsigned char)(addr * 7 + (addr >> 8));
}

static inline bool fake_readable(uint64_t a)
{
	return a >= FAKE_BASE && a < FAKE_BASE + FAKE_SIZE &&
	       !(a >= FAKE_HOLE && a < FAKE_HOLE + FAKE_HOLE_SIZE);
}

static inline size_t fake_read(void *t, uint64_t addr, void *buf, size_t len)
{
	struct fake *f = t;
	size_t n = 0;
	while (n < len && fake_readable(addr + n))
		n++;
	if (n)
		memcpy(buf, f->mem + (addr - FAKE_BASE), n);
	return n;
}

static inline int fake_write(void *t, uint64_t addr, const void *buf,
			     size_t len, char *err)
{
	struct fake *f = t;
	if (!f->writable)
		return set_err(err, "writes not allowed");
	for (size_t i = 0; i < len; i++)
		if (!fake_readable(addr + i))
			return set_err(err, "no memory at %#llx",
				       (unsigned long long)(addr + i));
	memcpy(f->mem + (addr - FAKE_BASE), buf, len);
	return 0;
}

static const struct gdb_reg fake_regs[] = {
	{ "r0", 64 }, { "r1", 32 }, { "st", 80 },
};

static const struct gdb_arch fake_arch = {
	.name = "fake",
	.target_xml = "<?xml version=\"1.0\"?><target>*$#}</target>",
	.regs = fake_regs,
	.nr_regs = 3,
	.pc_regnum = 0,
};

static inline const struct gdb_arch *fake_get_arch(void *t)
{
	(void)t;
	return &fake_arch;
}

static inline unsigned fake_thread_ids(void *t, uint32_t *ids, unsigned max)
{
	(void)t;
	unsigned n = 0;
	for (uint32_t tid = 1; tid <= 2 && n < max; tid++)
		ids[n++] = tid;
	return n;
}

static inline bool fake_thread_alive(void *t, uint32_t tid)
{
	(void)t;
	return tid == 1 || tid == 2;
}

static inline void fake_thread_name(void *t, uint32_t tid, char *buf,
				    size_t len)
{
	(void)t;
	snprintf(buf, len, "%s", tid == 1 ? "swapper/0" : "kw<&>\"x'");
}

static inline void fake_thread_extra(void *t, uint32_t tid, char *buf,
				     size_t len)
{
	(void)t;
	snprintf(buf, len, "cpu%u \x01", tid - 1);
}

static inline void fake_read_regs(void *t, uint32_t tid,
				  struct target_regs *regs)
{
	(void)t;
	uint64_t r0 = tid == 1 ? 0x1122334455667788ull : 2;
	uint32_t r1 = 0xdeadbeef;
	memcpy(regs->bytes, &r0, 8);
	memcpy(regs->bytes + 8, &r1, 4);
	regs->valid[0] = regs->valid[1] = true;
}

static inline int fake_monitor(void *t, const char *cmd, struct strbuf *out)
{
	struct fake *f = t;
	snprintf(f->last_monitor, sizeof(f->last_monitor), "%s", cmd);
	if (strcmp(cmd, "help") == 0) {
		strbuf_printf(out, "commands: help big\n");
		return 0;
	}
	if (strcmp(cmd, "big") == 0) {
		for (int i = 0; i < 300000; i++)
			strbuf_putc(out, (char)('a' + i % 26));
		return 0;
	}
	strbuf_printf(out, "unknown command '%s'\n", cmd);
	return -1;
}

static inline void fake_on_attach(void *t)
{
	((struct fake *)t)->attaches++;
}

static const struct target_ops fake_ops = {
	.arch = fake_get_arch,
	.read_mem = fake_read,
	.write_mem = fake_write,
	.thread_ids = fake_thread_ids,
	.thread_alive = fake_thread_alive,
	.thread_name = fake_thread_name,
	.thread_extra = fake_thread_extra,
	.read_regs = fake_read_regs,
	.monitor = fake_monitor,
	.on_attach = fake_on_attach,
};

static inline void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	for (uint64_t i = 0; i < FAKE_SIZE; i++)
		f->mem[i] = fake_byte(FAKE_BASE + i);
}

#endif
