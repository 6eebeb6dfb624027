/* Unit tests for symbols/vmcoreinfo.c: the KEY=VALUE text of a real x86_64
 * kernel, and the hostile bytes guest RAM can hold instead. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "symbols/vmcoreinfo.h"

/* As a Debian 12 cloud kernel writes it (abridged, same shapes). */
static const char real_text[] =
	"OSRELEASE=6.1.0-56-cloud-amd64\n"
	"BUILD-ID=4b1b0a5c1e0e6d2f9e8f3c4a7b6d5e4f3a2b1c0d\n"
	"PAGESIZE=4096\n"
	"SYMBOL(init_uts_ns)=ffffffffb0a13400\n"
	"OFFSET(uts_namespace.name)=0\n"
	"SYMBOL(node_online_map)=ffffffffb0b1e5c8\n"
	"SYMBOL(swapper_pg_dir)=ffffffffb0a0e000\n"
	"SYMBOL(_stext)=ffffffffaf400000\n"
	"SYMBOL(vmap_area_list)=ffffffffb0ad5e10\n"
	"SIZE(page)=64\n"
	"OFFSET(page.flags)=0\n"
	"LENGTH(zone.free_area)=11\n"
	"NUMBER(NR_FREE_PAGES)=0\n"
	"NUMBER(PG_lru)=4\n"
	"NUMBER(PG_hugetlb)=0xfffffe00\n"
	"NUMBER(phys_base)=-629145600\n"
	"NUMBER(pgtable_l5_enabled)=1\n"
	"NUMBER(VA_BITS)=0x30\n"
	"NUMBER(KERNEL_IMAGE_SIZE)=0x40000000\n"
	"KERNELOFFSET=2e400000\n"
	"NUMBER(KERNEL_LINK_ADDR)=0xffffffff80000000\n"
	"CRASHTIME=1700000000\n";

static struct vmcoreinfo vi; /* 16 KiB: keep it off the stack */

static void parse_ok(const char *text)
{
	assert_int_equal(vmcoreinfo_parse(&vi, text, strlen(text) + 1), 0);
}

static void test_real_x86_64(void **state)
{
	(void)state;
	/* The page is zero-padded after the text: pass the whole page. */
	char page[VMCOREINFO_MAX_BYTES] = { 0 };
	memcpy(page, real_text, sizeof(real_text) - 1);
	assert_int_equal(vmcoreinfo_parse(&vi, page, sizeof(page)), 0);
	assert_int_equal(vi.nr, 22);
	assert_string_equal(vmcoreinfo_get(&vi, "OSRELEASE"),
			    "6.1.0-56-cloud-amd64");
	assert_string_equal(vmcoreinfo_get(&vi, "BUILD-ID"),
			    "4b1b0a5c1e0e6d2f9e8f3c4a7b6d5e4f3a2b1c0d");
	assert_string_equal(vmcoreinfo_get(&vi, "PAGESIZE"), "4096");
	assert_string_equal(vmcoreinfo_get(&vi, "CRASHTIME"), "1700000000");
	assert_null(vmcoreinfo_get(&vi, "SYMBOL"));
	assert_null(vmcoreinfo_get(&vi, "osrelease"));
	assert_null(vmcoreinfo_get(&vi, ""));

	uint64_t u = 0;
	assert_true(vmcoreinfo_symbol(&vi, "_stext", &u));
	assert_true(u == 0xffffffffaf400000ULL);
	assert_true(vmcoreinfo_symbol(&vi, "swapper_pg_dir", &u));
	assert_true(u == 0xffffffffb0a0e000ULL);
	assert_false(vmcoreinfo_symbol(&vi, "_text", &u));
	assert_true(vmcoreinfo_hex(&vi, "KERNELOFFSET", &u));
	assert_true(u == 0x2e400000ULL);
	assert_true(vmcoreinfo_hex(&vi, "PAGESIZE", &u)); /* as hex */
	assert_true(u == 0x4096);
	assert_false(vmcoreinfo_hex(&vi, "OSRELEASE", &u));
	assert_false(vmcoreinfo_hex(&vi, "NOPE", &u));

	int64_t n = 0;
	assert_true(vmcoreinfo_number(&vi, "phys_base", &n));
	assert_true(n == -629145600LL);
	/* The x86_64 meaning: a negative phys_base is a wrapped u64. */
	assert_true((uint64_t)n == 0xffffffffda800000ULL);
	assert_true(vmcoreinfo_number(&vi, "pgtable_l5_enabled", &n));
	assert_true(n == 1);
	assert_true(vmcoreinfo_number(&vi, "VA_BITS", &n));
	assert_true(n == 48);
	assert_true(vmcoreinfo_number(&vi, "PG_hugetlb", &n));
	assert_true(n == 0xfffffe00LL);
	assert_true(vmcoreinfo_number(&vi, "KERNEL_LINK_ADDR", &n));
	assert_true((uint64_t)n == 0xffffffff80000000ULL);
	assert_true(vmcoreinfo_number(&vi, "NR_FREE_PAGES", &n));
	assert_true(n == 0);
	assert_false(vmcoreinfo_number(&vi, "phys_base_", &n));
	/* SIZE()/OFFSET() are not NUMBER()s. */
	assert_false(vmcoreinfo_number(&vi, "page", &n));

	/* The first of duplicate keys is the one returned. */
	parse_ok("OSRELEASE=a\nKERNELOFFSET=1\nKERNELOFFSET=2\n");
	assert_true(vmcoreinfo_hex(&vi, "KERNELOFFSET", &u));
	assert_true(u == 1);
}

