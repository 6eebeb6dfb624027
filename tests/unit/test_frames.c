/* Unit tests for the registers of tasks and CPUs in kernel_x86_64.c and
 * kernel_aarch64.c: the context-switch frame of a switched-out task
 * (kernel_arch.frame_layout resolves it from BTF once, kernel_arch.saved_regs
 * reads it) with a BTF built in memory
 * (tests/unit/synth_btf.h) and a synthetic stack in guest RAM, and the
 * registers of an NT_PRSTATUS note (kernel_arch.prstatus_regs).
 *
 * Guest RAM is 4 MiB; the image window [IMG, IMG + 8 MiB) maps PA 0 up by
 * the image formula, so its upper half is not RAM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/procfs.h>
#include <sys/user.h>

#include <cmocka.h>

#include "symbols/btf_types.h"
#include "symbols/kernel.h"
#include "common/err.h"
#include "stub/target/gdb_arch.h"
#include "translate/guest_mem.h"
#include "translate/paging.h"
#include "tests/unit/synth_btf.h"
#include "tests/unit/synth_pt.h"

#define MiB (1ULL << 20)
#define RAM_SIZE (4 * MiB)
#define ROOT_PA 0x380000ULL          /* an empty top-level table */
#define IMG_X86 0xffffffff81000000ULL
#define IMG_ARM 0xffff800081000000ULL
#define IMG_WINDOW (8 * MiB)
#define TASK_OFF 0x100000ULL        /* the task, from the image start */
#define STACK_OFF 0x204000ULL       /* top of its stack */
#define NOT_RAM_OFF (6 * MiB)

/* task_struct.thread and what is inside it. */
#define T_THREAD 0xc40
#define T_SIZE 0x1400
#define X86_TH_SP 0x18     /* thread_struct.sp */
#define ARM_TH_CTX 0x10    /* thread_struct.cpu_context */
#define FRAME_SIZE (7 * 8) /* struct inactive_task_frame */

struct ffx {
	struct synth s;
	struct kernel_info ki;
	struct btf_types bt;
	uint64_t img, task;
	struct saved_regs out;
	char err[ERR_LEN];
};

static const char *const frame_members[] = {
	"r15", "r14", "r13", "r12", "bx", "bp", "ret_addr",
};
static const char *const ctx_members[] = {
	"x19", "x20", "x21", "x22", "x23", "x24", "x25",
	"x26", "x27", "x28", "fp",  "sp",  "pc",
};

/* task_struct { ...; struct thread_struct thread; ... } where
 * thread_struct is { u64 pad[3]; u64 sp; } (x86_64), or
 * { u64 pad[2]; struct cpu_context cpu_context; } (arm64). flags: an
 * older x86_64 frame with a saved flags word first. */
static struct btf *x86_btf(bool flags, bool with_frame, bool with_sp)
{
	struct btf *b = btf__new_empty();
	assert_non_null(b);
	int u64 = sb_u64(b);
	if (with_frame) {
		if (flags) {
			sb_ok(btf__add_struct(b, "inactive_task_frame",
					      FRAME_SIZE + 8), "frame");
			sb_field(b, "flags", u64, 0);
			for (unsigned i = 0; i < 7; i++)
				sb_field(b, frame_members[i], u64, 8 + 8 * i);
		} else {
			sb_struct_u64s(b, "inactive_task_frame", u64,
				       frame_members, 7);
		}
	}
	int th = sb_ok(btf__add_struct(b, "thread_struct", 0x80), "thread");
	sb_field(b, "es", u64, 0x8);
	sb_field(b, with_sp ? "sp" : "sp0", u64, X86_TH_SP);
	sb_ok(btf__add_struct(b, "task_struct", T_SIZE), "task_struct");
	sb_field(b, "stack", u64, 0x18);
	sb_field(b, "thread", th, T_THREAD);
	return b;
}

