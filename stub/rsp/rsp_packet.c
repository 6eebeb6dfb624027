#include "stub/rsp/rsp_packet.h"

#include <stdlib.h>
#include <string.h>

#include "stub/rsp/hex.h"
#include "common/err.h"

/* The buffer's first size: most packets fit. */
#define DECODER_FIRST 4096

int rsp_decoder_init(struct rsp_decoder *d, char *err)
{
	memset(d, 0, sizeof(*d));
	d->buf = malloc(DECODER_FIRST);
	if (!d->buf)
		return set_err(err, "out of memory for a packet buffer");
	d->cap = DECODER_FIRST;
	return 0;
}

void rsp_decoder_free(struct rsp_decoder *d)
{
	free(d->buf);
	d->buf = NULL;
	d->cap = 0;
}

void rsp_decoder_trim(struct rsp_decoder *d, size_t keep)
{
	if (d->state != RSP_ST_IDLE || d->cap <= keep || d->cap <= DECODER_FIRST)
		return;
	char *p = realloc(d->buf, DECODER_FIRST);
	if (p) {
		d->buf = p;
		d->cap = DECODER_FIRST;
		d->len = 0; /* the last packet is gone with the room */
	}
}

/* How many of n more payload bytes fit (the terminator included), growing
 * the buffer up to a whole packet. */
static size_t room_for(struct rsp_decoder *d, size_t n)
{
	size_t limit = RSP_PACKET_SIZE - d->len;
	if (n > limit)
		n = limit;
	if (d->len + n + 1 > d->cap) {
		size_t cap = d->cap ? d->cap : DECODER_FIRST;
		while (cap < d->len + n + 1)
			cap *= 2;
		if (cap > RSP_PACKET_SIZE + 1)
			cap = RSP_PACKET_SIZE + 1;
		char *p = realloc(d->buf, cap);
		if (!p) { /* what fits already is all there is */
			size_t left = d->cap > d->len + 1 ? d->cap - d->len - 1
							  : 0;
			return n < left ? n : left;
		}
		d->buf = p;
		d->cap = cap;
	}
	return n;
}

static void start_packet(struct rsp_decoder *d)
{
	d->state = RSP_ST_DATA;
	d->len = 0;
	d->sum = 0;
	d->oversize = false;
	d->malformed = false;
}

static void put_byte(struct rsp_decoder *d, char c)
{
	if (room_for(d, 1))
		d->buf[d->len++] = c;
	else
		d->oversize = true;
}

/* Run-length: "X*n" repeats X (n - 29) more times; n is printable and
 * not '$' or '#', so counts run from 3 to 97. */
static void put_run(struct rsp_decoder *d, unsigned char n)
{
	if (d->len == 0 || n < 32 || n > 126 || n == '$' || n == '#') {
		d->malformed = true;
		return;
	}
	size_t count = (size_t)n - 29;
	char prev = d->buf[d->len - 1];
	size_t room = room_for(d, count);
	if (count > room) {
		d->oversize = true;
		count = room;
	}
	memset(d->buf + d->len, prev, count);
	d->len += count;
}

/* Copies plain payload bytes up to the next special character in one go:
 * the common case (hex) must not cost a state switch per byte. */
static size_t take_plain(struct rsp_decoder *d, const char *in, size_t len)
{
	size_t n = 0;
	while (n < len && in[n] != '#' && in[n] != '}' && in[n] != '*' &&
	       in[n] != '$')
		n++;
	d->sum += rsp_checksum(in, n);
	size_t room = room_for(d, n);
	size_t copy = n < room ? n : room;
	memcpy(d->buf + d->len, in, copy);
	d->len += copy;
	if (copy < n)
		d->oversize = true;
	return n;
}

static enum rsp_event finish_packet(struct rsp_decoder *d)
{
	d->state = RSP_ST_IDLE;
	if (d->oversize)
		return RSP_EV_OVERSIZE;
	if (d->malformed)
		return RSP_EV_BAD_FRAME;
	if (d->csum != d->sum)
		return RSP_EV_BAD_CHECKSUM;
	d->buf[d->len] = '\0'; /* room_for kept a byte for it */
	return RSP_EV_PACKET;
}

