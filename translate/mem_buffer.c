/* Guest memory held in a caller-owned buffer: unit tests build synthetic
 * page tables in one, and any source already read into memory fits. */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "translate/guest_mem.h"

struct mem_buffer {
	uint8_t *buf;
	size_t size;
};

static size_t mem_buffer_read(void *src, uint64_t off, void *buf, size_t len)
{
	struct mem_buffer *b = src;
	if (off > b->size || len > b->size - off)
		return 0;
	memcpy(buf, b->buf + off, len);
	return len;
}

static int mem_buffer_write(void *src, uint64_t off, const void *buf,
			    size_t len, char *err)
{
	struct mem_buffer *b = src;
	if (off > b->size || len > b->size - off)
		return set_err(err, "offset %#llx+%zu is past the end of the "
			       "buffer", (unsigned long long)off, len);
	memcpy(b->buf + off, buf, len);
	return 0;
}

static void mem_buffer_close(void *src)
{
	free(src);
}

static const struct mem_source_ops mem_buffer_ops = {
	.name = "buffer",
	.read = mem_buffer_read,
	.write = mem_buffer_write,
	.close = mem_buffer_close,
};

int guest_mem_open_buffer(struct guest_mem *m, void *buf, size_t size,
			  bool writable, char *err)
{
	memset(m, 0, sizeof(*m));
	struct mem_buffer *b = calloc(1, sizeof(*b));
	if (!b)
		return set_err(err, "out of memory");
	b->buf = buf;
	b->size = size;
	m->ops = &mem_buffer_ops;
	m->src = b;
	m->src_size = size;
	m->ram_base = 0;
	m->ram_size = size;
	m->writable = writable;
	return 0;
}