static struct btf *arm_btf(bool with_ctx_struct, bool with_ctx_member)
{
	struct btf *b = btf__new_empty();
	assert_non_null(b);
	int u64 = sb_u64(b);
	int ctx = with_ctx_struct
			  ? sb_struct_u64s(b, "cpu_context", u64, ctx_members,
					   13)
			  : sb_ok(btf__add_struct(b, "other_context", 8),
				  "other");
	if (!with_ctx_struct)
		sb_field(b, "x19", u64, 0);
	int th = sb_ok(btf__add_struct(b, "thread_struct", 0x200), "thread");
	sb_field(b, "tp_value", u64, 0x0);
	sb_field(b, with_ctx_member ? "cpu_context" : "cpu_ctx", ctx,
		 ARM_TH_CTX);
	sb_ok(btf__add_struct(b, "task_struct", T_SIZE), "task_struct");
	sb_field(b, "thread", th, T_THREAD);
	return b;
}

static struct ffx *fx_new(bool arm)
{
	struct ffx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	synth_open_flat(&f->s, RAM_SIZE);
	struct kernel_as *as = &f->ki.as;
	synth_as(as, &f->s, ROOT_PA, 4);
	if (arm) {
		char err[ERR_LEN];
		as->arch = &arch_aarch64;
		assert_int_equal(aarch64_paging_setup(as, 48, 12, false, err),
				 0);
		f->ki.arch = &kernel_aarch64;
		f->img = IMG_ARM;
	} else {
		f->ki.arch = &kernel_x86_64;
		f->img = IMG_X86;
	}
	as->image_start = f->img;
	as->image_end = f->img + IMG_WINDOW;
	as->image_pa_delta = f->img;
	f->task = f->img + TASK_OFF;
	return f;
}

static int setup_x86(void **state)
{
	struct ffx *f = fx_new(false);
	f->bt.btf = x86_btf(false, true, true);
	*state = f;
	return 0;
}

static int setup_arm(void **state)
{
	struct ffx *f = fx_new(true);
	f->bt.btf = arm_btf(true, true);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct ffx *f = *state;
	btf_types_close(&f->bt);
	synth_close(&f->s);
	free(f);
	return 0;
}

static void put64(struct ffx *f, uint64_t va, uint64_t v)
{
	assert_true(va >= f->img && va - f->img + 8 <= RAM_SIZE);
	synth_put64(&f->s, va - f->img, v);
}

/* The value of register name in f->out; fails when absent. */
static uint64_t reg(const struct ffx *f, const char *name)
{
	for (unsigned i = 0; i < f->out.n; i++)
		if (!strcmp(f->out.r[i].name, name))
			return f->out.r[i].value;
	fail_msg("no register %s among %u", name, f->out.n);
	return 0;
}

static bool has_reg(const struct ffx *f, const char *name)
{
	for (unsigned i = 0; i < f->out.n; i++)
		if (!strcmp(f->out.r[i].name, name))
			return true;
	return false;
}

static void assert_names(const struct ffx *f, const char *const *names,
			 unsigned n)
{
	if (f->out.n != n)
		fail_msg("%u registers, want %u", f->out.n, n);
	for (unsigned i = 0; i < n; i++)
		assert_string_equal(f->out.r[i].name, names[i]);
}

static int saved_with(struct ffx *f, const struct frame_layout *fl,
		      uint64_t task)
{
	memset(&f->out, 0xa5, sizeof(f->out));
	f->out.n = 0;
	f->err[0] = '\0';
	return f->ki.arch->saved_regs(&f->ki, fl, task, &f->out, f->err);
}

/* The layout resolved from f->bt as it is now, then the registers. */
static int saved(struct ffx *f, uint64_t task)
{
	struct frame_layout fl;
	memset(&fl, 0x5a, sizeof(fl));
	f->ki.arch->frame_layout(&f->bt, &fl);
	return saved_with(f, &fl, task);
}

static void assert_layout(const struct frame_layout *fl, long at, long size,
			  const char *const *regs, unsigned n)
{
	assert_int_equal(fl->at, at);
	assert_int_equal(fl->size, size);
	assert_int_equal(fl->n, n);
	for (unsigned i = 0; i < n; i++) {
		assert_string_equal(fl->r[i].reg, regs[i]);
		assert_int_equal(fl->r[i].offset, 8 * i);
	}
}

