#include "stub/rsp/strbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void strbuf_init(struct strbuf *sb, size_t max)
{
	memset(sb, 0, sizeof(*sb));
	sb->max = max;
}

void strbuf_free(struct strbuf *sb)
{
	free(sb->buf);
	strbuf_init(sb, sb->max);
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	sb->overflow = false;
	if (sb->buf)
		sb->buf[0] = '\0';
}

/* Room for len more bytes plus a terminator, within max. */
static bool strbuf_reserve(struct strbuf *sb, size_t len)
{
	if (len > sb->max || sb->len > sb->max - len) {
		sb->overflow = true;
		return false;
	}
	size_t need = sb->len + len + 1;
	if (need <= sb->cap)
		return true;
	size_t cap = sb->cap ? sb->cap : 256;
	while (cap < need)
		cap *= 2;
	if (sb->max < SIZE_MAX && cap > sb->max + 1) /* need <= max + 1 */
		cap = sb->max + 1;
	char *p = realloc(sb->buf, cap);
	if (!p) {
		sb->overflow = true;
		return false;
	}
	sb->buf = p;
	sb->cap = cap;
	return true;
}

bool strbuf_append(struct strbuf *sb, const void *data, size_t len)
{
	if (!strbuf_reserve(sb, len))
		return false;
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
	return true;
}

char *strbuf_extend(struct strbuf *sb, size_t len)
{
	if (!strbuf_reserve(sb, len))
		return NULL;
	char *p = sb->buf + sb->len;
	sb->len += len;
	sb->buf[sb->len] = '\0';
	return p;
}

void strbuf_shrink(struct strbuf *sb)
{
	if (!sb->buf || sb->cap <= sb->len + 1)
		return;
	char *p = realloc(sb->buf, sb->len + 1);
	if (p) {
		sb->buf = p;
		sb->cap = sb->len + 1;
	}
}

void strbuf_trim(struct strbuf *sb, size_t keep)
{
	if (sb->len == 0 && sb->cap > keep) {
		free(sb->buf);
		sb->buf = NULL;
		sb->cap = 0;
	}
}

void strbuf_truncate(struct strbuf *sb, size_t len)
{
	if (len < sb->len) {
		sb->len = len;
		sb->buf[len] = '\0';
	}
}

bool strbuf_putc(struct strbuf *sb, char c)
{
	return strbuf_append(sb, &c, 1);
}

bool strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !strbuf_reserve(sb, (size_t)n))
		return false;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
	return true;
}

const char *strbuf_cstr(struct strbuf *sb)
{
	if (!sb->buf && !strbuf_reserve(sb, 0))
		return "";
	return sb->buf;
}