/* A value parses while the struct is reused: nothing of the old text is
 * left behind. */
static void test_reparse_resets(void **state)
{
	(void)state;
	parse_ok(real_text);
	parse_ok("OSRELEASE=x\n");
	assert_int_equal(vi.nr, 1);
	assert_null(vmcoreinfo_get(&vi, "KERNELOFFSET"));
	assert_int_equal(vmcoreinfo_parse(&vi, "garbage", 7), -1);
	assert_int_equal(vi.nr, 0);
	assert_null(vmcoreinfo_get(&vi, "OSRELEASE"));
}

static void test_must_start_with_osrelease(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "O", "OSRELEASE", "OSRELEASE\n=x", " OSRELEASE=6.1",
		"osrelease=6.1", "\nOSRELEASE=6.1", "BUILD-ID=ab\nOSRELEASE=6",
		"\0OSRELEASE=6.1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vi.nr = 99;
		assert_int_equal(vmcoreinfo_parse(&vi, bad[i],
						  strlen(bad[i]) + 12), -1);
		assert_int_equal(vi.nr, 0);
	}
	/* An empty release is still a well-formed line. */
	assert_int_equal(vmcoreinfo_parse(&vi, "OSRELEASE=", 10), 0);
	assert_string_equal(vmcoreinfo_get(&vi, "OSRELEASE"), "");
	/* No trailing newline. */
	assert_int_equal(vmcoreinfo_parse(&vi, "OSRELEASE=6.1", 13), 0);
	assert_string_equal(vmcoreinfo_get(&vi, "OSRELEASE"), "6.1");
}