/* --- x86_64: inactive_task_frame at thread.sp ------------------------- */

#define X86_RET 0xffffffff81a0c0deULL

/* A frame at sp: r15..r12 = 0x15..0x12 << 32 | tag, bx, bp, ret_addr;
 * off: where r15 is from sp (8 with a flags word first). */
static void x86_frame(struct ffx *f, uint64_t sp, uint64_t off)
{
	put64(f, f->task + T_THREAD + X86_TH_SP, sp);
	static const uint64_t v[7] = {
		0x1515151515151515ULL, 0x1414141414141414ULL,
		0x1313131313131313ULL, 0x1212121212121212ULL,
		0xbbbbbbbbbbbbbbbbULL, 0xffffc90000013f58ULL, X86_RET,
	};
	for (unsigned i = 0; i < 7; i++)
		put64(f, sp + off + 8 * i, v[i]);
	if (off)
		put64(f, sp, 0x246);
}

static void x86_regs(void **state)
{
	struct ffx *f = *state;
	uint64_t sp = f->img + STACK_OFF - 0x100;
	x86_frame(f, sp, 0);
	if (saved(f, f->task))
		fail_msg("saved_regs: %s", f->err);
	static const char *const names[] = {
		"r15", "r14", "r13", "r12", "rbx", "rbp", "rip", "rsp",
	};
	assert_names(f, names, 8);
	assert_int_equal(reg(f, "r15"), 0x1515151515151515ULL);
	assert_int_equal(reg(f, "r14"), 0x1414141414141414ULL);
	assert_int_equal(reg(f, "r13"), 0x1313131313131313ULL);
	assert_int_equal(reg(f, "r12"), 0x1212121212121212ULL);
	assert_int_equal(reg(f, "rbx"), 0xbbbbbbbbbbbbbbbbULL);
	assert_int_equal(reg(f, "rbp"), 0xffffc90000013f58ULL);
	assert_int_equal(reg(f, "rip"), X86_RET);
	/* "Returns" with rsp just above the frame. */
	assert_int_equal(reg(f, "rsp"), sp + FRAME_SIZE);
}

static void x86_regs_frame_with_flags(void **state)
{
	struct ffx *f = *state;
	/* The layout comes from BTF: a flags word first moves everything. */
	btf_types_close(&f->bt);
	f->bt.btf = x86_btf(true, true, true);
	uint64_t sp = f->img + STACK_OFF - 0x200;
	x86_frame(f, sp, 8);
	assert_int_equal(saved(f, f->task), 0);
	assert_int_equal(f->out.n, 8);
	assert_int_equal(reg(f, "r15"), 0x1515151515151515ULL);
	assert_int_equal(reg(f, "rip"), X86_RET);
	assert_int_equal(reg(f, "rsp"), sp + FRAME_SIZE + 8);
	assert_false(has_reg(f, "flags"));
	assert_false(has_reg(f, "eflags"));
}

static void x86_frame_unreadable(void **state)
{
	struct ffx *f = *state;
	/* thread.sp past the end of RAM, at 0 (no page table maps it), at
	 * an address no table maps. */
	const uint64_t bad[] = { f->img + NOT_RAM_OFF, 0,
				 0xffff888000000000ULL };
	for (size_t i = 0; i < 3; i++) {
		put64(f, f->task + T_THREAD + X86_TH_SP, bad[i]);
		assert_int_equal(saved(f, f->task), -1);
		assert_non_null(strstr(f->err, "frame unreadable"));
	}
}

static void x86_task_unreadable(void **state)
{
	struct ffx *f = *state;
	assert_int_equal(saved(f, f->img + NOT_RAM_OFF), -1);
	assert_non_null(strstr(f->err, "thread.sp unreadable"));
	assert_int_equal(saved(f, 0), -1);
	assert_non_null(strstr(f->err, "thread.sp unreadable"));
}