size_t rsp_decoder_feed(struct rsp_decoder *d, const char *in, size_t len,
			enum rsp_event *ev)
{
	size_t i = 0;
	*ev = RSP_EV_NONE;
	while (i < len) {
		unsigned char c = (unsigned char)in[i];
		int digit;
		switch (d->state) {
		case RSP_ST_IDLE:
			i++;
			if (c == '$') {
				start_packet(d);
			} else if (c == 0x03) {
				*ev = RSP_EV_INTERRUPT;
				return i;
			} else if (c == '+') {
				*ev = RSP_EV_ACK;
				return i;
			} else if (c == '-') {
				*ev = RSP_EV_NAK;
				return i;
			} /* anything else between packets is noise */
			break;
		case RSP_ST_DATA:
			if (c == '#') {
				d->state = RSP_ST_CSUM1;
				i++;
			} else if (c == '$') {
				/* A new start inside a packet: the client gave
				 * up on the old one, so resynchronise. */
				start_packet(d);
				i++;
			} else if (c == '}') {
				d->sum += c;
				d->state = RSP_ST_ESCAPE;
				i++;
			} else if (c == '*') {
				d->sum += c;
				d->state = RSP_ST_RUN;
				i++;
			} else {
				i += take_plain(d, in + i, len - i);
			}
			break;
		case RSP_ST_ESCAPE:
			if (c == '#') { /* '}' at the end: let '#' close it */
				d->malformed = true;
				d->state = RSP_ST_DATA;
				break;
			}
			d->sum += c;
			put_byte(d, (char)(c ^ 0x20));
			d->state = RSP_ST_DATA;
			i++;
			break;
		case RSP_ST_RUN:
			if (c == '#') { /* '*' at the end: let '#' close it */
				d->malformed = true;
				d->state = RSP_ST_DATA;
				break;
			}
			d->sum += c;
			put_run(d, c);
			d->state = RSP_ST_DATA;
			i++;
			break;
		case RSP_ST_CSUM1:
		case RSP_ST_CSUM2:
			i++;
			digit = hex_digit((char)c);
			if (digit < 0) {
				/* Not a checksum: count it as bad, not as data. */
				d->state = RSP_ST_IDLE;
				*ev = RSP_EV_BAD_CHECKSUM;
				return i;
			}
			if (d->state == RSP_ST_CSUM1) {
				d->csum = (uint8_t)(digit << 4);
				d->state = RSP_ST_CSUM2;
				break;
			}
			d->csum |= (uint8_t)digit;
			*ev = finish_packet(d);
			return i;
		}
	}
	return i;
}

/* Sums eight bytes per step into four 16-bit lanes; each word adds at
 * most 2 * 255 to a lane, so lanes are folded every 128 words. */
uint8_t rsp_checksum(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t total = 0;
	while (len >= 8) {
		size_t words = len / 8 > 128 ? 128 : len / 8;
		uint64_t lanes = 0;
		for (size_t i = 0; i < words; i++) {
			uint64_t w;
			memcpy(&w, p + 8 * i, 8);
			lanes += w & 0x00ff00ff00ff00ffULL;
			lanes += (w >> 8) & 0x00ff00ff00ff00ffULL;
		}
		for (int k = 0; k < 4; k++)
			total += (lanes >> (16 * k)) & 0xffff;
		p += 8 * words;
		len -= 8 * words;
	}
	while (len--)
		total += *p++;
	return (uint8_t)total;
}

size_t rsp_frame_begin(struct strbuf *out)
{
	strbuf_putc(out, '$');
	return out->len;
}

bool rsp_frame_end(struct strbuf *out, size_t start)
{
	if (out->overflow || start > out->len)
		return false;
	uint8_t cs = rsp_checksum(out->buf + start, out->len - start);
	char *tail = strbuf_extend(out, 3);
	if (!tail)
		return false;
	tail[0] = '#';
	hex_encode(tail + 1, &cs, 1);
	return true;
}

static bool needs_escape(unsigned char c)
{
	return c == '$' || c == '#' || c == '}' || c == '*';
}

/* Non-zero when one of x's bytes is zero. */
static inline uint64_t zero_bytes(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ull;
	return (x - ones) & ~x & (ones << 7);
}

/* How many bytes from p on (at most max) go as they are. Eight at a
 * time: a byte of w ^ (c * ones) is zero where w holds c. */
static size_t plain_run(const unsigned char *p, size_t max)
{
	const uint64_t ones = 0x0101010101010101ull;
	size_t n = 0;
	for (; max - n >= 8; n += 8) {
		uint64_t w;
		memcpy(&w, p + n, 8);
		if (zero_bytes(w ^ ones * '$') | zero_bytes(w ^ ones * '#') |
		    zero_bytes(w ^ ones * '}') | zero_bytes(w ^ ones * '*'))
			break; /* the byte loop finds which one */
	}
	while (n < max && !needs_escape(p[n]))
		n++;
	return n;
}

bool rsp_append_binary(struct strbuf *out, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i = 0;
	while (i < len) {
		size_t run = plain_run(p + i, len - i);
		if (!strbuf_append(out, p + i, run))
			return false;
		i += run;
		if (i < len) {
			char esc[2] = { '}', (char)(p[i] ^ 0x20) };
			if (!strbuf_append(out, esc, 2))
				return false;
			i++;
		}
	}
	return true;
}

size_t rsp_escape_binary(char *dst, size_t room, const void *src, size_t len,
			 size_t *used)
{
	const unsigned char *p = src;
	size_t in = 0, out = 0;
	for (;;) {
		size_t max = len - in < room - out ? len - in : room - out;
		size_t run = plain_run(p + in, max);
		memmove(dst + out, p + in, run); /* may overlap: see header */
		in += run;
		out += run;
		if (run == max || room - out < 2)
			break; /* all in, room full, or no room for a pair */
		unsigned char c = p[in++];
		dst[out++] = '}';
		dst[out++] = (char)(c ^ 0x20);
	}
	*used = in;
	return out;
}

bool rsp_encode(struct strbuf *out, const void *payload, size_t len)
{
	size_t start = rsp_frame_begin(out);
	return rsp_append_binary(out, payload, len) &&
	       rsp_frame_end(out, start);
}
