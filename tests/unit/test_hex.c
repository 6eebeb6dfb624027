#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "stub/rsp/hex.h"

static void encode_all_bytes(void **state)
{
	(void)state;
	unsigned char in[256];
	char out[513], want[513];
	for (int i = 0; i < 256; i++) {
		in[i] = (unsigned char)i;
		snprintf(want + 2 * i, 3, "%02x", i);
	}
	hex_encode(out, in, 256);
	out[512] = '\0';
	assert_string_equal(out, want);
}

static void encode_in_place(void **state)
{
	(void)state;
	char buf[16] = { 0 };
	/* Data in the second half, hex over the whole buffer. */
	memcpy(buf + 8, "\x01\x23\x45\x67\x89\xab\xcd\xef", 8);
	hex_encode(buf, buf + 8, 8);
	assert_memory_equal(buf, "0123456789abcdef", 16);
}

static void fill_unknown(void **state)
{
	(void)state;
	char buf[8] = "........";
	hex_fill_unknown(buf, 3);
	assert_memory_equal(buf, "xxxxxx..", 8);
}

static void decode_strict(void **state)
{
	(void)state;
	unsigned char out[4];
	assert_int_equal(hex_decode(out, 4, "00Ff7a", 6), 3);
	assert_memory_equal(out, "\x00\xff\x7a", 3);
	assert_int_equal(hex_decode(out, 4, "0", 1), -1);        /* odd */
	assert_int_equal(hex_decode(out, 4, "0g", 2), -1);       /* bad digit */
	assert_int_equal(hex_decode(out, 4, "g0", 2), -1);
	assert_int_equal(hex_decode(out, 2, "000000", 6), -1);   /* too long */
	assert_int_equal(hex_decode(out, 4, "", 0), 0);
}

static void parse_numbers(void **state)
{
	(void)state;
	uint64_t v;
	assert_int_equal(hex_parse_u64("0", 1, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(hex_parse_u64("ffffffffffffffff", 16, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(hex_parse_u64("00000000000000000001a", 21, &v), 0);
	assert_int_equal(v, 0x1a);
	assert_int_equal(hex_parse_u64("DeadBeef", 8, &v), 0);
	assert_int_equal(v, 0xdeadbeef);
	assert_int_equal(hex_parse_u64("10000000000000000", 17, &v), -1);
	assert_int_equal(hex_parse_u64("", 0, &v), -1);
	assert_int_equal(hex_parse_u64("1g", 2, &v), -1);
	assert_int_equal(hex_parse_u64("-1", 2, &v), -1);
	/* Length bounds the parse even without a terminator. */
	assert_int_equal(hex_parse_u64("123", 2, &v), 0);
	assert_int_equal(v, 0x12);
}

static void scan_stops_at_separator(void **state)
{
	(void)state;
	const char *s = "1f,20", *p = s;
	uint64_t v;
	assert_int_equal(hex_scan_u64(&p, s + 5, &v), 0);
	assert_int_equal(v, 0x1f);
	assert_ptr_equal(p, s + 2);
	p = s + 2;
	assert_int_equal(hex_scan_u64(&p, s + 5, &v), -1); /* ',' first */
	assert_ptr_equal(p, s + 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(encode_all_bytes),
		cmocka_unit_test(encode_in_place),
		cmocka_unit_test(fill_unknown),
		cmocka_unit_test(decode_strict),
		cmocka_unit_test(parse_numbers),
		cmocka_unit_test(scan_stops_at_separator),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