static void x86_frame_partly_readable(void **state)
{
	struct ffx *f = *state;
	/* The frame runs past the end of RAM after r13: the registers read
	 * are right, the others absent (never stale bytes). */
	uint64_t sp = f->img + RAM_SIZE - 24;
	put64(f, f->task + T_THREAD + X86_TH_SP, sp);
	put64(f, sp, 15);
	put64(f, sp + 8, 14);
	put64(f, sp + 16, 13);
	assert_int_equal(saved(f, f->task), 0);
	static const char *const names[] = { "r15", "r14", "r13", "rsp" };
	assert_names(f, names, 4);
	assert_int_equal(reg(f, "r13"), 13);
	assert_false(has_reg(f, "rip"));
}

static void x86_btf_lacks(void **state)
{
	struct ffx *f = *state;
	x86_frame(f, f->img + STACK_OFF - 0x100, 0);
	/* No inactive_task_frame. */
	btf_types_close(&f->bt);
	f->bt.btf = x86_btf(false, false, true);
	assert_int_equal(saved(f, f->task), -1);
	assert_non_null(strstr(f->err, "BTF lacks"));
	/* No thread.sp. */
	btf_types_close(&f->bt);
	f->bt.btf = x86_btf(false, true, false);
	assert_int_equal(saved(f, f->task), -1);
	assert_non_null(strstr(f->err, "BTF lacks"));
	/* No BTF at all. */
	btf_types_close(&f->bt);
	assert_int_equal(saved(f, f->task), -1);
	assert_non_null(strstr(f->err, "BTF lacks"));
}

static void x86_layout_cached(void **state)
{
	struct ffx *f = *state;
	struct frame_layout fl;
	f->ki.arch->frame_layout(&f->bt, &fl);
	static const char *const regs[] = {
		"r15", "r14", "r13", "r12", "rbx", "rbp", "rip",
	};
	assert_layout(&fl, T_THREAD + X86_TH_SP, FRAME_SIZE, regs, 7);
	/* Reading uses the layout alone: with the BTF gone, the registers
	 * still come, from the offsets resolved above. */
	btf_types_close(&f->bt);
	uint64_t sp = f->img + STACK_OFF - 0x100;
	x86_frame(f, sp, 0);
	assert_int_equal(saved_with(f, &fl, f->task), 0);
	assert_int_equal(f->out.n, 8);
	assert_int_equal(reg(f, "rbx"), 0xbbbbbbbbbbbbbbbbULL);
	assert_int_equal(reg(f, "rip"), X86_RET);
	assert_int_equal(reg(f, "rsp"), sp + FRAME_SIZE);
	/* And a layout resolved without BTF says what is missing. */
	f->ki.arch->frame_layout(&f->bt, &fl);
	assert_int_equal(fl.at, -1);
	assert_int_equal(fl.n, 0);
	assert_non_null(strstr(fl.missing, "thread.sp"));
}

/* --- aarch64: thread.cpu_context --------------------------------------- */

#define ARM_PC 0xffff8000810a1b2cULL

static void arm_context(struct ffx *f, uint64_t task)
{
	uint64_t ctx = task + T_THREAD + ARM_TH_CTX;
	for (unsigned i = 0; i < 10; i++) /* x19..x28 */
		put64(f, ctx + 8 * i, 0x1900 + 0x100 * i);
	put64(f, ctx + 80, 0xffff800082003e80ULL); /* fp */
	put64(f, ctx + 88, 0xffff800082003e60ULL); /* sp */
	put64(f, ctx + 96, ARM_PC);                /* pc */
}

static void arm_regs(void **state)
{
	struct ffx *f = *state;
	arm_context(f, f->task);
	if (saved(f, f->task))
		fail_msg("saved_regs: %s", f->err);
	static const char *const names[] = {
		"x19", "x20", "x21", "x22", "x23", "x24", "x25",
		"x26", "x27", "x28", "x29", "sp", "pc", "x30",
	};
	assert_names(f, names, 14);
	for (unsigned i = 0; i < 10; i++)
		assert_int_equal(f->out.r[i].value, 0x1900 + 0x100 * i);
	assert_int_equal(reg(f, "x29"), 0xffff800082003e80ULL);
	assert_int_equal(reg(f, "sp"), 0xffff800082003e60ULL);
	assert_int_equal(reg(f, "pc"), ARM_PC);
	/* cpu_switch_to returned to the saved pc: lr holds it too. */
	assert_int_equal(reg(f, "x30"), ARM_PC);
	assert_false(has_reg(f, "fp"));
}

