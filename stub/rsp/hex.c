#include "stub/rsp/hex.h"

#include <string.h>

/* Two output characters per byte value: one 2-byte copy per input byte. */
static const char hex_pairs[256][2] = {
#define P(hi, lo) { "0123456789abcdef"[hi], "0123456789abcdef"[lo] }
#define ROW(hi) P(hi, 0), P(hi, 1), P(hi, 2), P(hi, 3), P(hi, 4), P(hi, 5), \
	P(hi, 6), P(hi, 7), P(hi, 8), P(hi, 9), P(hi, 10), P(hi, 11),        \
	P(hi, 12), P(hi, 13), P(hi, 14), P(hi, 15)
	ROW(0), ROW(1), ROW(2), ROW(3), ROW(4), ROW(5), ROW(6), ROW(7),
	ROW(8), ROW(9), ROW(10), ROW(11), ROW(12), ROW(13), ROW(14), ROW(15),
#undef ROW
#undef P
};

void hex_encode(char *dst, const void *src, size_t len)
{
	const unsigned char *s = src;
	/* Forward order keeps in-place expansion safe: byte i is read
	 * before positions 2i and 2i+1 (both <= its own slot) are written. */
	for (size_t i = 0; i < len; i++) {
		unsigned char b = s[i];
		memcpy(dst + 2 * i, hex_pairs[b], 2);
	}
}

void hex_fill_unknown(char *dst, size_t nbytes)
{
	memset(dst, 'x', 2 * nbytes);
}

int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long hex_decode(void *dst, size_t dstcap, const char *src, size_t srclen)
{
	unsigned char *d = dst;
	if (srclen % 2 || srclen / 2 > dstcap)
		return -1;
	for (size_t i = 0; i < srclen / 2; i++) {
		int hi = hex_digit(src[2 * i]), lo = hex_digit(src[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		d[i] = (unsigned char)(hi << 4 | lo);
	}
	return (long)(srclen / 2);
}

int hex_scan_u64(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int d;
	while (s < end && (d = hex_digit(*s)) >= 0) {
		if (v >> 60)
			return -1;
		v = v << 4 | (uint64_t)d;
		s++;
	}
	if (s == *p)
		return -1;
	*p = s;
	*out = v;
	return 0;
}

int hex_parse_u64(const char *s, size_t len, uint64_t *out)
{
	const char *p = s;
	if (hex_scan_u64(&p, s + len, out) < 0 || p != s + len)
		return -1;
	return 0;
}
