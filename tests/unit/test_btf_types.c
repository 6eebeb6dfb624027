/* Unit tests for symbols/btf_types.c: struct layouts from a BTF built in
 * memory with libbpf's writer API (tests/unit/synth_btf.h), and
 * btf_types_open on synthetic ELF files (tests/unit/synth_elf.h). */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "symbols/btf_types.h"
#include "common/err.h"
#include "tests/unit/synth_btf.h"
#include "tests/unit/synth_elf.h"

/* Offsets of the synthetic task_struct (size 0x400). */
#define T_STATE      0x000 /* volatile long state (pre-5.14 name only) */
#define T_TASKS      0x010 /* struct list_head */
#define T_ANON       0x020 /* struct { u32 flags; union { struct {
			    *   int pid; int tgid; }; u64 ids; }; } */
#define T_ANON_UNION 0x008 /* the union inside the anonymous struct */
#define T_PID        (T_ANON + T_ANON_UNION + 0x0)
#define T_TGID       (T_ANON + T_ANON_UNION + 0x4)
#define T_IDS        (T_ANON + T_ANON_UNION)
#define T_FLAGS      (T_ANON + 0x0)
#define T_COMM       0x040 /* char comm[16] */
#define T_CPU        0x050 /* const int cpu */
#define T_SIGNAL     0x058 /* struct signal_struct * */
#define T_BITS       0x060 /* u32 a:1 (byte aligned), b:3 (bit 1) */
#define T_THREAD     0x100 /* thread_struct_t thread (a typedef) */
#define TH_SP        0x018 /* thread.sp */
#define TH_CTX       0x020 /* thread.ctx: struct { u64 x19, fp; } */
#define T_SIZE       0x400
#define TH_SIZE      0x080
#define SIG_HEAD     0x010 /* signal_struct.thread_head */

struct bfx {
	struct btf_types bt;
};

static struct btf *build_btf(void)
{
	struct btf *b = btf__new_empty();
	assert_non_null(b);
	int u32 = sb_ok(btf__add_int(b, "unsigned int", 4, 0), "u32");
	int s32 = sb_ok(btf__add_int(b, "int", 4, BTF_INT_SIGNED), "int");
	int u64 = sb_u64(b);
	int s64 = sb_ok(btf__add_int(b, "long int", 8, BTF_INT_SIGNED), "long");
	int chr = sb_ok(btf__add_int(b, "char", 1, BTF_INT_CHAR), "char");
	int comm = sb_ok(btf__add_array(b, u32, chr, 16), "char[16]");
	int vlong = sb_ok(btf__add_volatile(b, s64), "volatile long");
	int cint = sb_ok(btf__add_const(b, s32), "const int");
	int voidp = sb_ok(btf__add_ptr(b, 0), "void *");

	/* struct list_head { void *next, *prev; } (void * keeps it short) */
	int lh = sb_ok(btf__add_struct(b, "list_head", 16), "list_head");
	sb_field(b, "next", voidp, 0);
	sb_field(b, "prev", voidp, 8);

	/* A forward declaration of rq before the struct itself. */
	sb_ok(btf__add_fwd(b, "rq", BTF_FWD_STRUCT), "fwd rq");
	sb_ok(btf__add_struct(b, "rq", 0x40), "rq");
	sb_field(b, "nr_running", u32, 0x8);
	sb_field(b, "curr", voidp, 0x20);

	int sig = sb_ok(btf__add_struct(b, "signal_struct", 0x40), "signal");
	sb_field(b, "nr_threads", s32, 0x0);
	sb_field(b, "thread_head", lh, SIG_HEAD);
	int sigp = sb_ok(btf__add_ptr(b, sig), "signal *");

	/* A union named like a struct another test looks for. */
	sb_ok(btf__add_union(b, "only_a_union", 8), "only_a_union");
	sb_field(b, "a", u64, 0);