static void arm_unreadable(void **state)
{
	struct ffx *f = *state;
	assert_int_equal(saved(f, f->img + NOT_RAM_OFF), -1);
	assert_non_null(strstr(f->err, "cpu_context unreadable"));
	assert_int_equal(f->out.n, 0);
	/* 0 and a user address: outside what the tables map. */
	assert_int_equal(saved(f, 0), -1);
	assert_int_equal(saved(f, 0x400000), -1);
}

static void arm_partly_readable(void **state)
{
	struct ffx *f = *state;
	/* cpu_context runs past the end of RAM after x21. */
	uint64_t task = f->img + RAM_SIZE - (T_THREAD + ARM_TH_CTX + 24);
	for (unsigned i = 0; i < 3; i++)
		put64(f, task + T_THREAD + ARM_TH_CTX + 8 * i, 19 + i);
	assert_int_equal(saved(f, task), 0);
	static const char *const names[] = { "x19", "x20", "x21" };
	assert_names(f, names, 3);
	assert_int_equal(reg(f, "x21"), 21);
	assert_false(has_reg(f, "pc"));
}

static void arm_btf_lacks(void **state)
{
	struct ffx *f = *state;
	arm_context(f, f->task);
	btf_types_close(&f->bt);
	f->bt.btf = arm_btf(true, false);
	assert_int_equal(saved(f, f->task), -1);
	assert_non_null(strstr(f->err, "BTF lacks"));
	/* thread.cpu_context is there, struct cpu_context is not. */
	btf_types_close(&f->bt);
	f->bt.btf = arm_btf(false, true);
	assert_int_equal(saved(f, f->task), -1);
	btf_types_close(&f->bt);
	assert_int_equal(saved(f, f->task), -1);
	assert_non_null(strstr(f->err, "BTF lacks"));
}

static void arm_layout_cached(void **state)
{
	struct ffx *f = *state;
	struct frame_layout fl;
	f->ki.arch->frame_layout(&f->bt, &fl);
	static const char *const regs[] = {
		"x19", "x20", "x21", "x22", "x23", "x24", "x25",
		"x26", "x27", "x28", "x29", "sp",  "pc",
	};
	assert_layout(&fl, T_THREAD + ARM_TH_CTX, 13 * 8, regs, 13);
	btf_types_close(&f->bt);
	arm_context(f, f->task);
	assert_int_equal(saved_with(f, &fl, f->task), 0);
	assert_int_equal(f->out.n, 14);
	assert_int_equal(reg(f, "x28"), 0x1900 + 0x100 * 9);
	assert_int_equal(reg(f, "pc"), ARM_PC);
	assert_int_equal(reg(f, "x30"), ARM_PC);
	f->ki.arch->frame_layout(&f->bt, &fl);
	assert_int_equal(fl.at, -1);
	assert_non_null(strstr(fl.missing, "cpu_context"));
}

/* --- NT_PRSTATUS ------------------------------------------------------- */

/* The layouts the notes have, from the headers that define them, not from
 * lkstub's tables: x86_64's struct elf_prstatus and user_regs_struct are
 * the host's (<sys/procfs.h>, <sys/user.h>). arm64's are declared here as
 * the kernel documents them (include/uapi/linux/elfcore.h, the generic
 * struct elf_prstatus; arch/arm64/include/uapi/asm/ptrace.h, struct
 * user_pt_regs): LP64 with natural alignment, as on this host. */
struct arm64_user_pt_regs {
	uint64_t regs[31];
	uint64_t sp;
	uint64_t pc;
	uint64_t pstate;
};

