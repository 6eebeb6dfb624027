#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stub/rsp/rsp_packet.h"

/* "$raw#cs" with the checksum computed here, independently of the code
 * under test. raw is sent as is (escapes and runs included). */
static size_t frame(char *out, const char *raw, size_t len)
{
	unsigned sum = 0;
	for (size_t i = 0; i < len; i++)
		sum += (unsigned char)raw[i];
	out[0] = '$';
	memcpy(out + 1, raw, len);
	snprintf(out + 1 + len, 4, "#%02x", sum & 0xff);
	return len + 4;
}

/* Feeds all of in, one byte at a time when bytewise; returns the events
 * seen (up to max) and keeps the last packet in last/last_len. */
struct seen {
	enum rsp_event ev[16];
	unsigned n;
	char last[64];
	size_t last_len;
};

static void feed(struct rsp_decoder *d, const char *in, size_t len,
		 bool bytewise, struct seen *s)
{
	size_t used = 0;
	while (used < len) {
		enum rsp_event ev;
		size_t avail = bytewise ? 1 : len - used;
		size_t n = rsp_decoder_feed(d, in + used, avail, &ev);
		assert_true(n > 0 && n <= avail);
		used += n;
		if (ev == RSP_EV_NONE)
			continue;
		if (s->n < 16)
			s->ev[s->n++] = ev;
		if (ev == RSP_EV_PACKET && d->len < sizeof(s->last)) {
			memcpy(s->last, d->buf, d->len);
			s->last_len = d->len;
		}
	}
}

static int setup(void **state)
{
	struct rsp_decoder *d = malloc(sizeof(*d));
	char err[256];
	assert_int_equal(rsp_decoder_init(d, err), 0);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	rsp_decoder_free(*state);
	free(*state);
	return 0;
}

static void simple_packet(void **state)
{
	struct seen s = { 0 };
	feed(*state, "$g#67", 5, false, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ev[0], RSP_EV_PACKET);
	assert_int_equal(s.last_len, 1);
	assert_memory_equal(s.last, "g", 1);
}

static void one_byte_at_a_time(void **state)
{
	char pkt[64];
	size_t n = frame(pkt, "m1000,40", 8);
	struct seen s = { 0 };
	feed(*state, pkt, n, true, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ev[0], RSP_EV_PACKET);
	assert_memory_equal(s.last, "m1000,40", 8);
}

static void bad_checksum_then_good(void **state)
{
	struct seen s = { 0 };
	const char in[] = "$g#00$g#67";
	feed(*state, in, sizeof(in) - 1, false, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ev[0], RSP_EV_BAD_CHECKSUM);
	assert_int_equal(s.ev[1], RSP_EV_PACKET);
}

static void non_hex_checksum(void **state)
{
	struct seen s = { 0 };
	const char in[] = "$g#zz$g#67";
	feed(*state, in, sizeof(in) - 1, false, &s);
	assert_true(s.n >= 2);
	assert_int_equal(s.ev[0], RSP_EV_BAD_CHECKSUM);
	assert_int_equal(s.ev[s.n - 1], RSP_EV_PACKET);
}

static void uppercase_checksum(void **state)
{
	struct seen s = { 0 };
	const char in[] = "$qC#B4"; /* 'q' + 'C' = 0xb4 */
	feed(*state, in, sizeof(in) - 1, false, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ev[0], RSP_EV_PACKET);
}

static void acks_interrupt_and_garbage(void **state)
{
	struct seen s = { 0 };
	char in[64];
	size_t n = 0;
	in[n++] = '+';
	in[n++] = '-';
	memcpy(in + n, "junk\r\n", 6);
	n += 6;
	in[n++] = 0x03;
	n += frame(in + n, "?", 1);
	feed(*state, in, n, false, &s);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.ev[0], RSP_EV_ACK);
	assert_int_equal(s.ev[1], RSP_EV_NAK);
	assert_int_equal(s.ev[2], RSP_EV_INTERRUPT);
	assert_int_equal(s.ev[3], RSP_EV_PACKET);
	assert_memory_equal(s.last, "?", 1);
}