static void test_length_zero_and_bounds(void **state)
{
	(void)state;
	/* len 0: nothing is read, not even the first byte. */
	char *one = malloc(1);
	assert_non_null(one);
	one[0] = 'O';
	vi.nr = 7;
	assert_int_equal(vmcoreinfo_parse(&vi, one, 0), -1);
	assert_int_equal(vi.nr, 0);
	assert_string_equal(vi.text, "");
	free(one);

	/* len cuts the text: the parser reads exactly len bytes of a buffer
	 * without a NUL (valgrind checks that it reads no further). */
	static const char t[] = "OSRELEASE=6.1\nKERNELOFFSET=2e400000";
	char *b = malloc(sizeof(t) - 1);
	assert_non_null(b);
	memcpy(b, t, sizeof(t) - 1);
	assert_int_equal(vmcoreinfo_parse(&vi, b, sizeof(t) - 1), 0);
	uint64_t u;
	assert_true(vmcoreinfo_hex(&vi, "KERNELOFFSET", &u));
	assert_true(u == 0x2e400000);
	assert_int_equal(vmcoreinfo_parse(&vi, b, sizeof(t) - 3), 0);
	assert_true(vmcoreinfo_hex(&vi, "KERNELOFFSET", &u));
	assert_true(u == 0x2e4000);
	assert_int_equal(vmcoreinfo_parse(&vi, b, 10), 0);
	assert_string_equal(vmcoreinfo_get(&vi, "OSRELEASE"), "");
	assert_int_equal(vmcoreinfo_parse(&vi, b, 9), -1);
	free(b);

	/* Stops at the first NUL even when len goes on. */
	static const char nul[] = "OSRELEASE=6.1\0KERNELOFFSET=1\n";
	assert_int_equal(vmcoreinfo_parse(&vi, nul, sizeof(nul)), 0);
	assert_int_equal(vi.nr, 1);
	assert_null(vmcoreinfo_get(&vi, "KERNELOFFSET"));
}

/* No NUL in the first 4096 bytes (a page of other data that happens to
 * start with OSRELEASE=, or a text the guest is rewriting). */
static void test_no_nul_within_limit(void **state)
{
	(void)state;
	size_t len = 3 * VMCOREINFO_MAX_BYTES;
	char *b = malloc(len);
	assert_non_null(b);
	memset(b, 'v', len);
	memcpy(b, "OSRELEASE=6.1\nK=", 16);
	assert_int_equal(vmcoreinfo_parse(&vi, b, len), 0);
	assert_int_equal(vi.nr, 2);
	assert_int_equal(strlen(vi.text), 9); /* "OSRELEASE", split in place */
	const char *v = vmcoreinfo_get(&vi, "K");
	assert_non_null(v);
	/* Exactly the first 4096 bytes were taken. */
	assert_int_equal(strlen(v), VMCOREINFO_MAX_BYTES - 16);
	assert_int_equal(vi.text[VMCOREINFO_MAX_BYTES], '\0');

	/* All newlines: 4096 bytes, no NUL, one line. */
	memset(b, '\n', len);
	memcpy(b, "OSRELEASE=x", 11);
	assert_int_equal(vmcoreinfo_parse(&vi, b, len), 0);
	assert_int_equal(vi.nr, 1);
	free(b);
}

static void test_many_lines(void **state)
{
	(void)state;
	/* Over 1000 four-byte lines ("A=1\n") within the 4096-byte limit:
	 * only 512 keys fit; the parse still succeeds, the rest is ignored
	 * and nothing overflows. */
	char *b = malloc(VMCOREINFO_MAX_BYTES);
	assert_non_null(b);
	size_t off = (size_t)snprintf(b, VMCOREINFO_MAX_BYTES, "OSRELEASE=x\n");
	unsigned lines = 1;
	while (off + 4 <= VMCOREINFO_MAX_BYTES) {
		b[off++] = (char)('A' + lines % 26);
		b[off++] = '=';
		b[off++] = (char)('0' + lines % 10);
		b[off++] = '\n';
		lines++;
	}
	while (off < VMCOREINFO_MAX_BYTES)
		b[off++] = '\n';
	assert_true(lines > 512);
	assert_int_equal(vmcoreinfo_parse(&vi, b, VMCOREINFO_MAX_BYTES), 0);
	assert_int_equal(vi.nr, 512);
	assert_string_equal(vi.keys[0], "OSRELEASE");
	/* The 512th key is line 511; line 512 was not taken. */
	assert_int_equal(vi.keys[511][0], 'A' + 511 % 26);
	assert_int_equal(vi.values[511][0], '0' + 511 % 10);
	for (unsigned i = 0; i < vi.nr; i++) {
		assert_true(vi.keys[i] >= vi.text &&
			    vi.keys[i] < vi.text + sizeof(vi.text));
		assert_true(vi.values[i] >= vi.text &&
			    vi.values[i] < vi.text + sizeof(vi.text));
	}

	/* Lines that are not KEY=VALUE do not take key slots. */
	off = (size_t)snprintf(b, VMCOREINFO_MAX_BYTES, "OSRELEASE=x\n");
	while (off + 2 <= VMCOREINFO_MAX_BYTES - 16) {
		b[off++] = 'z';
		b[off++] = '\n';
	}
	memcpy(b + off, "KERNELOFFSET=10", 16); /* with its NUL */
	assert_int_equal(vmcoreinfo_parse(&vi, b, VMCOREINFO_MAX_BYTES), 0);
	assert_int_equal(vi.nr, 2);
	uint64_t u;
	assert_true(vmcoreinfo_hex(&vi, "KERNELOFFSET", &u));
	assert_true(u == 0x10);
	free(b);
}