struct arm64_elf_prstatus {
	struct {
		int32_t si_signo, si_code, si_errno;
	} pr_info;
	int16_t pr_cursig;
	uint64_t pr_sigpend, pr_sighold;
	int32_t pr_pid, pr_ppid, pr_pgrp, pr_sid;
	struct {
		int64_t tv_sec, tv_usec;
	} pr_utime, pr_stime, pr_cutime, pr_cstime;
	struct arm64_user_pt_regs pr_reg;
	int32_t pr_fpvalid;
};

/* A register and where the header puts it in the note. */
struct pr_field {
	const char *name; /* gdb's name (NULL: not a gdb register) */
	size_t off;       /* in the note's descriptor */
};

#define X86_PR(member, gdbname)                                            \
	{ gdbname, offsetof(struct elf_prstatus, pr_reg) +                 \
			   offsetof(struct user_regs_struct, member) }

static const struct pr_field x86_fields[] = {
	X86_PR(r15, "r15"),	      X86_PR(r14, "r14"),
	X86_PR(r13, "r13"),	      X86_PR(r12, "r12"),
	X86_PR(rbp, "rbp"),	      X86_PR(rbx, "rbx"),
	X86_PR(r11, "r11"),	      X86_PR(r10, "r10"),
	X86_PR(r9, "r9"),	      X86_PR(r8, "r8"),
	X86_PR(rax, "rax"),	      X86_PR(rcx, "rcx"),
	X86_PR(rdx, "rdx"),	      X86_PR(rsi, "rsi"),
	X86_PR(rdi, "rdi"),	      X86_PR(orig_rax, NULL),
	X86_PR(rip, "rip"),	      X86_PR(cs, "cs"),
	X86_PR(eflags, "eflags"),     X86_PR(rsp, "rsp"),
	X86_PR(ss, "ss"),	      X86_PR(fs_base, "fs_base"),
	X86_PR(gs_base, "gs_base"),   X86_PR(ds, "ds"),
	X86_PR(es, "es"),	      X86_PR(fs, "fs"),
	X86_PR(gs, "gs"),
};
#undef X86_PR

#define ARM_PR(member)                                                     \
	(offsetof(struct arm64_elf_prstatus, pr_reg) +                     \
	 offsetof(struct arm64_user_pt_regs, member))

/* Every byte different from its neighbours: a value read from the wrong
 * place (or with the wrong width) does not match. */
static void fill_pattern(uint8_t *desc, size_t len)
{
	for (size_t i = 0; i < len; i++)
		desc[i] = (uint8_t)(i * 7 + 3);
}

static uint64_t at(const uint8_t *desc, size_t off)
{
	uint64_t v;
	memcpy(&v, desc + off, 8);
	return v;
}

/* out holds exactly the fields with a gdb name, each read at its offset,
 * and each is a register of the architecture's target description (so
 * the target can place it). */
static void check_prstatus(const struct saved_regs *out, const uint8_t *desc,
			   const struct pr_field *f, size_t nf,
			   const struct gdb_arch *ga)
{
	size_t named = 0;
	for (size_t i = 0; i < nf; i++) {
		if (!f[i].name)
			continue;
		named++;
		unsigned k = 0;
		while (k < out->n && strcmp(out->r[k].name, f[i].name))
			k++;
		if (k == out->n)
			fail_msg("register %s missing", f[i].name);
		if (out->r[k].value != at(desc, f[i].off))
			fail_msg("%s read %#llx, the note holds %#llx at %zu",
				 f[i].name, (unsigned long long)out->r[k].value,
				 (unsigned long long)at(desc, f[i].off),
				 f[i].off);
	}
	assert_int_equal(out->n, named);
	for (unsigned k = 0; k < out->n; k++) {
		unsigned r = 0;
		while (r < ga->nr_regs && strcmp(ga->regs[r].name, out->r[k].name))
			r++;
		if (r == ga->nr_regs)
			fail_msg("%s is no register of the %s target description",
				 out->r[k].name, ga->name);
	}
}

