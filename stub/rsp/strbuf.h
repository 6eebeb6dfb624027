/* A growable byte buffer with a hard cap, so no reply can grow without
 * bound whatever the input. */
#ifndef LKSTUB_STRBUF_H
#define LKSTUB_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len, cap, max;
	bool overflow; /* an append was refused because of max */
};

void strbuf_init(struct strbuf *sb, size_t max);
void strbuf_free(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
bool strbuf_append(struct strbuf *sb, const void *data, size_t len);
bool strbuf_putc(struct strbuf *sb, char c);
__attribute__((format(printf, 2, 3)))
bool strbuf_printf(struct strbuf *sb, const char *fmt, ...);
/* Appends len bytes left for the caller to fill; NULL when over max.
 * The pointer is valid until the next append. */
char *strbuf_extend(struct strbuf *sb, size_t len);
/* Drops everything from len on (len <= sb->len). */
void strbuf_truncate(struct strbuf *sb, size_t len);
/* Gives back the room beyond what the buffer holds. */
void strbuf_shrink(struct strbuf *sb);
/* Frees the buffer when it holds nothing and has grown past keep bytes,
 * so a buffer that once held a big reply does not stay big. */
void strbuf_trim(struct strbuf *sb, size_t keep);
/* NUL-terminated view (the terminator is not counted in len). */
const char *strbuf_cstr(struct strbuf *sb);

#endif