	/* thread_struct, with a nested named struct, behind a typedef. */
	int ctx = sb_ok(btf__add_struct(b, "ctx_regs", 16), "ctx_regs");
	sb_field(b, "x19", u64, 0);
	sb_field(b, "fp", u64, 8);
	int th = sb_ok(btf__add_struct(b, "thread_struct", TH_SIZE), "thread");
	sb_field(b, "fsbase", u64, 0x8);
	sb_field(b, "sp", u64, TH_SP);
	sb_field(b, "ctx", ctx, TH_CTX);
	int th_t = sb_ok(btf__add_typedef(b, "thread_struct_t", th), "typedef");

	/* The anonymous members: struct { u32 flags; union { struct { int
	 * pid; int tgid; }; u64 ids; }; } */
	int inner = sb_ok(btf__add_struct(b, NULL, 8), "anon struct");
	sb_field(b, "pid", s32, 0);
	sb_field(b, "tgid", s32, 4);
	int un = sb_ok(btf__add_union(b, NULL, 8), "anon union");
	sb_field(b, NULL, inner, 0);
	sb_field(b, "ids", u64, 0);
	int outer = sb_ok(btf__add_struct(b, NULL, 16), "anon outer");
	sb_field(b, "flags", u32, 0);
	sb_field(b, NULL, un, T_ANON_UNION);

	sb_ok(btf__add_struct(b, "task_struct", T_SIZE), "task_struct");
	sb_field(b, "state", vlong, T_STATE);
	sb_field(b, "tasks", lh, T_TASKS);
	sb_field(b, NULL, outer, T_ANON);
	sb_field(b, "comm", comm, T_COMM);
	sb_field(b, "cpu", cint, T_CPU);
	sb_field(b, "signal", sigp, T_SIGNAL);
	sb_bitfield(b, "sched_reset_on_fork", u32, T_BITS * 8, 1);
	sb_bitfield(b, "sched_contributes", u32, T_BITS * 8 + 1, 3);
	/* An anonymous bitfield (padding) must not trip the search. */
	sb_bitfield(b, NULL, u32, T_BITS * 8 + 4, 4);
	sb_field(b, "thread", th_t, T_THREAD);

	/* Both alternatives present: the later one in the struct listed
	 * first in the path. */
	sb_ok(btf__add_struct(b, "renamed", 16), "renamed");
	sb_field(b, "old_name", u64, 0);
	sb_field(b, "new_name", u64, 8);
	return b;
}

static int setup(void **state)
{
	struct bfx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->bt.btf = build_btf();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct bfx *f = *state;
	btf_types_close(&f->bt);
	assert_null(f->bt.btf);
	free(f);
	return 0;
}

#define assert_field(bt, type, path, off, sz)                               \
	do {                                                                \
		struct btf_field f_ = btf_field(bt, type, path);            \
		if (f_.offset != (long)(off) || f_.size != (unsigned)(sz))  \
			fail_msg("%s.%s: offset %ld size %u, want %ld %u",  \
				 type, path, f_.offset, f_.size, (long)(off), \
				 (unsigned)(sz));                           \
	} while (0)

static void direct_members(void **state)
{
	struct bfx *f = *state;
	assert_field(&f->bt, "task_struct", "tasks", T_TASKS, 16);
	assert_field(&f->bt, "task_struct", "comm", T_COMM, 16);
	assert_field(&f->bt, "task_struct", "signal", T_SIGNAL, 8);
	assert_field(&f->bt, "rq", "curr", 0x20, 8);
	assert_field(&f->bt, "rq", "nr_running", 0x8, 4);
	assert_field(&f->bt, "signal_struct", "thread_head", SIG_HEAD, 16);
	assert_field(&f->bt, "signal_struct", "nr_threads", 0, 4);
}

static void modifiers_resolved(void **state)
{
	struct bfx *f = *state;
	/* volatile long, const int: the size of what they qualify. */
	assert_field(&f->bt, "task_struct", "state", T_STATE, 8);
	assert_field(&f->bt, "task_struct", "cpu", T_CPU, 4);
}

static void nested_paths(void **state)
{
	struct bfx *f = *state;
	/* thread is a typedef of struct thread_struct. */
	assert_field(&f->bt, "task_struct", "thread", T_THREAD, TH_SIZE);
	assert_field(&f->bt, "task_struct", "thread.sp", T_THREAD + TH_SP, 8);
	assert_field(&f->bt, "task_struct", "thread.ctx", T_THREAD + TH_CTX,
		     16);
	assert_field(&f->bt, "task_struct", "thread.ctx.fp",
		     T_THREAD + TH_CTX + 8, 8);
	assert_field(&f->bt, "task_struct", "tasks.prev", T_TASKS + 8, 8);
	assert_field(&f->bt, "thread_struct", "sp", TH_SP, 8);
}

