/* Hex encoding and strict hex parsing for the remote protocol. */
#ifndef LKSTUB_HEX_H
#define LKSTUB_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Writes 2*len lowercase hex digits to dst (no terminator). dst may
 * start len bytes before src (in-place expansion of a buffer's tail). */
void hex_encode(char *dst, const void *src, size_t len);

/* Writes 2*nbytes 'x' characters: gdb's "value unavailable". */
void hex_fill_unknown(char *dst, size_t nbytes);

/* Value of one hex digit, or -1. */
int hex_digit(char c);

/* Decodes exactly srclen hex digits (srclen even, all digits valid) into
 * dst; returns the byte count or -1 (odd length, bad digit, or more than
 * dstcap bytes). */
long hex_decode(void *dst, size_t dstcap, const char *src, size_t srclen);

/* Parses the whole of s[0..len) as a hex number: -1 when empty, on a
 * non-hex character, or when the value does not fit in 64 bits. */
int hex_parse_u64(const char *s, size_t len, uint64_t *out);

/* Parses hex digits from *p (not past end) up to the first non-digit and
 * advances *p past them; -1 when there is no digit or on overflow. */
int hex_scan_u64(const char **p, const char *end, uint64_t *out);

#endif