static void test_malformed_lines(void **state)
{
	(void)state;
	parse_ok("OSRELEASE=6.1\n"
		 "no equals sign\n"
		 "=empty key\n"
		 "\n"
		 "==\n"
		 "KEY==double\n"
		 "EMPTY=\n"
		 "SYMBOL(x=1\n"
		 "KERNELOFFSET=1000\n");
	assert_int_equal(vi.nr, 5);
	assert_null(vmcoreinfo_get(&vi, "no equals sign"));
	assert_null(vmcoreinfo_get(&vi, ""));
	assert_string_equal(vmcoreinfo_get(&vi, "KEY"), "=double");
	assert_string_equal(vmcoreinfo_get(&vi, "EMPTY"), "");
	assert_string_equal(vmcoreinfo_get(&vi, "SYMBOL(x"), "1");
	uint64_t u;
	int64_t n;
	assert_false(vmcoreinfo_hex(&vi, "EMPTY", &u));
	assert_false(vmcoreinfo_hex(&vi, "KEY", &u));
	assert_false(vmcoreinfo_symbol(&vi, "x", &u));
	assert_true(vmcoreinfo_hex(&vi, "KERNELOFFSET", &u));
	assert_true(u == 0x1000);

	/* Only lines without a usable key: not a vmcoreinfo. */
	assert_int_equal(vmcoreinfo_parse(&vi, "OSRELEASE", 9), -1);

	/* Empty NUMBER. */
	parse_ok("OSRELEASE=1\nNUMBER(a)=\nNUMBER(b)=0x\nNUMBER(c)=-\n");
	assert_false(vmcoreinfo_number(&vi, "a", &n));
	assert_false(vmcoreinfo_number(&vi, "b", &n));
	assert_false(vmcoreinfo_number(&vi, "c", &n));
}