static void anonymous_members(void **state)
{
	struct bfx *f = *state;
	/* struct { flags; union { struct { pid; tgid; }; ids; }; }: the
	 * offsets of each level add up. */
	assert_field(&f->bt, "task_struct", "flags", T_FLAGS, 4);
	assert_field(&f->bt, "task_struct", "pid", T_PID, 4);
	assert_field(&f->bt, "task_struct", "tgid", T_TGID, 4);
	assert_field(&f->bt, "task_struct", "ids", T_IDS, 8);
}

static void alternatives(void **state)
{
	struct bfx *f = *state;
	/* Only the old name exists. */
	assert_field(&f->bt, "task_struct", "__state|state", T_STATE, 8);
	assert_field(&f->bt, "task_struct", "state|__state", T_STATE, 8);
	/* Alternatives in a nested path, per component. */
	assert_field(&f->bt, "task_struct", "thread_info|thread.rsp|sp",
		     T_THREAD + TH_SP, 8);
	/* Into anonymous members too. */
	assert_field(&f->bt, "task_struct", "nope|tgid", T_TGID, 4);
	/* None present. */
	assert_field(&f->bt, "task_struct", "__state|status", -1, 0);
	/* Empty alternatives match nothing. */
	assert_field(&f->bt, "task_struct", "|", -1, 0);
	assert_field(&f->bt, "task_struct", "||pid", T_PID, 4);
	/* A single present name among both of a renamed field. */
	assert_field(&f->bt, "renamed", "new_name|gone", 8, 8);
	assert_field(&f->bt, "renamed", "gone|old_name", 0, 8);
}

static void absent_members(void **state)
{
	struct bfx *f = *state;
	assert_field(&f->bt, "task_struct", "__state", -1, 0);
	assert_field(&f->bt, "task_struct", "thread_node", -1, 0);
	assert_field(&f->bt, "task_struct", "thread.nope", -1, 0);
	/* A prefix or an extension of a name is not the name. */
	assert_field(&f->bt, "task_struct", "tas", -1, 0);
	assert_field(&f->bt, "task_struct", "tasks2", -1, 0);
	/* Through a scalar, and through a pointer (never dereferenced). */
	assert_field(&f->bt, "task_struct", "pid.x", -1, 0);
	assert_field(&f->bt, "task_struct", "signal.thread_head", -1, 0);
	/* Empty path components. */
	assert_field(&f->bt, "task_struct", "thread..sp", -1, 0);
	assert_field(&f->bt, "task_struct", ".sp", -1, 0);
}

static void bitfields(void **state)
{
	struct bfx *f = *state;
	/* Byte aligned: its offset, but no size (not a whole integer). */
	assert_field(&f->bt, "task_struct", "sched_reset_on_fork", T_BITS, 0);
	/* Not byte aligned: absent for byte readers. */
	assert_field(&f->bt, "task_struct", "sched_contributes", -1, 0);
	/* The flag does not stick to a later, ordinary lookup. */
	assert_field(&f->bt, "task_struct", "thread.sp", T_THREAD + TH_SP, 8);
}

static void missing_structs(void **state)
{
	struct bfx *f = *state;
	assert_field(&f->bt, "no_such_struct", "pid", -1, 0);
	/* Unions and typedefs are not structs. */
	assert_field(&f->bt, "only_a_union", "a", -1, 0);
	assert_field(&f->bt, "thread_struct_t", "sp", -1, 0);
	assert_int_equal(btf_struct_size(&f->bt, "no_such_struct"), -1);
	assert_int_equal(btf_struct_size(&f->bt, "only_a_union"), -1);
	assert_int_equal(btf_struct_size(&f->bt, "thread_struct_t"), -1);
}

