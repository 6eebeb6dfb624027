/* RSP framing: an incremental decoder for what a client sends and the
 * encoder for what we send back. Knows nothing of packet meanings. */
#ifndef LKSTUB_RSP_PACKET_H
#define LKSTUB_RSP_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stub/rsp/strbuf.h"

/* Largest decoded payload we accept and largest payload we send; we
 * advertise it as PacketSize (hex) in qSupported. */
#define RSP_PACKET_SIZE 0x40000

enum rsp_event {
	RSP_EV_NONE,         /* input used up, nothing complete yet */
	RSP_EV_PACKET,       /* d->buf[0..d->len) holds a verified payload */
	RSP_EV_INTERRUPT,    /* 0x03 outside a packet */
	RSP_EV_ACK,          /* '+' */
	RSP_EV_NAK,          /* '-': resend the last packet */
	RSP_EV_BAD_CHECKSUM, /* packet dropped */
	RSP_EV_OVERSIZE,     /* packet dropped: payload over RSP_PACKET_SIZE */
	RSP_EV_BAD_FRAME,    /* packet dropped: malformed escape or run length */
};

enum rsp_decoder_state {
	RSP_ST_IDLE, RSP_ST_DATA, RSP_ST_ESCAPE, RSP_ST_RUN, RSP_ST_CSUM1,
	RSP_ST_CSUM2,
};

struct rsp_decoder {
	enum rsp_decoder_state state;
	char *buf;      /* grows with the packet, up to RSP_PACKET_SIZE + 1 */
	size_t cap;     /* bytes at buf */
	size_t len;     /* decoded payload bytes so far */
	uint8_t sum;    /* running checksum of the raw bytes */
	uint8_t csum;   /* checksum digits received so far */
	bool oversize;  /* payload outgrew buf: keep scanning for '#' */
	bool malformed; /* bad escape or run length: drop at '#' */
};

int rsp_decoder_init(struct rsp_decoder *d, char *err);
void rsp_decoder_free(struct rsp_decoder *d);
/* Consumes input up to and including the next event; returns how many
 * bytes were used and sets *ev. For RSP_EV_PACKET the payload is in
 * d->buf (NUL-terminated, may hold NULs) until the next call. */
size_t rsp_decoder_feed(struct rsp_decoder *d, const char *in, size_t len,
			enum rsp_event *ev);

/* Gives the buffer back when it grew past keep bytes and no packet is
 * being decoded (call after handling an event). */
void rsp_decoder_trim(struct rsp_decoder *d, size_t keep);

/* Checksum of a byte range (mod 256). */
uint8_t rsp_checksum(const void *data, size_t len);

/* Building a reply in place: rsp_frame_begin appends '$' and returns the
 * payload's start offset; the caller appends the payload (hex or text
 * without $#}*, or via rsp_append_binary); rsp_frame_end appends the
 * checksum. False when out hit its cap. */
size_t rsp_frame_begin(struct strbuf *out);
bool rsp_frame_end(struct strbuf *out, size_t start);
/* Appends data escaping $ # } * so it survives framing. */
bool rsp_append_binary(struct strbuf *out, const void *data, size_t len);
/* Escapes as many whole bytes of src as fit in room bytes at dst; *used
 * gets how many went in, the return value how many bytes were written.
 * In place: src may start min(len, room / 2) or more bytes after dst.
 * Each escape brings the output one byte closer to the unread input, and
 * there are at most that many escapes, so it never overtakes it. */
size_t rsp_escape_binary(char *dst, size_t room, const void *src, size_t len,
			 size_t *used);
/* A whole packet at once. */
bool rsp_encode(struct strbuf *out, const void *payload, size_t len);

#endif