static void ctrl_c_inside_packet_is_data(void **state)
{
	char pkt[16];
	size_t n = frame(pkt, "a\x03" "b", 3);
	struct seen s = { 0 };
	feed(*state, pkt, n, false, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ev[0], RSP_EV_PACKET);
	assert_int_equal(s.last_len, 3);
	assert_memory_equal(s.last, "a\x03" "b", 3);
}

static void escapes(void **state)
{
	/* X data "#$}*" escaped as }\x03 }\x04 }] }\x0a */
	const char raw[] = "X0,4:}\x03}\x04}]}\x0a";
	char pkt[64];
	size_t n = frame(pkt, raw, sizeof(raw) - 1);
	struct seen s = { 0 };
	feed(*state, pkt, n, true, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ev[0], RSP_EV_PACKET);
	assert_int_equal(s.last_len, 9);
	assert_memory_equal(s.last, "X0,4:#$}*", 9);
}

static void run_length(void **state)
{
	/* '0' then "* " (32 - 29 = 3 more): "0000"; "x*!" = 5 x's. */
	const char raw[] = "0* 1x*!";
	char pkt[32];
	size_t n = frame(pkt, raw, sizeof(raw) - 1);
	struct seen s = { 0 };
	feed(*state, pkt, n, false, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ev[0], RSP_EV_PACKET);
	assert_int_equal(s.last_len, 10);
	assert_memory_equal(s.last, "00001xxxxx", 10);
}

static void run_length_malformed(void **state)
{
	struct seen s = { 0 };
	char pkt[32];
	size_t n = frame(pkt, "* ", 2); /* nothing to repeat */
	feed(*state, pkt, n, false, &s);
	n = frame(pkt, "a*\x01", 3);     /* count not printable */
	feed(*state, pkt, n, false, &s);
	n = frame(pkt, "a*", 2);         /* '*' right before '#' */
	feed(*state, pkt, n, false, &s);
	n = frame(pkt, "a}", 2);         /* '}' right before '#' */
	feed(*state, pkt, n, false, &s);
	assert_int_equal(s.n, 4);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(s.ev[i], RSP_EV_BAD_FRAME);
	feed(*state, "$g#67", 5, false, &s); /* and it goes on */
	assert_int_equal(s.ev[4], RSP_EV_PACKET);
}

static void restart_on_dollar(void **state)
{
	struct seen s = { 0 };
	const char in[] = "$m10,$g#67";
	feed(*state, in, sizeof(in) - 1, false, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ev[0], RSP_EV_PACKET);
	assert_memory_equal(s.last, "g", 1);
}

/* Sends a packet of `len` payload bytes 'a' in one frame. */
static enum rsp_event feed_big(struct rsp_decoder *d, size_t len)
{
	char *raw = malloc(len + 8);
	assert_non_null(raw);
	memset(raw, 'a', len);
	char *pkt = malloc(len + 8);
	size_t n = frame(pkt, raw, len);
	enum rsp_event last = RSP_EV_NONE;
	size_t used = 0;
	while (used < n) {
		enum rsp_event ev;
		used += rsp_decoder_feed(d, pkt + used, n - used, &ev);
		if (ev != RSP_EV_NONE)
			last = ev;
	}
	free(raw);
	free(pkt);
	return last;
}

static void packet_size_limits(void **state)
{
	struct rsp_decoder *d = *state;
	assert_int_equal(feed_big(d, RSP_PACKET_SIZE), RSP_EV_PACKET);
	assert_int_equal(d->len, RSP_PACKET_SIZE);
	assert_int_equal(feed_big(d, RSP_PACKET_SIZE + 1), RSP_EV_OVERSIZE);
	assert_int_equal(feed_big(d, 3 * RSP_PACKET_SIZE), RSP_EV_OVERSIZE);
	assert_int_equal(feed_big(d, 10), RSP_EV_PACKET);
	assert_int_equal(d->len, 10);
}

