/* Compressed kdump files (makedumpfile's default "KDUMP" format) through
 * libkdumpfile: the dump is indexed by physical address; pages that
 * makedumpfile filtered out read as holes. */
#include <errno.h>
#include <fcntl.h>
#include <libkdumpfile/kdumpfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "translate/mem_kdump.h"

struct mem_kdump {
	kdump_ctx_t *ctx;
	int fd;
};

static size_t kdump_src_read(void *src, uint64_t off, void *buf, size_t len)
{
	struct mem_kdump *k = src;
	size_t got = len;
	kdump_status st = kdump_read(k->ctx, KDUMP_MACHPHYSADDR, off, buf,
				     &got);
	/* On a filtered page libkdumpfile stops there and says how far it
	 * got: the bytes before the hole are good. */
	if (st != KDUMP_OK && got > len)
		got = 0;
	return got;
}

static void kdump_src_close(void *src)
{
	struct mem_kdump *k = src;
	kdump_free(k->ctx);
	close(k->fd);
	free(k);
}

static const struct mem_source_ops mem_kdump_ops = {
	.name = "kdump file",
	.read = kdump_src_read,
	.close = kdump_src_close,
};

bool kdump_is_compressed(const char *path)
{
	char sig[12];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool yes = read(fd, sig, 12) == 12 &&
		   (!memcmp(sig, "KDUMP   ", 8) ||
		    !memcmp(sig, "DISKDUMP", 8) ||
		    !memcmp(sig, "makedumpfile", 12));
	close(fd);
	return yes;
}

int guest_mem_open_kdump(struct guest_mem *m, const char *path,
			 struct kdump_extras *x, char *err)
{
	memset(m, 0, sizeof(*m));
	memset(x, 0, sizeof(*x));
	struct mem_kdump *k = calloc(1, sizeof(*k));
	if (!k)
		return set_err(err, "out of memory");
	k->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (k->fd < 0) {
		set_err(err, "%s: %s", path, strerror(errno));
		free(k);
		return -1;
	}
	char sig[12];
	if (pread(k->fd, sig, 12, 0) == 12 && !memcmp(sig, "makedumpfile", 12)) {
		set_err(err, "%s is in makedumpfile's flattened format (as "
			"QEMU writes kdump-* dumps): reassemble it first with "
			"makedumpfile -R OUT < %s", path, path);
		close(k->fd);
		free(k);
		return -1;
	}
	k->ctx = kdump_new();
	kdump_num_t max_pfn = 0, page_size = 0;
	if (!k->ctx || kdump_open_fd(k->ctx, k->fd) != KDUMP_OK ||
	    kdump_get_number_attr(k->ctx, "max_pfn", &max_pfn) != KDUMP_OK ||
	    kdump_get_number_attr(k->ctx, "arch.page_size", &page_size) !=
		    KDUMP_OK ||
	    !max_pfn || !page_size || max_pfn > UINT64_MAX / page_size) {
		set_err(err, "%s: libkdumpfile: %s", path,
			k->ctx ? kdump_get_err(k->ctx) : "out of memory");
		if (k->ctx)
			kdump_free(k->ctx);
		close(k->fd);
		free(k);
		return -1;
	}
	const char *info = NULL;
	if (kdump_get_string_attr(k->ctx, "linux.vmcoreinfo.raw", &info) ==
		    KDUMP_OK && info)
		x->vmcoreinfo = info;
	m->ops = &mem_kdump_ops;
	m->src = k;
	m->src_size = max_pfn * page_size;
	m->ram_base = 0;
	m->ram_size = m->src_size;
	if (guest_mem_add_region(m, 0, m->src_size, 0, err)) {
		guest_mem_close(m);
		return -1;
	}
	return 0;
}