/* Every bad value leaves *val alone and returns false. */
static void test_bad_numbers(void **state)
{
	(void)state;
	parse_ok("OSRELEASE=1\n"
		 "SYMBOL(over)=10000000000000000\n"
		 "SYMBOL(max)=ffffffffffffffff\n"
		 "SYMBOL(junk)=ffffffffaf400000x\n"
		 "SYMBOL(space)=ffffffffaf400000 \n"
		 "SYMBOL(cr)=ffffffffaf400000\r\n"
		 "SYMBOL(neg)=-1\n"
		 "SYMBOL(plus)=+1\n"
		 "SYMBOL(notHex)=xyz\n"
		 "SYMBOL(mid)=12 34\n"
		 "NUMBER(big)=9223372036854775808\n"
		 "NUMBER(min)=-9223372036854775808\n"
		 "NUMBER(tooneg)=-9223372036854775809\n"
		 "NUMBER(huge)=99999999999999999999999999999999\n"
		 "NUMBER(hexover)=0x10000000000000000\n"
		 "NUMBER(hexmax)=0xffffffffffffffff\n"
		 "NUMBER(hexneg)=0x-1\n"
		 "NUMBER(junk)=12abc\n"
		 "NUMBER(hexjunk)=0x30g\n"
		 "NUMBER(dot)=1.5\n"
		 "NUMBER(octalish)=010\n"
		 "KERNELOFFSET=2e400000zz\n");
	const uint64_t U = 0x5a5a5a5a5a5a5a5aULL;
	const int64_t N = 0x5a5a5a5a5a5a5a5aLL;
	uint64_t u = U;
	int64_t n = N;
	static const char *const bad_sym[] = { "over", "junk", "space", "cr",
					       "neg", "plus", "notHex", "mid" };
	for (size_t i = 0; i < sizeof(bad_sym) / sizeof(bad_sym[0]); i++) {
		assert_false(vmcoreinfo_symbol(&vi, bad_sym[i], &u));
		assert_true(u == U);
	}
	assert_true(vmcoreinfo_symbol(&vi, "max", &u));
	assert_true(u == UINT64_MAX);

	static const char *const bad_num[] = { "big", "tooneg", "huge",
					       "hexover", "hexneg", "junk",
					       "hexjunk", "dot" };
	for (size_t i = 0; i < sizeof(bad_num) / sizeof(bad_num[0]); i++) {
		assert_false(vmcoreinfo_number(&vi, bad_num[i], &n));
		assert_true(n == N);
	}
	assert_true(vmcoreinfo_number(&vi, "min", &n));
	assert_true(n == INT64_MIN);
	assert_true(vmcoreinfo_number(&vi, "hexmax", &n));
	assert_true(n == -1);
	/* Decimal, not C octal. */
	assert_true(vmcoreinfo_number(&vi, "octalish", &n));
	assert_true(n == 10);
	u = U;
	assert_false(vmcoreinfo_hex(&vi, "KERNELOFFSET", &u));
	assert_true(u == U);
}

/* A sign hidden behind blanks must not turn into a huge unsigned value:
 * strtoull skips leading white space and then accepts '-'. */
static void test_hex_rejects_hidden_sign(void **state)
{
	(void)state;
	parse_ok("OSRELEASE=1\n"
		 "SYMBOL(a)= -1\n"
		 "SYMBOL(b)=\t-ffffffffaf400000\n"
		 "KERNELOFFSET= -2e400000\n");
	uint64_t u = 7;
	assert_false(vmcoreinfo_symbol(&vi, "a", &u));
	assert_false(vmcoreinfo_symbol(&vi, "b", &u));
	assert_false(vmcoreinfo_hex(&vi, "KERNELOFFSET", &u));
	assert_true(u == 7);
}