static void run_length_past_limit(void **state)
{
	struct rsp_decoder *d = *state;
	/* RSP_PACKET_SIZE - 2 bytes, then a run of 97 */
	size_t len = RSP_PACKET_SIZE - 2;
	char *raw = malloc(len + 2);
	memset(raw, 'a', len);
	raw[len] = '*';
	raw[len + 1] = '~';
	char *pkt = malloc(len + 8);
	size_t n = frame(pkt, raw, len + 2);
	struct seen s = { 0 };
	feed(d, pkt, n, false, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ev[0], RSP_EV_OVERSIZE);
	free(raw);
	free(pkt);
}

/* The buffer grows with the packet, never past one, and is given back by
 * rsp_decoder_trim between packets only. */
static void buffer_grows_and_trims(void **state)
{
	struct rsp_decoder *d = *state;
	const size_t first = d->cap;
	assert_true(first > 0 && first < RSP_PACKET_SIZE / 8);
	assert_int_equal(feed_big(d, RSP_PACKET_SIZE), RSP_EV_PACKET);
	assert_int_equal(d->cap, RSP_PACKET_SIZE + 1);
	for (size_t i = 0; i < RSP_PACKET_SIZE; i += 4093)
		assert_int_equal(d->buf[i], 'a');
	assert_int_equal(d->buf[RSP_PACKET_SIZE], '\0');
	rsp_decoder_trim(d, 64 << 10);
	assert_int_equal(d->cap, first);
	rsp_decoder_trim(d, 64 << 10); /* small already: nothing to do */
	assert_int_equal(d->cap, first);
	/* Runs grow it too: 'x' then 100 runs of 68 more. */
	char raw[1 + 2 * 100];
	raw[0] = 'x';
	for (int i = 0; i < 100; i++)
		memcpy(raw + 1 + 2 * i, "*a", 2); /* 'a' - 29 = 68 */
	char pkt[sizeof(raw) + 8];
	size_t n = frame(pkt, raw, sizeof(raw));
	struct seen s = { 0 };
	feed(d, pkt, n, false, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ev[0], RSP_EV_PACKET);
	assert_int_equal(d->len, 1 + 100 * 68);
	assert_true(d->cap > first);
	for (size_t i = 0; i < d->len; i++)
		assert_int_equal(d->buf[i], 'x');
	/* Not in the middle of a packet: the bytes so far stay. */
	char big[8192];
	memset(big, 'q', sizeof(big));
	char *bp = malloc(sizeof(big) + 8);
	n = frame(bp, big, sizeof(big));
	enum rsp_event ev;
	size_t used = rsp_decoder_feed(d, bp, n / 2, &ev);
	assert_int_equal(ev, RSP_EV_NONE);
	rsp_decoder_trim(d, 0);
	while (used < n)
		used += rsp_decoder_feed(d, bp + used, n - used, &ev);
	assert_int_equal(ev, RSP_EV_PACKET);
	assert_int_equal(d->len, sizeof(big));
	assert_memory_equal(d->buf, big, sizeof(big));
	free(bp);
}

static void checksum_matches_naive(void **state)
{
	(void)state;
	unsigned char buf[5000];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 131 + 7);
	memset(buf + 1000, 0xff, 3000); /* lanes near their limit */
	for (size_t len = 0; len <= sizeof(buf); len += (len < 64 ? 1 : 61)) {
		unsigned sum = 0;
		for (size_t i = 0; i < len; i++)
			sum += buf[i];
		assert_int_equal(rsp_checksum(buf, len), sum & 0xff);
	}
}