static void prstatus_x86(void **state)
{
	(void)state;
	uint8_t desc[sizeof(struct elf_prstatus)];
	fill_pattern(desc, sizeof(desc));
	struct saved_regs out;
	assert_int_equal(kernel_x86_64.prstatus_regs(desc, sizeof(desc), &out),
			 0);
	size_t nf = sizeof(x86_fields) / sizeof(x86_fields[0]);
	assert_int_equal(nf * 8, sizeof(struct user_regs_struct));
	check_prstatus(&out, desc, x86_fields, nf, &gdb_arch_x86_64);
	/* Just long enough: pr_reg and nothing after it. */
	size_t end = offsetof(struct elf_prstatus, pr_reg) +
		     sizeof(struct user_regs_struct);
	assert_int_equal(kernel_x86_64.prstatus_regs(desc, end, &out), 0);
	check_prstatus(&out, desc, x86_fields, nf, &gdb_arch_x86_64);
}

static void prstatus_arm(void **state)
{
	(void)state;
	struct pr_field f[34];
	static char names[31][4];
	for (unsigned i = 0; i < 31; i++) {
		snprintf(names[i], sizeof(names[i]), "x%u", i);
		f[i] = (struct pr_field){ names[i], ARM_PR(regs) + 8 * i };
	}
	f[31] = (struct pr_field){ "sp", ARM_PR(sp) };
	f[32] = (struct pr_field){ "pc", ARM_PR(pc) };
	f[33] = (struct pr_field){ "cpsr", ARM_PR(pstate) }; /* gdb's name */
	uint8_t desc[sizeof(struct arm64_elf_prstatus)];
	fill_pattern(desc, sizeof(desc));
	struct saved_regs out;
	assert_int_equal(kernel_aarch64.prstatus_regs(desc, sizeof(desc),
						      &out), 0);
	check_prstatus(&out, desc, f, 34, &gdb_arch_aarch64);
	size_t end = offsetof(struct arm64_elf_prstatus, pr_reg) +
		     sizeof(struct arm64_user_pt_regs);
	assert_int_equal(kernel_aarch64.prstatus_regs(desc, end, &out), 0);
	check_prstatus(&out, desc, f, 34, &gdb_arch_aarch64);
}

static void prstatus_too_short(void **state)
{
	(void)state;
	uint8_t desc[sizeof(struct arm64_elf_prstatus)];
	fill_pattern(desc, sizeof(desc));
	struct saved_regs out;
	out.n = 7;
	const size_t x86_len = offsetof(struct elf_prstatus, pr_reg) +
			       sizeof(struct user_regs_struct);
	const size_t arm_len = offsetof(struct arm64_elf_prstatus, pr_reg) +
			       sizeof(struct arm64_user_pt_regs);
	const size_t lens[] = { 0, 8, offsetof(struct elf_prstatus, pr_reg),
				x86_len - 1 };
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(
			kernel_x86_64.prstatus_regs(desc, lens[i], &out), -1);
	assert_int_equal(kernel_aarch64.prstatus_regs(desc, arm_len - 1, &out),
			 -1);
	/* Long enough for x86_64's registers, not for arm64's. */
	assert_true(x86_len < arm_len);
	assert_int_equal(kernel_aarch64.prstatus_regs(desc, x86_len, &out), -1);
	assert_int_equal(kernel_aarch64.prstatus_regs(desc, 0, &out), -1);
	assert_int_equal(out.n, 7); /* untouched */
}

int main(void)
{
#define X(fn) cmocka_unit_test_setup_teardown(fn, setup_x86, teardown)
#define A(fn) cmocka_unit_test_setup_teardown(fn, setup_arm, teardown)
	const struct CMUnitTest tests[] = {
		X(x86_regs),
		X(x86_regs_frame_with_flags),
		X(x86_frame_unreadable),
		X(x86_task_unreadable),
		X(x86_frame_partly_readable),
		X(x86_btf_lacks),
		X(x86_layout_cached),
		A(arm_regs),
		A(arm_unreadable),
		A(arm_partly_readable),
		A(arm_btf_lacks),
		A(arm_layout_cached),
		cmocka_unit_test(prstatus_x86),
		cmocka_unit_test(prstatus_arm),
		cmocka_unit_test(prstatus_too_short),
	};
#undef X
#undef A
	return cmocka_run_group_tests(tests, NULL, NULL);
}
