/* Checks on what the session sends back, shared by the RSP fuzzers. */
#ifndef LKSTUB_FUZZ_RSP_H
#define LKSTUB_FUZZ_RSP_H

#include "stub/rsp/hex.h"
#include "stub/rsp/rsp_packet.h"
#include "tests/fuzz/fuzz_input.h"

/* out[from..len) must be acks and whole frames: "$payload#cs" with a
 * correct checksum, at most RSP_PACKET_SIZE payload bytes, no unescaped
 * '$' '#' or '*' (we never send run-length encoding) and no '}' without a
 * byte after it. Calls frame(payload, n, arg) for each frame. */
static inline void check_frames(const char *out, size_t from, size_t len,
				void (*frame)(const char *p, size_t n,
					      void *arg),
				void *arg)
{
	size_t i = from;
	while (i < len) {
		char c = out[i];
		if (c == '+' || c == '-') {
			i++;
			continue;
		}
		FUZZ_CHECK(c == '$', "byte %#x outside a frame at %zu",
			   (unsigned char)c, i);
		size_t start = ++i;
		while (i < len && out[i] != '#') {
			FUZZ_CHECK(out[i] != '$' && out[i] != '*',
				   "unescaped %c in a payload", out[i]);
			if (out[i] == '}') {
				i++;
				FUZZ_CHECK(i < len && out[i] != '#',
					   "'}' at the end of a payload");
			}
			i++;
		}
		FUZZ_CHECK(i + 3 <= len, "frame without #cs");
		size_t n = i - start;
		FUZZ_CHECK(n <= RSP_PACKET_SIZE, "payload of %zu bytes", n);
		int hi = hex_digit(out[i + 1]), lo = hex_digit(out[i + 2]);
		FUZZ_CHECK(hi >= 0 && lo >= 0, "checksum is not hex");
		FUZZ_CHECK(rsp_checksum(out + start, n) == (hi << 4 | lo),
			   "wrong checksum");
		if (frame)
			frame(out + start, n, arg);
		i += 3;
	}
}

/* Undo '}' escapes of a binary payload in place; returns the new length. */
static inline size_t unescape_binary(char *p, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++)
		p[o++] = p[i] == '}' && i + 1 < n ? (char)(p[++i] ^ 0x20)
						   : p[i];
	return o;
}

#endif