static void encode_escapes_and_round_trips(void **state)
{
	struct rsp_decoder *d = *state;
	struct strbuf out;
	strbuf_init(&out, 4096);
	assert_true(rsp_encode(&out, "a$b#c}d*e", 9));
	assert_string_equal(out.buf, "$a}\x04" "b}\x03" "c}]d}\x0a" "e#51");

	unsigned char all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	strbuf_reset(&out);
	assert_true(rsp_encode(&out, all, 256));
	enum rsp_event ev;
	size_t used = rsp_decoder_feed(d, out.buf, out.len, &ev);
	assert_int_equal(used, out.len);
	assert_int_equal(ev, RSP_EV_PACKET);
	assert_int_equal(d->len, 256);
	assert_memory_equal(d->buf, all, 256);
	strbuf_free(&out);
}

static void encode_respects_cap(void **state)
{
	(void)state;
	struct strbuf out;
	strbuf_init(&out, 8);
	assert_false(rsp_encode(&out, "0123456789", 10));
	assert_true(out.overflow);
	strbuf_free(&out);
}

static void escape_binary_specials(void **state)
{
	(void)state;
	char out[32];
	size_t used;
	size_t n = rsp_escape_binary(out, sizeof(out), "a$b#c}d*e", 9, &used);
	assert_int_equal(used, 9);
	assert_int_equal(n, 13);
	assert_memory_equal(out, "a}\x04" "b}\x03" "c}]d}\x0a" "e", 13);
	/* Nothing else is escaped: NUL, '+', '-', 0x03, 0xff go as they are. */
	n = rsp_escape_binary(out, sizeof(out), "\0+-\x03\xff", 5, &used);
	assert_int_equal(n, 5);
	assert_int_equal(used, 5);
	assert_memory_equal(out, "\0+-\x03\xff", 5);
	n = rsp_escape_binary(out, sizeof(out), "", 0, &used);
	assert_int_equal(n, 0);
	assert_int_equal(used, 0);
}

static void escape_binary_never_splits_a_pair(void **state)
{
	(void)state;
	char out[8];
	size_t used;
	/* room 3: "ab" fits, the escaped '*' (2 bytes) does not. */
	memset(out, '.', sizeof(out));
	assert_int_equal(rsp_escape_binary(out, 3, "ab*c", 4, &used), 2);
	assert_int_equal(used, 2);
	assert_int_equal(out[2], '.'); /* nothing half-written */
	assert_int_equal(rsp_escape_binary(out, 4, "ab*c", 4, &used), 4);
	assert_int_equal(used, 3);
	assert_int_equal(rsp_escape_binary(out, 5, "ab*c", 4, &used), 5);
	assert_int_equal(used, 4);
	assert_int_equal(rsp_escape_binary(out, 0, "ab", 2, &used), 0);
	assert_int_equal(used, 0);
	assert_int_equal(rsp_escape_binary(out, 1, "#", 1, &used), 0);
	assert_int_equal(used, 0);
}

/* The escaping written the plainest way, byte by byte. */
static size_t naive_escape(char *dst, size_t room, const unsigned char *src,
			   size_t len, size_t *used)
{
	size_t in = 0, out = 0;
	for (; in < len; in++) {
		bool esc = memchr("$#}*", src[in], 4) != NULL;
		if (out + (esc ? 2 : 1) > room)
			break;
		if (esc)
			dst[out++] = '}';
		dst[out++] = (char)(esc ? src[in] ^ 0x20 : src[in]);
	}
	*used = in;
	return out;
}

/* Any mix of bytes (specials at every alignment of the eight-at-a-time
 * scan), any room; in place with src as close behind dst as the header
 * allows: the same as the byte-by-byte escaping. */
