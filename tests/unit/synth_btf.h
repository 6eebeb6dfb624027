/* Synthetic BTF for the symbols/ unit tests, built in memory with libbpf's
 * writer API (btf__new_empty, btf__add_*). Members of a struct or union
 * must be added right after it, so inner types are made first.
 *
 * Include after <cmocka.h>: the helpers assert with cmocka. */
#ifndef LKSTUB_TESTS_SYNTH_BTF_H
#define LKSTUB_TESTS_SYNTH_BTF_H

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

/* A type id from a btf__add_* call, or the test fails. */
static inline int sb_ok(int id, const char *what)
{
	if (id <= 0)
		fail_msg("btf__add %s: %d", what, id);
	return id;
}

/* A member at a byte offset (bit_size 0: not a bitfield). */
static inline void sb_field(struct btf *b, const char *name, int type,
			    uint32_t byte_off)
{
	int rc = btf__add_field(b, name, type, byte_off * 8, 0);
	if (rc)
		fail_msg("btf__add_field %s: %d", name ? name : "(anon)", rc);
}

/* A bitfield member at a bit offset. */
static inline void sb_bitfield(struct btf *b, const char *name, int type,
			       uint32_t bit_off, uint32_t bits)
{
	int rc = btf__add_field(b, name, type, bit_off, bits);
	if (rc)
		fail_msg("btf__add_field %s: %d", name ? name : "(anon)", rc);
}

static inline int sb_u64(struct btf *b)
{
	return sb_ok(btf__add_int(b, "long unsigned int", 8, 0), "u64");
}

/* struct name { u64 m[0]; u64 m[1]; ... } of consecutive members. */
static inline int sb_struct_u64s(struct btf *b, const char *name, int u64,
				 const char *const *members, unsigned n)
{
	int id = sb_ok(btf__add_struct(b, name, 8 * n), name);
	for (unsigned i = 0; i < n; i++)
		sb_field(b, members[i], u64, 8 * i);
	return id;
}

/* libbpf's warnings (a file without .BTF) would clutter the test output. */
static inline int sb_quiet(enum libbpf_print_level level, const char *fmt,
			   va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static inline void sb_silence_libbpf(void)
{
	libbpf_set_print(sb_quiet);
}

#endif