static void struct_sizes(void **state)
{
	struct bfx *f = *state;
	assert_int_equal(btf_struct_size(&f->bt, "task_struct"), T_SIZE);
	assert_int_equal(btf_struct_size(&f->bt, "thread_struct"), TH_SIZE);
	assert_int_equal(btf_struct_size(&f->bt, "list_head"), 16);
	/* The struct, not the forward declaration before it. */
	assert_int_equal(btf_struct_size(&f->bt, "rq"), 0x40);
}

static void no_btf(void **state)
{
	(void)state;
	struct btf_types bt = { NULL };
	assert_field(&bt, "task_struct", "pid", -1, 0);
	assert_int_equal(btf_struct_size(&bt, "task_struct"), -1);
	btf_types_close(&bt); /* harmless */
	assert_null(bt.btf);
}

/* An ELF file with the given sections and no symbols. */
static void write_elf(char *path, const struct se_sec *secs, unsigned n)
{
	struct se_desc d = {
		.machine = EM_X86_64,
		.secs = secs,
		.nr_secs = n,
		.no_symtab = true,
	};
	se_write(&d, path);
}

static void open_without_btf(void **state)
{
	(void)state;
	static const uint8_t text[64] = { 0xcc };
	struct se_sec secs[] = {
		{ ".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR,
		  0xffffffff81000000ULL, text, sizeof(text) },
	};
	char path[64];
	write_elf(path, secs, 1);
	struct btf_types bt = { NULL };
	char err[ERR_LEN] = "";
	int rc = btf_types_open(&bt, path, err);
	unlink(path);
	assert_int_equal(rc, -1);
	assert_null(bt.btf);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "no usable BTF"));
	/* Lookups on the failed open are clean misses. */
	assert_field(&bt, "task_struct", "pid", -1, 0);
	assert_int_equal(btf_struct_size(&bt, "task_struct"), -1);
	btf_types_close(&bt);
}

static void open_missing_file(void **state)
{
	(void)state;
	struct btf_types bt = { NULL };
	char err[ERR_LEN] = "";
	assert_int_equal(btf_types_open(&bt, "/nonexistent/vmlinux", err), -1);
	assert_null(bt.btf);
	assert_non_null(strstr(err, "/nonexistent/vmlinux"));
	assert_non_null(strstr(err, "no usable BTF"));
	btf_types_close(&bt);
}

static void open_with_btf(void **state)
{
	(void)state;
	struct btf *b = build_btf();
	uint32_t raw_size;
	const void *raw = btf__raw_data(b, &raw_size);
	assert_non_null(raw);
	static const uint8_t text[64] = { 0xcc };
	struct se_sec secs[] = {
		{ ".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR,
		  0xffffffff81000000ULL, text, sizeof(text) },
		{ ".BTF", SHT_PROGBITS, 0, 0, raw, raw_size },
	};
	char path[64];
	write_elf(path, secs, 2);
	btf__free(b);
	struct btf_types bt = { NULL };
	char err[ERR_LEN] = "";
	int rc = btf_types_open(&bt, path, err);
	unlink(path);
	if (rc)
		fail_msg("btf_types_open: %s", err);
	assert_non_null(bt.btf);
	assert_field(&bt, "task_struct", "thread.sp", T_THREAD + TH_SP, 8);
	assert_field(&bt, "task_struct", "tgid", T_TGID, 4);
	assert_int_equal(btf_struct_size(&bt, "task_struct"), T_SIZE);
	btf_types_close(&bt);
	assert_null(bt.btf);
}

int main(void)
{
	sb_silence_libbpf();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(direct_members, setup, teardown),
		cmocka_unit_test_setup_teardown(modifiers_resolved, setup,
						teardown),
		cmocka_unit_test_setup_teardown(nested_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(anonymous_members, setup,
						teardown),
		cmocka_unit_test_setup_teardown(alternatives, setup, teardown),
		cmocka_unit_test_setup_teardown(absent_members, setup, teardown),
		cmocka_unit_test_setup_teardown(bitfields, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_structs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(struct_sizes, setup, teardown),
		cmocka_unit_test(no_btf),
		cmocka_unit_test(open_without_btf),
		cmocka_unit_test(open_missing_file),
		cmocka_unit_test(open_with_btf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