static void escape_binary_in_place(void **state)
{
	(void)state;
	enum { LEN = 4096 };
	static unsigned char src[LEN];
	static char want[2 * LEN], area[3 * LEN];
	const char specials[] = "$#}*";
	uint32_t x = 12345;
	for (int round = 0; round < 240; round++) {
		/* Rounds go from no specials to nothing but specials (the
		 * worst case, where the output just catches up); the rest
		 * are any other byte value. */
		for (size_t i = 0; i < LEN; i++) {
			x = x * 1103515245u + 12345u;
			unsigned char b = (unsigned char)(x >> 24);
			if (memchr(specials, b, 4))
				b = (unsigned char)~b;
			src[i] = (x >> 8) % 200 < (unsigned)round
					 ? (unsigned char)specials[(x >> 4) & 3]
					 : b;
		}
		size_t len = 1 + (x >> 4) % LEN;
		size_t room = round % 3 == 0 ? 2 * len : 1 + (x >> 7) % (2 * len);
		size_t used1, used2;
		size_t n1 = naive_escape(want, room, src, len, &used1);
		size_t slack = len < room / 2 ? len : room / 2;
		memcpy(area + slack, src, len);
		size_t n2 = rsp_escape_binary(area, room, area + slack, len,
					      &used2);
		assert_int_equal(n1, n2);
		assert_int_equal(used1, used2);
		assert_memory_equal(want, area, n1);
		assert_true(n1 <= room);
	}
}

static void escape_binary_round_trips(void **state)
{
	struct rsp_decoder *d = *state;
	unsigned char all[512];
	for (int i = 0; i < 512; i++)
		all[i] = (unsigned char)i;
	char esc[1024], pkt[1100];
	size_t used;
	size_t n = rsp_escape_binary(esc, sizeof(esc), all, sizeof(all),
				     &used);
	assert_int_equal(used, sizeof(all));
	assert_int_equal(n, sizeof(all) + 8); /* four specials, twice */
	size_t plen = frame(pkt, esc, n);
	enum rsp_event ev;
	assert_int_equal(rsp_decoder_feed(d, pkt, plen, &ev), plen);
	assert_int_equal(ev, RSP_EV_PACKET);
	assert_int_equal(d->len, sizeof(all));
	assert_memory_equal(d->buf, all, sizeof(all));
}

/* Reply buffers: grown by doubling but never past their cap, shrunk to
 * what they hold, freed once empty when they grew past what to keep. */
static void strbuf_sizes(void **state)
{
	(void)state;
	struct strbuf sb;
	strbuf_init(&sb, 5000);
	char chunk[1000];
	memset(chunk, 'z', sizeof(chunk));
	for (int i = 0; i < 5; i++)
		assert_true(strbuf_append(&sb, chunk, sizeof(chunk)));
	assert_int_equal(sb.cap, 5001); /* 8192 by doubling, cut to max */
	assert_false(strbuf_putc(&sb, 'z'));
	strbuf_truncate(&sb, 100);
	strbuf_shrink(&sb);
	assert_int_equal(sb.cap, 101);
	assert_memory_equal(sb.buf, chunk, 100);
	assert_int_equal(sb.buf[100], '\0');
	strbuf_trim(&sb, 64); /* not empty: stays */
	assert_int_equal(sb.cap, 101);
	strbuf_reset(&sb);
	strbuf_trim(&sb, 128); /* small enough: stays */
	assert_int_equal(sb.cap, 101);
	strbuf_trim(&sb, 64);
	assert_null(sb.buf);
	assert_int_equal(sb.cap, 0);
	assert_true(strbuf_append(&sb, "ok", 2)); /* and grows again */
	assert_string_equal(strbuf_cstr(&sb), "ok");
	strbuf_free(&sb);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(simple_packet),
		T(one_byte_at_a_time),
		T(bad_checksum_then_good),
		T(non_hex_checksum),
		T(uppercase_checksum),
		T(acks_interrupt_and_garbage),
		T(ctrl_c_inside_packet_is_data),
		T(escapes),
		T(run_length),
		T(run_length_malformed),
		T(restart_on_dollar),
		T(packet_size_limits),
		T(run_length_past_limit),
		T(buffer_grows_and_trims),
		T(checksum_matches_naive),
		T(encode_escapes_and_round_trips),
		T(encode_respects_cap),
		T(escape_binary_specials),
		T(escape_binary_never_splits_a_pair),
		T(escape_binary_in_place),
		T(escape_binary_round_trips),
		cmocka_unit_test(strbuf_sizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