static void test_long_names(void **state)
{
	(void)state;
	/* The key buffer is 128 bytes: "SYMBOL(" + name + ")" + NUL fits
	 * names of up to 119 characters. */
	char name[300], text[800];
	memset(name, 'n', sizeof(name));
	uint64_t u;
	int64_t n;
	for (size_t len = 110; len < sizeof(name); len += 3) {
		name[len] = '\0';
		snprintf(text, sizeof(text),
			 "OSRELEASE=1\nSYMBOL(%s)=abc\nNUMBER(%s)=12\n", name,
			 name);
		parse_ok(text);
		u = 0;
		n = 0;
		bool fits = len <= 119;
		assert_int_equal(vmcoreinfo_symbol(&vi, name, &u), fits);
		assert_int_equal(vmcoreinfo_number(&vi, name, &n), fits);
		if (fits) {
			assert_true(u == 0xabc);
			assert_true(n == 12);
		} else {
			assert_true(u == 0);
			assert_true(n == 0);
		}
		name[len] = 'n';
	}
	/* Exactly at the edge. */
	name[119] = '\0';
	snprintf(text, sizeof(text), "OSRELEASE=1\nSYMBOL(%s)=1\n", name);
	parse_ok(text);
	assert_true(vmcoreinfo_symbol(&vi, name, &u));
	name[119] = 'n';
	name[120] = '\0';
	snprintf(text, sizeof(text), "OSRELEASE=1\nSYMBOL(%s)=1\n", name);
	parse_ok(text);
	assert_false(vmcoreinfo_symbol(&vi, name, &u));
	/* A truncated key must not match a shorter present one. */
	name[120] = 'n';
	name[250] = '\0';
	memset(text, 0, sizeof(text));
	snprintf(text, sizeof(text), "OSRELEASE=1\nSYMBOL(%.120s=1\n", name);
	parse_ok(text);
	assert_false(vmcoreinfo_symbol(&vi, name, &u));
}

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Random bytes (high bit set, control characters, few NULs), with and
 * without the OSRELEASE= prefix: every call returns, every key and value
 * stays inside the struct's text. */
static void test_binary_bytes(void **state)
{
	(void)state;
	uint64_t seed = 0xc0ffee;
	size_t cap = VMCOREINFO_MAX_BYTES + 512;
	unsigned char *b = malloc(cap);
	assert_non_null(b);
	static const char alphabet[] = "=\n()SYMBOLNUMBER0x123abcdef-\r\t ";
	for (int iter = 0; iter < 2000; iter++) {
		size_t len = rnd(&seed) % cap;
		unsigned mode = iter % 3;
		for (size_t i = 0; i < len; i++) {
			uint64_t r = rnd(&seed);
			if (mode == 0)
				b[i] = (unsigned char)r; /* anything */
			else if (mode == 1)
				b[i] = (unsigned char)(r | 0x80); /* no NUL */
			else
				b[i] = (unsigned char)
					alphabet[r % (sizeof(alphabet) - 1)];
		}
		if (iter % 2 && len >= 10)
			memcpy(b, "OSRELEASE=", 10);
		int rc = vmcoreinfo_parse(&vi, b, len);
		assert_true(rc == 0 || rc == -1);
		if (rc)
			assert_int_equal(vi.nr, 0);
		assert_true(vi.nr <= 512);
		assert_true(strlen(vi.text) <= VMCOREINFO_MAX_BYTES);
		uint64_t u;
		int64_t n;
		for (unsigned i = 0; i < vi.nr; i++) {
			assert_true(vi.keys[i] >= vi.text &&
				    vi.keys[i] < vi.text + sizeof(vi.text));
			assert_true(vi.values[i] > vi.keys[i] &&
				    vi.values[i] < vi.text + sizeof(vi.text));
			assert_true(vi.keys[i][0] != '\0');
			assert_null(strchr(vi.keys[i], '='));
			assert_null(strchr(vi.keys[i], '\n'));
			assert_true(vmcoreinfo_get(&vi, vi.keys[i]) != NULL);
			(void)vmcoreinfo_hex(&vi, vi.keys[i], &u);
			(void)vmcoreinfo_symbol(&vi, vi.keys[i], &u);
			(void)vmcoreinfo_number(&vi, vi.keys[i], &n);
		}
		(void)vmcoreinfo_symbol(&vi, "_stext", &u);
		(void)vmcoreinfo_number(&vi, "phys_base", &n);
	}
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_x86_64),
		cmocka_unit_test(test_reparse_resets),
		cmocka_unit_test(test_must_start_with_osrelease),
		cmocka_unit_test(test_length_zero_and_bounds),
		cmocka_unit_test(test_no_nul_within_limit),
		cmocka_unit_test(test_many_lines),
		cmocka_unit_test(test_malformed_lines),
		cmocka_unit_test(test_bad_numbers),
		cmocka_unit_test(test_hex_rejects_hidden_sign),
		cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_binary_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
